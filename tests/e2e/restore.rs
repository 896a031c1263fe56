//! Restore through the Backup screen: a file chosen in the system's file
//! chooser (GTK's, answered with real X key events: its path stays in Rust,
//! its bytes never cross to the webview), the preview, a manager's PIN, the
//! safety backup, and the progress bar in between.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;
use fantoccini::Locator;
use sonic_core::restore::{self, ImportMode};
use sonic_core::sections::Table;
use sonic_core::{snapshot, DataDir, SectionKey, Store};
use sonic_e2e::shop::{self, seed_shop};
use sonic_e2e::{backup_files, eventually, App, RESTORE_CHOOSER};

/// One preview row as shown: (now, in backup, added, removed, changed).
type Row = (u64, u64, u64, u64, u64);

async fn preview_rows(app: &App) -> anyhow::Result<BTreeMap<String, Row>> {
    let rows = app
        .client
        .find_all(Locator::Css(
            "[data-testid='restore-preview'] [data-testid='preview-row']",
        ))
        .await?;
    let mut out = BTreeMap::new();
    for row in rows {
        let key = row.attr("data-key").await?.unwrap_or_default();
        let mut cells = Vec::new();
        for id in [
            "preview-now",
            "preview-backup",
            "preview-added",
            "preview-removed",
            "preview-changed",
        ] {
            let cell = row.find(Locator::Css(&format!("[data-testid='{id}']"))).await?;
            let value = cell.attr("data-value").await?.unwrap_or_default();
            let text = cell.text().await?.replace([',', '\u{a0}'], "");
            assert_eq!(text, value, "{key} {id}: the number shown is the number previewed");
            cells.push(
                value
                    .parse::<u64>()
                    .with_context(|| format!("{key} {id} is {value:?}"))?,
            );
        }
        out.insert(key, (cells[0], cells[1], cells[2], cells[3], cells[4]));
    }
    Ok(out)
}

/// Starts recording every text the Backup screen's progress label shows.
async fn watch_progress(app: &App) -> anyhow::Result<()> {
    app.client
        .execute(
            r#"
            window.progressWatch?.disconnect();
            window.progressSeen = [];
            const label = document.querySelector("[data-testid='backup-progress-label']");
            window.progressWatch = new MutationObserver(() => window.progressSeen.push(label.textContent));
            window.progressWatch.observe(label, { childList: true, characterData: true, subtree: true });
            "#,
            vec![],
        )
        .await?;
    Ok(())
}

/// The texts the progress label showed since [`watch_progress`].
async fn progress_seen(app: &App) -> anyhow::Result<Vec<String>> {
    let seen = app.client.execute("return window.progressSeen", vec![]).await?;
    Ok(seen
        .as_array()
        .context("window.progressSeen is a list")?
        .iter()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect())
}

/// The (done, total) of a progress text such as `Restoring… 1,204 / 3,517`
/// that starts with `task`.
fn counts_in(text: &str, task: &str) -> Option<(u64, u64)> {
    let rest = text.strip_prefix(task)?.replace([',', '\u{a0}'], "");
    let (done, total) = rest.trim().split_once(" / ")?;
    Some((done.trim().parse().ok()?, total.trim().parse().ok()?))
}

/// Clicks "Choose a file…" and answers the file chooser it opens with `file`.
async fn choose_file(app: &App, file: &std::path::Path) -> anyhow::Result<()> {
    app.click("restore-file-choose").await?;
    app.answer_file_chooser(RESTORE_CHOOSER, file)
        .await
        .context("answering the restore's file chooser")
}

fn counts_by_key(store: &Store) -> anyhow::Result<BTreeMap<String, u64>> {
    Ok(store
        .counts()?
        .into_iter()
        .map(|(key, n)| (key.as_str().to_string(), n))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restoring_the_old_export_from_a_file_previews_it_and_after_a_manager_pin_the_data_is_the_files(
) -> anyhow::Result<()> {
    let fixture: PathBuf = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/old-pos-export.json")
        .canonicalize()?;
    let doc = snapshot::read_file(&fixture)?;
    // What the file holds: the counts it gives when imported into an empty store.
    let in_file = {
        let empty = tempfile::tempdir()?;
        let mut store = Store::open(&DataDir::at(empty.path()))?;
        restore::import(&mut store, &doc, ImportMode::IntoEmpty, "fixture")?;
        counts_by_key(&store)?
    };
    assert_eq!(in_file["sonic_invoices"], 2, "the fixture holds two invoices");
    assert_eq!(in_file["sonic_stores"], 1, "the fixture holds one store");

    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(shop::OWNER.0, shop::OWNER.1).await?;
    app.open("backup").await?;

    // Everything the screen's progress bar says while the file is read.
    watch_progress(&app).await?;
    choose_file(&app, &fixture).await?;
    app.testid("restore-approval").await?;
    let shown = preview_rows(&app).await?;
    let progress = progress_seen(&app).await?;
    assert!(
        progress.iter().any(|t| t.starts_with("Reading file…")),
        "the progress bar followed the file being read: {progress:?}"
    );
    let source = app.testid("restore-source").await?.text().await?;
    assert!(
        source.contains("old-pos-export.json"),
        "the preview names the chosen file: {source}"
    );
    assert!(
        app.client
            .find(Locator::Css("[data-testid='backup-progress-box'][hidden]"))
            .await
            .is_ok(),
        "the progress bar is gone once the preview is there"
    );

    let expected: BTreeMap<String, Row> = {
        let live = Store::open(&DataDir::at(dir.path()))?;
        restore::preview(&live, &doc)?
            .sections
            .iter()
            .map(|s| (s.key.to_string(), (s.now, s.backup, s.added, s.removed, s.changed)))
            .collect()
    };
    assert_eq!(shown.len(), SectionKey::ALL.len(), "the preview lists the 16 sections");
    assert_eq!(
        shown, expected,
        "the preview shows, per section, now / in backup / added / removed / changed"
    );
    for (key, row) in &shown {
        assert_eq!(
            row.1, in_file[key],
            "{key}: the preview's backup column is what the file holds"
        );
    }
    let warnings = app
        .client
        .find_all(Locator::Css("[data-testid='restore-warning']"))
        .await?;
    assert_eq!(warnings.len(), doc.warnings.len(), "every warning of the file is shown");
    let before = counts_by_key(&Store::open(&DataDir::at(dir.path()))?)?;

    // A wrong PIN is refused and changes nothing.
    app.fill("restore-manager-name", shop::MANAGER.0).await?;
    app.fill("restore-manager-pin", "0000").await?;
    app.click("restore-confirm").await?;
    app.wait_for_text("restore-error", |t| !t.is_empty()).await?;
    assert_eq!(
        counts_by_key(&Store::open(&DataDir::at(dir.path()))?)?,
        before,
        "a refused approval leaves the data as it was"
    );
    assert!(
        !backup_files(dir.path())?.iter().any(|f| f.contains("-pre_restore-")),
        "no safety backup before an approved restore"
    );

    app.fill("restore-manager-pin", shop::MANAGER.1).await?;
    app.click("restore-confirm").await?;
    let safety_id = app.wait_for_text("restore-safety-id", |t| !t.trim().is_empty()).await?;
    let safety_id = safety_id.trim().to_string();
    assert_eq!(
        app.testid("restore-safety-reason").await?.text().await?,
        "Before restore"
    );
    let safety_file = PathBuf::from(app.testid("restore-safety-file").await?.text().await?.trim());
    assert!(
        safety_file.is_file(),
        "the safety backup shown exists: {}",
        safety_file.display()
    );

    // The seeded owner is not among the old export's users: the till asks
    // for a sign-in with one of the restored users.
    app.testid("restore-sign-in").await?;
    let session = app.invoke("session", serde_json::json!({})).await?;
    let session = session.map_err(|e| anyhow::anyhow!("session failed: {e}"))?;
    assert!(
        session["user"].is_null(),
        "nobody is signed in after the restore: {}",
        session["user"]
    );

    let simple = safety_id.replace('-', "");
    let files = eventually("the pre_restore safety backup file", || {
        let files = backup_files(dir.path())?;
        Ok(files
            .iter()
            .any(|f| f.contains("-pre_restore-") && f.contains(&simple))
            .then_some(files))
    })
    .await?;
    assert!(
        safety_file.ends_with(files.iter().find(|f| f.contains(&simple)).context("safety file")?),
        "the file shown is the pre_restore backup in <data dir>/backups"
    );

    let after = counts_by_key(&Store::open(&DataDir::at(dir.path()))?)?;
    for (key, n) in &in_file {
        // The restore records itself in the activity log, in the same transaction.
        let want = if key == "sonic_activity_data" { n + 1 } else { *n };
        assert_eq!(after[key], want, "{key}: after the restore the data is the file's");
    }
    // The safety backup holds the data as it was before. (Counters are left
    // out: an export writes a counter never set as 0, which reads back as set.)
    let safety = snapshot::read_file(&safety_file)?.counts();
    for (key, n) in &before {
        if !key.ends_with("_counter") {
            let in_safety = safety.iter().find(|(k, _)| k.as_str() == key).map(|(_, n)| *n);
            assert_eq!(
                in_safety,
                Some(*n),
                "{key}: the safety backup holds the data from before the restore"
            );
        }
    }
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_shops_backup_chosen_in_the_file_chooser_is_restored_with_the_progress_bar_counting_records(
) -> anyhow::Result<()> {
    // A backup of the small profile, written by another till.
    let other = tempfile::tempdir()?;
    let file = {
        let mut store = Store::open(&DataDir::at(other.path()))?;
        sonic_core::gen::generate(&mut store, sonic_core::gen::Profile::Small, 13)?;
        sonic_core::backup::create_backup(&store, sonic_core::backup::reason::MANUAL)?.file
    };
    let doc = snapshot::read_file(&file)?;
    let mut records = 0u64;
    for table in Table::ALL {
        doc.for_each_record(table, |_, _| {
            records += 1;
            Ok(())
        })?;
    }
    assert!(
        records > 1000,
        "the small profile holds a shop's worth of records: {records}"
    );

    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(shop::OWNER.0, shop::OWNER.1).await?;
    app.open("backup").await?;
    watch_progress(&app).await?;
    choose_file(&app, &file).await?;
    app.testid("restore-approval").await?;

    let reading = progress_seen(&app).await?;
    eprintln!("reading the file, the progress bar showed: {reading:?}");
    assert!(
        reading
            .iter()
            .any(|t| t.starts_with("Reading file…") && t.contains(" / ")),
        "while the file is read the bar shows bytes read of the file's size: {reading:?}"
    );
    let shown = preview_rows(&app).await?;
    let expected: BTreeMap<String, Row> = {
        let live = Store::open(&DataDir::at(dir.path()))?;
        restore::preview(&live, &doc)?
            .sections
            .iter()
            .map(|s| (s.key.to_string(), (s.now, s.backup, s.added, s.removed, s.changed)))
            .collect()
    };
    assert_eq!(shown, expected, "the preview is the chosen file's");
    let in_file = doc.counts();

    watch_progress(&app).await?;
    app.fill("restore-manager-name", shop::MANAGER.0).await?;
    app.fill("restore-manager-pin", shop::MANAGER.1).await?;
    app.click("restore-confirm").await?;
    app.wait_for_text("restore-safety-id", |t| !t.trim().is_empty()).await?;

    // What the bar showed while the records were written.
    let seen = progress_seen(&app).await?;
    eprintln!("the restore's progress bar showed: {seen:?}");
    let counts: Vec<(u64, u64)> = seen.iter().filter_map(|t| counts_in(t, "Restoring…")).collect();
    assert!(
        counts.len() >= 3,
        "the bar showed the restore's record counts several times: {seen:?}"
    );
    assert!(
        counts.iter().all(|&(_, total)| total == records),
        "each count is of the file's {records} records: {seen:?}"
    );
    assert!(
        counts.windows(2).all(|w| w[0].0 <= w[1].0),
        "the records done only go up: {seen:?}"
    );
    assert!(
        counts.iter().any(|&(done, total)| 0 < done && done < total),
        "the bar moved through the records, not only from none to all: {seen:?}"
    );

    let after = Store::open(&DataDir::at(dir.path()))?.counts()?;
    for (key, n) in &in_file {
        // The restore records itself in the activity log, in the same transaction.
        let want = if key.as_str() == "sonic_activity_data" {
            n + 1
        } else {
            *n
        };
        assert_eq!(
            after.get(key),
            Some(&want),
            "{}: after the restore the data is the file's",
            key.as_str()
        );
    }
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restoring_a_local_backup_from_the_history_brings_back_the_rate_and_keeps_the_owner_signed_in(
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(shop::OWNER.0, shop::OWNER.1).await?;
    app.open("backup").await?;
    app.click("backup-now").await?;
    let backup_id = app.wait_for_text("backup-id", |t| !t.trim().is_empty()).await?;
    let backup_id = backup_id.trim().to_string();

    // A change after the backup: the sales rate.
    app.invoke("set_rate", serde_json::json!({ "kind": "iqdPerUsd", "rate": "1400" }))
        .await?
        .map_err(|e| anyhow::anyhow!("set_rate failed: {e}"))?;

    let item = app
        .client
        .wait()
        .at_most(sonic_e2e::PATIENCE)
        .for_element(Locator::Css(&format!(
            "[data-testid='history-item'][data-id='{backup_id}'] [data-testid='history-restore']"
        )))
        .await
        .context("the manual backup is in the local history with a Restore button")?;
    item.click().await?;
    app.testid("restore-approval").await?;
    let shown = preview_rows(&app).await?;
    assert_eq!(
        shown["sonic_iqd_per_usd"],
        (1, 1, 0, 0, 1),
        "the preview says the sales rate would change back"
    );
    assert_eq!(
        shown["sonic_invoices"],
        (0, 0, 0, 0, 0),
        "no invoices either side: nothing to change"
    );
    let source = app.testid("restore-source").await?.text().await?;
    assert!(source.contains(&backup_id), "the preview names the backup: {source}");

    app.fill("restore-manager-name", shop::MANAGER.0).await?;
    app.fill("restore-manager-pin", shop::MANAGER.1).await?;
    app.click("restore-confirm").await?;
    app.wait_for_text("restore-safety-id", |t| !t.trim().is_empty()).await?;

    let store = Store::open(&DataDir::at(dir.path()))?;
    let rate = sonic_core::ops::rates::rate(&store, sonic_core::ops::rates::RateKind::IqdPerUsd)?;
    assert_eq!(
        rate,
        Some(shop::RATE.parse().map_err(anyhow::Error::msg)?),
        "the rate is the backup's again"
    );
    let session = app
        .invoke("session", serde_json::json!({}))
        .await?
        .map_err(|e| anyhow::anyhow!("session failed: {e}"))?;
    assert_eq!(
        session["user"]["name"],
        shop::OWNER.0,
        "the owner, in the backup too, stays signed in"
    );
    assert!(
        app.client
            .find(Locator::Css("[data-testid='restore-sign-in']"))
            .await
            .is_err(),
        "no sign-in is asked for"
    );
    app.wait_for_text("status-rate", |t| t == "1 USD = 1,310 IQD").await?;
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_from_the_backup_screen_shows_the_file_it_wrote() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(shop::OWNER.0, shop::OWNER.1).await?;
    app.open("backup").await?;
    app.click("export-now").await?;
    let file = app.wait_for_text("export-file", |t| !t.trim().is_empty()).await?;
    let file = PathBuf::from(file.trim());
    assert!(
        file.starts_with(dir.path().join("exports")),
        "the export is in <data dir>/exports: {}",
        file.display()
    );
    let doc = snapshot::read_file(&file)?;
    let store = Store::open(&DataDir::at(dir.path()))?;
    let stored = store.counts()?;
    for key in SectionKey::ALL {
        if !key.as_str().ends_with("_counter") {
            assert_eq!(
                doc.counts().get(&key),
                stored.get(&key),
                "{}: the export holds what is stored",
                key.as_str()
            );
        }
    }
    app.quit().await
}

/// The id (`data-testid`) of the focused element.
async fn focused(app: &App) -> anyhow::Result<String> {
    let id = app
        .client
        .execute("return document.activeElement?.dataset?.testid ?? ''", vec![])
        .await?;
    Ok(id.as_str().unwrap_or_default().to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_menus_import_restore_and_history_items_open_the_backup_screen_at_their_part() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(shop::OWNER.0, shop::OWNER.1).await?;
    // The native menu sends its item's id as the `menu` event; sent here the
    // same way, from the page.
    for (id, part) in [
        ("file/import", "restore-file-choose"),
        ("backup/restore", "restore-card"),
        ("backup/history", "backup-history-card"),
    ] {
        app.open("sale").await?;
        app.client
            .execute(
                "window.__TAURI__.event.emit('menu', arguments[0])",
                vec![serde_json::json!(id)],
            )
            .await?;
        app.client
            .wait()
            .at_most(sonic_e2e::PATIENCE)
            .for_element(Locator::Css(&format!("main[data-screen='backup'][data-focus='{id}']")))
            .await
            .with_context(|| format!("the menu item {id} did not open the Backup screen"))?;
        assert_eq!(focused(&app).await?, part, "{id} focuses its part of the Backup screen");
    }
    app.quit().await
}

/// The app's own process: the one whose command line names `dir` as its
/// data directory (the harness starts it with `--data-dir DIR`).
fn app_pid(dir: &std::path::Path) -> anyhow::Result<u32> {
    let want = dir.to_string_lossy().into_owned();
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let args: Vec<String> = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let is_app = args.first().is_some_and(|a| a.ends_with("sonic-pos"));
        if is_app && args.iter().any(|a| a == &want) {
            return Ok(pid);
        }
    }
    anyhow::bail!("no sonic-pos process runs on {want}")
}

/// `VmHWM` (the peak resident memory) of a process, in kB.
fn peak_kb(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmHWM in /proc/PID/status")
}

/// A small `.json.zst` expanding to gigabytes (of whitespace, or one
/// string) chosen in the Backup screen's file chooser: refused with a
/// message naming where and why, the app's memory stays bounded, and the
/// shop is unchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decompression_bomb_chosen_for_restore_is_refused_in_bounded_memory_and_changes_nothing() -> anyhow::Result<()>
{
    use std::io::Write as _;
    let bombs = tempfile::tempdir()?;
    let bomb = |name: &str, head: &str, fill: u8| -> anyhow::Result<PathBuf> {
        let path = bombs.path().join(name);
        let mut zst = zstd::Encoder::new(std::fs::File::create(&path)?, 3)?;
        zst.write_all(head.as_bytes())?;
        let chunk = vec![fill; 1 << 20];
        for _ in 0..2048 {
            zst.write_all(&chunk)?; // 2 GiB expanded; never on disk
        }
        zst.write_all(b"\"}]}")?;
        zst.finish()?.sync_all()?;
        Ok(path)
    };
    let cases = [
        (bomb("spaces.json.zst", r#"{"sonic_invoices":["#, b' ')?, "whitespace"),
        (
            bomb("string.json.zst", r#"{"sonic_invoices":[{"id":"inv-1","note":""#, b'a')?,
            "string",
        ),
    ];
    for (file, _) in &cases {
        let size = std::fs::metadata(file)?.len();
        assert!(size < 1 << 20, "{} is a small file ({size} bytes)", file.display());
    }

    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let before = counts_by_key(&Store::open(&DataDir::at(dir.path()))?)?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(shop::OWNER.0, shop::OWNER.1).await?;
    app.open("backup").await?;
    let pid = app_pid(dir.path())?;
    for (file, what) in &cases {
        choose_file(&app, file).await?;
        let message = app.wait_for_text("restore-error", |t| !t.trim().is_empty()).await?;
        eprintln!("{what} bomb: {message}");
        assert!(
            message.contains("sonic_invoices") && message.contains(what) && message.contains("MiB"),
            "the refusal names the section, what is too long and the limit: {message}"
        );
    }
    let peak = peak_kb(pid)?;
    eprintln!("the app's peak memory after both bombs: {} MB", peak / 1024);
    assert!(
        peak < 300 * 1024,
        "the app stayed under 300 MB while refusing 2 GiB bombs: {peak} kB"
    );
    app.quit().await?;
    let after = counts_by_key(&Store::open(&DataDir::at(dir.path()))?)?;
    assert_eq!(before, after, "a refused file changes nothing");
    Ok(())
}
