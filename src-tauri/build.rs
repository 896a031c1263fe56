//! Tauri build step: embeds tauri.conf.json and ../ui, and resolves the
//! capabilities. Listing the app's commands here makes Tauri generate an
//! `allow-<command>` permission for each and *deny every command that no
//! capability grants*; without this list all app commands would be open to
//! the webview.

/// Every `#[tauri::command]` in src/commands/, by name. A command missing
/// here cannot be granted in capabilities/default.json.
const COMMANDS: &[&str] = &[
    "startup",
    "recovery_info",
    "recover_from_backup",
    "app_info",
    "section_counts",
    "backup_now",
    "list_backups",
    "server_status",
    "print",
    "session",
    "setup_shop",
    "user_names",
    "sign_in",
    "sign_out",
    "switch_store",
    "set_language",
    "search_items",
    "item_by_barcode",
    "item_detail",
    "create_item",
    "edit_item",
    "archive_item",
    "receive_stock",
    "adjust_stock",
    "transfer_stock",
    "count_stock",
    "stores",
    "create_store",
    "edit_store",
    "backup_settings",
    "set_backup_settings",
    "test_server",
    "search_customers",
    "customer_detail",
    "create_customer",
    "edit_customer",
    "archive_customer",
    "open_debts",
    "pay_debt",
    "settle_debt",
    "quote_sale",
    "sale_draft",
    "set_sale_draft",
    "sell",
    "invoice_by_number",
    "recent_invoices",
    "return_sale",
    "record_transfer",
    "transfers",
    "transfer_totals",
    "open_ticket",
    "tickets",
    "advance_ticket",
    "use_part",
    "deliver_ticket",
    "set_rate",
    "rate_history",
    "users",
    "create_user",
    "set_pin",
    "shop_settings",
    "set_shop_settings",
    "activity",
    "dashboard",
    "choose_restore_file",
    "preview_restore",
    "restore",
    "export_now",
    "server_backups",
    "old_pos",
    "set_old_pos",
    "open_old_pos",
];

fn main() {
    let attributes = tauri_build::Attributes::new().app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(err) = tauri_build::try_build(attributes) {
        panic!("tauri build step failed: {err:#}");
    }
}
