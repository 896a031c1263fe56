// Backup screen: Backup Now and Export, what the last backup holds (the 16
// sections and their record counts), the history of local and server
// backups, and Restore: from a local backup, a server backup or an old
// export file, always through a preview and a manager's PIN, after which
// the safety backup the restore made first is shown.
//
// A backup made from the menu (Ctrl+B) shows here too, through the
// backup-finished event; the menu's File › Import old backup…, Backup ›
// Restore… and Backup › Backup history open this screen with
// ctx.menuRequest set, and the matching part gets the focus.
import { node, field, errorBox, pager, errorText } from '../dom.js';
import { screenHead } from '../screen.js';

const SERVER_PAGE = 10;

export function mount(root, ctx) {
  const { api, on, events, t, format, status } = ctx;
  const unlisteners = [];
  let mounted = true;
  let countsNow = [];
  // A listener that arrives after the screen was left is dropped at once.
  const listen = (event, handler) => on(event, handler).then((u) => (mounted ? unlisteners.push(u) : u()));

  const button = node('button', { type: 'button', class: 'button button--primary button--large', 'data-testid': 'backup-now' }, t('backup.now'));
  const shortcut = node('kbd', { class: 'hint' }, t('backup.shortcut'));
  const exportButton = node('button', { type: 'button', class: 'button button--large', 'data-testid': 'export-now' }, t('backup.export'));
  const error = node('p', { class: 'inline-error', 'data-testid': 'backup-error', role: 'alert', hidden: true });
  const exportResult = node('p', { class: 'backup__export', 'data-testid': 'export-result', role: 'status', hidden: true });
  const progressBar = node('progress', { class: 'backup__progress-bar', 'data-testid': 'backup-progress', max: 1, value: 0 });
  const progressLabel = node('span', { class: 'small', 'data-testid': 'backup-progress-label' });
  const progressBox = node('div', { class: 'backup__progress', 'data-testid': 'backup-progress-box', hidden: true }, progressLabel, progressBar);
  const result = node('section', { class: 'card result', 'data-testid': 'backup-result', 'aria-labelledby': 'result-title' });
  const history = node('ol', { class: 'history', 'data-testid': 'backup-history' });
  const serverHistory = node('ol', { class: 'history', 'data-testid': 'server-history' });
  const historyCard = node('section', { class: 'card backup__history', tabIndex: -1, 'data-testid': 'backup-history-card', 'aria-labelledby': 'history-title' },
    node('h2', { class: 'card__title', id: 'history-title' }, t('backup.historyTitle')),
    node('h3', { class: 'card__subtitle' }, t('backup.localTitle')),
    history,
    node('h3', { class: 'card__subtitle' }, t('backup.serverTitle')),
    serverHistory);
  const restore = restorePart();

  root.append(
    screenHead(t('backup.title'), t('backup.lead'), button, shortcut, exportButton),
    error,
    progressBox,
    exportResult,
    node('div', { class: 'columns' }, result, historyCard),
    restore.card,
  );

  function showError(err) {
    error.textContent = errorText(t, err);
    error.hidden = false;
  }

  function sectionName(key) {
    return node('span', {}, t(`backup.sectionName.${key}`), ' ', node('span', { class: 'mono small muted' }, key));
  }

  function drawResult(backup) {
    const byKey = new Map((backup?.sections ?? []).map((s) => [s.key, s.count]));
    const rows = countsNow.map(({ key, count }) =>
      node('tr', { 'data-testid': 'section-row', 'data-key': key },
        node('th', { scope: 'row' }, sectionName(key)),
        node('td', { class: 'num' }, format.count(count)),
        node('td', { class: 'num', 'data-testid': 'section-count' }, backup ? format.count(byKey.get(key) ?? 0) : '—')));
    const table = node('table', { class: 'table', 'data-testid': 'backup-sections' },
      node('thead', {}, node('tr', {},
        node('th', { scope: 'col' }, t('backup.section')),
        node('th', { scope: 'col', class: 'num' }, t('backup.current')),
        node('th', { scope: 'col', class: 'num' }, t('backup.records')))),
      node('tbody', {}, ...rows));

    const head = node('h2', { class: 'card__title', id: 'result-title' }, t('backup.resultTitle'));
    if (!backup) {
      result.replaceChildren(head, node('p', { class: 'muted' }, t('backup.none')), table);
      return;
    }
    result.replaceChildren(
      head,
      node('dl', { class: 'facts facts--wide' },
        node('dt', {}, t('backup.id')),
        node('dd', { class: 'mono strong', dir: 'ltr', 'data-testid': 'backup-id' }, backup.id),
        node('dt', {}, t('backup.when')),
        node('dd', {}, format.dateTime(backup.createdAt)),
        node('dt', {}, t('backup.reason')),
        node('dd', { 'data-testid': 'backup-reason' }, t(`reason.${backup.reason}`)),
        node('dt', {}, t('backup.file')),
        node('dd', { class: 'mono small', dir: 'ltr', 'data-testid': 'backup-file' }, backup.file),
        node('dt', {}, t('backup.size')),
        node('dd', {}, format.bytes(backup.sizeBytes))),
      node('h3', { class: 'card__subtitle' }, t('backup.sections'), ' ',
        node('span', { class: 'badge', 'data-testid': 'backup-section-total' }, String(backup.sections.length))),
      table);
  }

  function restoreButton(testid, source, label) {
    return node('button', { type: 'button', class: 'button button--small', 'data-testid': testid, 'aria-label': label, onclick: () => restore.preview(source) }, t('backup.restoreThis'));
  }

  function drawHistory(list) {
    if (list.length === 0) {
      history.replaceChildren(node('li', { class: 'muted' }, t('backup.historyEmpty')));
      return;
    }
    history.replaceChildren(...list.map((b) =>
      node('li', { class: 'history__item', 'data-testid': 'history-item', 'data-id': b.id, 'data-short-id': b.shortId, 'data-reason': b.reason },
        node('span', { class: 'history__reason' }, t(`reason.${b.reason}`)),
        node('span', { class: 'history__when' }, format.dateTime(b.createdAt)),
        node('span', { class: 'mono small muted' }, `${b.shortId ?? format.shortId(b.id)} · ${format.bytes(b.sizeBytes)} · ${t('backup.recordCount', { count: format.count(b.totalRecords ?? 0) })}`),
        node('span', { class: 'history__actions' },
          node('span', { class: 'backup__state backup__state--local' }, t('backup.stateLocal')),
          restoreButton('history-restore', { kind: 'local', id: b.id }, t('backup.restoreLabel', { when: format.dateTime(b.createdAt) }))))));
  }

  // Server backups: a page at a time, only when a server is set up.
  const serverPager = pager(t, 'server-history-pager', (page) => api.serverBackups(page), drawServer, SERVER_PAGE);
  function drawServer(list) {
    if (list.length === 0) {
      serverHistory.replaceChildren(node('li', { class: 'muted', 'data-testid': 'server-history-empty' }, t('backup.serverEmpty')));
      return;
    }
    serverHistory.replaceChildren(...list.map((b) =>
      node('li', { class: 'history__item', 'data-testid': 'server-history-item', 'data-id': b.id },
        node('span', { class: 'history__reason' }, t(`reason.${b.reason}`)),
        node('span', { class: 'history__when' }, format.dateTime(b.createdAt)),
        node('span', { class: 'mono small muted' }, [format.shortId(b.id), String(b.device ?? '').slice(0, 8), t('backup.recordCount', { count: format.count(b.records ?? 0) }), b.bytes ? format.bytes(b.bytes) : null].filter(Boolean).join(' · ')),
        node('span', { class: 'history__actions' },
          'verified' in b
            ? node('span', { class: `backup__state backup__state--${b.verified ? 'ok' : 'warn'}` }, t(b.verified ? 'backup.stateVerified' : 'backup.stateUnverified'))
            : node('span', { class: 'backup__state backup__state--ok' }, t('backup.stateOnServer')),
          restoreButton('server-restore', { kind: 'server', id: b.id }, t('backup.restoreLabel', { when: format.dateTime(b.createdAt) }))))));
  }

  async function loadServer() {
    try {
      const s = await api.serverStatus();
      if (!s.configured) {
        serverHistory.replaceChildren(node('li', { class: 'muted', 'data-testid': 'server-history-empty' }, t('backup.serverNotSetUp')));
        serverPager.el.hidden = true;
        return;
      }
      serverPager.el.hidden = false;
      if (!serverPager.el.isConnected) historyCard.append(serverPager.el);
      await serverPager.first();
    } catch (err) {
      serverHistory.replaceChildren(node('li', { class: 'inline-error' }, errorText(t, err)));
    }
  }

  async function refresh(backup) {
    try {
      const [counts, list] = await Promise.all([api.sectionCounts(), api.listBackups()]);
      countsNow = counts;
      drawHistory(list);
    } catch (err) {
      status.error(err);
    }
    drawResult(backup);
  }

  let last = null;
  function showBackup(backup) {
    last = backup;
    error.hidden = true;
    refresh(backup);
  }

  button.addEventListener('click', async () => {
    button.disabled = true;
    button.textContent = t('backup.working');
    try {
      showBackup(await api.backupNow());
    } catch (err) {
      showError(err);
    } finally {
      button.disabled = false;
      button.textContent = t('backup.now');
    }
  });

  exportButton.addEventListener('click', async () => {
    exportButton.disabled = true;
    error.hidden = true;
    try {
      const written = await api.exportNow();
      exportResult.replaceChildren(t('backup.exported'), ' ', node('span', { class: 'mono', dir: 'ltr', 'data-testid': 'export-file' }, written.file));
      exportResult.hidden = false;
    } catch (err) {
      showError(err);
    } finally {
      exportButton.disabled = false;
    }
  });

  // ---- restore: choose a source, preview, a manager approves ----
  function restorePart() {
    // The system's file chooser, opened by Rust: the path and the bytes stay there.
    const fileInput = node('button', { type: 'button', class: 'button', 'data-testid': 'restore-file-choose' }, t('backup.restoreChoose'));
    const restoreError = errorBox(t, 'restore-error');
    const preview = node('div', { class: 'backup__preview', 'data-testid': 'restore-preview', hidden: true });
    const outcome = node('div', { class: 'backup__outcome', 'data-testid': 'restore-result', role: 'status', hidden: true });
    const fileField = field(t('backup.restoreFile'), fileInput, t('backup.restoreFileHint'));
    const card = node('section', { class: 'card backup__restore', tabIndex: -1, 'data-testid': 'restore-card', 'aria-labelledby': 'restore-title' },
      node('h2', { class: 'card__title', id: 'restore-title' }, t('backup.restoreTitle')),
      node('p', { class: 'muted' }, t('backup.restoreLead')),
      fileField,
      restoreError.el,
      preview,
      outcome);
    let staged = null;

    // One chooser at a time: the button waits for the chooser and the preview.
    fileInput.addEventListener('click', async () => {
      fileInput.disabled = true;
      try {
        await show({ kind: 'file' }, null);
      } finally {
        fileInput.disabled = false;
      }
    });

    async function show(source, label) {
      restoreError.clear();
      // A file's error shows under the chooser; the approval's under the PIN.
      fileField.after(restoreError.el);
      outcome.hidden = true;
      preview.hidden = false;
      preview.replaceChildren(node('p', { class: 'muted', 'data-testid': 'restore-loading' }, t('backup.previewLoading')));
      card.scrollIntoView({ block: 'start' });
      try {
        staged = await api.previewRestore(source);
        if (staged === null) { // the chooser was closed without a file
          preview.hidden = true;
          return;
        }
        drawPreview(staged, label);
      } catch (err) {
        staged = null;
        preview.hidden = true;
        restoreError.show(err);
      }
    }

    // A Sonic POS file names its format version; the old POS's export has none.
    function formatLabel(p) {
      const version = p.formatVersion ?? null;
      return version === null ? t('backup.formatOld') : t('backup.formatVersion', { version: format.count(version) });
    }

    function sourceLabel(p, label) {
      if (label) return label;
      return typeof p.source === 'string' ? p.source : p.source?.id ?? p.source?.name ?? p.source?.kind ?? '—';
    }

    function drawPreview(p, label) {
      const cell = (testid, n, changes) => node('td', { class: `num${changes && n > 0 ? ' backup__delta' : ''}`, 'data-testid': testid, 'data-value': String(n) }, format.count(n));
      const rows = p.sections.map((s) =>
        node('tr', { 'data-testid': 'preview-row', 'data-key': s.key },
          node('th', { scope: 'row' }, sectionName(s.key)),
          cell('preview-now', s.now, false),
          cell('preview-backup', s.backup, false),
          cell('preview-added', s.added, true),
          cell('preview-removed', s.removed, true),
          cell('preview-changed', s.changed, true)));
      const table = node('table', { class: 'table', 'data-testid': 'restore-sections' },
        node('thead', {}, node('tr', {},
          node('th', { scope: 'col' }, t('backup.section')),
          node('th', { scope: 'col', class: 'num' }, t('backup.previewNow')),
          node('th', { scope: 'col', class: 'num' }, t('backup.previewBackup')),
          node('th', { scope: 'col', class: 'num' }, t('backup.previewAdded')),
          node('th', { scope: 'col', class: 'num' }, t('backup.previewRemoved')),
          node('th', { scope: 'col', class: 'num' }, t('backup.previewChanged')))),
        node('tbody', {}, ...rows));
      const warnings = (p.warnings ?? []).length
        ? node('div', { class: 'backup__warnings', 'data-testid': 'restore-warnings' },
          node('h4', {}, t('backup.previewWarnings', { count: format.count(p.warnings.length) })),
          node('ul', {}, ...p.warnings.map((w) => node('li', { 'data-testid': 'restore-warning' }, w))))
        : node('p', { class: 'muted small', 'data-testid': 'restore-no-warnings' }, t('backup.previewNoWarnings'));

      const name = node('input', { required: true, autocomplete: 'off', 'data-testid': 'restore-manager-name' });
      const pin = node('input', { type: 'password', inputMode: 'numeric', autocomplete: 'off', required: true, 'data-testid': 'restore-manager-pin' });
      const confirm = node('button', { type: 'submit', class: 'button button--danger', 'data-testid': 'restore-confirm' }, t('backup.restoreConfirm'));
      const cancel = node('button', { type: 'button', class: 'button', 'data-testid': 'restore-cancel', onclick: () => clear() }, t('common.cancel'));
      const form = node('form', { class: 'backup__approval', 'data-testid': 'restore-approval' },
        node('h3', { class: 'card__subtitle' }, t('backup.approvalTitle')),
        node('p', { class: 'small' }, t('backup.approvalLead')),
        node('div', { class: 'row' },
          field(t('backup.approvalName'), name),
          field(t('backup.approvalPin'), pin),
          confirm, cancel),
        restoreError.el);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        restoreError.clear();
        confirm.disabled = true;
        cancel.disabled = true;
        confirm.textContent = t('backup.restoring');
        try {
          const done = await api.restore(p.token, { name: name.value.trim(), pin: pin.value });
          await restored(done);
        } catch (err) {
          // The PIN stays, selected: the next digits typed replace it.
          restoreError.show(err);
          pin.focus();
          pin.select();
        } finally {
          confirm.disabled = false;
          cancel.disabled = false;
          confirm.textContent = t('backup.restoreConfirm');
        }
      });

      preview.replaceChildren(
        node('h3', { class: 'card__subtitle' }, t('backup.previewTitle')),
        node('dl', { class: 'facts' },
          node('dt', {}, t('backup.previewSource')),
          node('dd', { class: 'mono small', dir: 'ltr', 'data-testid': 'restore-source' }, sourceLabel(p, label)),
          node('dt', {}, t('backup.when')),
          node('dd', { 'data-testid': 'restore-created' }, p.createdAt ? format.dateTime(p.createdAt) : t('backup.previewUnknownTime')),
          node('dt', {}, t('backup.previewFormat')),
          node('dd', { 'data-testid': 'restore-format' }, formatLabel(p))),
        table,
        warnings,
        form);
      name.focus();
    }

    async function restored(done) {
      const safety = done.safetyBackup;
      staged = null;
      preview.hidden = true;
      preview.replaceChildren();
      outcome.replaceChildren(
        node('h3', { class: 'card__subtitle backup__done' }, t('backup.restoreDone')),
        node('p', {}, t('backup.safetyLead')),
        node('dl', { class: 'facts' },
          node('dt', {}, t('backup.id')),
          node('dd', { class: 'mono strong', dir: 'ltr', 'data-testid': 'restore-safety-id' }, safety.id),
          node('dt', {}, t('backup.reason')),
          node('dd', { 'data-testid': 'restore-safety-reason' }, t(`reason.${safety.reason}`)),
          node('dt', {}, t('backup.file')),
          node('dd', { class: 'mono small', dir: 'ltr', 'data-testid': 'restore-safety-file' }, safety.file)));
      outcome.hidden = false;
      status.set(t('backup.restoreDoneStatus', { id: format.shortId(safety.id) }), 'ok');
      await refresh(last);
      // The restored shop may have other users: who is signed in may be gone.
      const session = await ctx.refreshSession().catch(() => null);
      if (!session?.user) {
        outcome.append(
          node('p', { class: 'small' }, t('backup.signInAgain')),
          node('button', { type: 'button', class: 'button button--primary', 'data-testid': 'restore-sign-in', onclick: () => window.location.reload() }, t('signIn.submit')));
      }
    }

    function clear() {
      staged = null;
      preview.hidden = true;
      preview.replaceChildren();
      restoreError.clear();
      fileField.after(restoreError.el);
    }

    return { card, fileInput, preview: (source) => show(source, null), clear, isStaged: () => staged !== null };
  }

  // Backups started elsewhere (menu, Ctrl+B) land here too.
  listen(events.backupFinished, (backup) => {
    if (!last || last.id !== backup.id) showBackup(backup);
  });
  listen(events.exportFinished, (x) => {
    exportResult.replaceChildren(t('backup.exported'), ' ', node('span', { class: 'mono', dir: 'ltr', 'data-testid': 'export-file' }, x.file));
    exportResult.hidden = false;
  });
  listen(events.progress, (p) => {
    if (!p || p.done >= p.total) {
      progressBox.hidden = true;
      return;
    }
    progressBox.hidden = false;
    progressBar.max = p.total;
    progressBar.value = p.done;
    // The step is the shell's English word for it: not shown, so Arabic stays Arabic.
    const amount = p.unit === 'bytes' ? format.bytes : format.count;
    progressLabel.textContent = `${t(`progress.${p.task}`, { step: '' }).trim()} ${amount(p.done)} / ${amount(p.total)}`;
  });

  history.replaceChildren(node('li', { class: 'muted' }, t('backup.historyLoading')));
  serverHistory.replaceChildren(node('li', { class: 'muted' }, t('backup.historyLoading')));
  refresh(null);
  loadServer();

  // Opened from the menu: focus the part the menu item names.
  const request = ctx.menuRequest;
  ctx.menuRequest = null;
  if (request === 'file/import') {
    restore.card.scrollIntoView({ block: 'start' });
    restore.fileInput.focus();
  } else if (request === 'backup/restore') {
    restore.card.scrollIntoView({ block: 'start' });
    restore.card.focus();
  } else if (request === 'backup/history') {
    historyCard.scrollIntoView({ block: 'start' });
    historyCard.focus();
  } else {
    button.focus();
  }
  if (request) root.dataset.focus = request;

  return {
    unmount: () => {
      mounted = false;
      unlisteners.forEach((u) => u());
    },
    onKey(e) {
      if (e.key === 'Escape' && restore.isStaged()) {
        restore.clear();
        return true;
      }
      return false;
    },
  };
}
