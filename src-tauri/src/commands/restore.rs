//! Restore and export from the Backup screen. A restore is two calls: the
//! preview (which reads and verifies the source, and keeps it staged under
//! a token) and the restore itself, approved by a manager's PIN. Nothing is
//! written before the second call, and that one first writes a
//! `pre_restore` safety backup, so a restore can always be undone.

use serde::{Deserialize, Serialize};
use sonic_core::ops::{security, Page};
use sonic_core::restore::{self, SectionPreview};
use sonic_core::snapshot::{self, Document};
use std::path::PathBuf;
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
    /// What `done` and `total` count: `records`, or `bytes` while a file is read.
    unit: &'static str,
}

/// Reports `done` records of `total`.
pub(crate) fn progress(app: &AppHandle, task: &'static str, step: &'static str, done: u64, total: u64) {
    report(app, task, step, (done, total), "records");
}

/// Reports `done` bytes of `total` (a file being read: its records are
/// counted only as they are read).
fn progress_bytes(app: &AppHandle, task: &'static str, step: &'static str, done: u64, total: u64) {
    report(app, task, step, (done, total), "bytes");
}

fn report(app: &AppHandle, task: &'static str, step: &'static str, (done, total): (u64, u64), unit: &'static str) {
    let progress = Progress {
        task,
        step,
        done,
        total,
        unit,
    };
    backup::emit(app, PROGRESS, progress);
}

/// A verified source waiting for the manager's approval.
#[derive(Debug)]
pub(crate) struct Staged {
    token: String,
    source: String,
    doc: Document,
}

/// Where a restore comes from (a file arrives through `choose_restore_file`).
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

/// The title of the restore's file chooser (the end-to-end tests find the
/// chooser's window by it).
const CHOOSER_TITLE: &str = "Restore from a file";

/// Asks for an export or backup file with the system's file chooser and
/// previews it. The path stays in Rust: the webview learns only the file's
/// name (in the preview's source) and never sends its bytes. `None` when
/// the chooser was closed without a file.
#[tauri::command]
pub(crate) async fn choose_restore_file(
    app: AppHandle,
    window: tauri::WebviewWindow,
    state: State<'_, AppState>,
) -> Result<Option<PreviewDto>, UiError> {
    use tauri_plugin_dialog::DialogExt as _;
    state.op_ctx()?;
    let dialog = app
        .dialog()
        .file()
        .set_title(CHOOSER_TITLE)
        .add_filter("Sonic POS backup or export", &["zst", "json"])
        .set_parent(&window);
    // The chooser blocks until answered: on a blocking thread, never the event loop.
    let chosen = tauri::async_runtime::spawn_blocking(move || dialog.blocking_pick_file()).await?;
    let Some(chosen) = chosen else {
        return Ok(None);
    };
    let path = chosen.into_path().map_err(|e| {
        UiError::new(Code::Validation, format!("the chosen file cannot be opened: {e}"))
            .with("reason", "fileNotOpenable")
    })?;
    stage_file(&app, &state, path).await.map(Some)
}

/// Reads the file at `path` with the streaming reader into a staging
/// database and previews it. The one place a chosen file enters: what the
/// chooser answered, or a test.
pub(crate) async fn stage_file(app: &AppHandle, state: &AppState, path: PathBuf) -> Result<PreviewDto, UiError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "the chosen file".into());
    let source = format!("file {name}");
    let doc = read_counted(app, state, path, source.clone()).await;
    let result = match doc {
        Ok(doc) => stage(state, source, doc).await,
        Err(e) => Err(e),
    };
    progress(app, "import", "done", 1, 1);
    result
}

/// Reads a backup or export file with the streaming reader on a blocking
/// thread, reporting the bytes read of the file's size: its record count is
/// known only from `_meta`, at the end of the file.
async fn read_counted(app: &AppHandle, state: &AppState, path: PathBuf, label: String) -> Result<Document, UiError> {
    let dir = state.data_dir();
    let reporter = app.clone();
    let doc = tauri::async_runtime::spawn_blocking(move || -> sonic_core::Result<Document> {
        if sonic_core::page_store::is_manifest(&path) {
            // A manifest backup: its pages are read from the page store
            // beside it, each checked against its hash; the manifest's own
            // size says nothing of the work, so the bar shows start and end.
            progress_bytes(&reporter, "import", "reading", 0, 1);
            let doc = snapshot::read_file_in(&path, dir.root());
            progress_bytes(&reporter, "import", "reading", 1, 1);
            return doc;
        }
        let file = std::fs::File::open(&path).map_err(|e| sonic_core::Error::io("opening", &path, e))?;
        let total = file.metadata().map(|m| m.len()).unwrap_or(0);
        // Shown at once, even for a file read within one report's step.
        progress_bytes(&reporter, "import", "reading", 0, total);
        let counted = Counted {
            inner: file,
            done: 0,
            reported: 0,
            every: (total / 100).max(64 * 1024),
            total,
            report: &mut |done, total| progress_bytes(&reporter, "import", "reading", done, total),
        };
        snapshot::read(counted, &label, dir.root())
    })
    .await??;
    Ok(doc)
}

/// A file being read, telling `report` the bytes read of its size every
/// `every` bytes (about a hundred times per file).
struct Counted<'a, R> {
    inner: R,
    done: u64,
    reported: u64,
    every: u64,
    total: u64,
    report: &'a mut dyn FnMut(u64, u64),
}

impl<R: std::io::Read> std::io::Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if self.done - self.reported >= self.every || (n == 0 && self.done > self.reported) {
            self.reported = self.done;
            (self.report)(self.done, self.total.max(self.done));
        }
        Ok(n)
    }
}

/// Previews a local backup (by id) or a server backup (by id).
#[tauri::command]
pub(crate) async fn preview_restore(
    app: AppHandle,
    state: State<'_, AppState>,
    source: RestoreSource,
) -> Result<PreviewDto, UiError> {
    state.op_ctx()?;
    let result = match source {
        RestoreSource::Local { id } => {
            let info = with_reader(&state, move |reader| sonic_core::backup::find_backup(reader, &id)).await?;
            let label = format!("local backup {}", info.id);
            match read_counted(&app, &state, info.file, label.clone()).await {
                Ok(doc) => stage(&state, label, doc).await,
                Err(e) => Err(e),
            }
        }
        RestoreSource::Server { id } => {
            let config = state.server_config().ok_or_else(|| {
                UiError::new(
                    Code::NotFound,
                    "no backup server is set up; start Sonic POS with --server or SONIC_SERVER_URL",
                )
                .with("reason", "serverNotSetUp")
            })?;
            let remote = config.connect().await?;
            let found = sonic_backup::find_backup(&remote, &id, &sonic_backup::ListFilter::default()).await?;
            let pulled = sonic_backup::pull(&remote, found.backup_id).await?;
            stage(&state, format!("server backup {}", found.backup_id), pulled.document).await
        }
    };
    progress(&app, "import", "done", 1, 1);
    result
}

/// Takes the restore the preview `token` staged; refused (`previewGone`)
/// when another preview replaced it or none is staged.
fn take_staged(state: &AppState, token: &str) -> Result<Staged, UiError> {
    let mut slot = state.staged.lock().map_err(|_| {
        UiError::new(Code::Internal, "the staged restore is unreadable; preview it again")
            .with("reason", "stagedUnreadable")
    })?;
    match slot.take() {
        Some(s) if s.token == token => Ok(s),
        other => {
            *slot = other;
            Err(UiError::new(
                Code::NotFound,
                "this preview is no longer staged (another preview replaced it); preview the backup again",
            )
            .with("reason", "previewGone"))
        }
    }
}

/// Restores what the preview staged, approved by a manager's PIN.
#[tauri::command]
pub(crate) async fn restore(
    app: AppHandle,
    state: State<'_, AppState>,
    token: String,
    approval: Approval,
) -> Result<RestoredDto, UiError> {
    let staged = take_staged(&state, &token)?;
    let signed_in = state.op_ctx()?.actor;
    let who = signed_in.name.clone();
    let reporter = app.clone();
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
        // Records written of the backup's, table by table.
        let outcome = restore::restore(store, &staged.doc, &staged.source, &actor, &mut |p| {
            progress(&reporter, "restore", "writing", p.done, p.total);
        })?;
        // The restored data has its own users: whoever is signed in stays
        // only if they are still there, with the same name and role.
        let still_there = security::user(store, &signed_in.user_id)?
            .is_some_and(|u| u.name == signed_in.name && u.role == signed_in.role && !u.disabled);
        Ok(Ok((outcome, still_there)))
    })
    .await;
    // Whatever happened, the progress bar goes (a failed restore changed nothing).
    progress(&app, "restore", "done", 1, 1);
    let outcome = match outcome? {
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
            return Err(err.into());
        }
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A restore whose preview is gone is refused by its reason, which the
    /// UI words in the user's language; nothing is taken from the slot.
    #[test]
    fn a_restore_without_its_preview_is_refused_by_reason() {
        let tmp = tempfile::tempdir().unwrap();
        let state = AppState::for_tests(tmp.path());
        let err = take_staged(&state, "token-1").unwrap_err();
        assert_eq!(err.code, Code::NotFound);
        assert_eq!(
            serde_json::to_value(&err).unwrap()["params"],
            serde_json::json!({"reason": "previewGone"})
        );
        assert!(state.staged.lock().unwrap().is_none());
    }
}
