//! Start-up without reading the whole database first: after a clean exit
//! the window comes first and the integrity check runs beside it; after a
//! crash (no clean-exit marker) the check runs before the window.
//!
//! Also the bench figure "app start to first screen": the test prints the
//! time from asking WebDriver to start the app to its first screen ready.
//! `SONIC_START_DATA_DIR` names a data directory to copy and start on
//! instead of the seeded shop (e.g. the bench's large profile; see
//! BENCHMARKS.md), so the figure is taken on a shop of any size.

use sonic_e2e::shop::seed_shop;
use sonic_e2e::App;

fn copy_tree(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn log(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("logs/sonic-pos.log")).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_clean_exit_the_window_comes_first_and_the_check_runs_beside_it() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    match std::env::var_os("SONIC_START_DATA_DIR") {
        Some(from) => copy_tree(std::path::Path::new(&from), dir.path())?,
        None => {
            seed_shop(dir.path())?;
        }
    }
    let marker = dir.path().join("clean-exit");
    let _ = std::fs::remove_file(&marker);

    // No marker (as after a crash): checked before the window.
    let app = App::launch(dir.path()).await?;
    let cold = app.start_to_ready;
    assert!(!marker.exists(), "a running app has no clean-exit marker");
    app.close_window_and_wait_for_exit().await?;
    app.quit().await?;
    assert!(marker.exists(), "a clean exit leaves the marker");
    assert!(
        !log(dir.path()).contains("database check after start"),
        "without a marker the check ran before the window, not after"
    );

    // Marker there: the window first, then the check on its own connection.
    let app = App::launch(dir.path()).await?;
    let warm = app.start_to_ready;
    assert!(
        !marker.exists(),
        "the start takes the marker away (a crash now leaves none)"
    );
    sonic_e2e::eventually("the check after start", || {
        Ok(log(dir.path())
            .contains("database check after start: sound")
            .then_some(()))
    })
    .await?;
    app.close_window_and_wait_for_exit().await?;
    app.quit().await?;
    eprintln!(
        "app start to first screen: {} ms after a clean exit, {} ms after a crash (check first)",
        warm.as_millis(),
        cold.as_millis()
    );
    Ok(())
}
