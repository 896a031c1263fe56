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
//!
//! The words are the UI's (`menu.<id>` in `ui/i18n/<lang>.json`): the bar
//! is built in the saved language at start and relabelled in place (same
//! ids, same handlers) when the user switches language ([`relabel`]).

use std::collections::HashMap;
use std::sync::OnceLock;

use tauri::menu::{Menu, MenuBuilder, MenuEvent, MenuItemBuilder, MenuItemKind, Submenu, SubmenuBuilder};
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

/// The submenus' ids (their titles are `menu.<id>`).
const APP_MENU: &str = "app";
const FILE: &str = "file";
const EDIT: &str = "edit";
const BACKUP: &str = "backup";
const HELP: &str = "help";

/// A language the menu can be shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Language {
    En,
    Ar,
}

impl Language {
    /// The language of a saved setting (`en`, `ar`); English for anything else.
    pub(crate) fn of(code: Option<&str>) -> Language {
        match code {
            Some("ar") => Language::Ar,
            _ => Language::En,
        }
    }

    fn strings(self) -> &'static HashMap<String, String> {
        static EN: OnceLock<HashMap<String, String>> = OnceLock::new();
        static AR: OnceLock<HashMap<String, String>> = OnceLock::new();
        let (cell, text) = match self {
            Language::En => (&EN, include_str!("../../ui/i18n/en.json")),
            Language::Ar => (&AR, include_str!("../../ui/i18n/ar.json")),
        };
        // The files are checked by the tests below and by the e2e
        // translations test; a broken one gives ids instead of words.
        cell.get_or_init(|| serde_json::from_str(text).unwrap_or_default())
    }

    /// The words for menu entry `id` (`file/export`, `backup`, …): this
    /// language's, else English, else the id.
    fn label(self, id: &str) -> String {
        let key = format!("menu.{id}");
        self.strings()
            .get(&key)
            .or_else(|| Language::En.strings().get(&key))
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

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
    /// One of ours: id (its words are `menu.<id>`), accelerator.
    Item(&'static str, Option<&'static str>),
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

/// A submenu of the bar: id (its title is `menu.<id>`) and entries.
type Layout = Vec<(&'static str, Vec<Entry>)>;

/// The menu bar of `platform`.
fn layout(platform: Platform) -> Layout {
    use Entry::{Item, Separator};
    use Standard::*;

    let about = Item(ABOUT, None);
    let quit = Item(QUIT, Some("CmdOrCtrl+Q"));
    let mut file = vec![
        Item(IMPORT, None),
        Item(EXPORT, Some("CmdOrCtrl+E")),
        Item(OLD_POS, None),
    ];
    let backup = vec![
        Item(BACKUP_NOW, Some("CmdOrCtrl+B")),
        Item(RESTORE, None),
        Item(HISTORY, None),
    ];
    match platform {
        Platform::Other => {
            file.extend([Separator, quit]);
            vec![(FILE, file), (BACKUP, backup), (HELP, vec![about])]
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
            vec![(APP_MENU, app), (FILE, file), (EDIT, edit), (BACKUP, backup)]
        }
    }
}

/// Builds the menu bar of this platform in `language`.
pub(crate) fn build<R: Runtime>(app: &AppHandle<R>, language: Language) -> tauri::Result<Menu<R>> {
    let submenus = layout(Platform::CURRENT)
        .into_iter()
        .map(|(id, entries)| submenu(app, language, id, &entries))
        .collect::<tauri::Result<Vec<_>>>()?;
    let refs: Vec<&dyn tauri::menu::IsMenuItem<R>> = submenus.iter().map(|s| s as _).collect();
    MenuBuilder::new(app).items(&refs).build()
}

/// Puts the app's menu bar into `language`: every title and item of ours
/// gets its words again (the ids, accelerators and handlers stay; the
/// system's own items keep the system's words).
pub(crate) fn relabel<R: Runtime>(app: &AppHandle<R>, language: Language) -> tauri::Result<()> {
    let Some(menu) = app.menu() else {
        return Ok(());
    };
    for entry in menu.items()? {
        if let MenuItemKind::Submenu(sub) = entry {
            sub.set_text(language.label(sub.id().as_ref()))?;
            for item in sub.items()? {
                if let MenuItemKind::MenuItem(item) = item {
                    item.set_text(language.label(item.id().as_ref()))?;
                }
            }
        }
    }
    Ok(())
}

/// The titles of the app's menu bar and of its items, as shown now (for
/// the debug build's `menu_labels` check: WebDriver cannot see the native
/// menu).
pub(crate) fn labels<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<Vec<String>> {
    let mut out = Vec::new();
    if let Some(menu) = app.menu() {
        for entry in menu.items()? {
            if let MenuItemKind::Submenu(sub) = entry {
                out.push(sub.text()?);
                for item in sub.items()? {
                    if let MenuItemKind::MenuItem(item) = item {
                        out.push(item.text()?);
                    }
                }
            }
        }
    }
    Ok(out)
}

fn submenu<R: Runtime>(
    app: &AppHandle<R>,
    language: Language,
    id: &str,
    entries: &[Entry],
) -> tauri::Result<Submenu<R>> {
    let mut builder = SubmenuBuilder::with_id(app, id, language.label(id));
    for entry in entries {
        builder = match *entry {
            Entry::Item(id, accelerator) => {
                let mut item = MenuItemBuilder::with_id(id, language.label(id));
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

    fn titles(layout: &Layout, language: Language) -> Vec<String> {
        layout.iter().map(|(id, _)| language.label(id)).collect()
    }

    /// Every title and item has its own words in each language, Arabic
    /// ones in Arabic (no id or English left over).
    #[test]
    fn the_menu_is_worded_in_each_language() {
        for platform in [Platform::MacOs, Platform::Other] {
            let layout = layout(platform);
            let ids: Vec<&str> = layout.iter().map(|(id, _)| *id).chain(ids(&layout)).collect();
            for id in ids {
                let (en, ar) = (Language::En.label(id), Language::Ar.label(id));
                assert_ne!(en, id, "menu.{id} has English words");
                assert_ne!(ar, en, "menu.{id} has Arabic words of its own");
                assert!(
                    ar.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
                    "menu.{id} in Arabic is Arabic: {ar}"
                );
            }
        }
        let other = layout(Platform::Other);
        assert_eq!(titles(&other, Language::Ar), ["ملف", "النسخ الاحتياطي", "مساعدة"]);
        assert_eq!(Language::of(Some("ar")), Language::Ar);
        assert_eq!(Language::of(Some("fr")), Language::En);
    }

    #[test]
    fn macos_has_the_app_menu_first_and_an_edit_menu_with_the_standard_items() {
        let mac = layout(Platform::MacOs);
        assert_eq!(titles(&mac, Language::En), ["Sonic POS", "File", "Edit", "Backup"]);
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
        assert_eq!(app.first(), Some(&Entry::Item(ABOUT, None)), "About opens the app menu");
        assert_eq!(
            app.last(),
            Some(&Entry::Item(QUIT, Some("CmdOrCtrl+Q"))),
            "Quit ends the app menu and is ours, so Cmd+Q runs the close hook"
        );
    }

    #[test]
    fn linux_and_windows_keep_file_backup_help_without_an_edit_menu() {
        let other = layout(Platform::Other);
        assert_eq!(titles(&other, Language::En), ["File", "Backup", "Help"]);
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
