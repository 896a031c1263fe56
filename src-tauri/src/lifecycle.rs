//! The close hook: a till is never closed without a backup.
//!
//! Closing the window, Quit in the menu (Ctrl+Q), the last window going
//! away and SIGTERM/SIGINT (a system shutdown, `kill`) all end here. The exit is held, an `on_close` backup is written on a
//! blocking thread with a bounded wait, any failure is logged, and only then
//! does the app exit — from the spawned task, not from inside the event-loop
//! handler, which must return for the loop to keep running.

use std::sync::atomic::Ordering;
use std::time::Duration;

use tauri::{AppHandle, Manager as _, RunEvent, WindowEvent};

use crate::{backup, AppState};

/// Longest the close waits for the `on_close` backup. The backup is written
/// atomically (temp file, fsync, rename), so exiting while a slow disk is
/// still writing leaves the previous backups intact, never a half file.
const CLOSE_BACKUP_WAIT: Duration = Duration::from_secs(30);

/// Event sent to the webview when the close has begun, so it can say
/// "Backing up before closing…".
const CLOSING: &str = "app-closing";

/// The run-loop callback given to `App::run_return`.
pub(crate) fn on_run_event(app: &AppHandle, event: RunEvent) {
    match event {
        // `code: None` is a close by the user or the system (last window
        // closed); `Some(_)` is our own `app.exit(0)` after the backup.
        RunEvent::ExitRequested { code: None, api, .. } => {
            api.prevent_exit();
            request_close(app);
        }
        RunEvent::WindowEvent {
            event: WindowEvent::CloseRequested { api, .. },
            ..
        } => {
            api.prevent_close();
            request_close(app);
        }
        RunEvent::Exit => tracing::info!("Sonic POS exited"),
        _ => {}
    }
}

/// Starts the close: backup, then exit. Calling it again while a close is
/// under way does nothing.
pub(crate) fn request_close(app: &AppHandle) {
    let state = app.state::<AppState>();
    tracing::info!("close requested");
    if state.closing.swap(true, Ordering::SeqCst) {
        tracing::debug!("close already under way");
        return;
    }
    backup::emit(app, CLOSING, ());
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let written = tokio::time::timeout(
            CLOSE_BACKUP_WAIT,
            backup::run(&app, sonic_core::backup::reason::ON_CLOSE),
        )
        .await;
        match written {
            Ok(Ok(_)) => {}
            // `backup::run` has logged the error itself.
            Ok(Err(_)) => tracing::warn!("closing without an on_close backup; the last good backup is kept"),
            Err(_) => tracing::error!(
                "the on_close backup took longer than {}s; closing anyway (earlier backups are intact)",
                CLOSE_BACKUP_WAIT.as_secs()
            ),
        }
        let state = app.state::<AppState>();
        if let Some(server) = &state.server {
            server.push_before_exit(state.close_push_wait).await;
        }
        app.exit(0);
    });
}

/// Turns SIGTERM and SIGINT into the same close as the window's close
/// button, so a shutdown or a `kill` still writes the `on_close` backup.
#[cfg(unix)]
pub(crate) fn close_on_signals(app: &AppHandle) {
    use tokio::signal::unix::{signal, SignalKind};

    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let (mut term, mut int) = match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
            (Ok(term), Ok(int)) => (term, int),
            (Err(err), _) | (_, Err(err)) => {
                tracing::warn!("cannot watch for SIGTERM/SIGINT ({err}); a kill will skip the on_close backup");
                return;
            }
        };
        loop {
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM: closing"),
                _ = int.recv() => tracing::info!("SIGINT: closing"),
            }
            request_close(&app);
        }
    });
}

#[cfg(not(unix))]
pub(crate) fn close_on_signals(_app: &AppHandle) {}
