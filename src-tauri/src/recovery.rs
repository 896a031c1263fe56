//! Recovery start mode: the database failed its check at start-up, so the
//! app does not open it for work. The window shows what is wrong and offers
//! the newest backup that verifies; restoring it moves the damaged files
//! aside (kept, never deleted) and imports the backup into a fresh database.
//! Then the user starts Sonic POS again.
//!
//! Only the commands below (and `startup`, which tells the frame which
//! mode it is in) are served in this mode; no backup, schedule, pusher or
//! close hook runs, so nothing writes to the damaged file.

use std::sync::Mutex;

use serde::Serialize;
use sonic_core::recovery::{self, BackupFile};
use sonic_core::DataDir;
use tauri::{AppHandle, Manager as _, State};

use crate::dto::SectionCount;
use crate::error::{Code, UiError};

/// What the recovery window works with.
#[derive(Debug)]
pub(crate) struct RecoveryState {
    data_dir: DataDir,
    /// Why the database was refused, as the window words it (`Damaged`,
    /// reason `databaseDamaged`, the file's path).
    problem: UiError,
    /// Set once a backup was restored: the window then only says "start again".
    recovered: Mutex<bool>,
}

/// Which screen the frame shows: the shop, or recovery.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Startup {
    mode: &'static str,
    problem: Option<UiError>,
    /// The UI language saved beside the database (recovery cannot read
    /// the database's settings).
    language: Option<String>,
}

impl RecoveryState {
    /// The recovery window's state for a database refused because of `problem`.
    pub(crate) fn new(data_dir: DataDir, problem: UiError) -> RecoveryState {
        RecoveryState {
            data_dir,
            problem,
            recovered: Mutex::new(false),
        }
    }
}

/// Asked first by the frame, in both modes.
#[tauri::command]
pub(crate) fn startup(app: AppHandle) -> Startup {
    match app.try_state::<RecoveryState>() {
        Some(state) => Startup {
            mode: "recovery",
            problem: Some(state.problem.clone()),
            language: crate::commands::session::remembered_language(&state.data_dir),
        },
        None => Startup {
            mode: "normal",
            problem: None,
            language: None,
        },
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RecoveryInfo {
    problem: UiError,
    database: String,
    data_dir: String,
    backups: Vec<BackupFile>,
    /// The file name of the newest backup that verifies.
    newest_good: Option<String>,
    /// Newer backups that did not verify, and why.
    problems: Vec<String>,
    recovered: bool,
}

#[tauri::command]
pub(crate) async fn recovery_info(state: State<'_, RecoveryState>) -> Result<RecoveryInfo, UiError> {
    let dir = state.data_dir.clone();
    let (backups, good, problems) = tauri::async_runtime::spawn_blocking(move || {
        let backups = recovery::backup_files(&dir)?;
        let (good, problems) = recovery::newest_good_backup(&dir)?;
        Ok::<_, sonic_core::Error>((backups, good, problems))
    })
    .await??;
    Ok(RecoveryInfo {
        problem: state.problem.clone(),
        database: state.data_dir.database().display().to_string(),
        data_dir: state.data_dir.root().display().to_string(),
        backups,
        newest_good: good.map(|g| g.name),
        problems,
        recovered: state.recovered.lock().map(|r| *r).unwrap_or(false),
    })
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RecoveredDto {
    moved_to: String,
    restored_from: String,
    sections: Vec<SectionCount>,
}

/// Restores the backup file `name` (from the backups folder) into a fresh
/// database; the damaged files are moved aside.
#[tauri::command]
pub(crate) async fn recover_from_backup(
    app: AppHandle,
    state: State<'_, RecoveryState>,
    name: String,
) -> Result<RecoveredDto, UiError> {
    let file = recovery::backup_file_named(&state.data_dir, &name)?;
    if state.recovered.lock().map(|r| *r).unwrap_or(true) {
        return Err(UiError::new(
            Code::Conflict,
            "a backup was already restored; close Sonic POS and start it again",
        )
        .with("reason", "alreadyRestored"));
    }
    // Damage found after start (`integrity`): the till's own connection
    // still holds the file open. Closed first, or Windows cannot move the
    // file aside; the move then waits, bounded, for a reader finishing.
    if let Some(app_state) = app.try_state::<crate::AppState>() {
        let mut store = crate::lock_store(&app_state.store);
        if let Err(e) = store.close_file() {
            tracing::warn!(error = %e, "closing the damaged database before recovery failed");
        }
    }
    let dir = state.data_dir.clone();
    let done = tauri::async_runtime::spawn_blocking(move || recovery::recover(&dir, &file)).await??;
    if let Ok(mut r) = state.recovered.lock() {
        *r = true;
    }
    tracing::warn!(moved_to = %done.moved_to.display(), from = %name, "recovered from a damaged database");
    Ok(RecoveredDto {
        moved_to: done.moved_to.display().to_string(),
        restored_from: done.restored_from.display().to_string(),
        sections: SectionCount::list(&done.counts),
    })
}

/// Runs the recovery window until the user closes it.
pub(crate) fn run(data_dir: DataDir, problem: UiError) -> anyhow::Result<i32> {
    use anyhow::Context as _;
    tracing::error!(database = %data_dir.database().display(), "the database is damaged: starting in recovery mode ({problem})");
    let state = RecoveryState::new(data_dir, problem);
    let app = tauri::Builder::default()
        .manage(state)
        .setup(|app| {
            crate::instance::bring_forward_on_request(app.handle());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![startup, recovery_info, recover_from_backup])
        .build(tauri::generate_context!())
        .context("could not start the window system; on Linux check that DISPLAY or WAYLAND_DISPLAY is set")?;
    Ok(app.run_return(|_, _| {}))
}
