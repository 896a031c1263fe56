// A manager's approval typed in place: when a step needs a manager (Rust
// refused it for the signed-in user's role), this dialog asks for a
// manager's name and PIN over the screen the step came from and sends the
// same step again with them, as the Return screen does for a large refund.
// A wrong PIN is shown beside the PIN, which stays, selected.
import { node, field, errorBox, errorText, actionRow } from './dom.js';

export function approvalAsker({ api, t }) {
  const name = node('select', { 'data-testid': 'approval-name' });
  const pin = node('input', { type: 'password', inputMode: 'numeric', autocomplete: 'off', 'data-testid': 'approval-pin' });
  const why = node('p', { class: 'small muted', 'data-testid': 'approval-why' });
  const error = errorBox(t, 'approval-error');
  const ok = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'approval-submit' }, t('approval.submit'));
  const cancel = node('button', { type: 'button', class: 'button', 'data-testid': 'approval-cancel', onclick: () => el.close() }, t('common.cancel'));
  const form = node('form', { class: 'form' },
    node('h2', {}, t('approval.title')),
    why,
    field(t('approval.name'), name),
    field(t('approval.pin'), pin),
    actionRow(error, ok, cancel));
  const el = node('dialog', { class: 'dialog', 'data-testid': 'approval-dialog' }, form);
  document.body.append(el);
  let pending = null; // { retry, resolve, reject, refused }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (!pending) return;
    error.clear();
    ok.disabled = true;
    try {
      const done = await pending.retry({ name: name.value, pin: pin.value });
      const p = pending;
      pending = null;
      el.close();
      p.resolve(done);
    } catch (err) {
      error.show(err);
      pin.focus();
      pin.select();
    } finally {
      ok.disabled = false;
    }
  });
  // Closed without an approval: the step stays refused, as Rust said.
  el.addEventListener('close', () => {
    if (!pending) return;
    const p = pending;
    pending = null;
    p.reject(p.refused);
  });

  return (refused, retry) => new Promise((resolve, reject) => {
    pending = { retry, resolve, reject, refused };
    error.clear();
    why.textContent = t('approval.lead', { step: errorText(t, refused) });
    pin.value = '';
    api.userNames().then((users) => {
      const managers = users.filter((u) => u.role === 'manager' || u.role === 'owner');
      name.replaceChildren(...managers.map((u) => node('option', { value: u.name }, `${u.name} (${t(`role.${u.role}`)})`)));
    }, (err) => error.show(err));
    el.showModal();
    pin.focus();
  });
}
