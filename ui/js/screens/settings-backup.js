// Settings › Backup: the server to push to (with a connection test), the
// schedule, how long closing waits for the server, and how many local
// backups to keep. Saved on this computer; `--server`, `--backup-interval`
// and `--close-push-wait` on the command line win, and the form says so.
// The server, schedule and close wait apply from the next start; the
// retention at once.
import { node, field, errorBox } from '../dom.js';

export function backupSettingsCard(ctx) {
  const { api, t, format } = ctx;
  const server = node('input', { autocomplete: 'off', dir: 'ltr', 'data-testid': 'backup-settings-server', placeholder: 'postgresql://sonic@head-office/sonic' });
  const interval = node('input', { inputMode: 'numeric', 'data-testid': 'backup-settings-interval' });
  const closeWait = node('input', { inputMode: 'numeric', 'data-testid': 'backup-settings-close-wait' });
  const keepLast = node('input', { inputMode: 'numeric', 'data-testid': 'backup-settings-keep-last' });
  const keepDays = node('input', { inputMode: 'numeric', 'data-testid': 'backup-settings-keep-days' });
  const running = node('p', { class: 'small muted', 'data-testid': 'backup-settings-running' });
  const saved = node('p', { class: 'small', 'data-testid': 'backup-settings-saved', role: 'status', hidden: true });
  const tested = node('p', { class: 'small', 'data-testid': 'backup-settings-tested', role: 'status', hidden: true });
  const error = errorBox(t, 'backup-settings-error');
  const test = node('button', { type: 'button', class: 'button', 'data-testid': 'backup-settings-test' }, t('settings.backup.test'));
  const save = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'backup-settings-save' }, t('common.save'));

  function draw(view) {
    const s = view.saved;
    server.value = s.server;
    interval.value = String(s.intervalMinutes);
    closeWait.value = String(s.closeWaitSeconds);
    keepLast.value = String(s.keepLast);
    keepDays.value = String(s.keepDailyDays);
    const r = view.running;
    const flags = Object.entries(view.fromFlags).filter(([, on]) => on).map(([name]) => t(`settings.backup.flag.${name}`));
    running.textContent = t('settings.backup.running', {
      server: r.server || t('settings.backup.noServer'),
      interval: r.intervalMinutes === 0 ? t('settings.backup.off') : format.count(r.intervalMinutes),
      wait: format.count(r.closeWaitSeconds),
    }) + (flags.length ? ` ${t('settings.backup.fromFlags', { which: flags.join(', ') })}` : '');
  }

  // Whole numbers only; null names the field that is wrong.
  function whole(input) {
    const v = input.value.trim();
    return /^\d{1,6}$/.test(v) ? Number(v) : null;
  }

  const form = node('form', { class: 'form' },
    field(t('settings.backup.server'), server, t('settings.backup.serverHint')),
    node('div', { class: 'row' }, test),
    tested,
    node('div', { class: 'row' },
      node('div', { class: 'grow' }, field(t('settings.backup.interval'), interval, t('settings.backup.intervalHint'))),
      node('div', { class: 'grow' }, field(t('settings.backup.closeWait'), closeWait))),
    node('div', { class: 'row' },
      node('div', { class: 'grow' }, field(t('settings.backup.keepLast'), keepLast)),
      node('div', { class: 'grow' }, field(t('settings.backup.keepDays'), keepDays))),
    error.el,
    saved,
    node('div', { class: 'row' }, save),
    running);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.clear();
    saved.hidden = true;
    const values = [interval, closeWait, keepLast, keepDays].map(whole);
    const bad = values.findIndex((v) => v === null);
    if (bad >= 0) {
      error.show({ code: 'Validation', message: t('settings.backup.wholeNumber') });
      [interval, closeWait, keepLast, keepDays][bad].focus();
      return;
    }
    const [intervalMinutes, closeWaitSeconds, keep, days] = values;
    save.disabled = true;
    try {
      draw(await api.setBackupSettings({ server: server.value.trim(), intervalMinutes, closeWaitSeconds, keepLast: keep, keepDailyDays: days }));
      saved.textContent = t('settings.backup.saved');
      saved.hidden = false;
    } catch (err) {
      error.show(err);
    } finally {
      save.disabled = false;
    }
  });

  test.addEventListener('click', async () => {
    error.clear();
    tested.hidden = true;
    test.disabled = true;
    test.textContent = t('settings.backup.testing');
    try {
      const r = await api.testServer(server.value.trim());
      tested.textContent = t('settings.backup.testOk', { server: r.server, backups: format.count(r.backups) });
      tested.dataset.kind = 'ok';
      tested.hidden = false;
    } catch (err) {
      error.show(err);
    } finally {
      test.disabled = false;
      test.textContent = t('settings.backup.test');
    }
  });

  api.backupSettings().then(draw, (err) => error.show(err));
  return node('section', { class: 'card settings__card', 'data-testid': 'settings-backup', 'aria-labelledby': 'settings-backup-title' },
    node('h2', { class: 'card__title', id: 'settings-backup-title' }, t('settings.backup.title')),
    node('p', { class: 'small muted' }, t('settings.backup.lead')),
    form);
}
