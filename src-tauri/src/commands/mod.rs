//! The commands the webview may call. Each is one `sonic-core` call on a
//! blocking thread (rusqlite must not block the async runtime), with the
//! error mapped to `{code, message}`.
//!
//! A new command goes in three places: here, `generate_handler!` in lib.rs,
//! and `COMMANDS` in build.rs; then grant `allow-<name>` in
//! capabilities/default.json.

use tauri::{AppHandle, State};

use crate::dto::{AppInfo, BackupDto, SectionCount};
use crate::error::UiError;
use crate::server::{self, ServerStatus};
use crate::{backup, lock_store, AppState};

/// Version and data directory, for the About box and the status bar.
#[tauri::command]
pub(crate) fn app_info(state: State<'_, AppState>) -> AppInfo {
    AppInfo::new(&state.data_dir())
}

/// Records per section, the 16 keys in table order.
#[tauri::command]
pub(crate) async fn section_counts(state: State<'_, AppState>) -> Result<Vec<SectionCount>, UiError> {
    let store = state.store();
    let counts = tauri::async_runtime::spawn_blocking(move || lock_store(&store).counts()).await??;
    Ok(SectionCount::list(&counts))
}

/// Writes a local backup now; the result also reaches every window as a
/// `backup-finished` event, as it does for the menu's Backup Now.
#[tauri::command]
pub(crate) async fn backup_now(app: AppHandle) -> Result<BackupDto, UiError> {
    backup::run(&app, sonic_core::backup::reason::MANUAL).await
}

/// The local backups of this data directory, newest first.
#[tauri::command]
pub(crate) async fn list_backups(state: State<'_, AppState>) -> Result<Vec<BackupDto>, UiError> {
    let store = state.store();
    let list =
        tauri::async_runtime::spawn_blocking(move || sonic_core::backup::list_backups(&lock_store(&store))).await??;
    Ok(list.iter().map(BackupDto::from).collect())
}

/// Backup server status for the status bar (also sent as `server-status`).
#[tauri::command]
pub(crate) async fn server_status(state: State<'_, AppState>) -> Result<ServerStatus, UiError> {
    server::status(&state).await
}
