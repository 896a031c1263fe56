// The papers other than a sale's receipt that the till hands out, as
// blocks for the receipt printer (see print.js): a repair ticket, its
// delivery receipt and the receipt of a payment on a debt. Each prints on
// the receipt printer when one is set up; the ticket falls back to the
// print dialog, the receipts need a printer (without one the screen shows
// what happened).
import { printPaper, printer } from './print.js';

// The lines of a repair ticket: the shop, the ticket and its customer,
// device, fault, money and parts. who: { name, phone } | null; parts:
// [{ name, qty, unitPrice, currency }].
export function ticketPaper(tk, { who, parts, shopName = '', storeName = '', t, format }) {
  const cur = tk.currency ?? 'IQD';
  const money = (a, c = cur) => format.money(a ?? 0, c);
  return [
    { text: shopName, align: 'center', size: 1.5, bold: true },
    storeName ? { text: t('services.printHeader', { store: storeName }), align: 'center', size: 0.85 } : null,
    { rule: true },
    { pair: [t('services.ticket', { number: tk.number ?? '—' }), t(`services.status.${tk.status}`)], bold: true },
    { text: format.dateTime(tk.createdAt), size: 0.85 },
    { pair: [t('services.customer'), who ? who.name : '—'] },
    who?.phone ? { text: who.phone, align: 'end', size: 0.85 } : null,
    { pair: [t('services.device'), tk.device ?? ''] },
    tk.fault ? { pair: [t('services.fault'), tk.fault] } : null,
    { rule: true },
    { pair: [t('services.estimate'), money(tk.estimate)] },
    { pair: [t('services.deposit'), money(tk.deposit)] },
    ...(parts.length ? [{ rule: true }, { text: t('services.partsTitle'), bold: true }] : []),
    ...parts.map((p) => ({ pair: [`${format.count(p.qty)} × ${p.name}`, p.unitPrice === undefined ? '' : money(p.unitPrice, p.currency ?? cur)] })),
  ];
}

// The delivery receipt: the ticket's lines, then what was charged, paid
// and left (delivery: the deliver_ticket result { ticket, debt, refund }).
export function deliveryPaper(delivery, { who, parts, shopName = '', storeName = '', t, format }) {
  const tk = delivery.ticket;
  const cur = tk.currency ?? 'IQD';
  const money = (a, c = cur) => format.money(a ?? 0, c);
  const debt = delivery.debt;
  const refund = delivery.refund ?? 0;
  return [
    { mark: t('services.deliveryMark') },
    ...ticketPaper(tk, { who, parts, shopName, storeName, t, format }),
    { rule: true },
    { pair: [t('services.charge'), money(tk.charge)], size: 1.3, bold: true },
    { pair: [t('services.paid'), money(tk.paidAtDelivery)] },
    refund > 0 ? { pair: [t('services.depositReturned'), money(refund)], bold: true } : null,
    debt ? { pair: [t('services.receiptDebt'), money(debt.amount, debt.currency)], bold: true } : null,
    { gap: 12 },
    { text: t('sale.thanks'), align: 'center' },
  ];
}

// The receipt of a payment on a debt: who paid what, and what is left.
// before: the debt row paid on; after: the pay_debt result; paid: { amount, currency }.
export function debtPaymentPaper(before, after, paid, { shopName = '', cashier = '', t, format }) {
  const left = after.remaining;
  return [
    { mark: t('debts.receiptMark') },
    { text: shopName, align: 'center', size: 1.5, bold: true },
    { rule: true },
    { text: format.dateTime(new Date().toISOString()), size: 0.85 },
    cashier ? { text: t('sale.receiptCashier', { name: cashier }), size: 0.85 } : null,
    { pair: [t('debts.customer'), after.customerName ?? before.customerName ?? ''] },
    { rule: true },
    { pair: [t('debts.payAmount'), format.money(paid.amount, paid.currency)], size: 1.3, bold: true },
    { pair: [t('debts.remaining'), format.money(left, after.debt.currency)], bold: true },
    { gap: 12 },
    { text: t('sale.thanks'), align: 'center' },
  ];
}

// Prints a receipt when a receipt printer is set up (what: which paper,
// drawer: '' | 'cash'). → null without a printer, else { text, kind } for
// the screen's status.
export async function printOnPrinter(paper, { t, what, drawer = '' }) {
  try {
    const { settings } = await printer();
    if (settings.connection.kind === 'none') return null;
    await printPaper(paper, { what, drawer });
    return { text: t('sale.printed'), kind: 'ok' };
  } catch (err) {
    return { text: `${t(`error.${err.code ?? 'Internal'}`)}: ${err.message}`, kind: 'error' };
  }
}
