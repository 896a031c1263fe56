//! A damaged database at start-up: the app does not use it, offers the
//! newest good backup, restores it into a fresh database and keeps the
//! damaged file aside, untouched.

use std::io::{Seek as _, SeekFrom, Write as _};

use fantoccini::Locator;
use sonic_core::sections::SectionKind;
use sonic_core::{DataDir, SectionKey, Store};
use sonic_e2e::shop::{seed_shop, OWNER};
use sonic_e2e::App;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_database_is_not_used_and_the_newest_good_backup_brings_the_shop_back() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = DataDir::at(dir.path());
    seed_shop(dir.path())?;
    let (backup, expected) = {
        let store = Store::open(&data)?;
        (sonic_core::backup::create_backup(&store, "manual")?, store.counts()?)
    };
    // Damage every other page after the header (the store was closed, so
    // the WAL is folded into the file).
    let db = data.database();
    let pages = std::fs::metadata(&db)?.len() / 4096;
    assert!(pages > 4, "the seeded shop spans several pages ({pages})");
    let mut file = std::fs::OpenOptions::new().write(true).open(&db)?;
    for page in (1..pages).step_by(2) {
        file.seek(SeekFrom::Start(page * 4096 + 64))?;
        file.write_all(&[0xA5; 300])?;
    }
    file.sync_all()?;
    drop(file);
    let damaged = std::fs::read(&db)?;

    let app = App::launch(dir.path()).await?;
    let problem = app.wait_for_text("recovery-problem", |t| !t.is_empty()).await?;
    assert!(problem.contains("damaged"), "the window says what is wrong: {problem}");
    // Worded from the refusal's reason and the file's path (as in Arabic),
    // not Rust's message for the log, which names the admin tool.
    assert!(
        problem.contains("restore it from a backup")
            && problem.contains(&db.display().to_string())
            && !problem.contains("sonic-pos-admin"),
        "the problem is worded from its reason: {problem}"
    );
    let good = app.testid("recovery-newest-good").await?;
    let row = good.find(Locator::XPath("ancestor::li[1]")).await?;
    let name = row.attr("data-name").await?.unwrap_or_default();
    assert_eq!(
        Some(name.as_str()),
        backup.file.file_name().and_then(|n| n.to_str()),
        "the newest good backup is offered"
    );
    assert_eq!(
        std::fs::read(&db)?,
        damaged,
        "nothing was written to the damaged database"
    );

    app.click("recovery-restore").await?;
    app.testid("recovery-done").await?;
    let moved_to = app.wait_for_text("recovery-moved-to", |t| !t.is_empty()).await?;
    let kept = std::path::Path::new(moved_to.trim()).join("sonic-pos.db");
    assert_eq!(
        std::fs::read(&kept)?,
        damaged,
        "the damaged file is kept aside as it was"
    );
    app.close_window_and_wait_for_exit().await?;
    app.quit().await?;

    // Started again: the shop is back and the owner signs in as before.
    let again = App::launch(dir.path()).await?;
    again.sign_in(OWNER.0, OWNER.1).await?;
    again.quit().await?;
    let store = Store::open(&data)?;
    store.quick_check()?;
    // Records of every section as the backup had them. (A counter never
    // used is absent before and written as 0 by the import: same value.)
    let records = |counts: sonic_core::SectionCounts| -> Vec<(SectionKey, u64)> {
        counts
            .into_iter()
            .filter(|(key, _)| key.kind() != SectionKind::Counter)
            .collect()
    };
    assert_eq!(
        records(store.counts()?),
        records(expected),
        "every section is as the backup had it"
    );

    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damage_found_by_the_check_after_start_stops_the_till_and_offers_recovery() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = DataDir::at(dir.path());
    seed_shop(dir.path())?;
    let backup = {
        let store = Store::open(&data)?;
        sonic_core::backup::create_backup(&store, "manual")?
    };
    // A clean run leaves the clean-exit marker: the next start draws the
    // window before it checks the database.
    let app = App::launch(dir.path()).await?;
    app.close_window_and_wait_for_exit().await?;
    app.quit().await?;
    assert!(dir.path().join("clean-exit").exists());
    // The close wrote its on_close backup: that is now the newest good one.
    let newest = {
        let store = Store::open(&data)?;
        let listed = sonic_core::backup::list_backups(&store)?;
        assert!(
            listed.len() >= 2 && listed.iter().any(|b| b.id == backup.id),
            "the manual backup and the close's are listed: {listed:?}"
        );
        listed[0].file.clone()
    };

    // Damage the pages of records nothing reads before the window (not the
    // schema the opening reads, which may sit anywhere in the file: the
    // change marks' triggers grew it onto the last pages).
    let db = data.database();
    let roots: Vec<u64> = {
        let conn = rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let mut query = conn.prepare(
            "SELECT rootpage FROM sqlite_schema WHERE type = 'table' AND name IN ('returns', 'transfers', 'item_activity')",
        )?;
        let roots = query.query_map([], |row| row.get::<_, i64>(0))?;
        roots.map(|r| Ok(u64::try_from(r?)?)).collect::<anyhow::Result<_>>()?
    };
    assert_eq!(roots.len(), 3, "the three tables are found: {roots:?}");
    let mut file = std::fs::OpenOptions::new().write(true).open(&db)?;
    for page in roots {
        // Pages are numbered from 1.
        file.seek(SeekFrom::Start((page - 1) * 4096))?;
        file.write_all(&[0xA5; 4096])?;
    }
    file.sync_all()?;
    drop(file);

    let app = App::launch(dir.path()).await?;
    let problem = app.wait_for_text("recovery-problem", |t| !t.is_empty()).await?;
    assert!(problem.contains("damaged"), "the window says what is wrong: {problem}");
    let good = app.testid("recovery-newest-good").await?;
    let row = good.find(Locator::XPath("ancestor::li[1]")).await?;
    let name = row.attr("data-name").await?.unwrap_or_default();
    assert_eq!(
        Some(name.as_str()),
        newest.file_name().and_then(|n| n.to_str()),
        "the newest good backup is offered"
    );
    // The till stops: the store is not used, no backup is written over it.
    for command in ["user_names", "backup_now"] {
        let refused = app.invoke(command, serde_json::json!({})).await?;
        let code = refused
            .as_ref()
            .err()
            .and_then(|e| e["code"].as_str().map(str::to_string));
        assert_eq!(code.as_deref(), Some("Damaged"), "{command} is refused: {refused:?}");
    }
    let log = std::fs::read_to_string(dir.path().join("logs/sonic-pos.log"))?;
    assert!(
        log.contains("the integrity check after start found damage"),
        "the damage was found by the check after start, with the window up"
    );
    app.close_window_and_wait_for_exit().await?;
    app.quit().await?;
    assert!(
        !dir.path().join("clean-exit").exists(),
        "no clean-exit marker over a damaged database: the next start checks first"
    );
    Ok(())
}
