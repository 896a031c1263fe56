//! The till's window on a display with a window manager (openbox): the
//! first start opens it maximized; made smaller and moved, then closed, it
//! opens again at that size and place. The place is kept in the data
//! folder (`window-state.json`), not in the shop's data.

use sonic_e2e::shop::seed_shop;
use sonic_e2e::{eventually, App};

/// The window's (x, y, width, height) as WebDriver reports it.
async fn rect(app: &App) -> anyhow::Result<(u64, u64, u64, u64)> {
    Ok(app.client.get_window_rect().await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_opens_maximized_first_then_as_it_was_closed() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;

    let app = App::launch_managed(dir.path()).await?;
    eventually("the first start's window maximized", || {
        Ok(app.is_maximized()?.then_some(()))
    })
    .await?;
    let (_, _, max_w, max_h) = rect(&app).await?;

    // Made smaller and moved, as a user drags it.
    let (want_w, want_h) = (1100, 650);
    app.client.set_window_rect(40, 30, want_w, want_h).await?;
    let mut seen = rect(&app).await?;
    for _ in 0..50 {
        if !app.is_maximized()? && (seen.2, seen.3) == (u64::from(want_w), u64::from(want_h)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        seen = rect(&app).await?;
    }
    assert!(!app.is_maximized()?, "the window is no longer maximized");
    assert_eq!(
        (seen.2, seen.3),
        (u64::from(want_w), u64::from(want_h)),
        "the window took the new size"
    );
    assert!(
        (seen.2, seen.3) != (max_w, max_h),
        "the new size differs from the maximized one ({max_w}×{max_h})"
    );
    app.close_window_and_wait_for_exit().await?;
    assert!(
        dir.path().join("window-state.json").is_file(),
        "the place is kept in the data folder"
    );
    drop(app);

    // Started again: that size and place, not maximized.
    let app = App::launch_managed(dir.path()).await?;
    let again = rect(&app).await?;
    assert!(!app.is_maximized()?, "a window closed unmaximized opens unmaximized");
    assert_eq!(again, seen, "the window opens where and as big as it was closed");
    app.quit().await
}
