// The one door to Rust. Every call goes through `call`, which turns the
// shell's `{code, message}` errors (and Tauri's own refusals, which arrive as
// plain strings) into an ApiError the screens can show. Screens never touch
// window.__TAURI__ directly.
//
// This file is the contract between the screens and src-tauri/src/commands/:
// one wrapper per command, with the shapes it takes and returns. Money is
// always an integer in minor units (IQD dinars, USD cents) next to its
// currency ("IQD" | "USD"); rates are decimal strings ("1310.5"). Records
// (items, invoices, debts, …) arrive in the backup format's camelCase shape
// (see README "Backup format"), ids as strings.
//
// A list takes a page `{ offset, limit }` (limit at most 500) and never loads
// a whole section.

const tauri = window.__TAURI__;

// params: named values (counts, { minor, currency } amounts, names, times)
// the UI words the error with, in the user's language (dom.js errorText).
export class ApiError extends Error {
  constructor(code, message, params = null) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.params = params;
  }
}

function toApiError(err) {
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.message === 'string') {
    return new ApiError(err.code, err.message, err.params && typeof err.params === 'object' ? err.params : null);
  }
  const text = String(err);
  // Tauri refuses a command no capability grants with a plain message.
  const code = /not allowed|denied|not found/i.test(text) ? 'Forbidden' : 'Internal';
  return new ApiError(code, text);
}

// Steps that need a manager and take a manager's `approval` ({ name, pin }):
// when Rust refuses one for the signed-in user's role, the frame asks for a
// manager's name and PIN in place (onApprovalNeeded) and sends it again.
const APPROVABLE = new Set(['create_item', 'edit_item', 'archive_item', 'create_customer', 'edit_customer', 'archive_customer', 'settle_debt', 'open_drawer']);
let askApproval = null;

// ask(err, retry) → a promise of the step's result (retry(approval) sends it
// again), rejected with err when the user gives up.
export function onApprovalNeeded(ask) {
  askApproval = ask;
}

export async function call(command, args = {}) {
  if (!tauri || !tauri.core) {
    throw new ApiError('Internal', 'Sonic POS must be opened as the desktop app, not in a browser');
  }
  let refused;
  try {
    return await tauri.core.invoke(command, args);
  } catch (err) {
    refused = toApiError(err);
  }
  if (refused.code === 'Forbidden' && refused.params?.needs && askApproval && APPROVABLE.has(command) && !args.approval) {
    return askApproval(refused, (approval) => call(command, { ...args, approval }));
  }
  throw refused;
}

// A command whose argument is bytes (Tauri's raw request body, not a JSON
// array of numbers), with small facts about them in headers.
export async function callRaw(command, bytes, headers) {
  if (!tauri || !tauri.core) {
    throw new ApiError('Internal', 'Sonic POS must be opened as the desktop app, not in a browser');
  }
  try {
    return await tauri.core.invoke(command, bytes, { headers });
  } catch (err) {
    throw toApiError(err);
  }
}

// Subscribes to an event from the shell; resolves to an unsubscribe function.
export function on(event, handler) {
  return tauri.event.listen(event, (e) => handler(e.payload));
}

export const FIRST_PAGE = Object.freeze({ offset: 0, limit: 50 });

export const api = {
  // ---- start-up: { mode: 'normal' | 'recovery', problem: error { code, message, params } } ----
  startup: () => call('startup'),
  // recovery mode only: { problem, database, dataDir, backups: [{ file, name, createdAt, reason, size }],
  //                       newestGood: name | null, problems: [string], recovered }
  recoveryInfo: () => call('recovery_info'),
  // → { movedTo, restoredFrom, sections: [{ key, count }] }
  recoverFromBackup: (name) => call('recover_from_backup', { name }),

  // ---- app, backups (Backup screen) ----
  appInfo: () => call('app_info'),
  // [{ key: 'sonic_invoices', count }] × 16, table order
  sectionCounts: () => call('section_counts'),
  // BackupDto { id, file, createdAt, reason, sizeBytes, snapshotSha256, sections: [{key,count}], totalRecords }
  backupNow: () => call('backup_now'),
  listBackups: () => call('list_backups'),
  // { configured, server, pending, lastSuccess, lastError, online }
  serverStatus: () => call('server_status'),
  // opens the system's print dialog for the page (see print.js); → null
  print: () => call('print'),
  // { file } written under <data dir>/exports
  exportNow: () => call('export_now'),
  // [{ id, createdAt, reason, device, records, verified }] (empty when no server is set up)
  serverBackups: (page = FIRST_PAGE) => call('server_backups', { page }),

  // ---- the receipt printer (Settings › Printer, print.js) ----
  // → { settings: { connection: { kind: 'none' } | { kind: 'network', address } | { kind: 'device', path }
  //                 | { kind: 'spooler', name }, paperMm: 58 | 80, copies, autoPrint }, dots: 384 | 576 }
  printerSettings: () => call('printer_settings'),
  // manager or owner; → as printerSettings
  setPrinterSettings: (settings) => call('set_printer_settings', { settings }),
  // rows: Uint8Array of 1-bit rows (MSB first, 1 = black), width dots wide; drawer: '' | 'invoice:<n>' | 'cash'
  // → { drawerOpened }; PrinterOffline when the printer cannot be reached
  printPaper: (rows, { width, copies = 1, drawer = '' }) =>
    callRaw('print_paper', rows, { 'x-sonic-width': String(width), 'x-sonic-copies': String(copies), 'x-sonic-drawer': drawer }),
  // manager or owner: kicks the drawer, logged in Activity
  openDrawer: () => call('open_drawer'),

  // ---- restore (Backup screen): preview first, then restore with a manager PIN ----
  // source: { kind: 'local', id } | { kind: 'server', id } | { kind: 'file' } (Rust opens the
  // system's file chooser; the file never crosses here)
  // → RestorePreview { token, source, createdAt, formatVersion, sections: [{ key, now, backup, added, removed, changed }], warnings }
  //   (null when the chooser was closed without a file)
  previewRestore: (source) =>
    source.kind === 'file' ? call('choose_restore_file') : call('preview_restore', { source }),
  // approval: { name, pin } of a manager or owner → { safetyBackup: BackupDto, sections }
  restore: (token, approval) => call('restore', { token, approval }),

  // ---- session: first run, sign in, till store ----
  // Session { setupNeeded, user: { id, name, role } | null, store: StoreLocation | null,
  //           stores: [StoreLocation], rates: { iqdPerUsd, iqdRate } (strings or null),
  //           settings: ShopSettings, language: 'en' | 'ar' }
  session: () => call('session'),
  // input { ownerName, pin, storeName, iqdPerUsd } → Session (signed in as the owner)
  setupShop: (input) => call('setup_shop', { input }),
  // [{ name, role }] of users who can sign in (no hashes ever cross)
  userNames: () => call('user_names'),
  signIn: (name, pin) => call('sign_in', { name, pin }),
  signOut: () => call('sign_out'),
  switchStore: (storeId) => call('switch_store', { storeId }),
  setLanguage: (language) => call('set_language', { language }),

  // ---- items (Sale, Items, Inventory) ----
  // → [{ item: Item, stock }] stock = level in the till's store
  searchItems: (text, page = FIRST_PAGE) => call('search_items', { text, page }),
  // exact barcode (the scanner) → { item, stock } | null
  itemByBarcode: (barcode) => call('item_by_barcode', { barcode }),
  // → { item, levels: [{ storeId, storeName, qty }] }
  itemDetail: (id) => call('item_detail', { id }),
  // input ItemInput { name, barcode?, category?, currency, price, cost } → Item
  createItem: (input) => call('create_item', { input }),
  editItem: (id, input) => call('edit_item', { id, input }),
  archiveItem: (id) => call('archive_item', { id }),

  // ---- customers ----
  // → [{ customer, balance: { iqd, usd } }]
  searchCustomers: (text, page = FIRST_PAGE) => call('search_customers', { text, page }),
  // → { customer, balance, debts: [Debt + remaining], invoices: [Invoice] (newest 50) }
  customerDetail: (id) => call('customer_detail', { id }),
  // input CustomerInput { name, phone?, creditLimit? } → Customer
  createCustomer: (input) => call('create_customer', { input }),
  editCustomer: (id, input) => call('edit_customer', { id, input }),
  archiveCustomer: (id) => call('archive_customer', { id }),

  // ---- sale ----
  // input SaleInput { lines: [{ itemId, qty, discount }], currency, discount, customerId?,
  //                   payments: [{ currency, amount }], changeCurrency? }
  // → Quote { lines: [InvoiceLine], subtotal, discount, total, otherTotal: [currency, amount] | null, rate }
  quoteSale: (input) => call('quote_sale', { input }),
  // The cart this till left unfinished (kept in Rust, per data directory), or null.
  saleDraft: () => call('sale_draft'),
  setSaleDraft: (draft) => call('set_sale_draft', { draft }),
  // → { invoice, change, changeCurrency, debt, receipt: { shopName, receiptHeader, storeName, itemNames: {id: name}, otherTotal } }
  // approval: { name, pin } of a manager, for a cashier's discounts above the shop's share.
  sell: (input, approval = null) => call('sell', { input, approval }),
  // → { invoice, returned: { itemId: qty }, itemNames: { id: name } } | null
  invoiceByNumber: (number) => call('invoice_by_number', { number }),
  // → [Invoice + customerName]; find { customer?, item?, fromMs?, toMs? } narrows it (Return Sale)
  recentInvoices: (page = FIRST_PAGE, find = null) => call('recent_invoices', { page, find }),

  // ---- return ----
  // input ReturnInput { invoiceId, lines: [{ itemId, qty }], reason? }; approval { name, pin } | null
  // → ReturnSale (refund, debtReduced, cashRefund). Needs approval above the threshold: error code 'ApprovalNeeded'.
  returnSale: (input, approval = null) => call('return_sale', { input, approval }),

  // ---- money transfers ----
  // input TransferInput { direction: 'send'|'receive', currency, amount, fee, party, phone? } → Transfer
  recordTransfer: (input) => call('record_transfer', { input }),
  transfers: (page = FIRST_PAGE) => call('transfers', { page }),
  // today's totals (local day) → TransferTotals
  transferTotals: () => call('transfer_totals'),

  // ---- inventory (till's store unless named) ----
  receiveStock: (itemId, qty, unitCost) => call('receive_stock', { itemId, qty, unitCost }),
  adjustStock: (itemId, delta, reason) => call('adjust_stock', { itemId, delta, reason }),
  transferStock: (itemId, fromStore, toStore, qty) => call('transfer_stock', { itemId, fromStore, toStore, qty }),
  // → the difference booked (counted − level before)
  countStock: (itemId, counted) => call('count_stock', { itemId, counted }),

  // ---- services (repairs) ----
  // input TicketInput { customerId, device, fault?, currency? ('IQD' when absent), estimate, deposit } → ServiceTicket
  openTicket: (input) => call('open_ticket', { input }),
  // status: 'received'|'diagnosing'|'waiting_for_parts'|'ready'|'delivered'|'cancelled' → [ServiceTicket]
  tickets: (status, page = FIRST_PAGE) => call('tickets', { status, page }),
  advanceTicket: (id, to) => call('advance_ticket', { id, to }),
  usePart: (ticketId, itemId, qty) => call('use_part', { ticketId, itemId, qty }),
  // charge: final price in the ticket's currency (null keeps the estimate), paid now (same currency)
  // → { ticket, due, paid, refund, debt } (refund: deposit beyond the charge, handed back)
  deliverTicket: (id, charge, paid) => call('deliver_ticket', { id, charge, paid }),

  // ---- debts ----
  // → [{ debt, customerName, remaining }]
  openDebts: (page = FIRST_PAGE) => call('open_debts', { page }),
  payDebt: (debtId, currency, amount) => call('pay_debt', { debtId, currency, amount }),
  settleDebt: (debtId) => call('settle_debt', { debtId }),

  // ---- stores ----
  stores: () => call('stores'),
  // input StoreInput { name, address?, phone?, allowNegativeStock }
  createStore: (input) => call('create_store', { input }),
  editStore: (id, input) => call('edit_store', { id, input }),

  // ---- settings ----
  // kind: 'iqdPerUsd' (IQD per 1 USD, used by sales) | 'iqdRate' (transfers); rate: decimal string
  setRate: (kind, rate) => call('set_rate', { kind, rate }),
  // → [{ key, old, new, by, at }] newest first
  rateHistory: (kind, page = FIRST_PAGE) => call('rate_history', { kind, page }),
  // → [{ id, name, role, disabled, locked }]
  users: () => call('users'),
  createUser: (name, role, pin) => call('create_user', { name, role, pin }),
  setPin: (userId, pin) => call('set_pin', { userId, pin }),
  // ShopSettings { shopName, receiptHeader, iqdStep, returnApprovalAboveIqd, maxPinAttempts, lockMinutes }
  shopSettings: () => call('shop_settings'),
  setShopSettings: (settings) => call('set_shop_settings', { settings }),

  // ---- backup settings (this computer; the command line wins) ----
  // → { saved: BackupSettings, running: BackupSettings, fromFlags: { server, interval, closeWait } }
  //   BackupSettings { server, intervalMinutes, closeWaitSeconds, keepLast, keepDailyDays }
  backupSettings: () => call('backup_settings'),
  setBackupSettings: (settings) => call('set_backup_settings', { settings }),
  // server: a connection string, or '' for the running one → { server, backups }
  testServer: (server) => call('test_server', { server }),

  // ---- activity, dashboard ----
  // filter { action?, text? } → [ActivityEntry] newest first
  activity: (filter = {}, page = FIRST_PAGE) => call('activity', { filter, page }),
  // → { today: Totals, openDebts: { iqd, usd }, readyServices, days: [{ day: 'YYYY-MM-DD', salesIqd, salesUsd, invoices }] × 30 }
  dashboard: () => call('dashboard', { utcOffsetMinutes: -new Date().getTimezoneOffset() }),

  // ---- old POS (legacy mode) ----
  // → { folder: string|null, fromFlag, open } (owner)
  oldPos: () => call('old_pos'),
  // folder: a full path holding home.html, or '' to turn it off (owner)
  setOldPos: (folder) => call('set_old_pos', { folder }),
  // opens the old POS's window, or brings it forward
  openOldPos: () => call('open_old_pos'),
};

export const events = {
  backupStarted: 'backup-started',
  backupFinished: 'backup-finished',
  backupFailed: 'backup-failed',
  closing: 'app-closing',
  serverStatus: 'server-status',
  exportFinished: 'export-finished',
  exportFailed: 'export-failed',
  // UiError: the menu's Open old POS failed
  legacyFailed: 'legacy-failed',
  menu: 'menu',
  // { task: 'backup'|'restore'|'import'|'export', step, done, total } — long work
  progress: 'progress',
  // Session, after sign-in/out, store switch, rate change
  session: 'session-changed',
  // The check after start found the database damaged: recovery mode
  damaged: 'database-damaged',
};
