// Item barcode labels, printed on the receipt printer: N labels one under
// the other, each with the item's name, price and barcode (EAN-13 when the
// barcode is one, else Code 128; see barcode.js), a dashed line between
// them to cut along. Labels need a receipt printer (the print dialog would
// print the screen, not labels).
import { node, field, errorBox } from './dom.js';
import { barcode } from './barcode.js';
import { hasPrinter, printPaper } from './print.js';

// The most labels in one print: 50 labels are about 1.6 m of 58 mm paper.
export const MAX_LABELS = 50;

// The paper of `count` labels of `item`. Each label is its own blocks (a
// paper is never a list holding one block object twice).
export function labelPaper(item, count, { format }) {
  const { bars } = barcode(item.barcode);
  const paper = [];
  for (let i = 0; i < count; i++) {
    if (i > 0) paper.push({ gap: 10 }, { rule: true }, { gap: 10 });
    paper.push(
      { text: item.name, align: 'center', bold: true },
      { text: format.money(item.price ?? 0, item.currency ?? 'IQD'), align: 'center', size: 1.3, bold: true },
      { gap: 6 },
      { bars, height: 90, text: item.barcode },
    );
  }
  return paper;
}

// What is wrong with printing `raw` labels of `item`, worded for the
// screen, or null: a whole number from 1 to MAX_LABELS, an item with a
// barcode that can be printed.
export function labelsProblem(item, raw, t) {
  const text = String(raw).trim();
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LABELS) return t('items.labelsRange', { max: MAX_LABELS, count: text });
  if (!item.barcode) return t('items.labelsNoBarcode', { name: item.name });
  try {
    barcode(item.barcode);
  } catch (err) {
    return err.message;
  }
  return null;
}

// The Items screen's "Print labels" for the item shown.
export function labelsControl(item, { t, format }) {
  const count = node('input', { inputMode: 'numeric', value: '1', size: 3, autocomplete: 'off', 'data-testid': 'items-labels-count' });
  const button = node('button', { type: 'button', class: 'button', 'data-testid': 'items-labels-print' }, t('items.labelsPrint'));
  const done = node('p', { class: 'small', 'data-testid': 'items-labels-status', role: 'status', hidden: true });
  const error = errorBox(t, 'items-labels-error');
  button.addEventListener('click', async () => {
    error.clear();
    done.hidden = true;
    const problem = labelsProblem(item, count.value, t);
    if (problem) {
      error.show({ code: 'Validation', message: problem });
      count.focus();
      return;
    }
    const n = Number(count.value.trim());
    button.disabled = true;
    try {
      if (!(await hasPrinter())) throw { code: 'Validation', message: t('items.labelsNoPrinter') };
      await printPaper(labelPaper(item, n, { format }), { what: 'labels' });
      done.textContent = t('items.labelsPrinted', { count: format.count(n) });
      done.hidden = false;
    } catch (err) {
      error.show(err);
    } finally {
      button.disabled = false;
    }
  });
  return node('div', { class: 'items__labels', 'data-testid': 'items-labels' },
    node('h3', { class: 'card__subtitle' }, t('items.labelsTitle')),
    node('div', { class: 'row' }, field(t('items.labelsCount'), count), button),
    done, error.el);
}
