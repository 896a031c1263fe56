// Settings › Old POS (the owner's): the folder of the shop's old HTML POS
// (home.html + shared.js), saved on this computer, and a button that opens
// it in its own window on this store (legacy mode; README "Running your
// existing POS"). `--legacy DIR` on the command line wins, and the card says so.
import { node, field, errorBox } from '../dom.js';

export function oldPosCard(ctx) {
  const { api, t } = ctx;
  const folder = node('input', { autocomplete: 'off', dir: 'ltr', 'data-testid': 'oldpos-folder', placeholder: '/home/shop/old-pos' });
  const note = node('p', { class: 'small muted', 'data-testid': 'oldpos-state' });
  const saved = node('p', { class: 'small', 'data-testid': 'oldpos-saved', role: 'status', hidden: true });
  const error = errorBox(t, 'oldpos-error');
  const save = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'oldpos-save' }, t('common.save'));
  const open = node('button', { type: 'button', class: 'button', 'data-testid': 'oldpos-open' }, t('settings.oldPos.open'));

  function draw(view) {
    folder.value = view.folder ?? '';
    note.textContent = view.fromFlag ? t('settings.oldPos.fromFlag') : view.folder ? t('settings.oldPos.set') : t('settings.oldPos.notSet');
    open.disabled = !view.folder && !view.fromFlag;
  }

  const form = node('form', { class: 'form' },
    field(t('settings.oldPos.folder'), folder, t('settings.oldPos.folderHint')),
    error.el,
    saved,
    node('div', { class: 'row' }, save, open),
    note);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.clear();
    saved.hidden = true;
    save.disabled = true;
    try {
      draw(await api.setOldPos(folder.value.trim()));
      saved.textContent = t('settings.oldPos.saved');
      saved.hidden = false;
    } catch (err) {
      error.show(err);
    } finally {
      save.disabled = false;
    }
  });

  open.addEventListener('click', async () => {
    error.clear();
    try {
      await api.openOldPos();
    } catch (err) {
      error.show(err);
    }
  });

  api.oldPos().then(draw, (err) => error.show(err));
  return node('section', { class: 'card settings__card', 'data-testid': 'settings-oldpos', 'aria-labelledby': 'settings-oldpos-title' },
    node('h2', { class: 'card__title', id: 'settings-oldpos-title' }, t('settings.oldPos.title')),
    node('p', { class: 'small muted' }, t('settings.oldPos.lead')),
    form);
}
