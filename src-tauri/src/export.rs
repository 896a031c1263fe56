//! File → Export…: the whole store as one export file (the 16 `sonic_*`
//! keys plus `_meta`, plain JSON that opens in any JSON tool and imports
//! into the old POS's successor), written to `<data dir>/exports/`.
//!
//! There is no file dialog (the dialog plugin is deliberately not
//! installed); the path is shown in the status bar and on the Backup screen.

use serde::Serialize;
use tauri::{AppHandle, Manager as _};

use crate::error::UiError;
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

/// Writes the export, tells the webview where it is, and returns the file.
/// Needs someone signed in, from the Backup screen and the menu alike (the
/// whole shop leaves the till in that file).
pub(crate) async fn run(app: &AppHandle) -> Result<String, UiError> {
    let state = app.state::<AppState>();
    if let Err(err) = state.op_ctx() {
        backup::emit(app, FAILED, &err);
        return Err(err);
    }
    let data_dir = state.data_dir();
    let dir = data_dir.root().join("exports");
    let written = tauri::async_runtime::spawn_blocking(move || -> sonic_core::Result<Exported> {
        std::fs::create_dir_all(&dir).map_err(|e| sonic_core::Error::io("creating the export folder", &dir, e))?;
        let file = dir.join(format!(
            "sonic-export-{}.json",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        ));
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
