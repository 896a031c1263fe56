// Boot and frame: load the text, ask the shell who we are, then either the
// first-run set-up, the sign-in, or the side bar with the screens. The
// context handed to screens is small on purpose: the API, the translator,
// formatting, the status bar and the current session.
//
// A screen module exports `mount(root, ctx)` and may return
// `{ unmount(), onKey(event) }`; onKey gets the F-keys and Esc first and
// returns true when it handled them.
import { api, on, events, ApiError, onApprovalNeeded } from './api.js';
import { approvalAsker } from './approval.js';
import { loadLanguage, t, translate, useArabicDigits } from './i18n.js';
import * as format from './format.js';
import { node, field, errorBox, errorText, isolate } from './dom.js';
import { onSubmit } from './form.js';
import * as dashboard from './screens/dashboard.js';
import * as sale from './screens/sale.js';
import * as returnSale from './screens/return.js';
import * as transfer from './screens/transfer.js';
import * as customers from './screens/customers.js';
import * as items from './screens/items.js';
import * as inventory from './screens/inventory.js';
import * as activity from './screens/activity.js';
import * as services from './screens/services.js';
import * as debts from './screens/debts.js';
import * as stores from './screens/stores.js';
import * as settings from './screens/settings.js';
import * as backup from './screens/backup.js';

// Side bar order; `key` is the F-key that opens the screen from anywhere;
// `manager`: a screen whose figures or forms only a manager or the owner
// may use (Rust refuses a cashier there too), left out of a cashier's frame.
const screens = [
  { id: 'dashboard', module: dashboard, manager: true },
  { id: 'sale', module: sale, key: 'F1' },
  { id: 'return', module: returnSale, key: 'F2' },
  { id: 'transfer', module: transfer },
  { id: 'customers', module: customers },
  { id: 'items', module: items },
  { id: 'inventory', module: inventory, manager: true },
  { id: 'activity', module: activity, manager: true },
  { id: 'services', module: services },
  { id: 'debts', module: debts },
  { id: 'stores', module: stores, manager: true },
  { id: 'settings', module: settings, manager: true },
  { id: 'backup', module: backup, manager: true },
];
const allowed = (screen) => !screen.manager || (ctx.session?.user && ctx.session.user.role !== 'cashier');
// Screens' own text, plus parts shared by screens.
const NAMESPACES = [...screens.map((s) => s.id), 'settings-backup', 'settings-oldpos', 'settings-printer'];

const el = (id) => document.getElementById(id);

const status = {
  set(message, kind = 'info') {
    const n = el('status-message');
    n.textContent = message;
    n.title = message;
    n.dataset.kind = kind;
  },
  error(err) {
    status.set(errorText(t, err instanceof ApiError ? err : { code: 'Internal', message: err?.message ?? String(err) }), 'error');
  },
  lastBackup(b) {
    el('status-last-backup').textContent = t('status.lastBackup', { time: format.dateTime(b.createdAt), id: format.shortId(b.id) });
  },
  progress(p) {
    const bar = el('status-progress');
    if (!p || p.done >= p.total) {
      bar.hidden = true;
      return;
    }
    bar.hidden = false;
    bar.max = p.total;
    bar.value = p.done;
    bar.title = t(`progress.${p.task}`, { step: p.step ?? '' });
  },
};

const ctx = { api, on, events, t, format, status, session: null, show: null, refreshSession: null };
let current = null;
let currentId = null;

function show(id) {
  if (!ctx.session?.user) return;
  const wanted = screens.find((s) => s.id === id);
  const screen = wanted && allowed(wanted) ? wanted : screens.find((s) => s.id === 'sale');
  if (current?.unmount) current.unmount();
  currentId = screen.id;
  for (const link of document.querySelectorAll('#nav button')) {
    link.setAttribute('aria-current', link.dataset.screen === screen.id ? 'page' : 'false');
  }
  const root = el('screen');
  root.replaceChildren();
  root.dataset.screen = screen.id;
  // Every screen opens at its top, not at the last screen's scroll position.
  for (const box of [root, root.parentElement, document.scrollingElement]) if (box) box.scrollTop = 0;
  current = screen.module.mount(root, ctx) ?? null;
}
ctx.show = show;

function drawNav() {
  const nav = el('nav');
  nav.replaceChildren();
  for (const screen of screens.filter(allowed)) {
    const label = t(`nav.${screen.id}`);
    const button = node('button', { type: 'button', class: 'sidebar__link', 'data-screen': screen.id, 'data-testid': `nav-${screen.id}`, 'aria-current': screen.id === currentId ? 'page' : 'false', onclick: () => show(screen.id) },
      node('span', {}, label),
      screen.key && node('kbd', { class: 'sidebar__key' }, screen.key));
    nav.append(node('li', {}, button));
  }
}

function drawSession(session) {
  ctx.session = session;
  const signedIn = Boolean(session?.user);
  if (signedIn) loadSignedInFacts();
  document.body.dataset.signedIn = String(signedIn);
  document.body.dataset.role = signedIn ? session.user.role : '';
  drawNav();
  el('nav').hidden = !signedIn;
  el('sign-out').hidden = !signedIn;
  el('session-user').textContent = signedIn ? `${session.user.name} · ${t(`role.${session.user.role}`)}` : '';
  // Names typed by users keep their own direction inside the sentence.
  el('status-store').textContent = session?.store ? t('status.store', { name: isolate(session.store.name) }) : '';
  el('status-cashier').textContent = signedIn ? t('status.cashier', { name: isolate(session.user.name) }) : '';
  const rate = session?.rates?.iqdPerUsd;
  el('status-rate').textContent = rate ? t('status.rate', { rate: format.count(Number(rate)) }) : t('status.noRate');
  const pick = el('store-switch');
  const list = (session?.stores ?? []).filter((s) => !s.archived);
  pick.hidden = !signedIn || list.length < 2;
  // Only a manager moves the till to another store (Rust checks it too).
  pick.disabled = !signedIn || session.user.role === 'cashier';
  pick.replaceChildren(...list.map((s) => node('option', { value: s.id, selected: s.id === session.store?.id }, s.name)));
}

async function refreshSession() {
  const session = await api.session();
  drawSession(session);
  return session;
}
ctx.refreshSession = refreshSession;

// First run: the owner's name and PIN, the first store, today's rate.
function showSetup() {
  const root = el('screen');
  root.replaceChildren();
  root.dataset.screen = 'setup';
  const owner = node('input', { required: true, autocomplete: 'off', 'data-testid': 'setup-owner', value: '' });
  const pin = node('input', { type: 'password', inputMode: 'numeric', autocomplete: 'new-password', 'data-testid': 'setup-pin' });
  const storeName = node('input', { required: true, 'data-testid': 'setup-store' });
  const rate = node('input', { inputMode: 'decimal', 'data-testid': 'setup-rate', placeholder: '1310' });
  const error = errorBox(t, 'setup-error');
  const submit = node('button', { type: 'submit', class: 'button button--primary button--large', 'data-testid': 'setup-submit' }, t('setup.submit'));
  const form = node('form', { class: 'card form narrow', 'data-testid': 'setup-form' },
    node('h1', { class: 'screen__title' }, t('setup.title')),
    node('p', { class: 'screen__lead' }, t('setup.lead')),
    field(t('setup.owner'), owner),
    field(t('setup.pin'), pin, t('setup.pinHint')),
    field(t('setup.store'), storeName),
    field(t('setup.rate'), rate, t('setup.rateHint')),
    error.el,
    submit);
  onSubmit(form, { button: submit, error }, async () => {
    const session = await api.setupShop({ ownerName: owner.value.trim(), pin: pin.value, storeName: storeName.value.trim(), iqdPerUsd: rate.value.trim() || null });
    drawSession(session);
    show('sale');
  });
  root.append(form);
  owner.focus();
}

async function showSignIn() {
  const root = el('screen');
  root.replaceChildren();
  root.dataset.screen = 'sign-in';
  const names = await api.userNames().catch(() => []);
  // Nobody is preselected (the owner first in the list would invite every
  // cashier to type into the owner's account), unless someone signed in on
  // this till before (Rust keeps the name with the till's settings).
  const last = ctx.session?.lastUser ?? null;
  const name = node('select', { 'data-testid': 'sign-in-name' },
    node('option', { value: '', disabled: true }, t('signIn.choose')),
    ...names.map((u) => node('option', { value: u.name }, `${u.name} (${t(`role.${u.role}`)})`)));
  name.value = names.some((u) => u.name === last) ? last : '';
  const pin = node('input', { type: 'password', inputMode: 'numeric', autocomplete: 'off', 'data-testid': 'sign-in-pin' });
  const error = errorBox(t, 'sign-in-error');
  const submit = node('button', { type: 'submit', class: 'button button--primary button--large', 'data-testid': 'sign-in-submit' }, t('signIn.submit'));
  const form = node('form', { class: 'card form narrow', 'data-testid': 'sign-in-form' },
    node('h1', { class: 'screen__title' }, t('signIn.title')),
    field(t('signIn.name'), name),
    field(t('signIn.pin'), pin),
    error.el,
    submit);
  onSubmit(form, { button: submit, error }, async () => {
    if (!name.value) {
      name.focus();
      throw new ApiError('Validation', t('signIn.chooseFirst'));
    }
    try {
      drawSession(await api.signIn(name.value, pin.value));
    } catch (err) {
      // A wrong PIN: empty the box and put the cursor back for the next try.
      pin.value = '';
      pin.focus();
      throw err;
    }
    show('sale');
  });
  root.append(form);
  (name.value ? pin : name).focus();
}

// The version, the data folder and the server's state are for signed-in
// users only (Rust refuses them before sign-in): fetched at the first sign-in.
let factsLoaded = false;
async function loadSignedInFacts() {
  if (factsLoaded) return;
  factsLoaded = true;
  try {
    const info = await api.appInfo();
    ctx.info = info;
    fillAbout(info);
  } catch (err) {
    factsLoaded = false;
    status.error(err);
  }
  api.serverStatus().then(showServer, (err) => status.error(err));
}

function fillAbout(info) {
  el('about-version').textContent = info.version;
  el('about-data-dir').textContent = info.dataDir;
  el('about-backups-dir').textContent = info.backupsDir;
  el('status-version').textContent = t('status.version', { version: info.version });
  el('about-button').addEventListener('click', () => el('about-dialog').showModal());
}

function showServer(s) {
  const n = el('status-server');
  let text;
  let kind;
  if (!s.configured) {
    text = s.pending > 0 ? t('server.localQueued', { pending: s.pending }) : t('server.notSetUp');
    kind = 'off';
  } else if (s.lastError) {
    text = t('server.offline', { pending: s.pending });
    kind = 'error';
    n.title = s.lastError;
  } else if (s.pending > 0) {
    text = t('server.pending', { pending: s.pending });
    kind = 'busy';
  } else {
    text = s.lastSuccess ? t('server.allOn', { time: format.dateTime(s.lastSuccess) }) : t('server.online');
    kind = 'ok';
    n.title = s.server ?? '';
  }
  n.textContent = text;
  n.dataset.kind = kind;
  n.dataset.pending = String(s.pending);
}

async function listenToShell() {
  await on(events.serverStatus, showServer);
  await on(events.backupStarted, () => status.set(t('status.backingUp')));
  await on(events.backupFinished, (b) => {
    status.set(t('status.backupDone', { id: b.id }), 'ok');
    status.lastBackup(b);
  });
  await on(events.backupFailed, (err) => status.error(new ApiError(err.code, err.message, err.params ?? null)));
  await on(events.exportFinished, (x) => status.set(t('status.exported', { file: x.file }), 'ok'));
  await on(events.exportFailed, (err) => status.error(new ApiError(err.code, err.message, err.params ?? null)));
  await on(events.legacyFailed, (err) => status.error(new ApiError(err.code, err.message, err.params ?? null)));
  await on(events.progress, (p) => status.progress(p));
  await on(events.session, (s) => drawSession(s));
  // The till stopped taking sales; starting the frame again shows recovery.
  await on(events.damaged, () => window.location.reload());
  await on(events.closing, () => {
    el('closing-overlay').hidden = false;
  });
  await on(events.menu, (id) => {
    if (id === 'help/about') el('about-dialog').showModal();
    else if (id === 'backup/history' || id === 'backup/restore' || id === 'file/import') {
      if (ctx.session?.user) {
        ctx.menuRequest = id;
        show('backup');
      } else status.set(t('status.signInFirst'), 'warn');
    } else status.set(t('status.notYet', { item: t(`menu.${id}`) }), 'warn');
  });
}

function onKey(e) {
  if (!ctx.session?.user) return;
  if (current?.onKey && current.onKey(e)) {
    e.preventDefault();
    return;
  }
  const target = screens.find((s) => s.key === e.key);
  if (target) {
    e.preventDefault();
    show(target.id);
  } else if (e.key === 'F3') {
    // Search: the current screen's search box, if it has one.
    const box = el('screen').querySelector('[data-role="search"]');
    if (box) {
      e.preventDefault();
      box.focus();
      box.select?.();
    }
  }
}

// The database failed its check: no shop screens, only the recovery window.
// In the language saved beside the database (it cannot be read).
async function bootRecovery(problem, language) {
  await loadLanguage(language ?? 'en', ['recovery']);
  translate(document);
  document.body.dataset.mode = 'recovery';
  el('nav').hidden = true;
  status.set(t('recovery.status'), 'error');
  const recovery = await import('./recovery.js');
  recovery.mount(el('screen'), { api, t, format, status, problem });
  document.body.dataset.ready = 'true';
}

async function boot() {
  const start = await api.startup().catch(() => ({ mode: 'normal' }));
  if (start.mode === 'recovery') {
    await bootRecovery(start.problem, start.language);
    return;
  }
  let session = null;
  try {
    session = await api.session();
  } catch (err) {
    // Drawn below, once the text is loaded.
    ctx.bootError = err;
  }
  await loadLanguage(session?.language ?? 'en', NAMESPACES);
  useArabicDigits(session?.settings?.arabicDigits);
  translate(document);
  // A step that needs a manager asks for their name and PIN where it is taken.
  onApprovalNeeded(approvalAsker({ api, t }));
  drawNav();
  status.set(t('status.ready'));
  if (ctx.bootError) status.error(ctx.bootError);
  await listenToShell();
  // The check after start may have found damage before the listener was there.
  if ((await api.startup().catch(() => ({}))).mode === 'recovery') {
    window.location.reload();
    return;
  }
  el('sign-out').addEventListener('click', async () => {
    if (current?.unmount) current.unmount();
    current = null;
    drawSession(await api.signOut());
    await showSignIn();
  });
  el('store-switch').addEventListener('change', async (e) => {
    try {
      drawSession(await api.switchStore(e.target.value));
      show(currentId);
    } catch (err) {
      status.error(err);
    }
  });
  document.addEventListener('keydown', onKey);
  drawSession(session);
  if (session?.setupNeeded) showSetup();
  else if (!session?.user) await showSignIn();
  else show('sale');
  document.body.dataset.ready = 'true';
}

// Switching language redraws the whole frame from the new text.
ctx.setLanguage = async (code) => {
  await api.setLanguage(code);
  window.location.reload();
};

boot().catch((err) => {
  // Last resort: the frame itself failed to load; say so where it is seen.
  el('status-message').textContent = `Sonic POS could not start its screen: ${err.message ?? err}`;
});
