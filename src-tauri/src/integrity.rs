//! The database's integrity check at start, and the clean-exit marker.
//!
//! `PRAGMA quick_check` reads the whole database: on a five-year shop,
//! seconds before anything is drawn. So the app writes a marker,
//! `<data dir>/clean-exit`, as the very last thing of a clean exit, and
//! takes it away as the first thing of a start:
//!
//! - **No marker** (the last run crashed, was killed, lost power, or this
//!   is the first start of this version): the check runs in full before
//!   the window, as it always did. Damage means the recovery window.
//! - **Marker there** (the last run closed cleanly): the window and the
//!   sign-in come first, and the same check runs at once on a read-only
//!   connection of its own ([`sonic_core::Reader`]), beside the till's.
//!   Damage found there stops the till ([`AppState::damaged`]: every
//!   command that reads or writes the store refuses, no backup is
//!   written, no marker at exit), the server pusher halts (it waits for
//!   this check before its first push, and after damage never reads the
//!   store again) and the frame switches to the recovery window (the
//!   `database-damaged` event).
//!
//! Why this is safe: the marker only moves the check after the window; it
//! never skips it. A crash, the likeliest moment for a torn file, always
//! gets the full check first. After a clean exit the file was last
//! written by a clean SQLite close (WAL checkpointed); damage that
//! appears while the app is not running (a failing disk) is found by the
//! check a few seconds after start, and until then SQLite itself refuses
//! to read a malformed page (`SQLITE_CORRUPT`), so no sale is built on
//! it. A marker that outlives a power cut (its removal not yet on disk)
//! costs only the early check, never the check.

use std::sync::Arc;
use std::sync::OnceLock;

use sonic_core::{DataDir, Reader};
use tauri::{AppHandle, Manager as _};

use crate::AppState;

/// Event sent to the webview when the check after start found damage.
pub(crate) const DAMAGED: &str = "database-damaged";

fn marker(dir: &DataDir) -> std::path::PathBuf {
    dir.root().join("clean-exit")
}

/// Whether the last run exited cleanly; takes the marker away, so that a
/// crash of this run leaves none.
pub(crate) fn take_clean_exit(dir: &DataDir) -> bool {
    let path = marker(dir);
    match std::fs::remove_file(&path) {
        Ok(()) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "the clean-exit marker cannot be removed: checking the database before the window");
            false
        }
    }
}

/// Writes the marker: this run ends cleanly with a sound database.
pub(crate) fn mark_clean_exit(dir: &DataDir) {
    let path = marker(dir);
    let written = sonic_core::backup::write_atomically(&path, |out| {
        std::io::Write::write_all(out, b"the last run of Sonic POS closed cleanly\n")
            .map_err(|e| sonic_core::Error::io("writing", &path, e))
    });
    if let Err(e) = written {
        tracing::warn!(error = %e, "the clean-exit marker was not written: the next start checks the database first");
    }
}

/// Runs the check on a read-only connection of its own, off the UI
/// thread; damage stops the till and tells the frame.
pub(crate) fn check_in_background(app: &AppHandle) {
    let app = app.clone();
    let dir = app.state::<AppState>().data_dir();
    std::thread::spawn(move || {
        let started = std::time::Instant::now();
        let result = Reader::open(&dir).and_then(|reader| reader.quick_check());
        let state = app.state::<AppState>();
        match result {
            Ok(()) => {
                tracing::info!(
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "database check after start: sound"
                );
                if let Some(server) = &state.server {
                    server.release();
                }
            }
            Err(err @ sonic_core::Error::Damaged { .. }) => {
                let problem = crate::error::UiError::from(err);
                tracing::error!("the integrity check after start found damage: {problem}");
                let _ = state.damaged.set(problem.clone());
                // Before anything else: the pusher never reads the damaged store again.
                if let Some(server) = &state.server {
                    server.halt(&problem.message);
                }
                app.manage(crate::recovery::RecoveryState::new((*dir).clone(), problem));
                crate::backup::emit(&app, DAMAGED, ());
            }
            Err(err) => {
                // As before the check moved after the window: the till runs on.
                tracing::warn!(error = %err, "the database check after start could not run");
                if let Some(server) = &state.server {
                    server.release();
                }
            }
        }
    });
}

/// The flag the commands look at: set once the check found damage.
pub(crate) type Damaged = Arc<OnceLock<crate::error::UiError>>;
