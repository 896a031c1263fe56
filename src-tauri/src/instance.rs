//! One Sonic POS per data directory: the Tauri part.
//!
//! The lock on the data directory and the second-launch hand-over live in
//! `sonic_platform::instance` (a lock file, and a Unix socket or a Windows
//! named pipe). What is left here is what a hand-over request does in this
//! app: bring the main window to the front.

pub(crate) use sonic_platform::instance::InstanceLock;

/// Makes a second launch's request show, unminimize and focus the main window.
pub(crate) fn bring_forward_on_request<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    use tauri::Manager as _;
    let app = app.clone();
    sonic_platform::instance::on_focus_request(move |_| {
        if let Some(window) = app.get_webview_window("main") {
            let shown = window
                .unminimize()
                .and_then(|()| window.show())
                .and_then(|()| window.set_focus());
            if let Err(err) = shown {
                tracing::warn!("could not bring the window to the front: {err}");
            }
        }
    });
}
