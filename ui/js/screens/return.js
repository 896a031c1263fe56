// Return Sale screen: find an invoice by its number (or choose it from a
// search by customer, item or date), see what was sold and
// what earlier returns already took back, choose how many to take back now
// and why. Rust prices the refund (at the invoice's own rate) and refuses a
// large one without a manager: then a manager types their name and PIN here
// and the same return is sent again with that approval.
import { node, field, errorBox, errorText, actionRow, userText } from '../dom.js';
import { screenHead } from '../screen.js';
import { printRefund } from '../receipt.js';

const APPROVAL_CODES = ['ApprovalNeeded', 'ApprovalRequired'];

export function mount(root, ctx) {
  const { api, t, format, status } = ctx;
  const money = format.money;
  let found = null; // { invoice, returned, itemNames }
  let rows = []; // { itemId, name, sold, returned, input }
  let pending = null; // the ReturnInput waiting for a manager

  const number = node('input', { type: 'search', inputMode: 'numeric', autocomplete: 'off', 'data-role': 'search', 'data-testid': 'return-number', placeholder: t('return.numberPlaceholder') });
  const find = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'return-find' }, t('return.find'));
  const findError = errorBox(t, 'return-find-error');
  const findForm = node('form', { class: 'card form return-find', 'data-testid': 'return-find-form' },
    node('div', { class: 'row' }, node('div', { class: 'grow' }, field(t('return.number'), number)), find),
    findError.el);

  // Or find it by customer, item or date: a list to choose from.
  const byCustomer = node('input', { type: 'search', autocomplete: 'off', 'data-testid': 'return-search-customer' });
  const byItem = node('input', { type: 'search', autocomplete: 'off', 'data-testid': 'return-search-item' });
  const fromDay = node('input', { type: 'date', 'data-testid': 'return-search-from' });
  const toDay = node('input', { type: 'date', 'data-testid': 'return-search-to' });
  const searchButton = node('button', { type: 'submit', class: 'button', 'data-testid': 'return-search' }, t('return.search'));
  const searchError = errorBox(t, 'return-search-error');
  const results = node('ul', { class: 'history', 'data-testid': 'return-results' });
  const searchForm = node('form', { class: 'card form return-search', 'data-testid': 'return-search-form' },
    node('p', { class: 'muted small' }, t('return.searchLead')),
    node('div', { class: 'row' },
      node('div', { class: 'grow' }, field(t('return.searchCustomer'), byCustomer)),
      node('div', { class: 'grow' }, field(t('return.searchItem'), byItem))),
    node('div', { class: 'row' },
      node('div', {}, field(t('return.searchFrom'), fromDay)),
      node('div', {}, field(t('return.searchTo'), toDay)),
      searchButton),
    searchError.el,
    results);

  const invoiceCard = node('section', { class: 'card return-invoice', 'data-testid': 'return-invoice', hidden: true });
  const reason = node('input', { autocomplete: 'off', 'data-testid': 'return-reason', placeholder: t('return.reasonPlaceholder') });
  const submit = node('button', { type: 'submit', class: 'button button--primary button--large', 'data-testid': 'return-submit' }, t('return.submit'));
  const error = errorBox(t, 'return-error');
  const linesBody = node('tbody', {});
  const facts = node('dl', { class: 'facts' });
  const returnForm = node('form', { class: 'form' },
    node('table', { class: 'table', 'data-testid': 'return-lines' },
      node('thead', {}, node('tr', {},
        node('th', { scope: 'col' }, t('return.item')),
        node('th', { scope: 'col', class: 'num' }, t('return.sold')),
        node('th', { scope: 'col', class: 'num' }, t('return.alreadyReturned')),
        node('th', { scope: 'col', class: 'num' }, t('return.paidEach')),
        node('th', { scope: 'col', class: 'num' }, t('return.qty')))),
      linesBody),
    field(t('return.reason'), reason),
    actionRow(error, submit));
  invoiceCard.append(node('h2', { class: 'card__title', 'data-testid': 'return-invoice-title' }), facts, returnForm);

  const result = node('section', { class: 'card return-result', 'data-testid': 'return-result', role: 'status', hidden: true });
  const approval = approvalDialog();

  root.append(
    screenHead(t('return.title'), t('return.lead')),
    findForm,
    searchForm,
    result,
    invoiceCard,
    approval.el);

  findForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    findError.clear();
    const n = format.parseQty(number.value);
    if (n === null || n < 1) {
      findError.show({ code: 'Validation', message: t('return.badNumber') });
      return;
    }
    result.hidden = true;
    await load(n);
  });

  // A day typed in the date field, as local midnight in ms.
  const dayStart = (value, days = 0) => {
    if (!value) return null;
    const d = new Date(`${value}T00:00`);
    d.setDate(d.getDate() + days);
    return d.getTime();
  };

  searchForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    searchError.clear();
    const find = {
      customer: byCustomer.value.trim() || null,
      item: byItem.value.trim() || null,
      fromMs: dayStart(fromDay.value),
      toMs: dayStart(toDay.value, 1),
    };
    if (!find.customer && !find.item && find.fromMs === null && find.toMs === null) {
      searchError.show({ code: 'Validation', message: t('return.searchEmpty') });
      return;
    }
    searchButton.disabled = true;
    try {
      const list = await api.recentInvoices({ offset: 0, limit: 50 }, find);
      results.replaceChildren(...(list.length === 0
        ? [node('li', { class: 'muted', 'data-testid': 'return-results-none' }, t('return.searchNone'))]
        : list.map((inv) => node('li', { class: 'history__item', 'data-testid': 'return-found', 'data-number': String(inv.number) },
          node('span', { class: 'history__reason' }, t('return.invoiceTitle', { number: inv.number })),
          node('span', { class: 'history__when' }, format.dateTime(inv.createdAt)),
          node('span', {}, inv.customerName ?? t('return.noCustomer')),
          node('span', { class: 'num' }, money(inv.total, inv.currency)),
          node('button', { type: 'button', class: 'button button--small', 'data-testid': 'return-found-open',
            onclick: () => { result.hidden = true; load(inv.number); } }, t('return.open'))))));
    } catch (err) {
      searchError.show(err);
    } finally {
      searchButton.disabled = false;
    }
  });

  async function load(n) {
    find.disabled = true;
    try {
      const got = await api.invoiceByNumber(n);
      if (!got) {
        found = null;
        invoiceCard.hidden = true;
        findError.show({ code: 'NotFound', message: t('return.noInvoice', { number: n }) });
        return;
      }
      found = got;
      drawInvoice();
    } catch (err) {
      findError.show(err);
    } finally {
      find.disabled = false;
    }
  }

  function drawInvoice() {
    const { invoice } = found;
    const returned = found.returned ?? {};
    const names = found.itemNames ?? {};
    const cur = invoice.currency;
    error.clear();
    reason.value = '';
    invoiceCard.querySelector('.card__title').textContent = t('return.invoiceTitle', { number: invoice.number });
    facts.replaceChildren(
      node('dt', {}, t('return.date')), node('dd', {}, format.dateTime(invoice.createdAt)),
      node('dt', {}, t('return.total')), node('dd', { 'data-testid': 'return-invoice-total' }, money(invoice.total, cur)),
      node('dt', {}, t('return.paid')), node('dd', {}, money(invoice.paid ?? invoice.total, cur)),
      invoice.rate ? node('dt', {}, t('return.rate')) : null,
      invoice.rate ? node('dd', {}, t('return.rateValue', { rate: format.count(Number(invoice.rate)) })) : null,
      invoice.cashier ? node('dt', {}, t('return.cashier')) : null,
      invoice.cashier ? node('dd', {}, invoice.cashier) : null);
    // An item may be on several lines; a return counts it per item, as Rust does.
    const byItem = new Map();
    for (const l of invoice.lines) {
      const id = String(l.itemId);
      const row = byItem.get(id) ?? { itemId: id, name: l.name ?? names[id] ?? id, sold: 0, paid: 0 };
      row.sold += l.qty;
      row.paid += l.total ?? l.unitPrice * l.qty;
      byItem.set(id, row);
    }
    rows = [...byItem.values()].map((r) => ({ ...r, returned: Number(returned[r.itemId] ?? 0) }));
    linesBody.replaceChildren(...rows.map((r) => {
      const left = r.sold - r.returned;
      r.input = node('input', { class: 'return-qty', inputMode: 'numeric', autocomplete: 'off', 'data-testid': 'return-line-qty', value: '', placeholder: '0', disabled: left <= 0, 'aria-label': t('return.qtyOf', { name: r.name, left }) });
      return node('tr', { 'data-testid': 'return-line', 'data-item-id': r.itemId },
        node('th', { scope: 'row' }, userText(r.name)),
        node('td', { class: 'num', 'data-testid': 'return-line-sold' }, format.count(r.sold)),
        node('td', { class: 'num', 'data-testid': 'return-line-returned' }, format.count(r.returned)),
        node('td', { class: 'num' }, money(Math.floor(r.paid / r.sold), cur)),
        node('td', { class: 'num' }, r.input, node('span', { class: 'small muted return-left' }, t('return.left', { left: format.count(left) }))));
    }));
    invoiceCard.hidden = false;
    rows.find((r) => !r.input.disabled)?.input.focus();
  }

  returnForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.clear();
    if (!found) return;
    const lines = [];
    for (const r of rows) {
      const text = r.input.value.trim();
      if (text === '' || r.input.disabled) continue;
      const qty = format.parseQty(text);
      const left = r.sold - r.returned;
      if (qty === null || qty < 0 || qty > left) {
        error.show({ code: 'Validation', message: t('return.badQty', { name: r.name, left }) });
        r.input.focus();
        return;
      }
      if (qty > 0) lines.push({ itemId: r.itemId, qty });
    }
    if (lines.length === 0) {
      error.show({ code: 'Validation', message: t('return.nothingChosen') });
      return;
    }
    const input = { invoiceId: String(found.invoice.id), lines, reason: reason.value.trim() || null };
    submit.disabled = true;
    try {
      done(await api.returnSale(input, null));
    } catch (err) {
      if (APPROVAL_CODES.includes(err.code)) {
        pending = input;
        approval.open(err);
      } else {
        error.show(err);
      }
    } finally {
      submit.disabled = false;
    }
  });

  function done(ret) {
    const cur = ret.currency ?? found.invoice.currency;
    const debtReduced = Number(ret.debtReduced ?? 0);
    const cashRefund = Number(ret.cashRefund ?? ret.refund - debtReduced);
    result.replaceChildren(
      node('h2', { class: 'card__title' }, t('return.doneTitle', { number: ret.number })),
      node('dl', { class: 'facts' },
        node('dt', {}, t('return.refund')), node('dd', { class: 'strong', 'data-testid': 'return-refund' }, money(ret.refund, cur)),
        node('dt', {}, t('return.debtReduced')), node('dd', { 'data-testid': 'return-debt-reduced' }, money(debtReduced, cur)),
        node('dt', {}, t('return.cashRefund')), node('dd', { class: 'strong', 'data-testid': 'return-cash-refund' }, money(cashRefund, cur)),
        ret.approvedBy ? node('dt', {}, t('return.approvedBy')) : null,
        ret.approvedBy ? node('dd', { 'data-testid': 'return-approved-by' }, ret.approvedBy) : null));
    result.hidden = false;
    status.set(t('return.done', { number: ret.number, amount: money(cashRefund, cur) }), 'ok');
    // The refund receipt, after the return is stored.
    const printed = node('p', { class: 'small', 'data-testid': 'return-print-status', role: 'status', hidden: true });
    result.append(printed);
    printRefund(ret, found, { t, format, shopName: ctx.session?.settings?.shopName ?? '' }).then((said) => {
      if (!said) return;
      printed.textContent = said.text;
      printed.dataset.kind = said.kind;
      printed.hidden = false;
    });
    pending = null;
    // Show the invoice again with what is now returned.
    load(found.invoice.number);
  }

  function approvalDialog() {
    const name = node('select', { 'data-testid': 'return-approval-name' });
    const pin = node('input', { type: 'password', inputMode: 'numeric', autocomplete: 'off', 'data-testid': 'return-approval-pin' });
    const why = node('p', { class: 'small muted', 'data-testid': 'return-approval-why' });
    const dialogError = errorBox(t, 'return-approval-error');
    const ok = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'return-approval-submit' }, t('return.approve'));
    const cancel = node('button', { type: 'button', class: 'button', 'data-testid': 'return-approval-cancel', onclick: () => el.close() }, t('common.cancel'));
    const form = node('form', { class: 'form' },
      node('h2', {}, t('return.approvalTitle')),
      why,
      field(t('return.approvalName'), name),
      field(t('return.approvalPin'), pin),
      dialogError.el,
      node('div', { class: 'row' }, ok, cancel));
    const el = node('dialog', { class: 'dialog', 'data-testid': 'return-approval-dialog' }, form);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      dialogError.clear();
      if (!pending) return;
      ok.disabled = true;
      try {
        const ret = await api.returnSale(pending, { name: name.value, pin: pin.value });
        el.close();
        done(ret);
      } catch (err) {
        pin.value = '';
        dialogError.show(err);
        pin.focus();
      } finally {
        ok.disabled = false;
      }
    });
    return {
      el,
      async open(err) {
        dialogError.clear();
        pin.value = '';
        why.textContent = errorText(t, err);
        try {
          const users = await api.userNames();
          const managers = users.filter((u) => u.role === 'manager' || u.role === 'owner');
          name.replaceChildren(...managers.map((u) => node('option', { value: u.name }, `${u.name} (${t(`role.${u.role}`)})`)));
        } catch (loadErr) {
          dialogError.show(loadErr);
        }
        el.showModal();
        pin.focus();
      },
    };
  }

  number.focus();

  return {
    unmount() {
      if (approval.el.open) approval.el.close();
    },
    onKey(e) {
      if (e.key !== 'Escape') return false;
      if (approval.el.open) {
        approval.el.close();
        return true;
      }
      if (number.value) {
        number.value = '';
        findError.clear();
        number.focus();
        return true;
      }
      return false;
    },
  };
}
