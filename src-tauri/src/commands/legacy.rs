//! Settings › Old POS: where the shop's old HTML POS lives (a setting of
//! this installation, the owner's), and opening it in legacy mode
//! (`crate::legacy`).

use std::path::PathBuf;

use serde::Serialize;
use sonic_core::sections::Role;
use tauri::{AppHandle, Manager as _, State};

use super::with_store;
use crate::error::UiError;
use crate::legacy;
use crate::AppState;

/// The Old POS section of Settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OldPos {
    /// The folder saved in Settings, if any.
    folder: Option<String>,
    /// Whether `--legacy DIR` overrides it for this run.
    from_flag: bool,
    /// Whether the old POS's window is open.
    open: bool,
}

async fn read(app: &AppHandle, state: &AppState) -> Result<OldPos, UiError> {
    let folder = with_store(state, |store| store.setting(legacy::SETTING)).await?;
    Ok(OldPos {
        folder: folder.filter(|f| !f.is_empty()),
        from_flag: app.state::<legacy::Legacy>().opened_by_flag(),
        open: app.get_webview_window(legacy::LABEL).is_some(),
    })
}

/// The old POS's folder (owner only).
#[tauri::command]
pub(crate) async fn old_pos(app: AppHandle, state: State<'_, AppState>) -> Result<OldPos, UiError> {
    state.op_ctx()?.actor.require(Role::Owner, "see the old POS setting")?;
    read(&app, &state).await
}

/// Saves the old POS's folder (owner only): a full path holding
/// `home.html` or `index.html`; blank turns legacy mode off.
#[tauri::command]
pub(crate) async fn set_old_pos(app: AppHandle, state: State<'_, AppState>, folder: String) -> Result<OldPos, UiError> {
    state.op_ctx()?.actor.require(Role::Owner, "set the old POS folder")?;
    let folder = folder.trim().to_string();
    if !folder.is_empty() {
        legacy::entry_page(&PathBuf::from(&folder))?;
    }
    let saved = folder.clone();
    with_store(&state, move |store| store.set_setting(legacy::SETTING, &saved)).await?;
    tracing::info!(folder, "old POS folder saved");
    read(&app, &state).await
}

/// Opens the old POS in its own window (anyone signed in), or brings it forward.
#[tauri::command]
pub(crate) async fn open_old_pos(app: AppHandle, state: State<'_, AppState>) -> Result<(), UiError> {
    state.op_ctx()?;
    legacy::open(&app)
}
