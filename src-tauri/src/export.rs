//! Exporting the whole store as one export file (the 16 `sonic_*` keys plus
//! `_meta`, plain JSON that opens in any JSON tool and imports into the old
//! POS's successor): File › Export… writes it where the user picks in the
//! native save dialog (a USB stick), the Backup screen's Export to
//! `<data dir>/exports/`. Either way `snapshot::export_file` streams the
//! sections from one read transaction into a temporary file beside the
//! target, fsyncs it and renames it into place: a full disk or a place that
//! cannot be written leaves no half file, and the error names the place.
//! The path is shown in the status bar (and on the Backup screen).

use std::path::PathBuf;

use serde::Serialize;
use tauri::{AppHandle, Manager as _};

use crate::error::{Code, UiError};
use crate::{backup, AppState};

/// Event after an export was written; payload [`Exported`].
const FINISHED: &str = "export-finished";
/// Event when an export failed; payload [`UiError`].
const FAILED: &str = "export-failed";

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct Exported {
    file: String,
    snapshot_sha256: String,
}

/// The title of File › Export…'s save dialog (the end-to-end tests find
/// the dialog's window by it).
pub(crate) const CHOOSER_TITLE: &str = "Export the shop";

/// A new export file's name: the time it was written.
fn file_name() -> String {
    format!("sonic-export-{}.json", chrono::Utc::now().format("%Y%m%d-%H%M%S"))
}

/// Writes the export into `<data dir>/exports/` (the Backup screen's
/// Export), tells the webview where it is, and returns the file.
pub(crate) async fn run(app: &AppHandle) -> Result<String, UiError> {
    let dir = app.state::<AppState>().data_dir().root().join("exports");
    write(app, move || {
        std::fs::create_dir_all(&dir).map_err(|e| sonic_core::Error::io("creating the export folder", &dir, e))?;
        Ok(dir.join(file_name()))
    })
    .await
}

/// File › Export…: asks where with the system's save dialog (on a blocking
/// thread, from Rust: the webview is granted no dialog permission), then
/// writes the export there. `None` when the dialog was closed without a
/// place. Needs someone signed in before the dialog opens.
pub(crate) async fn choose_and_run(app: &AppHandle) -> Result<Option<String>, UiError> {
    use tauri_plugin_dialog::DialogExt as _;
    if let Err(err) = app.state::<AppState>().op_ctx() {
        backup::emit(app, FAILED, &err);
        return Err(err);
    }
    let mut dialog = app
        .dialog()
        .file()
        .set_title(CHOOSER_TITLE)
        .set_file_name(file_name())
        .add_filter("Sonic POS export", &["json"]);
    if let Some(window) = app.get_webview_window("main") {
        dialog = dialog.set_parent(&window);
    }
    let chosen = tauri::async_runtime::spawn_blocking(move || dialog.blocking_save_file()).await?;
    let Some(chosen) = chosen else {
        tracing::info!("export: the save dialog was closed without a place");
        return Ok(None);
    };
    let path = match chosen.into_path() {
        Ok(path) => path,
        Err(e) => {
            let err = UiError::new(Code::Validation, format!("the chosen place cannot be written: {e}"))
                .with("reason", "placeNotWritable");
            backup::emit(app, FAILED, &err);
            return Err(err);
        }
    };
    write(app, move || Ok(path)).await.map(Some)
}

/// Writes the export to the file `target` names (computed on the blocking
/// thread), tells the webview, and returns the file.
async fn write(
    app: &AppHandle,
    target: impl FnOnce() -> sonic_core::Result<PathBuf> + Send + 'static,
) -> Result<String, UiError> {
    let state = app.state::<AppState>();
    if let Err(err) = state.op_ctx() {
        backup::emit(app, FAILED, &err);
        return Err(err);
    }
    let data_dir = state.data_dir();
    let written = tauri::async_runtime::spawn_blocking(move || -> sonic_core::Result<Exported> {
        let file = target()?;
        let info = sonic_core::snapshot::ExportInfo {
            reason: "export".into(),
            backup_id: None,
        };
        // A read-only connection of its own: the till sells on meanwhile.
        let reader = sonic_core::Reader::open(&data_dir)?;
        let meta = sonic_core::snapshot::export_file(&reader, &file, &info)?;
        Ok(Exported {
            file: file.display().to_string(),
            snapshot_sha256: meta.snapshot_sha256,
        })
    })
    .await;
    let result = match written {
        Ok(Ok(exported)) => Ok(exported),
        Ok(Err(err)) => Err(UiError::from(err)),
        Err(err) => Err(UiError::from(err)),
    };
    match &result {
        Ok(exported) => {
            tracing::info!(file = %exported.file, "export written");
            backup::emit(app, FINISHED, exported);
        }
        Err(err) => {
            tracing::error!("export failed: {}", err.message);
            backup::emit(app, FAILED, err);
        }
    }
    result.map(|e| e.file)
}
