// The one door to Rust. Every call goes through `call`, which turns the
// shell's `{code, message}` errors (and Tauri's own refusals, which arrive as
// plain strings) into an ApiError the screens can show. Screens never touch
// window.__TAURI__ directly.

const tauri = window.__TAURI__;

export class ApiError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
  }
}

function toApiError(err) {
  if (err && typeof err === 'object' && typeof err.code === 'string' && typeof err.message === 'string') {
    return new ApiError(err.code, err.message);
  }
  const text = String(err);
  // Tauri refuses a command no capability grants with a plain message.
  const code = /not allowed|denied|not found/i.test(text) ? 'Forbidden' : 'Internal';
  return new ApiError(code, text);
}

export async function call(command, args = {}) {
  if (!tauri || !tauri.core) {
    throw new ApiError('Internal', 'Sonic POS must be opened as the desktop app, not in a browser');
  }
  try {
    return await tauri.core.invoke(command, args);
  } catch (err) {
    throw toApiError(err);
  }
}

// Subscribes to an event from the shell; resolves to an unsubscribe function.
export function on(event, handler) {
  return tauri.event.listen(event, (e) => handler(e.payload));
}

export const api = {
  appInfo: () => call('app_info'),
  sectionCounts: () => call('section_counts'),
  backupNow: () => call('backup_now'),
  listBackups: () => call('list_backups'),
  serverStatus: () => call('server_status'),
};

export const events = {
  backupStarted: 'backup-started',
  backupFinished: 'backup-finished',
  backupFailed: 'backup-failed',
  closing: 'app-closing',
  serverStatus: 'server-status',
  exportFinished: 'export-finished',
  exportFailed: 'export-failed',
  menu: 'menu',
};
