//! The commands the webview may call, one module per part of the shop.
//! Each is one `sonic-core` call on a blocking thread (rusqlite must not
//! block the async runtime), as the signed-in user in the till's store, with
//! the error mapped to `{code, message}`. Inputs are validated in Rust by
//! serde (unknown enum values, wrong types) and by the core operation.
//!
//! A new command goes in five places: its module here, `generate_handler!`
//! in lib.rs, `COMMANDS` in build.rs, `allow-<name>` in
//! capabilities/default.json, and its wrapper in ui/js/api.js; the test in
//! `listed.rs` fails while they disagree.
//!
//! **Sign-in first.** Every command needs someone signed in (`as_user`, or
//! `state.op_ctx()?` first thing) except those `gated.rs` lists in `OPEN_BEFORE_SIGN_IN`,
//! each with its reason; its test fails for a command that neither checks nor is
//! listed there.

pub(crate) mod backup_settings;
pub(crate) mod customers;
pub(crate) mod items;
pub(crate) mod legacy;
pub(crate) mod printer;
pub(crate) mod restore;
pub(crate) mod sale;
pub(crate) mod services;
pub(crate) mod session;
pub(crate) mod settings;
pub(crate) mod transfers;

#[cfg(test)]
mod gated;
#[cfg(test)]
mod listed;

use sonic_core::ops::OpCtx;
use sonic_core::{Reader, Store};
use tauri::{AppHandle, State, WebviewWindow};

use crate::dto::{AppInfo, BackupDto, SectionCount};
use crate::error::{Code, UiError};
use crate::server::{self, ServerStatus};
use crate::{backup, lock_store, AppState};

/// Runs `f` with the store on a blocking thread.
pub(crate) async fn with_store<T, F>(state: &AppState, f: F) -> Result<T, UiError>
where
    T: Send + 'static,
    F: FnOnce(&mut Store) -> sonic_core::Result<T> + Send + 'static,
{
    state.refuse_if_damaged()?;
    let store = state.store();
    Ok(tauri::async_runtime::spawn_blocking(move || f(&mut lock_store(&store))).await??)
}

/// Runs `f` on a blocking thread with a [`Reader`]: a read-only connection
/// of its own on the store's file (a WAL snapshot per read transaction). For
/// long reads (backups, exports, the change check, restore previews): they
/// take neither the till's connection nor its lock, so a sale never waits
/// for them.
pub(crate) async fn with_reader<T, F>(state: &AppState, f: F) -> Result<T, UiError>
where
    T: Send + 'static,
    F: FnOnce(&Reader) -> sonic_core::Result<T> + Send + 'static,
{
    state.refuse_if_damaged()?;
    let dir = state.data_dir();
    Ok(tauri::async_runtime::spawn_blocking(move || f(&Reader::open(&dir)?)).await??)
}

/// Runs `f` as the signed-in user, in the till's store, now. Refused with
/// `SignInNeeded` when nobody is signed in.
pub(crate) async fn as_user<T, F>(state: &AppState, f: F) -> Result<T, UiError>
where
    T: Send + 'static,
    F: FnOnce(&mut Store, &OpCtx) -> sonic_core::Result<T> + Send + 'static,
{
    let ctx = state.op_ctx()?;
    with_store(state, move |store| f(store, &ctx)).await
}

/// Like `as_user`, for a step that needs a manager: with a manager's name
/// and PIN in `approval` (typed at the till in place, as a return's), the
/// step runs as that manager, who is logged as having done it; without one,
/// as the signed-in user (a cashier is then refused with `Forbidden`, and the
/// webview asks for a manager's name and PIN and sends the step again).
pub(crate) async fn as_user_or_approver<T, F>(
    state: &AppState,
    approval: Option<sale::Approval>,
    action: &'static str,
    f: F,
) -> Result<T, UiError>
where
    T: Send + 'static,
    F: FnOnce(&mut Store, &OpCtx) -> sonic_core::Result<T> + Send + 'static,
{
    let ctx = state.op_ctx()?;
    with_store(state, move |store| match approval {
        Some(a) => {
            let approver = a.approver_for(store, action)?;
            f(store, &OpCtx { actor: approver, ..ctx })
        }
        None => f(store, &ctx),
    })
    .await
}

/// A record id from the webview: not blank, not absurdly long.
pub(crate) fn id_arg(what: &str, id: &str) -> Result<(), UiError> {
    if id.trim().is_empty() || id.len() > 200 {
        return Err(
            UiError::new(Code::Validation, format!("{what} is missing or not an id")).with("reason", "notAnId"),
        );
    }
    Ok(())
}

/// Version and data directory, for the About box and the status bar.
#[tauri::command]
pub(crate) fn app_info(state: State<'_, AppState>) -> Result<AppInfo, UiError> {
    state.op_ctx()?;
    Ok(AppInfo::new(&state.data_dir()))
}

/// Records per section, the 16 keys in table order.
#[tauri::command]
pub(crate) async fn section_counts(state: State<'_, AppState>) -> Result<Vec<SectionCount>, UiError> {
    let counts = as_user(&state, |store, _| store.counts()).await?;
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
    state.op_ctx()?;
    let list = with_reader(&state, sonic_core::backup::list_backups).await?;
    let ids: Vec<_> = list.iter().map(|b| b.id).collect();
    let short = sonic_core::backup::short_ids(&ids);
    Ok(list
        .iter()
        .zip(short)
        .map(|(b, short_id)| BackupDto {
            short_id,
            ..BackupDto::from(b)
        })
        .collect())
}

/// Opens the system's print dialog for the window's page, which the print
/// stylesheet reduces to what `body[data-print]` names (a receipt, a
/// ticket). Through Rust rather than the page's `window.print()`, which
/// WKWebView on macOS ignores; wry prints natively on each platform
/// (WebKitGTK's print operation, `NSPrintOperation`, WebView2's print). A
/// plain (not async) command: Tauri runs it on the main thread, where the
/// webview lives.
#[tauri::command]
pub(crate) fn print(state: State<'_, AppState>, window: WebviewWindow) -> Result<(), UiError> {
    state.op_ctx()?;
    tracing::debug!(window = window.label(), "print");
    Ok(window.print()?)
}

/// Backup server status for the status bar (also sent as `server-status`).
#[tauri::command]
pub(crate) async fn server_status(state: State<'_, AppState>) -> Result<ServerStatus, UiError> {
    state.op_ctx()?;
    server::status(&state).await
}
