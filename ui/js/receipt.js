// The receipt of a sale: what the till shows after Pay, prints on the 80 mm
// roll (the print rules are in css/screens/sale.css) and shows again from
// the recent invoices. Drawn from the invoice as Rust stored it.
import { node } from './dom.js';
import { convert, other } from './rate.js';
import { printOnly } from './print.js';

// sold: { invoice, change?, changeCurrency?, debt?, receipt?: { shopName,
// receiptHeader, storeName, itemNames, otherTotal } } (the `sell` result, or
// an invoice shown again). Returns the receipt's children.
export function receiptContent(sold, { t, format, step, customerName = null }) {
  const money = format.money;
  const { invoice } = sold;
  const info = sold.receipt ?? {};
  const names = info.itemNames ?? {};
  const cur = invoice.currency;
  const [oc, oa] = info.otherTotal ?? [other(cur), convert(invoice.total, cur, other(cur), invoice.rate, step)];
  const changeCurrency = sold.changeCurrency ?? invoice.changeCurrency ?? cur;
  const change = sold.change ?? invoice.change ?? 0;
  // A receipt shown again has no debt record with it: what was not paid is the debt it opened.
  const unpaid = invoice.paid !== undefined && invoice.paid !== null ? invoice.total - invoice.paid : 0;
  const debt = sold.debt ? [sold.debt.amount, sold.debt.currency] : unpaid > 0 ? [unpaid, cur] : null;
  const row = (label, value, testid, cls = '') =>
    node('div', { class: `receipt__row ${cls}` }, node('span', {}, label), node('span', { class: 'num', 'data-testid': testid }, value));

  return [
    node('header', { class: 'receipt__head' },
      node('div', { class: 'receipt__shop' }, info.shopName ?? ''),
      info.receiptHeader ? node('div', { class: 'receipt__header-text' }, info.receiptHeader) : null,
      info.storeName ? node('div', { class: 'small' }, info.storeName) : null),
    node('div', { class: 'receipt__meta' },
      node('div', {}, t('sale.receiptNumber'), ' ', node('strong', { 'data-testid': 'sale-receipt-number' }, String(invoice.number))),
      node('div', { class: 'small' }, format.dateTime(invoice.createdAt)),
      invoice.cashier ? node('div', { class: 'small' }, t('sale.receiptCashier', { name: invoice.cashier })) : null,
      customerName ? node('div', { class: 'small', 'data-testid': 'sale-receipt-customer' }, t('sale.receiptCustomer', { name: customerName })) : null),
    node('table', { class: 'receipt__lines', 'data-testid': 'sale-receipt-lines' },
      node('tbody', {}, ...invoice.lines.map((l) =>
        node('tr', { 'data-testid': 'sale-receipt-line', 'data-item-id': String(l.itemId) },
          node('td', {},
            node('div', {}, l.name ?? names[String(l.itemId)] ?? String(l.itemId)),
            node('div', { class: 'small' }, `${format.count(l.qty)} × ${money(l.unitPrice, l.currency ?? cur)}`,
              l.discount ? ` − ${money(l.discount, cur)}` : '')),
          node('td', { class: 'num' }, money(l.total ?? l.unitPrice * l.qty, cur)))))),
    node('div', { class: 'receipt__totals' },
      invoice.discount ? row(t('sale.subtotal'), money(invoice.subtotal ?? invoice.total, cur), 'sale-receipt-subtotal') : null,
      invoice.discount ? row(t('sale.invoiceDiscount'), money(invoice.discount, cur), 'sale-receipt-discount') : null,
      row(t('sale.total'), money(invoice.total, cur), 'sale-receipt-total', 'receipt__row--total'),
      oa !== null && oa !== undefined ? row(t('sale.otherTotal'), money(oa, oc), 'sale-receipt-other-total') : null,
      invoice.rate ? row(t('sale.rate'), t('sale.rateValue', { rate: format.count(Number(invoice.rate)) }), 'sale-receipt-rate') : null),
    node('div', { class: 'receipt__totals' },
      ...(invoice.payments ?? []).map((p) => row(t('sale.tendered', { currency: p.currency }), money(p.amount, p.currency), `sale-receipt-tendered-${p.currency}`)),
      row(t('sale.change'), money(change, changeCurrency), 'sale-receipt-change'),
      debt ? row(t('sale.receiptDebt'), money(debt[0], debt[1]), 'sale-receipt-debt', 'receipt__row--debt') : null),
    node('p', { class: 'receipt__thanks' }, t('sale.thanks')),
  ];
}

// Prints the receipt on the 80 mm roll: the print rules of sale.css apply
// while body[data-print=receipt] is set (the page size is the static
// `@page` rule there; the CSP allows no style added at run time).
export function printReceipt() {
  return printOnly('receipt');
}
