// Services screen: the repair tickets board, one column per status, and the
// ticket open beside it. A ticket is opened for a customer (picked or added
// on the spot), moves through received → diagnosing → waiting for parts →
// ready, takes parts out of this store's stock, and is delivered with the
// final charge and what is paid now; the rest becomes the customer's debt.
// The open ticket prints on its own (print stylesheet in services.css).
import { node, field, errorBox, pager } from '../dom.js';
import { screenHead } from '../screen.js';
import { itemPicker } from './item-pick.js';
import { busy, onSubmit, invalid, moneyOr } from '../form.js';
import { customerInput } from '../customer.js';
import { liveSearch } from '../search.js';
import { printOnly, hasPrinter, printPaper } from '../print.js';
import { ticketPaper, deliveryPaper, printOnPrinter } from '../papers.js';

const COLUMNS = ['received', 'diagnosing', 'waiting_for_parts', 'ready', 'delivered'];
const PAGE = 10;
// Where a ticket may go next by hand; delivery has its own form.
const NEXT = {
  received: ['diagnosing'],
  diagnosing: ['waiting_for_parts', 'ready'],
  waiting_for_parts: ['ready'],
  ready: [],
};

export function mount(root, ctx) {
  const { api, t, format, status } = ctx;
  const customers = new Map(); // id → customer, for names on the ticket
  const items = new Map(); // id → { name, currency }, for the parts list
  let open = null; // the ticket shown
  let shown = { who: null, parts: [] }; // its customer and parts, named, for its paper
  const printStatus = node('p', { class: 'small no-print', 'data-testid': 'services-print-status', role: 'status', hidden: true });

  // ---- board ----
  const columns = COLUMNS.map((s) => {
    const list = node('ol', { class: 'services__list', 'data-testid': `services-list-${s}` });
    const count = node('span', { class: 'badge' });
    const page = pager(t, `services-pager-${s}`, (p) => api.tickets(s, p), (rows) => drawColumn(list, count, rows, page.el), PAGE);
    const el = node('section', { class: 'services__column', 'data-testid': 'services-column', 'data-status': s, 'aria-label': t(`services.status.${s}`) },
      node('h2', { class: 'services__column-title' }, t(`services.status.${s}`), ' ', count), list, page.el);
    return { status: s, el, page };
  });

  function drawColumn(list, count, rows, pagerEl) {
    // The pager sets its buttons before drawing: one page needs no pager.
    pagerEl.hidden = [...pagerEl.querySelectorAll('button')].every((b) => b.disabled);
    count.textContent = rows.length ? String(rows.length) : '';
    if (rows.length === 0) {
      list.replaceChildren(node('li', { class: 'muted small' }, t('services.empty')));
      return;
    }
    list.replaceChildren(...rows.map((tk) =>
      node('li', {},
        node('button', {
          type: 'button',
          class: `services__card${open && String(open.id) === String(tk.id) ? ' is-open' : ''}`,
          'data-testid': 'services-ticket',
          'data-id': String(tk.id),
          'data-number': String(tk.number ?? ''),
          'data-status': tk.status,
          onclick: () => show(tk),
        },
        node('span', { class: 'services__card-number mono' }, `#${tk.number ?? '—'}`),
        node('span', { class: 'services__card-device' }, tk.device),
        tk.fault ? node('span', { class: 'muted small services__card-fault' }, tk.fault) : null))));
  }

  async function reloadBoard() {
    try {
      await Promise.all(columns.map((c) => c.page.reload()));
    } catch (err) {
      status.error(err);
    }
  }

  // ---- new ticket ----
  const newButton = node('button', { type: 'button', class: 'button button--primary', 'data-testid': 'services-new' }, t('services.new'));
  const customerSearch = node('input', { type: 'search', autocomplete: 'off', 'data-role': 'search', 'data-testid': 'services-customer-search', 'aria-label': t('services.findCustomer'), placeholder: t('services.findCustomer') });
  const customerResults = node('ul', { class: 'pick__list', 'data-testid': 'services-customer-results' });
  const customerChosen = node('p', { class: 'services__chosen', 'data-testid': 'services-customer-chosen' }, t('services.noCustomer'));
  const quickName = node('input', { autocomplete: 'off', 'data-testid': 'services-customer-name' });
  const quickPhone = node('input', { type: 'tel', autocomplete: 'off', 'data-testid': 'services-customer-phone' });
  const quickAdd = node('button', { type: 'button', class: 'button', 'data-testid': 'services-customer-add' }, t('services.addCustomer'));
  const device = node('input', { autocomplete: 'off', 'data-testid': 'services-device' });
  const fault = node('textarea', { rows: 2, 'data-testid': 'services-fault' });
  const currency = node('select', { 'data-testid': 'services-currency' }, node('option', { value: 'IQD' }, 'IQD'), node('option', { value: 'USD' }, 'USD'));
  const estimate = node('input', { inputMode: 'decimal', autocomplete: 'off', 'data-testid': 'services-estimate', placeholder: '0' });
  const deposit = node('input', { inputMode: 'decimal', autocomplete: 'off', 'data-testid': 'services-deposit', placeholder: '0' });
  const newError = errorBox(t, 'services-new-error');
  const openSubmit = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'services-open-submit' }, t('services.open'));
  const cancelNew = node('button', { type: 'button', class: 'button', onclick: () => { newForm.hidden = true; } }, t('common.cancel'));
  let customer = null;
  const newForm = node('form', { class: 'card form services__new', 'data-testid': 'services-new-form', hidden: true },
    node('h2', { class: 'card__title' }, t('services.newTitle')),
    node('div', { class: 'services__new-grid' },
      node('fieldset', { class: 'services__customer' },
        node('legend', {}, t('services.customer')),
        customerChosen,
        customerSearch,
        customerResults,
        node('div', { class: 'row' },
          node('div', { class: 'grow' }, field(t('services.customerName'), quickName)),
          node('div', { class: 'grow' }, field(t('services.customerPhone'), quickPhone)),
          quickAdd)),
      node('div', { class: 'form' },
        field(t('services.device'), device, t('services.deviceHint')),
        field(t('services.fault'), fault),
        node('div', { class: 'row' },
          field(t('services.currency'), currency),
          node('div', { class: 'grow' }, field(t('services.estimate'), estimate)),
          node('div', { class: 'grow' }, field(t('services.deposit'), deposit))))),
    newError.el,
    node('div', { class: 'row' }, openSubmit, cancelNew));

  function pickCustomer(c) {
    customer = c;
    customers.set(String(c.id), c);
    customerChosen.textContent = c.phone ? `${c.name} · ${c.phone}` : c.name;
    customerChosen.dataset.id = String(c.id);
    customerChosen.classList.add('is-chosen');
    customerResults.replaceChildren();
    device.focus();
  }

  const customerLookup = liveSearch(customerSearch, {
    find: (text) => api.searchCustomers(text, { offset: 0, limit: 8 }),
    show: (rows) => customerResults.replaceChildren(...(rows.length ? rows.map(({ customer: c }) =>
      node('li', {}, node('button', { type: 'button', class: 'pick__row', 'data-testid': 'services-customer-result', 'data-id': String(c.id), onclick: () => pickCustomer(c) },
        node('span', { class: 'pick__name', dir: 'auto' }, c.name),
        node('span', { class: 'muted small mono' }, c.phone ?? '')))) : [node('li', { class: 'muted small' }, t('services.noCustomers'))])),
    fail: (err) => status.error(err),
  });
  customerSearch.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      customerLookup.now();
    }
  });
  quickAdd.addEventListener('click', () => busy(quickAdd, newError, async () => {
    if (!quickName.value.trim()) throw invalid(t('services.needCustomerName'), quickName);
    const c = await api.createCustomer(customerInput(quickName, quickPhone));
    quickName.value = '';
    quickPhone.value = '';
    pickCustomer(c);
  }));

  newButton.addEventListener('click', () => {
    newForm.hidden = false;
    customerSearch.focus();
  });
  onSubmit(newForm, { button: openSubmit, error: newError }, async () => {
    const cur = currency.value;
    const est = moneyOr(estimate, cur, 0);
    const dep = moneyOr(deposit, cur, 0);
    if (!customer) throw invalid(t('services.needCustomer'), customerSearch);
    if (!device.value.trim()) throw invalid(t('services.needDevice'), device);
    if (est === null) throw invalid(t('services.badAmount', { currency: cur }), estimate);
    if (dep === null) throw invalid(t('services.badAmount', { currency: cur }), deposit);
    const tk = await api.openTicket({ customerId: customer.id, device: device.value.trim(), fault: fault.value.trim() || null, currency: cur, estimate: est, deposit: dep });
    status.set(t('services.opened', { number: tk.number ?? '', device: tk.device }), 'ok');
    for (const input of [device, fault, estimate, deposit, customerSearch]) input.value = '';
    customer = null;
    customerChosen.textContent = t('services.noCustomer');
    customerChosen.classList.remove('is-chosen');
    delete customerChosen.dataset.id;
    newForm.hidden = true;
    await show(tk);
  });

  // ---- the open ticket ----
  const detail = node('section', { class: 'card services__detail', 'data-testid': 'services-detail', hidden: true, 'aria-live': 'polite' });
  const detailError = errorBox(t, 'services-error');
  const partPicker = itemPicker(ctx, { testid: 'services-part', label: t('services.findPart'), empty: t('services.noParts'), role: 'search', onPick: (row) => choosePart(row) });
  const partChosen = node('p', { class: 'services__chosen', 'data-testid': 'services-part-chosen' }, t('services.noPart'));
  const partQty = node('input', { inputMode: 'numeric', autocomplete: 'off', value: '1', 'data-testid': 'services-part-qty' });
  const partUse = node('button', { type: 'button', class: 'button', 'data-testid': 'services-part-use' }, t('services.usePart'));
  let part = null;
  const charge = node('input', { inputMode: 'decimal', autocomplete: 'off', 'data-testid': 'services-charge' });
  const paid = node('input', { inputMode: 'decimal', autocomplete: 'off', 'data-testid': 'services-paid' });
  const dueLine = node('p', { class: 'services__due', 'data-testid': 'services-due' });
  const deliverSubmit = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'services-deliver-submit' }, t('services.deliver'));
  const deliverForm = node('form', { class: 'form services__deliver no-print', 'data-testid': 'services-deliver-form' },
    node('h3', { class: 'card__subtitle' }, t('services.deliverTitle')),
    node('div', { class: 'row' },
      node('div', { class: 'grow' }, field(t('services.charge'), charge, t('services.chargeHint'))),
      node('div', { class: 'grow' }, field(t('services.paid'), paid))),
    dueLine,
    deliverSubmit);
  const partForm = node('div', { class: 'services__use-part no-print', 'data-testid': 'services-part-form' },
    node('h3', { class: 'card__subtitle' }, t('services.usePartTitle')),
    partPicker.el,
    partChosen,
    node('div', { class: 'row' }, node('div', { class: 'grow' }, field(t('services.partQty'), partQty)), partUse));

  function ticketCurrency(tk) {
    return tk.currency ?? 'IQD';
  }

  // Parts priced in the ticket's currency, suggested as part of the charge.
  function partsTotal(tk) {
    const cur = ticketCurrency(tk);
    return (tk.parts ?? [])
      .filter((p) => (items.get(String(p.itemId))?.currency ?? 'IQD') === cur)
      .reduce((sum, p) => sum + (p.unitPrice ?? 0) * p.qty, 0);
  }

  function choosePart(row) {
    part = row.item;
    items.set(String(row.item.id), { name: row.item.name, currency: row.item.currency ?? 'IQD' });
    partChosen.textContent = t('services.partChosen', { name: row.item.name, stock: format.count(row.stock) });
    partChosen.dataset.id = String(row.item.id);
    partQty.focus();
    partQty.select();
  }

  function updateDue() {
    if (!open) return;
    const cur = ticketCurrency(open);
    const c = moneyOr(charge, cur, open.estimate ?? 0);
    const p = moneyOr(paid, cur, 0);
    if (c === null || p === null) {
      dueLine.textContent = t('services.badAmount', { currency: cur });
      return;
    }
    const due = Math.max(0, c - (open.deposit ?? 0));
    const debt = Math.max(0, due - p);
    // A deposit above the charge is handed back (the core records it).
    const refund = Math.max(0, (open.deposit ?? 0) - c);
    dueLine.dataset.due = String(due);
    dueLine.dataset.debt = String(debt);
    dueLine.dataset.refund = String(refund);
    dueLine.textContent = refund > 0
      ? t('services.refundLine', { refund: format.money(refund, cur) })
      : t('services.dueLine', { due: format.money(due, cur), debt: format.money(debt, cur) });
  }
  charge.addEventListener('input', updateDue);
  paid.addEventListener('input', updateDue);

  async function customerOf(tk) {
    const id = tk.customerId === undefined || tk.customerId === null ? null : String(tk.customerId);
    if (!id) return null;
    if (!customers.has(id)) {
      try {
        customers.set(id, (await api.customerDetail(id)).customer);
      } catch {
        return null;
      }
    }
    return customers.get(id);
  }

  async function partItem(id) {
    const key = String(id);
    if (!items.has(key)) {
      try {
        const { item } = await api.itemDetail(key);
        items.set(key, { name: item.name, currency: item.currency ?? 'IQD' });
      } catch {
        return { name: key, currency: null };
      }
    }
    return items.get(key);
  }

  async function show(tk, delivery = null) {
    open = tk;
    detailError.clear();
    printStatus.hidden = true;
    const cur = ticketCurrency(tk);
    const who = await customerOf(tk);
    const partItems = await Promise.all((tk.parts ?? []).map((p) => partItem(p.itemId)));
    if (open !== tk) return; // another ticket was opened meanwhile
    shown = { who, parts: (tk.parts ?? []).map((p, i) => ({ ...p, name: partItems[i].name, currency: partItems[i].currency })) };
    const facts = node('dl', { class: 'facts' },
      node('dt', {}, t('services.customer')),
      node('dd', { 'data-testid': 'services-detail-customer' }, who ? who.name : '—', who?.phone ? node('span', { class: 'muted mono small' }, ` · ${who.phone}`) : null),
      node('dt', {}, t('services.device')),
      node('dd', { 'data-testid': 'services-detail-device' }, tk.device),
      node('dt', {}, t('services.fault')),
      node('dd', {}, tk.fault ?? '—'),
      node('dt', {}, t('services.statusLabel')),
      node('dd', { 'data-testid': 'services-detail-status', 'data-status': tk.status }, t(`services.status.${tk.status}`)),
      node('dt', {}, t('services.estimate')),
      node('dd', { 'data-testid': 'services-detail-estimate' }, format.money(tk.estimate ?? 0, cur)),
      node('dt', {}, t('services.deposit')),
      node('dd', { 'data-testid': 'services-detail-deposit' }, format.money(tk.deposit ?? 0, cur)),
      tk.charge !== undefined ? [node('dt', {}, t('services.charge')), node('dd', { 'data-testid': 'services-detail-charge' }, format.money(tk.charge, cur))] : null,
      tk.paidAtDelivery !== undefined ? [node('dt', {}, t('services.paid')), node('dd', {}, format.money(tk.paidAtDelivery, cur))] : null,
      tk.depositReturned !== undefined ? [node('dt', {}, t('services.depositReturned')), node('dd', { 'data-testid': 'services-detail-returned' }, format.money(tk.depositReturned, cur))] : null,
      node('dt', {}, t('services.opened_at')),
      node('dd', {}, format.dateTime(tk.createdAt)));
    const parts = (tk.parts ?? []).length
      ? node('table', { class: 'table', 'data-testid': 'services-parts' },
        node('thead', {}, node('tr', {},
          node('th', { scope: 'col' }, t('services.part')),
          node('th', { scope: 'col', class: 'num' }, t('services.partQty')),
          node('th', { scope: 'col', class: 'num' }, t('services.unitPrice')))),
        node('tbody', {}, ...tk.parts.map((p, i) =>
          node('tr', { 'data-testid': 'services-part-row', 'data-item-id': String(p.itemId), 'data-qty': String(p.qty) },
            node('td', { dir: 'auto' }, partItems[i].name),
            node('td', { class: 'num' }, format.count(p.qty)),
            node('td', { class: 'num' }, p.unitPrice === undefined ? '—' : format.money(p.unitPrice, partItems[i].currency ?? cur))))))
      : node('p', { class: 'muted small', 'data-testid': 'services-parts' }, t('services.noPartsUsed'));
    const history = node('ol', { class: 'services__history' }, ...(tk.history ?? []).map((h) =>
      node('li', {}, node('span', { class: 'strong' }, t(`services.status.${h.status}`)), ' · ', format.dateTime(h.at), h.by ? ` · ${h.by}` : '')));

    const isOpen = tk.status in NEXT;
    const moves = isOpen
      ? node('div', { class: 'row no-print services__moves' },
        ...NEXT[tk.status].map((to) => node('button', { type: 'button', class: 'button button--primary', 'data-testid': `services-advance-${to}`, onclick: (e) => advance(to, e.currentTarget) }, t('services.moveTo', { status: t(`services.status.${to}`) }))),
        node('button', { type: 'button', class: 'button', 'data-testid': 'services-advance-cancelled', onclick: (e) => advance('cancelled', e.currentTarget) }, t('services.cancelTicket')))
      : null;

    let outcome = null;
    if (delivery) {
      const debt = delivery.debt;
      const refund = delivery.refund ?? 0;
      let text = t('services.deliveredPaid');
      if (debt) text = t('services.deliveredDebt', { amount: format.money(debt.amount, debt.currency) });
      else if (refund > 0) text = t('services.deliveredRefund', { amount: format.money(refund, cur) });
      outcome = node('p', { class: 'services__delivered', role: 'status', 'data-testid': 'services-delivered', 'data-debt': String(debt ? debt.amount : 0), 'data-refund': String(refund) }, text);
    }

    if (tk.status === 'ready') {
      charge.value = format.moneyInput((tk.estimate ?? 0) + partsTotal(tk), cur);
      paid.value = '';
      updateDue();
    }
    partChosen.textContent = t('services.noPart');
    delete partChosen.dataset.id;
    part = null;
    partQty.value = '1';

    detail.replaceChildren(
      node('div', { class: 'services__detail-head' },
        node('h2', { class: 'card__title', 'data-testid': 'services-detail-number' }, t('services.ticket', { number: tk.number ?? '—' })),
        node('button', { type: 'button', class: 'button no-print', 'data-testid': 'services-print', onclick: printTicket }, t('common.print'))),
      printStatus,
      node('p', { class: 'print-only services__shop' }, t('services.printHeader', { store: ctx.session.store?.name ?? '' })),
      node('div', { class: 'services__detail-body' },
        node('div', { class: 'services__info' },
          facts,
          node('h3', { class: 'card__subtitle' }, t('services.partsTitle')),
          parts,
          outcome,
          node('h3', { class: 'card__subtitle' }, t('services.history')),
          history),
        node('div', { class: 'services__actions no-print' },
          detailError.el,
          moves,
          isOpen ? partForm : null,
          tk.status === 'ready' ? deliverForm : null)));
    detail.hidden = false;
    detail.dataset.id = String(tk.id);
    detail.dataset.status = tk.status;
    await reloadBoard();
  }

  // On the receipt printer when one is set up (drawn as a paper, see
  // papers.js); else the print dialog, whose stylesheet shows only the
  // ticket while body[data-print] says so (the 80 mm roll).
  async function printTicket() {
    printStatus.hidden = true;
    try {
      if (!(await hasPrinter())) return printOnly('ticket');
      await printPaper(ticketPaper(open, paperFacts()), { what: 'ticket' });
      said({ text: t('sale.printed'), kind: 'ok' });
    } catch (err) {
      said({ text: `${t(`error.${err.code ?? 'Internal'}`)}: ${err.message}`, kind: 'error' });
    }
    return null;
  }

  function paperFacts() {
    return { ...shown, shopName: ctx.session?.settings?.shopName ?? '', storeName: ctx.session.store?.name ?? '', t, format };
  }

  function said(message) {
    if (!message) return;
    printStatus.textContent = message.text;
    printStatus.dataset.kind = message.kind;
    printStatus.hidden = false;
  }

  function act(button, run) {
    return busy(button, detailError, run);
  }

  function advance(to, button) {
    return act(button, async () => {
      const tk = await api.advanceTicket(open.id, to);
      const cur = ticketCurrency(tk);
      status.set(to === 'cancelled'
        ? t('services.cancelled', { number: tk.number ?? '', deposit: format.money(tk.depositReturned ?? 0, cur) })
        : t('services.moved', { number: tk.number ?? '', status: t(`services.status.${to}`) }), 'ok');
      await show(tk);
    });
  }

  partUse.addEventListener('click', () => act(partUse, async () => {
    if (!part) throw { code: 'Validation', message: t('services.needPart') };
    const qty = format.parseQty(partQty.value);
    if (qty === null || qty <= 0) throw { code: 'Validation', message: t('services.badQty') };
    const tk = await api.usePart(open.id, part.id, qty);
    status.set(t('services.partUsed', { qty: format.count(qty), name: part.name, number: tk.number ?? '' }), 'ok');
    partPicker.input.value = '';
    partPicker.clear();
    await show(tk);
  }));

  onSubmit(deliverForm, { button: deliverSubmit, error: detailError }, async () => {
    const cur = ticketCurrency(open);
    const c = moneyOr(charge, cur, null);
    const p = moneyOr(paid, cur, 0);
    if (charge.value.trim() !== '' && c === null) throw { code: 'Validation', message: t('services.badAmount', { currency: cur }) };
    if (p === null) throw { code: 'Validation', message: t('services.badAmount', { currency: cur }) };
    const delivery = await api.deliverTicket(open.id, c, p);
    status.set(t('services.deliveredStatus', { number: delivery.ticket.number ?? '' }), 'ok');
    await show(delivery.ticket, delivery);
    // The delivery receipt, on the receipt printer; cash taken opens the drawer.
    said(await printOnPrinter(deliveryPaper(delivery, paperFacts()), { t, what: 'delivery', drawer: p > 0 ? 'cash' : '' }));
  });

  root.append(
    screenHead(t('services.title'), t('services.lead'), newButton),
    newForm,
    node('div', { class: 'services' },
      node('div', { class: 'services__board', 'data-testid': 'services-board' }, ...columns.map((c) => c.el)),
      detail),
  );

  columns.forEach((c) => c.page.first().catch((err) => status.error(err)));

  return {
    unmount() {},
    onKey(e) {
      if (e.key === 'Escape' && !newForm.hidden) {
        newForm.hidden = true;
        return true;
      }
      // Search (F3): the part search of an open ticket, else a customer for a new one.
      if (e.key === 'F3') {
        if (partForm.isConnected && !detail.hidden) partPicker.focus();
        else {
          newForm.hidden = false;
          customerSearch.focus();
        }
        return true;
      }
      return false;
    },
  };
}
