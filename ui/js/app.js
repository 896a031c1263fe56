// Boot: load the text, ask the shell who we are, draw the frame (side bar,
// status bar, About box) and mount the first screen. The context handed to
// screens is small on purpose: the API, the translator and the status bar.
import { api, on, events, ApiError } from './api.js';
import { loadLanguage, t, translate } from './i18n.js';
import * as format from './format.js';
import * as backupScreen from './screens/backup.js';

const screens = [{ id: 'backup', label: 'nav.backup', module: backupScreen }];

const el = (id) => document.getElementById(id);

const status = {
  set(message, kind = 'info') {
    const node = el('status-message');
    node.textContent = message;
    node.dataset.kind = kind;
  },
  error(err) {
    const code = err instanceof ApiError ? err.code : 'Internal';
    status.set(`${t(`error.${code}`)}: ${err.message}`, 'error');
  },
  lastBackup(backup) {
    el('status-last-backup').textContent = t('status.lastBackup', {
      time: format.dateTime(backup.createdAt),
      id: format.shortId(backup.id),
    });
  },
};

let current = null;

function show(id, ctx) {
  const screen = screens.find((s) => s.id === id) ?? screens[0];
  if (current?.unmount) current.unmount();
  for (const link of document.querySelectorAll('#nav button')) {
    link.setAttribute('aria-current', link.dataset.screen === screen.id ? 'page' : 'false');
  }
  const root = el('screen');
  root.replaceChildren();
  current = screen.module.mount(root, ctx) ?? null;
}

function drawNav(ctx) {
  const nav = el('nav');
  for (const screen of screens) {
    const li = document.createElement('li');
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'sidebar__link';
    button.dataset.screen = screen.id;
    button.dataset.testid = `nav-${screen.id}`;
    button.textContent = t(screen.label);
    button.addEventListener('click', () => show(screen.id, ctx));
    li.append(button);
    nav.append(li);
  }
}

function fillAbout(info) {
  el('about-version').textContent = info.version;
  el('about-data-dir').textContent = info.dataDir;
  el('about-backups-dir').textContent = info.backupsDir;
  el('status-version').textContent = t('status.version', { version: info.version });
  el('about-button').addEventListener('click', () => el('about-dialog').showModal());
}

function showServer(s) {
  const node = el('status-server');
  let text;
  let kind;
  if (!s.configured) {
    text = s.pending > 0 ? t('server.localQueued', { pending: s.pending }) : t('server.notSetUp');
    kind = 'off';
  } else if (s.lastError) {
    text = t('server.offline', { pending: s.pending });
    kind = 'error';
    node.title = s.lastError;
  } else if (s.pending > 0) {
    text = t('server.pending', { pending: s.pending });
    kind = 'busy';
  } else {
    text = s.lastSuccess ? t('server.allOn', { time: format.dateTime(s.lastSuccess) }) : t('server.online');
    kind = 'ok';
    node.title = s.server ?? '';
  }
  node.textContent = text;
  node.dataset.kind = kind;
  node.dataset.pending = String(s.pending);
}

async function listenToShell(ctx) {
  await on(events.serverStatus, showServer);
  await on(events.backupStarted, () => status.set(t('status.backingUp')));
  await on(events.backupFinished, (backup) => {
    status.set(t('status.backupDone', { id: backup.id }), 'ok');
    status.lastBackup(backup);
  });
  await on(events.backupFailed, (err) => status.error(new ApiError(err.code, err.message)));
  await on(events.exportFinished, (exported) => status.set(t('status.exported', { file: exported.file }), 'ok'));
  await on(events.exportFailed, (err) => status.error(new ApiError(err.code, err.message)));
  await on(events.closing, () => {
    el('closing-overlay').hidden = false;
  });
  await on(events.menu, (id) => {
    if (id === 'help/about') el('about-dialog').showModal();
    else if (id === 'backup/history') show('backup', ctx);
    else status.set(t('status.notYet', { item: t(`menu.${id}`) }), 'warn');
  });
}

async function boot() {
  await loadLanguage('en');
  translate(document);
  const ctx = { api, on, events, t, format, status };
  drawNav(ctx);
  try {
    const info = await api.appInfo();
    ctx.info = info;
    fillAbout(info);
    el('status-message').textContent = t('status.ready');
    document.querySelector('[data-testid="data-dir-short"]').textContent = info.dataDir;
  } catch (err) {
    status.error(err);
  }
  await listenToShell(ctx);
  api.serverStatus().then(showServer, (err) => status.error(err));
  show('backup', ctx);
  document.body.dataset.ready = 'true';
}

boot().catch((err) => {
  // Last resort: the frame itself failed to load; say so where it is seen.
  el('status-message').textContent = `Sonic POS could not start its screen: ${err.message ?? err}`;
});
