//! The one path that writes a local backup from the app. The Backup Now
//! button (a command), the Backup menu item and the close hook all come
//! here, so they write the same file the same way and the UI hears about
//! every one of them through the same events.

use tauri::{AppHandle, Emitter as _, Manager as _};

use crate::dto::BackupDto;
use crate::error::UiError;
use crate::{lock_store, AppState};

/// Event sent to the webview after a backup was written; payload [`BackupDto`].
pub(crate) const FINISHED: &str = "backup-finished";
/// Event sent to the webview when a backup failed; payload [`UiError`].
pub(crate) const FAILED: &str = "backup-failed";
/// Event sent when a backup starts, so the UI can show it is busy; payload the reason.
pub(crate) const STARTED: &str = "backup-started";

/// Writes a backup of the whole store, tells the webview, and returns it.
/// `reason` is one of `sonic_core::backup::reason`.
pub(crate) async fn run(app: &AppHandle, reason: &'static str) -> Result<BackupDto, UiError> {
    let state = app.state::<AppState>();
    let store = state.store();
    // With no server set up nothing will ever be pushed: the retention then
    // applies to unpushed backups too, or a till would keep every backup.
    let pending = if state.server.is_some() {
        sonic_core::backup::PendingBackups::Keep
    } else {
        sonic_core::backup::PendingBackups::NoServer
    };
    emit(app, STARTED, reason);
    crate::commands::restore::progress(app, "backup", "writing", 0, 1);
    let written = tauri::async_runtime::spawn_blocking(move || {
        let store = lock_store(&store);
        sonic_core::backup::create_backup_with(&store, reason, pending)
    })
    .await;
    let result = match written {
        Ok(Ok(info)) => Ok(BackupDto::from(&info)),
        Ok(Err(err)) => Err(UiError::from(err)),
        Err(join) => Err(UiError::from(join)),
    };
    crate::commands::restore::progress(app, "backup", "done", 1, 1);
    match &result {
        Ok(backup) => {
            // create_backup queued it in the outbox; the pusher takes it from there.
            if let Some(server) = &state.server {
                server.wake();
            }
            tracing::info!(id = %backup.id, reason = reason, file = %backup.file, "backup written");
            emit(app, FINISHED, backup);
        }
        Err(err) => {
            tracing::error!(reason = reason, "backup failed: {}", err.message);
            emit(app, FAILED, err);
        }
    }
    result
}

/// Sends an event to the webview. A window that is already gone (during
/// close) cannot hear it, which is not an error worth more than a log line.
pub(crate) fn emit<S: serde::Serialize + Clone>(app: &AppHandle, event: &str, payload: S) {
    if let Err(err) = app.emit(event, payload) {
        tracing::warn!("could not send the {event} event to the window: {err}");
    }
}
