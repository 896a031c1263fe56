//! The one path that writes a local backup from the app. The Backup Now
//! button (a command), the Backup menu item and the close hook all come
//! here, so they write the same file the same way and the UI hears about
//! every one of them through the same events.
//!
//! The file is written through a `sonic_core::Reader` (its own read-only
//! connection, a WAL snapshot), never the till's connection or its lock;
//! listing it, queueing it for the server and the retention are short
//! writes that take the lock after the file is in place.

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
    // A database the check found damaged is never backed up over the good backups.
    state.refuse_if_damaged()?;
    let store = state.store();
    let data_dir = state.data_dir();
    // With no server set up nothing will ever be pushed: the retention then
    // applies to unpushed backups too, or a till would keep every backup.
    let pending = if state.server.is_some() {
        sonic_core::backup::PendingBackups::Keep
    } else {
        sonic_core::backup::PendingBackups::NoServer
    };
    emit(app, STARTED, reason);
    let reporter = app.clone();
    let written = tauri::async_runtime::spawn_blocking(move || {
        // The file is written from a read-only connection of its own (a WAL
        // snapshot): the till sells on. Only the bookkeeping takes the lock.
        let reader = sonic_core::Reader::open(&data_dir)?;
        let info = sonic_core::backup::write_backup(&reader, reason, &mut |p| {
            crate::commands::restore::progress(&reporter, "backup", "writing", p.done, p.total);
        })?;
        drop(reader);
        sonic_core::backup::record_backup(&lock_store(&store), &info, pending)?;
        Ok::<_, sonic_core::Error>(info)
    })
    .await;
    let result = match written {
        Ok(Ok(info)) => Ok(BackupDto::from(&info)),
        Ok(Err(err)) => Err(UiError::from(err)),
        Err(join) => Err(UiError::from(join)),
    };
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
            // Takes the progress bar away.
            crate::commands::restore::progress(app, "backup", "failed", 1, 1);
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
