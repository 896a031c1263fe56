// Debts screen: what customers still owe, newest first, a page at a time.
// A payment can be taken in IQD or USD (Rust credits the other currency at
// today's rate, and refuses more than is left); a manager can settle what
// is left in one step.
import { node, field, errorBox, pager, actionRow, userText } from '../dom.js';
import { screenHead } from '../screen.js';
import { convert } from '../rate.js';
import { onSubmit, invalid } from '../form.js';
import { confirmDialog } from '../confirm.js';
import { debtPaymentPaper, printOnPrinter } from '../papers.js';

export function mount(root, ctx) {
  const { api, t, format, status } = ctx;
  const money = format.money;
  const canSettle = () => ['manager', 'owner'].includes(ctx.session?.user?.role);

  const body = node('tbody', { 'data-testid': 'debts-lines' });
  const empty = node('p', { class: 'muted', 'data-testid': 'debts-empty', hidden: true }, t('debts.empty'));
  const listError = errorBox(t, 'debts-error');
  const result = node('p', { class: 'debts-result', 'data-testid': 'debts-result', role: 'status', hidden: true });
  const printStatus = node('p', { class: 'small', 'data-testid': 'debts-print-status', role: 'status', hidden: true });
  const table = node('table', { class: 'table', 'data-testid': 'debts-list' },
    node('thead', {}, node('tr', {},
      node('th', { scope: 'col' }, t('debts.customer')),
      node('th', { scope: 'col' }, t('debts.date')),
      node('th', { scope: 'col' }, t('debts.source')),
      node('th', { scope: 'col', class: 'num' }, t('debts.amount')),
      node('th', { scope: 'col', class: 'num' }, t('debts.remaining')),
      node('th', { scope: 'col' }, node('span', { class: 'visually-hidden' }, t('debts.actions'))))),
    body);
  const list = pager(t, 'debts', (page) => api.openDebts(page), draw);
  const payment = payDialog();
  const settle = settleDialog();

  root.append(
    screenHead(t('debts.title'), t('debts.lead')),
    result,
    printStatus,
    node('section', { class: 'card' }, table, empty, listError.el, list.el),
    payment.el,
    settle.el);

  function sourceText(debt) {
    const source = debt.source ?? 'manual';
    return t(`debts.source.${source}`) === `debts.source.${source}` ? source : t(`debts.source.${source}`);
  }

  function draw(rows) {
    empty.hidden = rows.length > 0;
    table.hidden = rows.length === 0;
    body.replaceChildren(...rows.map((row) => {
      const { debt } = row;
      return node('tr', { 'data-testid': 'debts-row', 'data-debt-id': String(debt.id) },
        node('th', { scope: 'row', 'data-testid': 'debts-customer' }, userText(row.customerName)),
        node('td', {}, format.date(debt.createdAt)),
        node('td', {}, sourceText(debt)),
        node('td', { class: 'num', 'data-testid': 'debts-amount' }, money(debt.amount, debt.currency)),
        node('td', { class: 'num strong', 'data-testid': 'debts-remaining' }, money(row.remaining, debt.currency)),
        node('td', { class: 'debts-actions' },
          node('button', { type: 'button', class: 'button', 'data-testid': 'debts-pay', onclick: () => payment.open(row) }, t('debts.pay')),
          canSettle() ? node('button', { type: 'button', class: 'button', 'data-testid': 'debts-settle', onclick: () => settle.open(row) }, t('debts.settle')) : null));
    }));
  }

  function reload() {
    return list.reload().catch((err) => listError.show(err));
  }

  // after: the debt row as it is after the payment ({ debt, customerName, remaining }).
  function showResult(before, after) {
    const left = after.remaining;
    const name = after.customerName ?? before.customerName ?? '';
    result.textContent = left > 0
      ? t('debts.paidLeft', { name, left: money(left, after.debt.currency) })
      : t('debts.paidOff', { name });
    result.dataset.left = String(left);
    result.hidden = false;
    status.set(result.textContent, 'ok');
  }

  function payDialog() {
    const who = node('p', { class: 'strong', 'data-testid': 'debts-pay-who' });
    const currency = node('select', { 'data-testid': 'debts-pay-currency' }, node('option', { value: 'IQD' }, 'IQD'), node('option', { value: 'USD' }, 'USD'));
    const amount = node('input', { inputMode: 'decimal', autocomplete: 'off', 'data-testid': 'debts-pay-amount' });
    const credit = node('p', { class: 'small', 'data-testid': 'debts-pay-credit' });
    const error = errorBox(t, 'debts-pay-error');
    const ok = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'debts-pay-submit' }, t('debts.payConfirm'));
    const cancel = node('button', { type: 'button', class: 'button', onclick: () => el.close() }, t('common.cancel'));
    const form = node('form', { class: 'form' },
      node('h2', {}, t('debts.payTitle')),
      who,
      node('div', { class: 'row' },
        node('div', {}, field(t('debts.currency'), currency)),
        node('div', { class: 'grow' }, field(t('debts.payAmount'), amount))),
      credit,
      actionRow(error, ok, cancel));
    const el = node('dialog', { class: 'dialog', 'data-testid': 'debts-pay-dialog' }, form);
    let row = null;

    function preview() {
      credit.textContent = '';
      if (!row) return;
      const value = format.parseMoney(amount.value, currency.value);
      if (value === null || currency.value === row.debt.currency) return;
      const credited = convert(value, currency.value, row.debt.currency, ctx.session?.rates?.iqdPerUsd, 1);
      credit.textContent = credited === null ? t('debts.noRate') : t('debts.credits', { amount: money(credited, row.debt.currency) });
    }
    amount.addEventListener('input', preview);
    currency.addEventListener('change', preview);

    onSubmit(form, { button: ok, error }, async () => {
      const value = format.parseMoney(amount.value, currency.value);
      if (value === null || value <= 0) throw invalid(t('debts.badAmount', { currency: currency.value }), amount);
      const paid = { amount: value, currency: currency.value };
      const after = await api.payDebt(String(row.debt.id), paid.currency, paid.amount);
      el.close();
      showResult(row, after);
      reload();
      // The payment's receipt on the receipt printer; the cash opens the drawer.
      const paper = debtPaymentPaper(row, after, paid, { shopName: ctx.session?.settings?.shopName ?? '', cashier: ctx.session?.user?.name ?? '', t, format });
      const said = await printOnPrinter(paper, { t, what: 'debt-payment', drawer: 'cash' });
      if (said) {
        printStatus.textContent = said.text;
        printStatus.dataset.kind = said.kind;
        printStatus.hidden = false;
      }
    });
    return {
      el,
      open(r) {
        row = r;
        error.clear();
        printStatus.hidden = true;
        who.textContent = t('debts.payWho', { name: r.customerName ?? '', left: money(r.remaining, r.debt.currency) });
        currency.value = r.debt.currency;
        amount.value = '';
        credit.textContent = '';
        el.showModal();
        amount.focus();
      },
    };
  }

  function settleDialog() {
    return confirmDialog(t, {
      testid: 'debts-settle',
      title: t('debts.settleTitle'),
      confirm: t('debts.settleConfirm'),
      confirmClass: 'button--primary',
      describe: (r) => t('debts.settleWhat', { name: r.customerName ?? '', left: money(r.remaining, r.debt.currency) }),
      act: (r) => api.settleDebt(String(r.debt.id)),
      after(r, settled) {
        showResult(r, settled);
        reload();
      },
    });
  }

  list.first().catch((err) => listError.show(err));

  return {
    unmount() {
      for (const d of [payment.el, settle.el]) if (d.open) d.close();
    },
    onKey(e) {
      if (e.key !== 'Escape') return false;
      const d = [payment.el, settle.el].find((x) => x.open);
      if (!d) return false;
      d.close();
      return true;
    },
  };
}
