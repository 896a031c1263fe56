// The receipt of a sale: what the till shows after Pay, prints (on the
// receipt printer as a drawn paper, or on the 80 mm roll through the print
// dialog: the print rules are in css/screens/sale.css) and shows again from
// the recent invoices. Drawn from the invoice as Rust stored it; the screen
// and the paper read the same facts (`facts`).
import { node, errorText } from './dom.js';
import { convert, other } from './rate.js';
import { printPaper, printer } from './print.js';
import { api } from './api.js';

// What both the screen and the paper show.
function facts(sold, step) {
  const { invoice } = sold;
  const info = sold.receipt ?? {};
  const cur = invoice.currency;
  const [oc, oa] = info.otherTotal ?? [other(cur), convert(invoice.total, cur, other(cur), invoice.rate, step)];
  const changeCurrency = sold.changeCurrency ?? invoice.changeCurrency ?? cur;
  const change = sold.change ?? invoice.change ?? 0;
  // A receipt shown again has no debt record with it: what was not paid is the debt it opened.
  const unpaid = invoice.paid !== undefined && invoice.paid !== null ? invoice.total - invoice.paid : 0;
  const debt = sold.debt ? [sold.debt.amount, sold.debt.currency] : unpaid > 0 ? [unpaid, cur] : null;
  const names = info.itemNames ?? {};
  const lineName = (l) => l.name ?? names[String(l.itemId)] ?? String(l.itemId);
  return { invoice, info, cur, oc, oa, changeCurrency, change, debt, lineName };
}

// The mark a receipt shown again carries: null for the first print, else
// 'copy' | 'returned' | 'partlyReturned'. returned: quantity returned per item id.
export function receiptMark(invoice, returned = {}) {
  const sold = {};
  for (const l of invoice.lines ?? []) sold[String(l.itemId)] = (sold[String(l.itemId)] ?? 0) + l.qty;
  const back = Object.entries(returned ?? {}).filter(([, q]) => q > 0);
  if (back.length === 0) return 'copy';
  return Object.entries(sold).every(([id, q]) => (returned[id] ?? 0) >= q) ? 'returned' : 'partlyReturned';
}

const MARK_KEYS = { copy: 'sale.markCopy', returned: 'sale.markReturned', partlyReturned: 'sale.markPartlyReturned' };

// sold: { invoice, change?, changeCurrency?, debt?, receipt?: { shopName,
// receiptHeader, storeName, itemNames, otherTotal } } (the `sell` result, or
// an invoice shown again). Returns the receipt's children.
export function receiptContent(sold, { t, format, step, customerName = null, mark = null }) {
  const money = format.money;
  const { invoice, info, cur, oc, oa, changeCurrency, change, debt, lineName } = facts(sold, step);
  const row = (label, value, testid, cls = '') =>
    node('div', { class: `receipt__row ${cls}` }, node('span', {}, label), node('span', { class: 'num', 'data-testid': testid }, value));

  return [
    mark ? node('div', { class: 'receipt__mark', 'data-testid': 'sale-receipt-mark', 'data-mark': mark }, t(MARK_KEYS[mark])) : null,
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
            node('div', { dir: 'auto', 'data-testid': 'sale-receipt-line-name' }, lineName(l)),
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

// The receipt as a paper for the receipt printer (see print.js): the same
// facts as the screen, in the same order.
export function receiptPaper(sold, { t, format, step, customerName = null, mark = null }) {
  const money = format.money;
  const { invoice, info, cur, oc, oa, changeCurrency, change, debt, lineName } = facts(sold, step);
  return [
    mark ? { mark: t(MARK_KEYS[mark]) } : null,
    { text: info.shopName ?? '', align: 'center', size: 1.5, bold: true },
    info.receiptHeader ? { text: info.receiptHeader, align: 'center' } : null,
    info.storeName ? { text: info.storeName, align: 'center', size: 0.85 } : null,
    { rule: true },
    { pair: [t('sale.receiptNumber'), String(invoice.number)], bold: true },
    { text: format.dateTime(invoice.createdAt), size: 0.85 },
    invoice.cashier ? { text: t('sale.receiptCashier', { name: invoice.cashier }), size: 0.85 } : null,
    customerName ? { text: t('sale.receiptCustomer', { name: customerName }), size: 0.85 } : null,
    { rule: true },
    ...invoice.lines.flatMap((l) => [
      { pair: [lineName(l), money(l.total ?? l.unitPrice * l.qty, cur)] },
      { text: `${format.count(l.qty)} × ${money(l.unitPrice, l.currency ?? cur)}${l.discount ? ` − ${money(l.discount, cur)}` : ''}`, size: 0.85 },
    ]),
    { rule: true },
    invoice.discount ? { pair: [t('sale.subtotal'), money(invoice.subtotal ?? invoice.total, cur)] } : null,
    invoice.discount ? { pair: [t('sale.invoiceDiscount'), money(invoice.discount, cur)] } : null,
    { pair: [t('sale.total'), money(invoice.total, cur)], size: 1.3, bold: true },
    oa !== null && oa !== undefined ? { pair: [t('sale.otherTotal'), money(oa, oc)] } : null,
    invoice.rate ? { pair: [t('sale.rate'), t('sale.rateValue', { rate: format.count(Number(invoice.rate)) })], size: 0.85 } : null,
    { rule: true },
    ...(invoice.payments ?? []).map((p) => ({ pair: [t('sale.tendered', { currency: p.currency }), money(p.amount, p.currency)] })),
    { pair: [t('sale.change'), money(change, changeCurrency)] },
    debt ? { pair: [t('sale.receiptDebt'), money(debt[0], debt[1])], bold: true } : null,
    { gap: 12 },
    { text: t('sale.thanks'), align: 'center' },
  ];
}

// Prints a receipt: on the receipt printer when one is set up (opening the
// drawer for a sale just paid in cash: `drawer: 'invoice:<number>'`), else
// through the print dialog on the 80 mm roll (the print rules of sale.css
// apply while body[data-print=receipt] is set; the page size is the static
// `@page` rule there, the CSP allows no style added at run time).
export function printReceipt(paper, { drawer = '', copies = 1 } = {}) {
  return printPaper(paper, { what: 'receipt', drawer, copies });
}

// Printing what the receipt view shows, with its message under the
// buttons (`el`). show() names the receipt on screen; print() prints it:
// `afterSale` is the print as the sale is stored (the configured copies,
// only when printing after a sale is on, and the drawer for cash taken;
// nothing on the print dialog), else a print asked for (one copy, no drawer).
export function receiptPrinter({ t, format, step }) {
  const el = node('p', { class: 'small no-print', 'data-testid': 'sale-print-status', role: 'status', hidden: true });
  let shown = null;
  function say(text, kind) {
    el.textContent = text;
    el.dataset.kind = kind;
    el.hidden = false;
  }
  async function print({ afterSale = false } = {}) {
    if (!shown) return;
    el.hidden = true;
    const drawer = afterSale ? `invoice:${shown.sold.invoice.number}` : '';
    try {
      const { settings, dots } = await printer();
      if (afterSale && settings.connection.kind === 'none') return;
      if (afterSale && !settings.autoPrint) {
        await api.printPaper(new Uint8Array(0), { width: dots, drawer });
        return;
      }
      const paper = receiptPaper(shown.sold, { t, format, step: step(), customerName: shown.customerName, mark: shown.mark });
      const done = await printReceipt(paper, { drawer, copies: afterSale ? settings.copies : 1 });
      if (!done.dialog) say(t('sale.printed'), 'ok');
    } catch (err) {
      say(`${errorText(t, err)} ${t('sale.printAgain')}`, 'error');
    }
  }
  return {
    el,
    show(sold, customerName = null, mark = null) {
      shown = { sold, customerName, mark };
      el.hidden = true;
    },
    print,
  };
}

// The refund receipt of a return: ret is the return_sale result, found the
// invoice it returned from ({ invoice, itemNames }).
export function refundPaper(ret, found, { t, format, shopName = '' }) {
  const money = format.money;
  const cur = ret.currency ?? found.invoice.currency;
  const debtReduced = Number(ret.debtReduced ?? 0);
  const cashRefund = Number(ret.cashRefund ?? ret.refund - debtReduced);
  const names = found.itemNames ?? {};
  return [
    { mark: t('sale.markRefund') },
    { text: shopName, align: 'center', size: 1.5, bold: true },
    { rule: true },
    { pair: [t('sale.refundNumber'), String(ret.number)], bold: true },
    { pair: [t('sale.receiptNumber'), String(found.invoice.number)] },
    ret.createdAt ? { text: format.dateTime(ret.createdAt), size: 0.85 } : null,
    ret.cashier ? { text: t('sale.receiptCashier', { name: ret.cashier }), size: 0.85 } : null,
    { rule: true },
    ...(ret.lines ?? []).map((l) => ({ pair: [`${format.count(l.qty)} × ${names[String(l.itemId)] ?? String(l.itemId)}`, l.amount !== undefined && l.amount !== null ? money(l.amount, cur) : ''] })),
    { rule: true },
    { pair: [t('sale.refundTotal'), money(ret.refund, cur)], size: 1.3, bold: true },
    debtReduced ? { pair: [t('sale.refundDebt'), money(debtReduced, cur)] } : null,
    { pair: [t('sale.refundCash'), money(cashRefund, cur)], bold: true },
    ret.reason ? { text: ret.reason, size: 0.85 } : null,
    ret.approvedBy ? { text: t('sale.refundApprovedBy', { name: ret.approvedBy }), size: 0.85 } : null,
  ];
}

// Prints a return's refund receipt on the receipt printer, opening the
// drawer when cash goes back (nothing without a receipt printer: the
// screen shows the return). → a message for the screen, or null.
export async function printRefund(ret, found, { t, format, shopName }) {
  try {
    const { settings } = await printer();
    if (settings.connection.kind === 'none') return null;
    const paper = refundPaper(ret, found, { t, format, shopName });
    const debtReduced = Number(ret.debtReduced ?? 0);
    const cash = Number(ret.cashRefund ?? ret.refund - debtReduced) > 0;
    await printPaper(paper, { what: 'refund', drawer: cash ? 'cash' : '' });
    return { text: t('sale.printed'), kind: 'ok' };
  } catch (err) {
    return { text: errorText(t, err), kind: 'error' };
  }
}
