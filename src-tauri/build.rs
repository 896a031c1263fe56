//! Tauri build step: embeds tauri.conf.json and ../ui, and resolves the
//! capabilities. Listing the app's commands here makes Tauri generate an
//! `allow-<command>` permission for each and *deny every command that no
//! capability grants*; without this list all app commands would be open to
//! the webview.

/// Every `#[tauri::command]` in src/commands.rs, by name. A command missing
/// here cannot be granted in capabilities/default.json.
const COMMANDS: &[&str] = &[
    "app_info",
    "section_counts",
    "backup_now",
    "list_backups",
    "server_status",
];

fn main() {
    let attributes = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(err) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {err:#}");
    }
}
