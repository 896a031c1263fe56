//! Restore and export from the Backup screen. A restore is two calls: the
//! preview (which reads and verifies the source, and keeps it staged under
//! a token) and the restore itself, approved by a manager's PIN. Nothing is
//! written before the second call, and that one first writes a
//! `pre_restore` safety backup, so a restore can always be undone.

use serde::{Deserialize, Serialize};
use sonic_core::ops::{security, Page};
use sonic_core::restore::{self, SectionPreview};
use sonic_core::snapshot::{self, Document};
use tauri::ipc::{InvokeBody, Request};
use tauri::{AppHandle, State};

use super::sale::Approval;
use super::{as_user, session, with_reader};
use crate::backup;
use crate::dto::BackupDto;
use crate::error::{Code, UiError};
use crate::AppState;

/// Event for long work; payload [`Progress`].
pub(crate) const PROGRESS: &str = "progress";

/// How far a long task is.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Progress {
    task: &'static str,
    step: &'static str,
    done: u64,
    total: u64,
}

pub(crate) fn progress(app: &AppHandle, task: &'static str, step: &'static str, done: u64, total: u64) {
    backup::emit(
        app,
        PROGRESS,
        Progress {
            task,
            step,
            done,
            total,
        },
    );
}

/// A verified source waiting for the manager's approval.
#[derive(Debug)]
pub(crate) struct Staged {
    token: String,
    source: String,
    doc: Document,
}

/// Where a restore comes from (a file arrives through `stage_restore_file`).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub(crate) enum RestoreSource {
    Local { id: String },
    Server { id: String },
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PreviewDto {
    token: String,
    source: String,
    /// When the backup was taken (absent for old exports without `_meta`).
    created_at: Option<String>,
    format_version: Option<u32>,
    sections: Vec<SectionPreview>,
    warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RestoredDto {
    safety_backup: BackupDto,
    sections: Vec<SectionPreview>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Exported {
    file: String,
}

/// Verifies `doc` against the store, stages it and returns the preview.
async fn stage(state: &AppState, source: String, doc: Document) -> Result<PreviewDto, UiError> {
    let token = uuid::Uuid::new_v4().simple().to_string();
    let (doc, preview) = with_reader(state, move |reader| {
        let preview = restore::preview(reader, &doc)?;
        Ok((doc, preview))
    })
    .await?;
    let dto = PreviewDto {
        token: token.clone(),
        source: source.clone(),
        created_at: doc.meta.as_ref().map(|m| m.created_at.to_rfc3339()),
        format_version: doc.meta.as_ref().map(|m| m.format_version),
        sections: preview.sections,
        // The core's preview already carries the document's warnings.
        warnings: preview.warnings,
    };
    // One restore waits at a time: a new preview replaces the last.
    if let Ok(mut staged) = state.staged.lock() {
        *staged = Some(Staged { token, source, doc });
    }
    Ok(dto)
}

/// Reads an export or backup file the user chose in the webview (sent as
/// the raw request body, its name in the `x-file-name` header) and previews it.
#[tauri::command]
pub(crate) async fn stage_restore_file(
    app: AppHandle,
    state: State<'_, AppState>,
    request: Request<'_>,
) -> Result<PreviewDto, UiError> {
    state.op_ctx()?;
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(UiError::new(
            Code::Validation,
            "the file must be sent as raw bytes; choose the file again",
        ));
    };
    let name = request
        .headers()
        .get("x-file-name")
        .and_then(|v| v.to_str().ok())
        .map(percent_decode)
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "the chosen file".into());
    let bytes = bytes.clone();
    progress(&app, "import", "reading", 1, 3);
    let source = format!("file {name}");
    let label = source.clone();
    let dir = state.data_dir();
    let doc = tauri::async_runtime::spawn_blocking(move || snapshot::read(&bytes[..], &label, dir.root())).await?;
    progress(&app, "import", "verifying", 2, 3);
    let result = stage(&state, source, doc?).await;
    progress(&app, "import", "done", 3, 3);
    result
}

/// Previews a local backup (by id) or a server backup (by id).
#[tauri::command]
pub(crate) async fn preview_restore(
    app: AppHandle,
    state: State<'_, AppState>,
    source: RestoreSource,
) -> Result<PreviewDto, UiError> {
    state.op_ctx()?;
    progress(&app, "restore", "reading", 1, 3);
    let result = match source {
        RestoreSource::Local { id } => {
            let (label, doc) = with_reader(&state, move |reader| {
                let info = sonic_core::backup::find_backup(reader, &id)?;
                let doc = snapshot::read_file_in(&info.file, reader.data_dir().root())?;
                Ok((format!("local backup {}", info.id), doc))
            })
            .await?;
            stage(&state, label, doc).await
        }
        RestoreSource::Server { id } => {
            let config = state.server_config().ok_or_else(|| {
                UiError::new(
                    Code::NotFound,
                    "no backup server is set up; start Sonic POS with --server or SONIC_SERVER_URL",
                )
            })?;
            let remote = config.connect().await?;
            let found = sonic_backup::find_backup(&remote, &id, &sonic_backup::ListFilter::default()).await?;
            let pulled = sonic_backup::pull(&remote, found.backup_id).await?;
            stage(&state, format!("server backup {}", found.backup_id), pulled.document).await
        }
    };
    progress(&app, "restore", "previewed", 3, 3);
    result
}

/// Restores what the preview staged, approved by a manager's PIN.
#[tauri::command]
pub(crate) async fn restore(
    app: AppHandle,
    state: State<'_, AppState>,
    token: String,
    approval: Approval,
) -> Result<RestoredDto, UiError> {
    let staged = {
        let mut slot = state
            .staged
            .lock()
            .map_err(|_| UiError::new(Code::Internal, "the staged restore is unreadable; preview it again"))?;
        match slot.take() {
            Some(s) if s.token == token => s,
            other => {
                *slot = other;
                return Err(UiError::new(
                    Code::NotFound,
                    "this preview is no longer staged (another preview replaced it); preview the backup again",
                ));
            }
        }
    };
    progress(&app, "restore", "checking the PIN", 1, 3);
    let signed_in = state.op_ctx()?.actor;
    let who = signed_in.name.clone();
    let outcome = as_user(&state, move |store, _| {
        let approver = match security::approve(
            store,
            &approval.name,
            &approval.pin,
            chrono::Utc::now(),
            "approving a restore",
        ) {
            Ok(a) => a,
            Err(e) => return Ok(Err((e, staged))),
        };
        let actor = format!("{who} (approved by {})", approver.name);
        let outcome = restore::restore(store, &staged.doc, &staged.source, &actor)?;
        // The restored data has its own users: whoever is signed in stays
        // only if they are still there, with the same name and role.
        let still_there = security::user(store, &signed_in.user_id)?
            .is_some_and(|u| u.name == signed_in.name && u.role == signed_in.role && !u.disabled);
        Ok(Ok((outcome, still_there)))
    })
    .await?;
    let outcome = match outcome {
        Ok((o, still_there)) => {
            if !still_there {
                if let Ok(mut session) = state.session.lock() {
                    *session = None;
                }
            }
            o
        }
        Err((err, staged)) => {
            // A wrong PIN keeps the preview, so the manager can try again.
            if let Ok(mut slot) = state.staged.lock() {
                *slot = Some(staged);
            }
            progress(&app, "restore", "refused", 3, 3);
            return Err(err.into());
        }
    };
    progress(&app, "restore", "done", 3, 3);
    tracing::info!(safety_backup = %outcome.safety_backup.id, "restored from the Backup screen");
    if let Some(server) = &state.server {
        server.wake();
    }
    session::announce(&app, &state).await;
    Ok(RestoredDto {
        safety_backup: BackupDto::from(&outcome.safety_backup),
        sections: outcome.preview.sections,
    })
}

/// Writes an export file under `<data dir>/exports/`.
#[tauri::command]
pub(crate) async fn export_now(app: AppHandle) -> Result<Exported, UiError> {
    let file = crate::export::run(&app).await?;
    Ok(Exported { file })
}

/// A backup on the server, for the history.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServerBackupRow {
    id: String,
    created_at: String,
    reason: String,
    device: String,
    records: i64,
    bytes: i64,
}

/// The server's backups, newest first (empty when no server is set up).
#[tauri::command]
pub(crate) async fn server_backups(state: State<'_, AppState>, page: Page) -> Result<Vec<ServerBackupRow>, UiError> {
    state.op_ctx()?;
    let Some(config) = state.server_config() else {
        return Ok(Vec::new());
    };
    let remote = config.connect().await?;
    let filter = sonic_backup::ListFilter {
        limit: Some(i64::from(page.offset) + i64::from(page.limit.clamp(1, 500))),
        ..Default::default()
    };
    let list = sonic_backup::list_backups(&remote, &filter).await?;
    Ok(list
        .into_iter()
        .skip(page.offset as usize)
        .map(|b| ServerBackupRow {
            id: b.backup_id.to_string(),
            created_at: b.created_at.to_rfc3339(),
            reason: b.reason,
            device: b.device_id,
            records: b.records,
            bytes: b.bytes,
        })
        .collect())
}

/// Undoes `encodeURIComponent` (the file name header is ASCII on the wire).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn file_names_survive_the_header() {
        assert_eq!(
            percent_decode("old%20pos%20%D9%86%D8%B3%D8%AE%D8%A9.json"),
            "old pos نسخة.json"
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
