//! Settings › Backups: saved per computer, the command line winning, and
//! the retention applied at the next backup.

use sonic_core::{DataDir, Store};
use sonic_e2e::shop::{seed_shop, OWNER};
use sonic_e2e::{backup_files, eventually, App};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_saves_backup_settings_and_the_retention_keeps_only_the_last_backups() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch_with(dir.path(), &["--backup-interval", "0"]).await?;
    app.sign_in(OWNER.0, OWNER.1).await?;
    app.open("settings").await?;
    let running = app.wait_for_text("backup-settings-running", |t| !t.is_empty()).await?;
    assert!(
        running.contains("command line") && running.contains("schedule"),
        "the form says the schedule comes from --backup-interval: {running}"
    );

    // A server that is not a connection string is refused where it was typed; nothing saved.
    app.fill("backup-settings-server", "http://not postgres").await?;
    app.click("backup-settings-save").await?;
    let error = app.wait_for_text("backup-settings-error", |t| !t.is_empty()).await?;
    assert!(error.contains("not a PostgreSQL connection string"), "{error}");
    assert_eq!(Store::open(&DataDir::at(dir.path()))?.setting("backup.server")?, None);

    app.fill("backup-settings-server", "").await?;
    app.fill("backup-settings-interval", "15").await?;
    app.fill("backup-settings-close-wait", "8").await?;
    app.fill("backup-settings-keep-last", "2").await?;
    app.fill("backup-settings-keep-days", "0").await?;
    app.click("backup-settings-save").await?;
    app.wait_for_text("backup-settings-saved", |t| t.starts_with("Saved"))
        .await?;
    {
        let store = Store::open(&DataDir::at(dir.path()))?;
        assert_eq!(store.setting("backup.interval_seconds")?.as_deref(), Some("900"));
        assert_eq!(store.setting("backup.close_wait_seconds")?.as_deref(), Some("8"));
        let retention = store.retention()?;
        assert_eq!((retention.keep_last, retention.keep_daily_days), (2, 0));
    }

    // Three backups with no server set up: the retention keeps the last two.
    app.open("backup").await?;
    for n in 1..=3 {
        app.click("backup-now").await?;
        eventually("the backup to be written", || {
            Ok((backup_files(dir.path())?.len() >= n.min(2)).then_some(()))
        })
        .await?;
        app.wait_for_text("backup-now", |t| t == "Backup Now").await?;
        // File names carry the second: keep the three apart.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    let files = backup_files(dir.path())?;
    assert_eq!(files.len(), 2, "only the last two backups are kept: {files:?}");
    app.quit().await
}
