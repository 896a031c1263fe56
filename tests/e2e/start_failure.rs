//! A start that fails is shown in a native message box (what went wrong,
//! what to do), not only printed; the app exits non-zero once the box is
//! closed. The second launch on a data directory in use is in `lifecycle`.

use std::process::Stdio;

use anyhow::bail;
use sonic_e2e::{app_binary, close_until_exit, eventually, window_is_shown, Display, START_FAILED};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_cannot_be_opened_is_shown_in_a_message_box_and_the_app_exits() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    // A folder where the database file belongs: SQLite cannot open it, and
    // it is not a damaged database the recovery window could help with.
    std::fs::create_dir(dir.path().join("sonic-pos.db"))?;
    let display = Display::start()?;
    let mut app = tokio::process::Command::new(app_binary()?)
        .arg("--data-dir")
        .arg(dir.path())
        .env("DISPLAY", &display.name)
        .env_remove("WAYLAND_DISPLAY")
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;

    eventually("the start-up failure's message box", || {
        if let Some(status) = app.try_wait()? {
            bail!("the app exited ({status}) without showing a message box");
        }
        Ok(window_is_shown(&display, START_FAILED)?.then_some(()))
    })
    .await?;
    assert!(
        !window_is_shown(&display, "Sonic POS")?,
        "no app window opens beside the message box"
    );
    let status = close_until_exit(&display, START_FAILED, &mut app).await?;
    let out = app.wait_with_output().await?;
    let stderr = String::from_utf8_lossy(&out.stderr);

    assert!(
        !status.success(),
        "closing the message box ends the app with a failure, got {status}"
    );
    assert!(
        stderr.contains("sonic-pos.db"),
        "stderr still names the database that failed: {stderr}"
    );
    let log = std::fs::read_to_string(dir.path().join("logs/sonic-pos.log"))?;
    assert!(
        log.contains("ERROR") && log.contains("sonic-pos.db"),
        "the log has the failure: {log}"
    );
    Ok(())
}
