// A dialog that asks before one step on one thing (archive this customer,
// settle this debt), shared by the Customers and Debts screens.
import { node, errorBox } from './dom.js';
import { onSubmit } from './form.js';

// confirmDialog(t, { testid, title, confirm, confirmClass, describe, act, after })
// → { el, open(target) }. open shows describe(target); the confirm button
// runs act(target), then closes the dialog and calls after(target, result);
// a refusal stays in the dialog. Test ids: <testid>-dialog, -what, -error,
// -confirm.
export function confirmDialog(t, { testid, title, confirm, confirmClass, describe, act, after }) {
  const what = node('p', { 'data-testid': `${testid}-what` });
  const error = errorBox(t, `${testid}-error`);
  const ok = node('button', { type: 'submit', class: `button ${confirmClass}`, 'data-testid': `${testid}-confirm` }, confirm);
  const cancel = node('button', { type: 'button', class: 'button', onclick: () => el.close() }, t('common.cancel'));
  const form = node('form', { class: 'form' }, node('h2', {}, title), what, error.el, node('div', { class: 'row' }, ok, cancel));
  const el = node('dialog', { class: 'dialog', 'data-testid': `${testid}-dialog` }, form);
  let target = null;
  onSubmit(form, { button: ok, error }, async () => {
    const result = await act(target);
    el.close();
    after(target, result);
  });
  return {
    el,
    open(x) {
      target = x;
      error.clear();
      what.textContent = describe(x);
      el.showModal();
      ok.focus();
    },
  };
}
