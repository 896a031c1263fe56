//! The native menu. Ids are path-like (`backup/backup-now`) and every click
//! is dispatched in [`handle_event`].
//!
//! Items that need the webview (dialogs, screens) are forwarded to it as a
//! `menu` event carrying the id; the rest run here.

use tauri::menu::{Menu, MenuBuilder, MenuEvent, MenuItemBuilder, SubmenuBuilder};
use tauri::{AppHandle, Runtime};

use crate::{backup, export, lifecycle};

/// Event that forwards a menu id to the webview; payload the id.
const MENU_EVENT: &str = "menu";

pub(crate) const IMPORT: &str = "file/import";
pub(crate) const EXPORT: &str = "file/export";
pub(crate) const QUIT: &str = "file/quit";
pub(crate) const BACKUP_NOW: &str = "backup/backup-now";
pub(crate) const RESTORE: &str = "backup/restore";
pub(crate) const HISTORY: &str = "backup/history";
pub(crate) const ABOUT: &str = "help/about";

/// Builds the menu bar: File, Backup, Help.
pub(crate) fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let file = SubmenuBuilder::new(app, "File")
        .item(&MenuItemBuilder::with_id(IMPORT, "Import old backup…").build(app)?)
        .item(
            &MenuItemBuilder::with_id(EXPORT, "Export…")
                .accelerator("CmdOrCtrl+E")
                .build(app)?,
        )
        .separator()
        .item(
            &MenuItemBuilder::with_id(QUIT, "Quit")
                .accelerator("CmdOrCtrl+Q")
                .build(app)?,
        )
        .build()?;
    let backup = SubmenuBuilder::new(app, "Backup")
        .item(
            &MenuItemBuilder::with_id(BACKUP_NOW, "Backup Now")
                .accelerator("CmdOrCtrl+B")
                .build(app)?,
        )
        .item(&MenuItemBuilder::with_id(RESTORE, "Restore…").build(app)?)
        .item(&MenuItemBuilder::with_id(HISTORY, "Backup history").build(app)?)
        .build()?;
    let help = SubmenuBuilder::new(app, "Help")
        .item(&MenuItemBuilder::with_id(ABOUT, "About Sonic POS").build(app)?)
        .build()?;
    MenuBuilder::new(app).items(&[&file, &backup, &help]).build()
}

/// Runs the action of a menu item.
pub(crate) fn handle_event(app: &AppHandle, event: MenuEvent) {
    let id = event.id().as_ref();
    tracing::debug!(id, "menu");
    match id {
        BACKUP_NOW => {
            let app = app.clone();
            // The result reaches the UI as a backup-finished/failed event.
            tauri::async_runtime::spawn(async move {
                let _ = backup::run(&app, sonic_core::backup::reason::MANUAL).await;
            });
        }
        EXPORT => {
            let app = app.clone();
            // The result reaches the UI as an export-finished/failed event.
            tauri::async_runtime::spawn(async move {
                let _ = export::run(&app).await;
            });
        }
        QUIT => lifecycle::request_close(app),
        IMPORT | RESTORE | HISTORY | ABOUT => backup::emit(app, MENU_EVENT, id),
        other => tracing::warn!("menu item {other} has no action"),
    }
}
