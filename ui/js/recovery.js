// Recovery: the database failed its check at start-up. Say what is wrong,
// list the backups with the newest one that verifies chosen, restore it
// (the damaged files are kept aside), then ask the user to start again.
import { node, errorBox, errorText } from './dom.js';

export function mount(root, ctx) {
  const { api, t, format } = ctx;
  root.replaceChildren();
  root.dataset.screen = 'recovery';
  const error = errorBox(t, 'recovery-error');
  const list = node('ul', { class: 'recovery__list', 'data-testid': 'recovery-backups' });
  const restore = node('button', { type: 'button', class: 'button button--primary button--large', 'data-testid': 'recovery-restore', disabled: true }, t('recovery.restore'));
  const result = node('section', { class: 'card', 'data-testid': 'recovery-result', hidden: true });
  let chosen = null;

  root.append(
    node('div', { class: 'card form' },
      node('h1', { class: 'screen__title' }, t('recovery.title')),
      node('p', { class: 'screen__lead' }, t('recovery.lead')),
      // The refusal as any error is worded (code, reason, the file's path).
      node('p', { class: 'inline-error', 'data-testid': 'recovery-problem' }, ctx.problem ? errorText(t, ctx.problem) : ''),
      node('h2', { class: 'card__title' }, t('recovery.backups')),
      list,
      error.el,
      node('div', { class: 'row' }, restore)),
    result);

  function draw(info) {
    if (info.backups.length === 0) {
      list.replaceChildren(node('li', { class: 'muted' }, t('recovery.noBackups')));
      return;
    }
    chosen = info.newestGood;
    restore.disabled = !chosen || info.recovered;
    list.replaceChildren(...info.backups.map((b) => {
      const good = b.name === info.newestGood;
      const bad = info.problems.some((p) => p.startsWith(b.name));
      const radio = node('input', { type: 'radio', name: 'backup', value: b.name, checked: good, disabled: bad, 'data-testid': 'recovery-choice' });
      radio.addEventListener('change', () => { chosen = b.name; restore.disabled = false; });
      return node('li', { class: 'recovery__item', 'data-testid': 'recovery-backup', 'data-name': b.name, 'data-good': String(good) },
        node('label', {}, radio, ' ',
          node('strong', {}, b.createdAt ? format.dateTime(b.createdAt) : b.name), ' ',
          node('span', { class: 'muted' }, `${t(`recovery.reason.${b.reason}`)} · ${format.bytes(b.size)}`), ' ',
          good && node('span', { class: 'badge', 'data-testid': 'recovery-newest-good' }, t('recovery.newestGood')),
          bad && node('span', { class: 'badge badge--bad' }, t('recovery.damaged'))));
    }));
  }

  restore.addEventListener('click', async () => {
    if (!chosen) return;
    error.clear();
    restore.disabled = true;
    restore.textContent = t('recovery.working');
    try {
      const done = await api.recoverFromBackup(chosen);
      const total = done.sections.reduce((sum, s) => sum + s.count, 0);
      result.replaceChildren(
        node('h2', { class: 'card__title', 'data-testid': 'recovery-done' }, t('recovery.done')),
        node('p', {}, t('recovery.doneLead', { records: format.count(total) })),
        node('dl', { class: 'facts' },
          node('dt', {}, t('recovery.from')), node('dd', { class: 'mono small' }, done.restoredFrom),
          node('dt', {}, t('recovery.keptAt')), node('dd', { class: 'mono small', 'data-testid': 'recovery-moved-to' }, done.movedTo)),
        node('p', { class: 'strong' }, t('recovery.startAgain')));
      result.hidden = false;
      restore.textContent = t('recovery.restore');
    } catch (err) {
      error.show(err);
      restore.disabled = false;
      restore.textContent = t('recovery.restore');
    }
  });

  list.replaceChildren(node('li', { class: 'muted' }, t('recovery.checking')));
  api.recoveryInfo().then(draw, (err) => error.show(err));
  return null;
}
