// Items screen: the catalogue searched a page at a time with the stock in
// this till's store, an item's stock in every store, and adding, changing
// or archiving items (managers and the owner: these set prices). Prices and
// costs are typed in the item's own currency.
import { node, field, errorBox, pager, userText } from '../dom.js';
import { screenHead } from '../screen.js';
import { onSubmit, invalid, moneyOr } from '../form.js';
import { labelsControl } from '../labels.js';

const PAGE = 50;

export function mount(root, ctx) {
  const { api, t, format, status, session } = ctx;
  const canEdit = session.user?.role !== 'cashier';
  let text = '';
  let timer = null;
  let selected = null; // { item, levels }
  let editing = null; // the item being changed, or null when adding

  // ---- list ----
  const search = node('input', { type: 'search', autocomplete: 'off', 'data-role': 'search', 'data-testid': 'items-search', 'aria-label': t('items.search'), placeholder: t('items.search') });
  const rows = node('tbody', {});
  const list = pager(t, 'items-pager', (page) => api.searchItems(text, page), drawRows, PAGE);
  const table = node('table', { class: 'table items__table', 'data-testid': 'items-list' },
    node('thead', {}, node('tr', {},
      node('th', { scope: 'col' }, t('items.name')),
      node('th', { scope: 'col' }, t('items.barcode')),
      node('th', { scope: 'col' }, t('items.category')),
      node('th', { scope: 'col', class: 'num' }, t('items.price')),
      node('th', { scope: 'col', class: 'num' }, t('items.stockHere', { store: session.store?.name ?? '' })))),
    rows);
  const addButton = node('button', { type: 'button', class: 'button button--primary', 'data-testid': 'items-add', hidden: !canEdit, onclick: () => openForm(null) }, t('items.add'));

  function drawRows(found) {
    if (found.length === 0) {
      rows.replaceChildren(node('tr', {}, node('td', { colSpan: 5, class: 'muted' }, text ? t('items.noMatch') : t('items.none'))));
      return;
    }
    rows.replaceChildren(...found.map(({ item, stock }) =>
      node('tr', {
        class: `items__row${selected && String(selected.item.id) === String(item.id) ? ' is-selected' : ''}`,
        'data-testid': 'items-row',
        'data-id': String(item.id),
        onclick: () => showDetail(item.id),
      },
      node('td', {}, node('button', { type: 'button', class: 'items__open', 'data-testid': 'items-open', onclick: (e) => { e.stopPropagation(); showDetail(item.id); } }, userText(item.name))),
      node('td', { class: 'mono small' }, item.barcode ?? ''),
      node('td', {}, item.category ?? ''),
      node('td', { class: 'num', 'data-testid': 'items-row-price' }, format.money(item.price ?? 0, item.currency ?? 'IQD')),
      node('td', { class: `num${stock <= 0 ? ' items__out' : ''}`, 'data-testid': 'items-row-stock' }, format.count(stock)))));
  }

  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      text = search.value.trim();
      list.first().catch((err) => status.error(err));
    }, 200);
  });

  // ---- detail ----
  const detail = node('section', { class: 'card items__detail', 'data-testid': 'items-detail', hidden: true });
  const detailError = errorBox(t, 'items-detail-error');

  async function showDetail(id) {
    detailError.clear();
    try {
      selected = await api.itemDetail(id);
    } catch (err) {
      status.error(err);
      return;
    }
    drawDetail();
    list.reload().catch(() => {});
  }

  function drawDetail() {
    const { item, levels } = selected;
    const cur = item.currency ?? 'IQD';
    let confirming = false;
    const archive = node('button', { type: 'button', class: 'button', 'data-testid': 'items-archive', hidden: !canEdit }, t('common.archive'));
    archive.addEventListener('click', async () => {
      if (!confirming) {
        confirming = true;
        archive.textContent = t('items.archiveConfirm', { name: item.name });
        archive.classList.add('button--danger');
        return;
      }
      archive.disabled = true;
      try {
        await api.archiveItem(item.id);
        status.set(t('items.archived', { name: item.name }), 'ok');
        selected = null;
        detail.hidden = true;
        await list.reload();
      } catch (err) {
        detailError.show(err);
        archive.disabled = false;
      }
    });
    detail.replaceChildren(
      node('div', { class: 'items__detail-head' },
        node('h2', { class: 'card__title', dir: 'auto', 'data-testid': 'items-detail-name' }, item.name),
        node('div', { class: 'row' },
          node('button', { type: 'button', class: 'button', 'data-testid': 'items-edit', hidden: !canEdit, onclick: () => openForm(item) }, t('common.edit')),
          archive)),
      node('dl', { class: 'facts' },
        node('dt', {}, t('items.barcode')), node('dd', { class: 'mono' }, item.barcode ?? '—'),
        node('dt', {}, t('items.category')), node('dd', {}, item.category ?? '—'),
        node('dt', {}, t('items.price')), node('dd', { 'data-testid': 'items-detail-price' }, format.money(item.price ?? 0, cur)),
        node('dt', {}, t('items.cost')), node('dd', { 'data-testid': 'items-detail-cost' }, format.money(item.cost ?? 0, cur))),
      node('h3', { class: 'card__subtitle' }, t('items.levels')),
      levelsTable(levels ?? []),
      labelsControl(item, { t, format }),
      detailError.el);
    detail.hidden = false;
  }

  function levelsTable(levels) {
    const byStore = new Map(levels.map((l) => [String(l.storeId), l.qty]));
    const known = (session.stores ?? []).filter((s) => !s.archived || byStore.has(String(s.id)));
    const shown = known.map((s) => ({ storeId: String(s.id), storeName: s.name, qty: byStore.get(String(s.id)) ?? 0 }));
    for (const l of levels) if (!shown.some((s) => s.storeId === String(l.storeId))) shown.push({ ...l, storeId: String(l.storeId) });
    return node('table', { class: 'table', 'data-testid': 'items-levels' },
      node('thead', {}, node('tr', {}, node('th', { scope: 'col' }, t('items.store')), node('th', { scope: 'col', class: 'num' }, t('items.qty')))),
      node('tbody', {}, ...shown.map((l) =>
        node('tr', { 'data-testid': 'items-level', 'data-store-id': l.storeId },
          node('th', { scope: 'row' }, l.storeName),
          node('td', { class: 'num', 'data-testid': 'items-level-qty' }, format.count(l.qty))))));
  }

  // ---- add / change ----
  const name = node('input', { autocomplete: 'off', required: true, 'data-testid': 'items-name' });
  const barcode = node('input', { autocomplete: 'off', 'data-testid': 'items-barcode' });
  const category = node('input', { autocomplete: 'off', 'data-testid': 'items-category' });
  const currency = node('select', { 'data-testid': 'items-currency' }, node('option', { value: 'IQD' }, 'IQD'), node('option', { value: 'USD' }, 'USD'));
  const price = node('input', { inputMode: 'decimal', autocomplete: 'off', 'data-testid': 'items-price' });
  const cost = node('input', { inputMode: 'decimal', autocomplete: 'off', 'data-testid': 'items-cost', placeholder: '0' });
  const formTitle = node('h2', { class: 'card__title' });
  const formError = errorBox(t, 'items-error');
  const save = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'items-save' }, t('common.save'));
  const cancel = node('button', { type: 'button', class: 'button', 'data-testid': 'items-cancel', onclick: () => { form.hidden = true; } }, t('common.cancel'));
  const form = node('form', { class: 'card form items__form', 'data-testid': 'items-form', hidden: true },
    formTitle,
    field(t('items.name'), name),
    node('div', { class: 'row' },
      node('div', { class: 'grow' }, field(t('items.barcode'), barcode, t('items.barcodeHint'))),
      node('div', { class: 'grow' }, field(t('items.category'), category))),
    node('div', { class: 'row' },
      field(t('items.currency'), currency),
      node('div', { class: 'grow' }, field(t('items.price'), price)),
      node('div', { class: 'grow' }, field(t('items.cost'), cost))),
    formError.el,
    node('div', { class: 'row' }, save, cancel));

  function openForm(item) {
    editing = item;
    formError.clear();
    formTitle.textContent = item ? t('items.editTitle', { name: item.name }) : t('items.addTitle');
    const cur = item?.currency ?? 'IQD';
    name.value = item?.name ?? '';
    barcode.value = item?.barcode ?? '';
    category.value = item?.category ?? '';
    currency.value = cur;
    price.value = item ? format.moneyInput(item.price ?? 0, cur) : '';
    cost.value = item ? format.moneyInput(item.cost ?? 0, cur) : '';
    form.hidden = false;
    name.focus();
  }

  onSubmit(form, { button: save, error: formError }, async () => {
    const cur = currency.value;
    const p = format.parseMoney(price.value, cur);
    const c = moneyOr(cost, cur, 0);
    if (!name.value.trim()) throw invalid(t('items.needName'), name);
    if (p === null) throw invalid(t('items.badMoney', { currency: cur }), price);
    if (c === null) throw invalid(t('items.badMoney', { currency: cur }), cost);
    const input = { name: name.value.trim(), barcode: barcode.value.trim() || null, category: category.value.trim() || null, currency: cur, price: p, cost: c };
    const item = editing ? await api.editItem(editing.id, input) : await api.createItem(input);
    status.set(t(editing ? 'items.saved' : 'items.added', { name: item.name }), 'ok');
    form.hidden = true;
    await showDetail(item.id);
  });

  root.append(
    screenHead(t('items.title'), t('items.lead'), addButton),
    node('div', { class: 'columns items' },
      node('section', { class: 'card' }, search, table, list.el),
      node('div', { class: 'items__side' }, form, detail)),
  );

  list.first().catch((err) => status.error(err));
  search.focus();

  return {
    unmount() {
      clearTimeout(timer);
    },
    onKey(e) {
      if (e.key === 'Escape' && !form.hidden) {
        form.hidden = true;
        return true;
      }
      return false;
    },
  };
}
