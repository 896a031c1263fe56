//! Backup Now from the Backup screen.

use anyhow::Context as _;
use fantoccini::Locator;
use sonic_core::{DataDir, SectionKey, Store};
use sonic_e2e::{app_binary, backup_files, window_is_shown, App, EXPORT_CHOOSER};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_now_shows_the_id_and_the_16_sections_and_writes_the_file() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    // A small generated shop, so the counts on screen mean something.
    let stored = {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        sonic_core::gen::generate(&mut store, sonic_core::gen::Profile::Small, 11)?;
        store.counts()?
    };
    let app = App::launch(dir.path()).await?;
    let (owner, pin) = sonic_core::gen::DEMO_PINS[0];
    app.sign_in(owner, pin).await?;
    app.open("backup").await?;
    assert!(backup_files(dir.path())?.is_empty(), "no backup before Backup Now");

    app.testid("backup-now").await?.click().await?;
    let id = app.wait_for_text("backup-id", |text| !text.trim().is_empty()).await?;
    let id = id.trim().to_string();

    let rows = app
        .client
        .find_all(Locator::Css(
            "[data-testid='backup-sections'] [data-testid='section-row']",
        ))
        .await?;
    let mut shown = Vec::new();
    for row in &rows {
        let key = row.attr("data-key").await?.unwrap_or_default();
        let count = row
            .find(Locator::Css("[data-testid='section-count']"))
            .await?
            .text()
            .await?;
        shown.push((key, count.replace([',', '\u{a0}'], "")));
    }
    let expected: Vec<(String, String)> = SectionKey::ALL
        .iter()
        .map(|key| {
            (
                key.as_str().to_string(),
                stored.get(key).copied().unwrap_or(0).to_string(),
            )
        })
        .collect();
    assert_eq!(
        shown, expected,
        "the result lists the 16 sections in table order with the stored counts"
    );

    let files = backup_files(dir.path())?;
    let simple_id = id.replace('-', "");
    assert!(
        files
            .iter()
            .any(|name| name.contains("-manual-") && name.contains(&simple_id)),
        "a manual backup file named after {id} is in <data dir>/backups: {files:?}"
    );

    // The short id: the random end of the id, not its time prefix.
    let short = &simple_id[simple_id.len() - 8..];
    app.wait_for_text("status-last-backup", |text| text.contains(short))
        .await?;
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_b_runs_the_menus_backup_now_and_the_screen_shows_its_result() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let app = App::launch(dir.path()).await?;
    app.set_up_shop().await?;
    app.open("backup").await?;

    // The page has no Ctrl+B handler of its own: only the native menu's
    // accelerator (Backup → Backup Now) can start this backup, and its result
    // reaches the screen only through the backup-finished event.
    app.press_ctrl_until('b', "a backup file", || Ok(!backup_files(dir.path())?.is_empty()))
        .await?;
    let id = app.wait_for_text("backup-id", |text| !text.trim().is_empty()).await?;
    let id = id.trim().replace('-', "");

    let files = backup_files(dir.path())?;
    assert!(
        files.iter().any(|name| name.contains("-manual-") && name.contains(&id)),
        "the menu's backup {id} is in <data dir>/backups: {files:?}"
    );
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_e_asks_where_in_the_save_dialog_and_writes_a_verified_export_there() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    // A small generated shop, so the export holds records.
    {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        sonic_core::gen::generate(&mut store, sonic_core::gen::Profile::Small, 5)?;
    }
    let stick = tempfile::tempdir()?;
    let target = stick.path().join("shop-export.json");
    let app = App::launch(dir.path()).await?;
    let (owner, pin) = sonic_core::gen::DEMO_PINS[0];
    app.sign_in(owner, pin).await?;

    // File › Export… (Ctrl+E) opens the native save dialog; the user types
    // the place on the USB stick.
    app.press_ctrl_until('e', "the export's save dialog", || {
        window_is_shown(&app.display, EXPORT_CHOOSER)
    })
    .await?;
    app.answer_file_chooser(EXPORT_CHOOSER, &target)
        .await
        .context("answering the export's save dialog")?;
    let message = app
        .wait_for_text("status-message", |text| text.starts_with("Exported to "))
        .await?;
    assert_eq!(
        message.trim_start_matches("Exported to ").trim(),
        target.display().to_string(),
        "the status bar names the chosen file"
    );
    assert!(
        !dir.path().join("exports").exists(),
        "nothing is written into the data folder"
    );
    let names: Vec<String> = std::fs::read_dir(stick.path())?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect::<Result<_, _>>()?;
    assert_eq!(
        names,
        vec!["shop-export.json".to_string()],
        "one file, no temporary left"
    );
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&target)?)?;
    for key in SectionKey::ALL {
        assert!(
            json.get(key.as_str()).is_some(),
            "the export has the key {}",
            key.as_str()
        );
    }
    assert_eq!(json["_meta"]["format"], "sonic-backup", "the export carries its _meta");
    app.quit().await?;

    // The admin tool reads it back whole: every section hash checks.
    let binary = app_binary()?.with_file_name("sonic-pos-admin");
    let out = std::process::Command::new(&binary)
        .arg("--data-dir")
        .arg(dir.path())
        .arg("verify")
        .arg(&target)
        .output()
        .with_context(|| format!("running {} (cargo build -p sonic-cli)", binary.display()))?;
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "sonic-pos-admin verify: {said}");
    assert!(said.contains("is valid"), "verify says the file is valid: {said}");
    Ok(())
}

/// Backups made one after another share the first digits of their ids (a
/// UUIDv7 begins with its time); the history shows each one's short id from
/// the random end of its id, and no two alike (issue 16).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_shows_short_ids_from_the_random_end_no_two_alike() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    sonic_e2e::shop::seed_shop(dir.path())?;
    let ids: Vec<String> = {
        let store = Store::open(&DataDir::at(dir.path()))?;
        (0..3)
            .map(|_| {
                sonic_core::backup::create_backup(&store, sonic_core::backup::reason::MANUAL)
                    .map(|b| b.id.simple().to_string())
            })
            .collect::<Result<_, _>>()?
    };
    assert_eq!(ids[0][..8], ids[2][..8], "made within a minute: the same first digits");
    let app = App::launch(dir.path()).await?;
    let (owner, pin) = sonic_e2e::shop::OWNER;
    app.sign_in(owner, pin).await?;
    app.open("backup").await?;
    sonic_e2e::screen::wait_for_count(&app, "[data-testid='history-item']", 3).await?;
    let mut shown = Vec::new();
    for row in app
        .client
        .find_all(Locator::Css("[data-testid='history-item']"))
        .await?
    {
        let id = row.attr("data-id").await?.unwrap_or_default().replace('-', "");
        let text = row.text().await?;
        let short = ids
            .iter()
            .filter(|full| **full == id)
            .map(|full| {
                (8..=full.len())
                    .rev()
                    .map(|n| &full[full.len() - n..])
                    .find(|end| text.contains(&format!("{end} ·")))
                    .map(str::to_string)
            })
            .next()
            .flatten()
            .with_context(|| format!("the row of {id} shows the end of its id: {text:?}"))?;
        assert!(
            !text.contains(&id[..8]),
            "the time prefix is not shown as the id: {text:?}"
        );
        shown.push(short);
    }
    let mut distinct = shown.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 3, "three different short ids: {shown:?}");
    app.quit().await
}
