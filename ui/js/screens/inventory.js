// Inventory screen: pick an item, then receive stock, adjust it with a
// reason, move it between stores, or record a count. Receiving, adjusting
// and counting act on the till's store; a move names both stores. After
// every action the item's level in each store is read back and shown, so
// what the screen says is what is stored.
import { node, field, errorBox } from '../dom.js';
import { screenHead } from '../screen.js';
import { itemPicker } from './item-pick.js';
import { busy } from '../form.js';

export function mount(root, ctx) {
  const { api, t, format, status, session } = ctx;
  const here = session.store;
  let chosen = null; // { item, levels }
  let stores = (session.stores ?? []).filter((s) => !s.archived);

  const error = errorBox(t, 'inventory-error');
  const done = node('p', { class: 'inventory__done', role: 'status', 'data-testid': 'inventory-done', hidden: true });
  const picker = itemPicker(ctx, {
    testid: 'inventory-item',
    label: t('inventory.searchItems'),
    empty: t('inventory.noItems'),
    role: 'search',
    onPick: (row) => choose(row.item.id),
  });

  const title = node('h2', { class: 'card__title', 'data-testid': 'inventory-item-name' });
  const meta = node('p', { class: 'muted small', 'data-testid': 'inventory-item-meta' });
  const levelRows = node('tbody', {});
  const levels = node('table', { class: 'table', 'data-testid': 'inventory-levels' },
    node('thead', {}, node('tr', {},
      node('th', { scope: 'col' }, t('inventory.store')),
      node('th', { scope: 'col', class: 'num' }, t('inventory.qty')))),
    levelRows);

  // ---- the four actions ----
  const receiveQty = node('input', { inputMode: 'numeric', autocomplete: 'off', 'data-testid': 'inventory-receive-qty' });
  const receiveCost = node('input', { inputMode: 'decimal', autocomplete: 'off', 'data-testid': 'inventory-receive-cost' });
  const receiveCostLabel = node('span', {});
  const receive = actionForm('receive', t('inventory.receive'), t('inventory.receiveLead'),
    [field(t('inventory.qty'), receiveQty), field(receiveCostLabel, receiveCost)],
    async () => {
      const qty = format.parseQty(receiveQty.value);
      if (qty === null || qty <= 0) throw invalid(t('inventory.badQty'), receiveQty);
      const currency = chosen.item.currency ?? 'IQD';
      const cost = format.parseMoney(receiveCost.value, currency);
      if (cost === null) throw invalid(t('inventory.badCost', { currency }), receiveCost);
      await api.receiveStock(chosen.item.id, qty, cost);
      receiveQty.value = '';
      receiveCost.value = '';
      return t('inventory.received', { qty: format.count(qty), item: chosen.item.name, store: here?.name ?? '' });
    });

  const adjustDelta = node('input', { inputMode: 'numeric', autocomplete: 'off', 'data-testid': 'inventory-adjust-delta', placeholder: t('inventory.deltaHint') });
  const adjustReason = node('input', { autocomplete: 'off', 'data-testid': 'inventory-adjust-reason' });
  const adjust = actionForm('adjust', t('inventory.adjust'), t('inventory.adjustLead'),
    [field(t('inventory.delta'), adjustDelta), field(t('inventory.reason'), adjustReason)],
    async () => {
      const delta = format.parseQty(adjustDelta.value.replace(/^\+/, ''));
      if (delta === null || delta === 0) throw invalid(t('inventory.badDelta'), adjustDelta);
      const reason = adjustReason.value.trim();
      if (!reason) throw invalid(t('inventory.needReason'), adjustReason);
      await api.adjustStock(chosen.item.id, delta, reason);
      adjustDelta.value = '';
      adjustReason.value = '';
      return t('inventory.adjusted', { delta: delta > 0 ? `+${format.count(delta)}` : format.count(delta), item: chosen.item.name });
    });

  const fromStore = node('select', { 'data-testid': 'inventory-transfer-from' });
  const toStore = node('select', { 'data-testid': 'inventory-transfer-to' });
  const moveQty = node('input', { inputMode: 'numeric', autocomplete: 'off', 'data-testid': 'inventory-transfer-qty' });
  const move = actionForm('transfer', t('inventory.transfer'), t('inventory.transferLead'),
    [field(t('inventory.from'), fromStore), field(t('inventory.to'), toStore), field(t('inventory.qty'), moveQty)],
    async () => {
      const qty = format.parseQty(moveQty.value);
      if (qty === null || qty <= 0) throw invalid(t('inventory.badQty'), moveQty);
      if (fromStore.value === toStore.value) throw invalid(t('inventory.sameStore'), toStore);
      await api.transferStock(chosen.item.id, fromStore.value, toStore.value, qty);
      moveQty.value = '';
      return t('inventory.moved', { qty: format.count(qty), item: chosen.item.name, from: storeName(fromStore.value), to: storeName(toStore.value) });
    });

  const counted = node('input', { inputMode: 'numeric', autocomplete: 'off', 'data-testid': 'inventory-count-qty' });
  const countResult = node('p', { class: 'inventory__difference', 'data-testid': 'inventory-count-difference', hidden: true });
  const count = actionForm('count', t('inventory.count'), t('inventory.countLead'),
    [field(t('inventory.counted'), counted), countResult],
    async () => {
      const qty = format.parseQty(counted.value);
      if (qty === null || qty < 0) throw invalid(t('inventory.badCount'), counted);
      const difference = await api.countStock(chosen.item.id, qty);
      counted.value = '';
      const shown = difference > 0 ? `+${format.count(difference)}` : format.count(difference);
      countResult.textContent = t('inventory.difference', { difference: shown });
      countResult.dataset.difference = String(difference);
      countResult.hidden = false;
      return t('inventory.countedDone', { qty: format.count(qty), item: chosen.item.name, difference: shown });
    });

  const actions = node('div', { class: 'inventory__actions' }, receive, adjust, move, count);
  const detail = node('section', { class: 'card inventory__item', 'data-testid': 'inventory-item', hidden: true, 'aria-labelledby': 'inventory-item-title' },
    node('div', { class: 'inventory__item-head' },
      node('div', {}, title, meta),
      node('div', {}, node('h3', { class: 'card__subtitle', id: 'inventory-item-title' }, t('inventory.levels')), levels)));
  const empty = node('p', { class: 'card muted', 'data-testid': 'inventory-empty' }, t('inventory.pickFirst'));
  // Stock changes are a manager's; a cashier sees the levels only.
  const canChange = session.user?.role !== 'cashier';
  const readOnly = node('p', { class: 'muted small', 'data-testid': 'inventory-read-only', hidden: true }, t('inventory.readOnly'));

  root.append(
    screenHead(t('inventory.title'), t('inventory.lead', { store: here?.name ?? '—' })),
    node('div', { class: 'inventory' },
      node('section', { class: 'card inventory__pick' }, node('h2', { class: 'card__title' }, t('inventory.pick')), picker.el),
      node('div', { class: 'inventory__main' }, error.el, done, empty, detail, readOnly, actions)),
  );
  actions.hidden = true;

  // ---- helpers ----
  function invalid(message, input) {
    input?.focus();
    return { code: 'Validation', message };
  }

  function storeName(id) {
    return stores.find((s) => String(s.id) === String(id))?.name ?? String(id);
  }

  function actionForm(id, heading, lead, fields, run) {
    const submit = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': `inventory-${id}-submit` }, heading);
    const form = node('form', { class: 'card form inventory__action', 'data-testid': `inventory-${id}-form` },
      node('h3', { class: 'card__title' }, heading),
      node('p', { class: 'muted small' }, lead),
      ...fields,
      submit);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!chosen) return;
      done.hidden = true;
      busy(submit, error, async () => {
        const message = await run();
        await reload();
        done.textContent = message;
        done.hidden = false;
        status.set(message, 'ok');
      });
    });
    return form;
  }

  function fillStoreSelects() {
    const options = (selected) => stores.map((s) => node('option', { value: String(s.id), selected: String(s.id) === String(selected) }, s.name));
    const from = fromStore.value || here?.id;
    const other = stores.find((s) => String(s.id) !== String(from));
    const to = toStore.value && toStore.value !== from ? toStore.value : other?.id;
    fromStore.replaceChildren(...options(from));
    toStore.replaceChildren(...options(to));
    move.hidden = stores.length < 2;
  }

  function drawLevels(list) {
    const byStore = new Map(list.map((l) => [String(l.storeId), l]));
    // Every open store, even one that never had the item (0), then any
    // other store that still holds some.
    const rows = stores.map((s) => ({ storeId: String(s.id), storeName: s.name, qty: byStore.get(String(s.id))?.qty ?? 0 }));
    for (const l of list) {
      if (!rows.some((r) => r.storeId === String(l.storeId))) rows.push({ storeId: String(l.storeId), storeName: l.storeName, qty: l.qty });
    }
    levelRows.replaceChildren(...rows.map((r) =>
      node('tr', { 'data-testid': 'inventory-level', 'data-store-id': r.storeId, 'data-store-name': r.storeName, class: r.storeId === String(here?.id) ? 'is-here' : null },
        node('th', { scope: 'row' }, r.storeName, r.storeId === String(here?.id) ? node('span', { class: 'badge inventory__here' }, t('inventory.here')) : null),
        node('td', { class: 'num', 'data-testid': 'inventory-level-qty' }, format.count(r.qty)))));
  }

  async function reload() {
    const d = await api.itemDetail(chosen.item.id);
    chosen = d;
    const item = d.item;
    title.textContent = item.name;
    meta.textContent = [item.barcode, item.category, t('inventory.priceIs', { price: format.money(item.price, item.currency ?? 'IQD') })].filter(Boolean).join(' · ');
    receiveCostLabel.textContent = t('inventory.unitCost', { currency: item.currency ?? 'IQD' });
    if (!receiveCost.value && item.cost !== undefined && item.cost !== null) receiveCost.placeholder = format.moneyInput(item.cost, item.currency ?? 'IQD');
    drawLevels(d.levels ?? []);
    picker.search();
  }

  async function choose(id) {
    error.clear();
    done.hidden = true;
    countResult.hidden = true;
    try {
      chosen = { item: { id } };
      await reload();
      detail.hidden = false;
      actions.hidden = !canChange;
      readOnly.hidden = canChange;
      empty.hidden = true;
      fillStoreSelects();
      if (canChange) receiveQty.focus();
    } catch (err) {
      chosen = null;
      error.show(err);
    }
  }

  // The store list can have changed since sign-in (Stores screen).
  api.stores().then((list) => {
    stores = list.filter((s) => !s.archived);
    if (chosen) {
      fillStoreSelects();
      drawLevels(chosen.levels ?? []);
    }
  }, (err) => status.error(err));
  picker.search();
  picker.focus();

  return {
    unmount() {},
    onKey(e) {
      if (e.key === 'Escape' && chosen) {
        picker.focus();
        return true;
      }
      return false;
    },
  };
}
