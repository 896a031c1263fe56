//! The native menu. Ids are path-like (`backup/backup-now`) and every click
//! is dispatched in [`handle_event`].
//!
//! Items that need the webview (dialogs, screens) are forwarded to it as a
//! `menu` event carrying the id; the rest run here.
//!
//! The menu bar is described once, as data ([`layout`]), for each kind of
//! platform, and [`build`] turns that into Tauri's menu. On macOS the bar
//! starts with the app menu (About, Services, Hide, Quit) and has an Edit
//! menu with the standard items: there the text fields' copy and paste
//! *are* menu actions (Cmd+C is the Edit menu's accelerator, routed to the
//! first responder), so without that menu they do nothing. On Linux and
//! Windows the keyboard shortcuts work in the webview without a menu.

use tauri::menu::{Menu, MenuBuilder, MenuEvent, MenuItemBuilder, Submenu, SubmenuBuilder};
use tauri::{AppHandle, Runtime};

use crate::{backup, export, lifecycle};

/// Event that forwards a menu id to the webview; payload the id.
const MENU_EVENT: &str = "menu";

pub(crate) const IMPORT: &str = "file/import";
pub(crate) const EXPORT: &str = "file/export";
pub(crate) const OLD_POS: &str = "file/old-pos";
pub(crate) const QUIT: &str = "file/quit";
pub(crate) const BACKUP_NOW: &str = "backup/backup-now";
pub(crate) const RESTORE: &str = "backup/restore";
pub(crate) const HISTORY: &str = "backup/history";
pub(crate) const ABOUT: &str = "help/about";

/// The kinds of platform whose menu bars differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Platform {
    MacOs,
    /// Linux and Windows: the menu bar is in the window.
    Other,
}

impl Platform {
    const CURRENT: Platform = if cfg!(target_os = "macos") {
        Platform::MacOs
    } else {
        Platform::Other
    };
}

/// One entry of a submenu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    /// One of ours: id, label, accelerator.
    Item(&'static str, &'static str, Option<&'static str>),
    /// A standard item the operating system implements (with its own label
    /// and shortcut, in the system's language).
    Standard(Standard),
    Separator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standard {
    Undo,
    Redo,
    Cut,
    Copy,
    Paste,
    SelectAll,
    Services,
    Hide,
    HideOthers,
    ShowAll,
}

/// A submenu of the bar: title and entries.
type Layout = Vec<(&'static str, Vec<Entry>)>;

/// The menu bar of `platform`.
fn layout(platform: Platform) -> Layout {
    use Entry::{Item, Separator};
    use Standard::*;

    let about = Item(ABOUT, "About Sonic POS", None);
    let quit = Item(QUIT, "Quit", Some("CmdOrCtrl+Q"));
    let mut file = vec![
        Item(IMPORT, "Import old backup…", None),
        Item(EXPORT, "Export…", Some("CmdOrCtrl+E")),
        Item(OLD_POS, "Open old POS", None),
    ];
    let backup = vec![
        Item(BACKUP_NOW, "Backup Now", Some("CmdOrCtrl+B")),
        Item(RESTORE, "Restore…", None),
        Item(HISTORY, "Backup history", None),
    ];
    match platform {
        Platform::Other => {
            file.extend([Separator, quit]);
            vec![("File", file), ("Backup", backup), ("Help", vec![about])]
        }
        // Quit is our own item, not the system's, so that Cmd+Q goes
        // through the close hook (the on_close backup) like the window's
        // close button.
        Platform::MacOs => {
            let app = vec![
                about,
                Separator,
                Entry::Standard(Services),
                Separator,
                Entry::Standard(Hide),
                Entry::Standard(HideOthers),
                Entry::Standard(ShowAll),
                Separator,
                quit,
            ];
            let edit = [Undo, Redo]
                .map(Entry::Standard)
                .into_iter()
                .chain([Separator])
                .chain([Cut, Copy, Paste, SelectAll].map(Entry::Standard))
                .collect();
            vec![("Sonic POS", app), ("File", file), ("Edit", edit), ("Backup", backup)]
        }
    }
}

/// Builds the menu bar of this platform.
pub(crate) fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Menu<R>> {
    let submenus = layout(Platform::CURRENT)
        .into_iter()
        .map(|(title, entries)| submenu(app, title, &entries))
        .collect::<tauri::Result<Vec<_>>>()?;
    let refs: Vec<&dyn tauri::menu::IsMenuItem<R>> = submenus.iter().map(|s| s as _).collect();
    MenuBuilder::new(app).items(&refs).build()
}

fn submenu<R: Runtime>(app: &AppHandle<R>, title: &str, entries: &[Entry]) -> tauri::Result<Submenu<R>> {
    let mut builder = SubmenuBuilder::new(app, title);
    for entry in entries {
        builder = match *entry {
            Entry::Item(id, label, accelerator) => {
                let mut item = MenuItemBuilder::with_id(id, label);
                if let Some(accelerator) = accelerator {
                    item = item.accelerator(accelerator);
                }
                builder.item(&item.build(app)?)
            }
            Entry::Separator => builder.separator(),
            Entry::Standard(standard) => match standard {
                Standard::Undo => builder.undo(),
                Standard::Redo => builder.redo(),
                Standard::Cut => builder.cut(),
                Standard::Copy => builder.copy(),
                Standard::Paste => builder.paste(),
                Standard::SelectAll => builder.select_all(),
                Standard::Services => builder.services(),
                Standard::Hide => builder.hide(),
                Standard::HideOthers => builder.hide_others(),
                Standard::ShowAll => builder.show_all(),
            },
        };
    }
    builder.build()
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
            // The save dialog, then the export; the result reaches the UI
            // as an export-finished/failed event.
            tauri::async_runtime::spawn(async move {
                let _ = export::choose_and_run(&app).await;
            });
        }
        QUIT => lifecycle::request_close(app),
        OLD_POS => crate::legacy::open_from_menu(app),
        IMPORT | RESTORE | HISTORY | ABOUT => backup::emit(app, MENU_EVENT, id),
        other => tracing::warn!("menu item {other} has no action"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(layout: &Layout) -> Vec<&'static str> {
        layout
            .iter()
            .flat_map(|(_, entries)| entries)
            .filter_map(|entry| match entry {
                Entry::Item(id, ..) => Some(*id),
                _ => None,
            })
            .collect()
    }

    fn titles(layout: &Layout) -> Vec<&'static str> {
        layout.iter().map(|(title, _)| *title).collect()
    }

    #[test]
    fn macos_has_the_app_menu_first_and_an_edit_menu_with_the_standard_items() {
        let mac = layout(Platform::MacOs);
        assert_eq!(titles(&mac), ["Sonic POS", "File", "Edit", "Backup"]);
        let edit = &mac[2].1;
        for standard in [
            Standard::Undo,
            Standard::Redo,
            Standard::Cut,
            Standard::Copy,
            Standard::Paste,
            Standard::SelectAll,
        ] {
            assert!(
                edit.contains(&Entry::Standard(standard)),
                "the Edit menu has {standard:?}: {edit:?}"
            );
        }
        let app = &mac[0].1;
        assert_eq!(
            app.first(),
            Some(&Entry::Item(ABOUT, "About Sonic POS", None)),
            "About opens the app menu"
        );
        assert_eq!(
            app.last(),
            Some(&Entry::Item(QUIT, "Quit", Some("CmdOrCtrl+Q"))),
            "Quit ends the app menu and is ours, so Cmd+Q runs the close hook"
        );
    }

    #[test]
    fn linux_and_windows_keep_file_backup_help_without_an_edit_menu() {
        let other = layout(Platform::Other);
        assert_eq!(titles(&other), ["File", "Backup", "Help"]);
        assert!(
            other
                .iter()
                .flat_map(|(_, e)| e)
                .all(|e| !matches!(e, Entry::Standard(_))),
            "no system items where the webview handles the editing keys itself"
        );
    }

    #[test]
    fn every_platform_offers_every_action_once() {
        let mut expected = vec![IMPORT, EXPORT, OLD_POS, QUIT, BACKUP_NOW, RESTORE, HISTORY, ABOUT];
        expected.sort_unstable();
        for platform in [Platform::MacOs, Platform::Other] {
            let mut found = ids(&layout(platform));
            found.sort_unstable();
            assert_eq!(found, expected, "{platform:?} has each of our items exactly once");
        }
    }
}
