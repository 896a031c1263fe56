// Backup screen: Backup Now, what the last backup holds (the 16 sections
// and their record counts), and the local backup history. A backup made
// from the menu (Ctrl+B) shows here too, through the backup-finished event.
import { node } from '../dom.js';

export function mount(root, ctx) {
  const { api, on, events, t, format, status } = ctx;
  const unlisteners = [];
  let countsNow = [];

  const button = node('button', { type: 'button', class: 'button button--primary button--large', 'data-testid': 'backup-now' }, t('backup.now'));
  const shortcut = node('kbd', { class: 'hint' }, t('backup.shortcut'));
  const error = node('p', { class: 'inline-error', 'data-testid': 'backup-error', role: 'alert', hidden: true });
  const result = node('section', { class: 'card result', 'data-testid': 'backup-result', 'aria-labelledby': 'result-title' });
  const history = node('ol', { class: 'history', 'data-testid': 'backup-history' });

  root.append(
    node('div', { class: 'screen__head' },
      node('div', {},
        node('h1', { class: 'screen__title' }, t('backup.title')),
        node('p', { class: 'screen__lead' }, t('backup.lead'))),
      node('div', { class: 'screen__actions' }, button, shortcut)),
    error,
    node('div', { class: 'columns' },
      result,
      node('section', { class: 'card', 'aria-labelledby': 'history-title' },
        node('h2', { class: 'card__title', id: 'history-title' }, t('backup.historyTitle')),
        history)),
  );

  function drawResult(backup) {
    const byKey = new Map((backup?.sections ?? []).map((s) => [s.key, s.count]));
    const rows = countsNow.map(({ key, count }) =>
      node('tr', { 'data-testid': 'section-row', 'data-key': key },
        node('th', { scope: 'row', class: 'mono' }, key),
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
        node('dd', { class: 'mono strong', 'data-testid': 'backup-id' }, backup.id),
        node('dt', {}, t('backup.when')),
        node('dd', {}, format.dateTime(backup.createdAt)),
        node('dt', {}, t('backup.reason')),
        node('dd', { 'data-testid': 'backup-reason' }, t(`reason.${backup.reason}`)),
        node('dt', {}, t('backup.file')),
        node('dd', { class: 'mono small', 'data-testid': 'backup-file' }, backup.file),
        node('dt', {}, t('backup.size')),
        node('dd', {}, format.bytes(backup.sizeBytes))),
      node('h3', { class: 'card__subtitle' }, t('backup.sections'), ' ',
        node('span', { class: 'badge', 'data-testid': 'backup-section-total' }, String(backup.sections.length))),
      table);
  }

  function drawHistory(list) {
    if (list.length === 0) {
      history.replaceChildren(node('li', { class: 'muted' }, t('backup.historyEmpty')));
      return;
    }
    history.replaceChildren(...list.map((b) =>
      node('li', { class: 'history__item', 'data-testid': 'history-item', 'data-id': b.id },
        node('span', { class: 'history__reason' }, t(`reason.${b.reason}`)),
        node('span', { class: 'history__when' }, format.dateTime(b.createdAt)),
        node('span', { class: 'mono small muted' }, `${format.shortId(b.id)} · ${format.bytes(b.sizeBytes)}`))));
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
      error.textContent = `${t(`error.${err.code ?? 'Internal'}`)}: ${err.message}`;
      error.hidden = false;
    } finally {
      button.disabled = false;
      button.textContent = t('backup.now');
    }
  });

  // Backups started elsewhere (menu, Ctrl+B) land here too.
  on(events.backupFinished, (backup) => {
    if (!last || last.id !== backup.id) showBackup(backup);
  }).then((unlisten) => unlisteners.push(unlisten));

  history.replaceChildren(node('li', { class: 'muted' }, t('backup.historyLoading')));
  refresh(null);
  button.focus();

  return { unmount: () => unlisteners.forEach((u) => u()) };
}
