//! The close hook: a till is never closed without a backup.
//!
//! Closing the window, Quit in the menu (Ctrl+Q), the last window going away
//! and a stop request (SIGTERM/SIGINT: a `kill`, systemd; Ctrl+C in a Windows
//! console) all end in [`request_close`]. The exit is held, an `on_close`
//! backup is written on a blocking thread with a bounded wait, any failure is
//! logged, the backup gets its chance to reach the server, and only then does
//! the app exit — from the spawned task, not from inside the event-loop
//! handler, which must return for the loop to keep running.
//!
//! The end of a Windows session (log off, shut down) leaves no such time:
//! Windows ends the process a few seconds later whatever it does, and on
//! `WM_ENDSESSION` tao (under Tauri) runs `RunEvent::Exit` and then
//! `std::process::exit(0)` itself. So `sonic_platform::session_end` calls
//! [`back_up_before_the_session_ends`] from `WM_QUERYENDSESSION`: the
//! `on_close` backup within [`session_end::DEADLINE`], no push (the outbox
//! pushes it at the next start). As a second line, `RunEvent::Exit` writes the
//! `on_close` backup itself, within the same deadline, if no close backup was
//! started before it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sonic_platform::session_end::{self, Ending};
use tauri::{AppHandle, Manager as _, RunEvent, WindowEvent};

use crate::{backup, AppState};

/// Longest a user's close waits for the `on_close` backup. The backup is
/// written atomically (temp file, fsync, rename), so exiting while a slow
/// disk is still writing leaves the previous backups intact, never a half
/// file.
const CLOSE_BACKUP_WAIT: Duration = Duration::from_secs(30);

/// Event sent to the webview when the close has begun, so it can say
/// "Backing up before closing…".
const CLOSING: &str = "app-closing";

/// An `on_close` backup has been started in this process (by a close or a
/// session end), so the exit need not write one. Process-wide like the app.
static CLOSE_BACKUP_STARTED: AtomicBool = AtomicBool::new(false);

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
        RunEvent::Exit => {
            // An exit no close came before (tao's exit at the end of a
            // Windows session, when the session-end window did not get its
            // turn): the backup now, on this thread, within the deadline.
            if !CLOSE_BACKUP_STARTED.swap(true, Ordering::SeqCst) {
                tracing::warn!("exiting without a close backup: writing it now");
                back_up_within(app, session_end::DEADLINE);
            }
            tracing::info!("Sonic POS exited");
        }
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
    CLOSE_BACKUP_STARTED.store(true, Ordering::SeqCst);
    // While the window is still there: its place for the next start.
    crate::window_state::save(app, &state.data_dir());
    backup::emit(app, CLOSING, ());
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let written = tokio::time::timeout(
            CLOSE_BACKUP_WAIT,
            backup::run(&app, sonic_core::backup::reason::ON_CLOSE),
        )
        .await;
        log_close_backup(written.ok(), CLOSE_BACKUP_WAIT);
        let state = app.state::<AppState>();
        if let Some(server) = &state.server {
            server.push_before_exit(state.close_push_wait).await;
        }
        app.exit(0);
    });
}

/// Watches for stop requests and the end of the session for the life of the
/// app (`sonic_platform::session_end`).
pub(crate) fn watch_session_end(app: &AppHandle) {
    let app = app.clone();
    session_end::watch(move |ending| match ending {
        Ending::StopRequested => request_close(&app),
        Ending::SessionEnding { deadline } => back_up_before_the_session_ends(&app, deadline),
    });
}

/// The session is ending under the app: the `on_close` backup, within
/// `deadline`, on this (the watcher's) thread. Nothing is pushed; the backup
/// is in the outbox and goes to the server at the next start.
fn back_up_before_the_session_ends(app: &AppHandle, deadline: Duration) {
    tracing::info!("the session is ending: writing the on_close backup");
    CLOSE_BACKUP_STARTED.store(true, Ordering::SeqCst);
    back_up_within(app, deadline);
}

/// Writes the `on_close` backup, waiting at most `deadline`. Blocks: call it
/// off the async runtime's threads.
fn back_up_within(app: &AppHandle, deadline: Duration) {
    let written = tauri::async_runtime::block_on(tokio::time::timeout(
        deadline,
        backup::run(app, sonic_core::backup::reason::ON_CLOSE),
    ));
    log_close_backup(written.ok(), deadline);
}

/// Logs how the close backup went: `None` if it ran out of time.
fn log_close_backup<T, E>(written: Option<Result<T, E>>, waited: Duration) {
    match written {
        Some(Ok(_)) => {}
        // `backup::run` has logged the error itself.
        Some(Err(_)) => tracing::warn!("closing without an on_close backup; the last good backup is kept"),
        None => tracing::error!(
            "the on_close backup took longer than {} ms; closing anyway (earlier backups are intact)",
            waited.as_millis()
        ),
    }
}
