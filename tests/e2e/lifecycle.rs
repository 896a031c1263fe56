//! The close hook: closing the window writes an `on_close` backup, then exits.

use sonic_core::{DataDir, Store};
use sonic_e2e::shop::OWNER;
use sonic_e2e::{backup_files, App, START_FAILED};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_window_writes_an_on_close_backup_then_exits() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let app = App::launch(dir.path()).await?;
    assert!(
        backup_files(dir.path())?.is_empty(),
        "a fresh data directory has no backups"
    );

    let requests = app.close_window_and_wait_for_exit().await?;

    let files = backup_files(dir.path())?;
    let on_close: Vec<_> = files.iter().filter(|name| name.contains("-on_close-")).collect();
    assert_eq!(
        on_close.len(),
        1,
        "exactly one on_close backup after closing the window ({requests} close request(s)): {files:?}"
    );
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_app_on_the_same_data_dir_shows_why_it_stops_brings_the_first_forward_and_the_first_keeps_working(
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let app = App::launch(dir.path()).await?;

    // The second app says why it stops in a message box (and on stderr),
    // and exits once the box is closed.
    let mut second = tokio::process::Command::new(sonic_e2e::app_binary()?)
        .arg("--data-dir")
        .arg(dir.path())
        .env("DISPLAY", &app.display.name)
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    sonic_e2e::eventually("the second app's message box", || {
        Ok(sonic_e2e::window_is_shown(&app.display, START_FAILED)?.then_some(()))
    })
    .await?;
    let status = sonic_e2e::close_until_exit(&app.display, START_FAILED, &mut second).await?;
    let second = second.wait_with_output().await?;
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        !status.success(),
        "the second app must not start; it exited with {status}"
    );
    assert!(
        stderr.contains("already running") && stderr.contains("brought to the front"),
        "the second app says why it stopped, and that the first came forward: {stderr}"
    );
    sonic_e2e::eventually("the first app to hear the second launch", || {
        Ok(app
            .log_tail()
            .contains("a second launch asked for this window")
            .then_some(()))
    })
    .await?;

    app.set_up_shop().await?;
    app.open("backup").await?;
    app.testid("backup-now").await?.click().await?;
    app.wait_for_text("backup-id", |text| !text.trim().is_empty()).await?;
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_closes_like_the_window_button_with_an_on_close_backup() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let app = App::launch(dir.path()).await?;

    // The lock file holds the app's pid (WebKitWebDriver started it, not us).
    let pid = std::fs::read_to_string(dir.path().join("sonic-pos.lock"))?;
    let pid = pid.trim();
    let killed = std::process::Command::new("kill").args(["-TERM", pid]).status()?;
    assert!(killed.success(), "kill -TERM {pid} was delivered");
    app.wait_for_exit().await?;

    let files = backup_files(dir.path())?;
    assert_eq!(
        files.iter().filter(|name| name.contains("-on_close-")).count(),
        1,
        "SIGTERM wrote exactly one on_close backup before exiting: {files:?}"
    );
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduled_backups_are_written_only_when_the_data_changed() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let app = App::launch_with(dir.path(), &["--backup-interval", "1"]).await?;
    let scheduled = || -> anyhow::Result<usize> {
        Ok(backup_files(dir.path())?
            .iter()
            .filter(|name| name.contains("-scheduled-"))
            .count())
    };

    // No backup yet: the first tick writes one.
    sonic_e2e::eventually("a first scheduled backup", || Ok((scheduled()? >= 1).then_some(()))).await?;
    // Nothing changed: the next ticks skip.
    sonic_e2e::eventually("a skipped scheduled backup", || {
        Ok(app.log_tail().contains("scheduled backup skipped").then_some(()))
    })
    .await?;
    assert_eq!(scheduled()?, 1, "no second scheduled backup while nothing changed");

    // A change (a whole small shop, written while the app runs) is backed up at the next tick.
    {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        sonic_core::gen::generate(&mut store, sonic_core::gen::Profile::Small, 5)?;
    }
    sonic_e2e::eventually("a scheduled backup of the change", || {
        Ok((scheduled()? >= 2).then_some(()))
    })
    .await?;
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_restart_the_backup_history_is_still_there() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let first = App::launch(dir.path()).await?;
    first.set_up_shop().await?;
    first.open("backup").await?;
    first.testid("backup-now").await?.click().await?;
    let id = first.wait_for_text("backup-id", |text| !text.trim().is_empty()).await?;
    first.close_window_and_wait_for_exit().await?;
    first.quit().await?;

    // The same data directory again: the lock was released, the store and
    // its list of backups survived.
    let second = App::launch(dir.path()).await?;
    second.sign_in(OWNER.0, OWNER.1).await?;
    second.open("backup").await?;
    let history = second
        .wait_for_text("backup-history", |text| {
            // The short id shown: the random end of the id.
            let simple = id.trim().replace('-', "");
            text.contains(&simple[simple.len() - 8..])
        })
        .await?;
    let items = second
        .client
        .find_all(fantoccini::Locator::Css("[data-testid='history-item']"))
        .await?;
    assert_eq!(
        items.len(),
        2,
        "the manual and the on_close backup are listed after the restart: {history}"
    );
    second.quit().await
}
