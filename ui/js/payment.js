// The Sale screen's Pay dialog: cash taken in IQD and USD, the currency the
// change is given in, and before the sale what it will mean (the change, or
// what the chosen customer will owe, or what is still missing). The preview
// uses rate.js, the same rule as Rust; the sale itself is priced by Rust.
import { node, field, errorBox } from './dom.js';
import { convert, other } from './rate.js';

const CURRENCIES = ['IQD', 'USD'];
// Rust asks for a manager when a cashier's discounts are above the shop's share.
const APPROVAL_CODES = ['ApprovalNeeded', 'ApprovalRequired'];

// sale: what the dialog reads from the till when it opens and pays:
//   quote(), currency(), customer() ({ customer, balance } | null), rate(),
//   step(), input(payments, changeCurrency) → SaleInput, sold(result, customerName).
export function paymentDialog({ api, t, format }, sale) {
  const money = format.money;
  const totalText = node('dd', { class: 'num strong', 'data-testid': 'sale-pay-total' });
  const otherText = node('dd', { class: 'num', 'data-testid': 'sale-pay-other-total' });
  const iqd = node('input', { inputMode: 'numeric', autocomplete: 'off', 'data-testid': 'sale-tender-iqd', placeholder: '0' });
  const usd = node('input', { inputMode: 'decimal', autocomplete: 'off', 'data-testid': 'sale-tender-usd', placeholder: '0.00' });
  const changeCurrency = node('select', { 'data-testid': 'sale-change-currency' }, ...CURRENCIES.map((c) => node('option', { value: c }, c)));
  const exact = node('button', { type: 'button', class: 'button', 'data-testid': 'sale-pay-exact' }, t('sale.payExact'));
  const customerLine = node('p', { class: 'small', 'data-testid': 'sale-pay-customer' });
  const outcome = node('p', { class: 'sale-pay__outcome', 'data-testid': 'sale-pay-outcome', role: 'status' });
  const error = errorBox(t, 'sale-pay-error');
  const approverName = node('select', { 'data-testid': 'sale-approval-name' });
  const approverPin = node('input', { type: 'password', inputMode: 'numeric', autocomplete: 'off', 'data-testid': 'sale-approval-pin' });
  const approvalBox = node('div', { class: 'row', hidden: true, 'data-testid': 'sale-approval' },
    node('div', { class: 'grow' }, field(t('return.approvalName'), approverName)),
    node('div', { class: 'grow' }, field(t('return.approvalPin'), approverPin)));
  const confirm = node('button', { type: 'submit', class: 'button button--primary button--large', 'data-testid': 'sale-pay-confirm' }, t('sale.payConfirm'));
  const cancel = node('button', { type: 'button', class: 'button', 'data-testid': 'sale-pay-cancel', onclick: () => el.close() }, t('common.cancel'));
  const form = node('form', { class: 'form' },
    node('h2', {}, t('sale.payTitle')),
    node('dl', { class: 'facts' },
      node('dt', {}, t('sale.total')), totalText,
      node('dt', {}, t('sale.otherTotal')), otherText),
    node('div', { class: 'row' },
      node('div', { class: 'grow' }, field(t('sale.tenderIqd'), iqd)),
      node('div', { class: 'grow' }, field(t('sale.tenderUsd'), usd))),
    node('div', { class: 'row' },
      node('div', { class: 'grow' }, field(t('sale.changeCurrency'), changeCurrency)),
      exact),
    customerLine,
    outcome,
    approvalBox,
    error.el,
    node('div', { class: 'row' }, confirm, cancel));
  const el = node('dialog', { class: 'dialog sale-pay', 'data-testid': 'sale-pay-dialog' }, form);
  const tenderFor = (currency) => (currency === 'USD' ? usd : iqd);

  // The tendered amounts, or null (and the reason shown) when one is not an amount.
  function tenders() {
    const out = [];
    for (const [input, currency] of [[iqd, 'IQD'], [usd, 'USD']]) {
      const text = input.value.trim();
      if (text === '') continue;
      const amount = format.parseMoney(text, currency);
      if (amount === null) {
        error.show({ code: 'Validation', message: t('sale.badTender', { currency }) });
        return null;
      }
      if (amount > 0) out.push({ currency, amount });
    }
    return out;
  }

  // Complete sale is offered only when the sale can complete: the cash
  // covers the total, or a customer is chosen to owe the rest.
  let ready = false;
  let busy = false;
  function drawConfirm() {
    confirm.disabled = busy || !ready;
    confirm.dataset.ready = String(ready);
  }

  function preview() {
    ready = false;
    try {
      ready = assess();
    } finally {
      drawConfirm();
    }
  }

  function assess() {
    error.clear();
    outcome.dataset.kind = '';
    outcome.textContent = '';
    const quote = sale.quote();
    const list = tenders();
    if (!list || !quote) return false;
    const currency = sale.currency();
    const rate = quote.rate ?? sale.rate();
    let tendered = 0;
    for (const p of list) {
      // Cash counted is converted to the cent or dinar, without the price step (as in Rust).
      const value = convert(p.amount, p.currency, currency, rate, 1);
      if (value === null) {
        error.show({ code: 'Validation', message: t('sale.noRate') });
        return false;
      }
      tendered += value;
    }
    const customer = sale.customer();
    if (tendered >= quote.total) {
      const change = convert(tendered - quote.total, currency, changeCurrency.value, rate, sale.step());
      outcome.textContent = t('sale.changeDue', { amount: money(change ?? 0, changeCurrency.value) });
      outcome.dataset.kind = 'change';
      return true;
    }
    if (customer) {
      outcome.textContent = t('sale.debtWillOpen', { amount: money(quote.total - tendered, currency), name: customer.customer.name });
      outcome.dataset.kind = 'debt';
      return true;
    }
    outcome.textContent = t('sale.stillDue', { amount: money(quote.total - tendered, currency) });
    outcome.dataset.kind = 'short';
    return false;
  }

  iqd.addEventListener('input', preview);
  usd.addEventListener('input', preview);
  changeCurrency.addEventListener('change', preview);
  exact.addEventListener('click', () => {
    const quote = sale.quote();
    if (!quote) return;
    const currency = sale.currency();
    tenderFor(currency).value = format.moneyInput(quote.total, currency);
    tenderFor(other(currency)).value = '';
    preview();
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    if (busy || !ready) return;
    const list = tenders();
    if (!list) return;
    busy = true;
    drawConfirm();
    try {
      const customerName = sale.customer()?.customer?.name ?? null;
      const approval = approvalBox.hidden ? null : { name: approverName.value, pin: approverPin.value };
      const sold = await api.sell(sale.input(list, changeCurrency.value), approval);
      el.close();
      sale.sold(sold, customerName);
    } catch (err) {
      error.show(err);
      if (APPROVAL_CODES.includes(err.code) && approvalBox.hidden) {
        const users = await api.userNames().catch(() => []);
        const managers = users.filter((u) => u.role === 'manager' || u.role === 'owner');
        approverName.replaceChildren(...managers.map((u) => node('option', { value: u.name }, `${u.name} (${t(`role.${u.role}`)})`)));
        approvalBox.hidden = false;
        approverPin.focus();
      } else if (!approvalBox.hidden) {
        approverPin.value = '';
        approverPin.focus();
      }
    } finally {
      busy = false;
      drawConfirm();
    }
  });

  return {
    el,
    open() {
      const quote = sale.quote();
      const currency = sale.currency();
      const customer = sale.customer();
      error.clear();
      approvalBox.hidden = true;
      approverPin.value = '';
      iqd.value = '';
      usd.value = '';
      changeCurrency.value = currency;
      totalText.textContent = money(quote.total, currency);
      const [otherCurrency, otherAmount] = quote.otherTotal ?? [other(currency), null];
      otherText.textContent = otherAmount === null ? '—' : money(otherAmount, otherCurrency);
      customerLine.textContent = customer ? t('sale.payCustomer', { name: customer.customer.name }) : t('sale.payNoCustomer');
      el.showModal();
      preview();
      tenderFor(currency).focus();
    },
  };
}
