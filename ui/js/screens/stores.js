// Stores screen: the shop's store locations, and (for the owner) adding one
// or changing its name, address, phone and whether it may sell below zero
// stock. A change reaches the top bar's store switch at once.
import { node, field, errorBox } from '../dom.js';
import { screenHead } from '../screen.js';
import { onSubmit, invalid } from '../form.js';

export function mount(root, ctx) {
  const { api, t, status, session } = ctx;
  const isOwner = session.user?.role === 'owner';
  let editing = null; // the store being changed, or null when adding

  const rows = node('tbody', {});
  const table = node('table', { class: 'table', 'data-testid': 'stores-list' },
    node('thead', {}, node('tr', {},
      node('th', { scope: 'col', class: 'num' }, t('stores.number')),
      node('th', { scope: 'col' }, t('stores.name')),
      node('th', { scope: 'col' }, t('stores.address')),
      node('th', { scope: 'col' }, t('stores.phone')),
      node('th', { scope: 'col' }, t('stores.negative')),
      node('th', { scope: 'col' }, node('span', { class: 'visually-hidden' }, t('common.edit'))))),
    rows);
  const addButton = node('button', { type: 'button', class: 'button button--primary', 'data-testid': 'stores-add', hidden: !isOwner, onclick: () => openForm(null) }, t('stores.add'));

  function drawRows(list) {
    if (list.length === 0) {
      rows.replaceChildren(node('tr', {}, node('td', { colSpan: 6, class: 'muted' }, t('common.none'))));
      return;
    }
    rows.replaceChildren(...list.map((s) =>
      node('tr', { 'data-testid': 'stores-row', 'data-id': String(s.id), class: s.archived ? 'stores__archived' : null },
        node('td', { class: 'num mono' }, s.number ? String(s.number) : '—'),
        node('th', { scope: 'row', class: 'strong', 'data-testid': 'stores-row-name' }, s.name,
          String(s.id) === String(session.store?.id) ? node('span', { class: 'badge stores__here' }, t('stores.here')) : null),
        node('td', {}, s.address ?? ''),
        node('td', { class: 'mono' }, s.phone ?? ''),
        node('td', { 'data-testid': 'stores-row-negative', 'data-allowed': String(Boolean(s.allowNegativeStock)) }, s.allowNegativeStock ? t('stores.negativeYes') : t('stores.negativeNo')),
        node('td', {}, isOwner ? node('button', { type: 'button', class: 'button', 'data-testid': 'stores-edit', onclick: () => openForm(s) }, t('common.edit')) : null))));
  }

  async function refresh() {
    try {
      drawRows(await api.stores());
    } catch (err) {
      status.error(err);
    }
  }

  const name = node('input', { autocomplete: 'off', required: true, 'data-testid': 'stores-name' });
  const address = node('input', { autocomplete: 'off', 'data-testid': 'stores-address' });
  const phone = node('input', { type: 'tel', autocomplete: 'off', 'data-testid': 'stores-phone' });
  const negative = node('input', { type: 'checkbox', 'data-testid': 'stores-negative' });
  const formTitle = node('h2', { class: 'card__title' });
  const error = errorBox(t, 'stores-error');
  const save = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'stores-save' }, t('common.save'));
  const cancel = node('button', { type: 'button', class: 'button', onclick: () => { form.hidden = true; } }, t('common.cancel'));
  const form = node('form', { class: 'card form stores__form', 'data-testid': 'stores-form', hidden: true },
    formTitle,
    field(t('stores.name'), name),
    field(t('stores.address'), address),
    field(t('stores.phone'), phone),
    node('label', { class: 'stores__check' }, negative, node('span', {}, t('stores.negativeLabel'))),
    node('p', { class: 'field__hint' }, t('stores.negativeHint')),
    error.el,
    node('div', { class: 'row' }, save, cancel));

  function openForm(s) {
    editing = s;
    error.clear();
    formTitle.textContent = s ? t('stores.editTitle', { name: s.name }) : t('stores.addTitle');
    name.value = s?.name ?? '';
    address.value = s?.address ?? '';
    phone.value = s?.phone ?? '';
    negative.checked = Boolean(s?.allowNegativeStock);
    form.hidden = false;
    name.focus();
  }

  onSubmit(form, { button: save, error }, async () => {
    if (!name.value.trim()) throw invalid(t('stores.needName'), name);
    const input = { name: name.value.trim(), address: address.value.trim() || null, phone: phone.value.trim() || null, allowNegativeStock: negative.checked };
    const s = editing ? await api.editStore(editing.id, input) : await api.createStore(input);
    status.set(t(editing ? 'stores.saved' : 'stores.added', { name: s.name }), 'ok');
    form.hidden = true;
    await refresh();
    // The top bar's store switch and the other screens' store lists.
    await ctx.refreshSession().catch((err) => status.error(err));
  });

  root.append(
    screenHead(t('stores.title'), isOwner ? t('stores.lead') : t('stores.leadReadOnly'), addButton),
    node('div', { class: 'columns' },
      node('section', { class: 'card' }, table),
      form),
  );
  refresh();

  return {
    unmount() {},
    onKey(e) {
      if (e.key === 'Escape' && !form.hidden) {
        form.hidden = true;
        return true;
      }
      return false;
    },
  };
}
