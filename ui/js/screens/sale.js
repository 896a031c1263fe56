// Sale screen: the till. A keyboard-wedge scanner types a barcode and Enter
// into the scan box; the search box finds items by name. The cart is priced
// by Rust (quote_sale) on every change, in the invoice currency with the
// other currency beside it. Pay (F4) takes cash in IQD and USD, shows the
// change or what is left as the customer's debt, and the receipt follows,
// printable on an 80 mm roll. Recent invoices can be shown and reprinted.
import { node, field, errorBox, pager, userText } from '../dom.js';
import { screenHead } from '../screen.js';
import { other } from '../rate.js';
import { paymentDialog } from '../payment.js';
import { receiptContent, receiptMark, receiptPrinter } from '../receipt.js';
import { debounce } from '../debounce.js';
import { onSubmit, moneyOr } from '../form.js';
import { customerInput, owedText } from '../customer.js';

const CURRENCIES = ['IQD', 'USD'];
// Every new sale starts in the shop's currency: dinars, unless the shop's
// settings name another.
const SHOP_CURRENCY = 'IQD';

// The kept cart's writes, one after another (two calls in flight could land
// out of order), and awaited by the next Sale screen before it reads the cart.
// A change made while a write is on its way replaces the one still waiting,
// so a burst of scans costs two durable writes, not one per scan, and the
// last cart always lands last.
let draftSaved = Promise.resolve();
let draftWaiting = null; // { draft } of the write queued behind the current one

export function mount(root, ctx) {
  const { api, t, format, status } = ctx;
  const step = () => ctx.session?.settings?.iqdStep ?? 250;
  const rate = () => ctx.session?.rates?.iqdPerUsd ?? null;
  const shopCurrency = () => (CURRENCIES.includes(ctx.session?.settings?.defaultCurrency) ? ctx.session.settings.defaultCurrency : SHOP_CURRENCY);
  // A store that does not allow negative stock refuses a line above what it holds.
  const negativeAllowed = () => Boolean(ctx.session?.store?.allowNegativeStock);
  const money = format.money;
  const saveDraft = (draft) => {
    if (draftWaiting) {
      draftWaiting.draft = draft;
      return draftSaved;
    }
    const next = { draft };
    draftWaiting = next;
    draftSaved = draftSaved.catch(() => {}).then(() => {
      draftWaiting = null;
      return api.setSaleDraft(next.draft);
    });
    return draftSaved;
  };

  // ---- state ----
  let lines = []; // { item, stock, qty, discount, row, qtyInput, discountInput, totalCell, error }
  let currency = shopCurrency();
  let invoiceDiscount = 0;
  let customer = null; // { customer, balance }
  let quote = null;
  let quoteSeq = 0;
  let quoting = Promise.resolve();
  let results = [];
  let selected = -1;
  let customerResults = [];

  // ---- item entry: scanner and search ----
  const scan = node('input', { class: 'sale-scan__input', inputMode: 'numeric', autocomplete: 'off', 'data-testid': 'sale-scan', placeholder: t('sale.scanPlaceholder') });
  const scanError = errorBox(t, 'sale-scan-error');
  const scanForm = node('form', { class: 'sale-scan', 'data-testid': 'sale-scan-form' }, field(t('sale.scan'), scan), scanError.el);
  const search = node('input', { type: 'search', autocomplete: 'off', 'data-role': 'search', 'data-testid': 'sale-search', placeholder: t('sale.searchPlaceholder') });
  const resultList = node('ul', { class: 'sale-results', role: 'listbox', 'data-testid': 'sale-results', 'aria-label': t('sale.results') });
  const searchError = errorBox(t, 'sale-search-error');

  // ---- cart ----
  const cartBody = node('tbody', { 'data-testid': 'sale-cart-lines' });
  const cartEmpty = node('p', { class: 'muted sale-cart__empty', 'data-testid': 'sale-cart-empty' }, t('sale.cartEmpty'));
  const cartError = errorBox(t, 'sale-cart-error');
  const cartTable = node('table', { class: 'table sale-cart', 'data-testid': 'sale-cart' },
    node('thead', {}, node('tr', {},
      node('th', { scope: 'col' }, t('sale.item')),
      node('th', { scope: 'col', class: 'num' }, t('sale.qty')),
      node('th', { scope: 'col', class: 'num' }, t('sale.unitPrice')),
      node('th', { scope: 'col', class: 'num' }, t('sale.lineDiscount')),
      node('th', { scope: 'col', class: 'num' }, t('sale.lineTotal')),
      node('th', { scope: 'col' }, node('span', { class: 'visually-hidden' }, t('sale.remove'))))),
    cartBody);

  // ---- totals and currency ----
  const currencyButtons = CURRENCIES.map((c) =>
    node('button', { type: 'button', class: 'button sale-currency__button', 'data-testid': `sale-currency-${c}`, 'data-currency': c, onclick: () => setCurrency(c) }, c));
  const subtotalCell = node('dd', { class: 'num', 'data-testid': 'sale-subtotal' }, '—');
  const discountInput = node('input', { class: 'sale-money-input', inputMode: 'decimal', autocomplete: 'off', 'data-testid': 'sale-discount', value: '' });
  const totalCell = node('dd', { class: 'num sale-total', 'data-testid': 'sale-total' }, '—');
  const otherTotalCell = node('dd', { class: 'num sale-other-total', 'data-testid': 'sale-other-total' }, '—');
  const rateCell = node('dd', { class: 'num muted', 'data-testid': 'sale-rate' }, '—');
  const discountLabel = node('dt', {}, t('sale.invoiceDiscount'));

  // ---- customer ----
  const customerSearch = node('input', { type: 'search', autocomplete: 'off', 'data-testid': 'sale-customer-search', placeholder: t('sale.customerPlaceholder') });
  const customerList = node('ul', { class: 'sale-results sale-results--customers', 'data-testid': 'sale-customer-results' });
  const customerChosen = node('div', { class: 'sale-customer__chosen', 'data-testid': 'sale-customer', hidden: true });
  const customerError = errorBox(t, 'sale-customer-error');
  const customerNew = node('button', { type: 'button', class: 'button', 'data-testid': 'sale-customer-new', onclick: () => openNewCustomer() }, t('sale.customerNew'));

  const payButton = node('button', { type: 'button', class: 'button button--primary button--large sale-pay-button', 'data-testid': 'sale-pay', disabled: true, onclick: () => openPay() },
    t('sale.pay'), ' ', node('kbd', { class: 'sale-pay-button__key' }, 'F4'));

  // ---- recent invoices ----
  const recentList = node('ol', { class: 'history sale-recent', 'data-testid': 'sale-recent' });
  const recentError = errorBox(t, 'sale-recent-error');
  const recentPager = pager(t, 'sale-recent', (page) => api.recentInvoices(page), drawRecent, 10);

  // ---- receipt ----
  const receiptBox = node('section', { class: 'receipt', 'data-testid': 'sale-receipt', 'aria-label': t('sale.receipt') });
  const receiptPrint = receiptPrinter({ t, format, step });
  const printButton = node('button', { type: 'button', class: 'button', 'data-testid': 'sale-print', onclick: () => receiptPrint.print() }, t('common.print'));
  const newSaleButton = node('button', { type: 'button', class: 'button button--primary button--large', 'data-testid': 'sale-new', onclick: () => newSale() }, t('sale.newSale'));
  // A receipt shown again from the recent list leaves the cart as it was.
  const backButton = node('button', { type: 'button', class: 'button button--large', 'data-testid': 'sale-back', hidden: true, onclick: () => backToSale() }, t('sale.back'));
  // After a cash sale with change due: the change, large, in its currency
  // (as Loyverse and Odoo show it), above the receipt; Enter or the next
  // scan goes on to the next sale.
  const changeAmount = node('p', { class: 'sale-change__amount', 'data-testid': 'sale-change-amount' });
  const changeTotal = node('p', { class: 'sale-change__total', 'data-testid': 'sale-change-total' });
  const changeView = node('section', { class: 'sale-change no-print', 'data-testid': 'sale-change-screen', role: 'status', hidden: true },
    node('h2', { class: 'sale-change__title' }, t('sale.changeTitle')),
    changeAmount,
    changeTotal,
    node('p', { class: 'sale-change__next muted' }, t('sale.changeNext')));
  const receiptView = node('div', { class: 'sale-receipt-view', 'data-testid': 'sale-receipt-view', hidden: true },
    changeView,
    node('div', { class: 'sale-receipt-view__actions no-print' }, printButton, newSaleButton, backButton),
    receiptPrint.el,
    receiptBox);

  const saleView = node('div', { class: 'sale-layout', 'data-testid': 'sale-view' },
    node('div', { class: 'sale-main' },
      node('section', { class: 'card sale-entry' },
        scanForm,
        field(t('sale.search'), search),
        searchError.el,
        resultList),
      node('section', { class: 'card' },
        node('h2', { class: 'card__title' }, t('sale.cart')),
        cartTable,
        cartEmpty,
        cartError.el)),
    node('aside', { class: 'sale-side' },
      node('section', { class: 'card sale-totals', 'aria-labelledby': 'sale-totals-title' },
        node('h2', { class: 'card__title', id: 'sale-totals-title' }, t('sale.totals')),
        node('div', { class: 'sale-currency', role: 'group', 'aria-label': t('sale.currency') },
          node('span', { class: 'field__label' }, t('sale.currency')), ...currencyButtons),
        node('dl', { class: 'facts sale-facts' },
          node('dt', {}, t('sale.subtotal')), subtotalCell,
          discountLabel, node('dd', {}, discountInput),
          node('dt', { class: 'strong' }, t('sale.total')), totalCell,
          node('dt', {}, t('sale.otherTotal')), otherTotalCell,
          node('dt', {}, t('sale.rate')), rateCell),
        payButton),
      node('section', { class: 'card sale-customer' },
        node('h2', { class: 'card__title' }, t('sale.customer')),
        customerChosen,
        node('div', { class: 'row' }, node('div', { class: 'grow' }, field(t('sale.customerSearch'), customerSearch)), customerNew),
        customerList,
        customerError.el),
      node('section', { class: 'card' },
        node('h2', { class: 'card__title' }, t('sale.recent')),
        recentList,
        recentError.el,
        recentPager.el)));

  // ---- dialogs ----
  const pay = paymentDialog(ctx, {
    quote: () => quote,
    currency: () => currency,
    customer: () => customer,
    rate,
    step,
    input: saleInput,
    sold(result, customerName) {
      // The cart is sold: it is no longer kept for this till.
      saveDraft(null).catch(() => {});
      showReceipt(result, customerName);
      // After the sale is stored: a printer that is off only says so.
      receiptPrint.print({ afterSale: true });
      status.set(t('sale.done', { number: result.invoice.number }), 'ok');
      recentPager.first().catch((err) => recentError.show(err));
    },
  });
  const newCustomer = newCustomerDialog();

  // The head is not printed with the receipt.
  const head = screenHead(t('sale.title'), t('sale.lead'));
  head.classList.add('no-print');
  root.append(
    head,
    saleView,
    receiptView,
    pay.el,
    newCustomer.el);

  // ---- item entry ----
  scanForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const barcode = scan.value.trim();
    scanError.clear();
    if (!barcode) return;
    try {
      const found = await api.itemByBarcode(barcode);
      if (found) {
        addItem(found);
        scan.value = '';
      } else {
        scanError.show({ code: 'NotFound', message: t('sale.noBarcode', { barcode }) });
        scan.select();
      }
    } catch (err) {
      scanError.show(err);
    }
  });

  // A search box asks once typing pauses: no text draws no rows, and an
  // answer for text the box no longer holds is dropped. The item search and
  // the customer search work this way.
  function lookup(input, error, find, draw) {
    const run = debounce(async (text) => {
      error.clear();
      if (!text) {
        draw([]);
        return;
      }
      try {
        const rows = await find(text);
        if (input.value.trim() === text) draw(rows);
      } catch (err) {
        error.show(err);
      }
    }, 180);
    input.addEventListener('input', () => run(input.value.trim()));
    return run;
  }

  const runSearch = lookup(search, searchError, (text) => api.searchItems(text, { offset: 0, limit: 20 }), drawResults);
  search.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      if (results.length === 0) return;
      const delta = e.key === 'ArrowDown' ? 1 : -1;
      selected = (selected + delta + results.length) % results.length;
      markSelected();
    } else if (e.key === 'Enter') {
      e.preventDefault();
      const row = results[selected >= 0 ? selected : 0];
      if (row) pickResult(row);
    }
  });

  function drawResults(rows) {
    results = rows;
    selected = rows.length ? 0 : -1;
    if (rows.length === 0 && search.value.trim()) {
      resultList.replaceChildren(node('li', { class: 'muted sale-results__none', 'data-testid': 'sale-results-none' }, t('sale.noResults')));
      return;
    }
    resultList.replaceChildren(...rows.map((row, i) =>
      node('li', { role: 'option', class: 'sale-results__row', 'aria-selected': String(i === selected) },
        node('button', { type: 'button', class: 'sale-results__button', 'data-testid': 'sale-result', 'data-item-id': String(row.item.id), tabindex: '-1', onclick: () => pickResult(row) },
          node('span', { class: 'sale-results__name', dir: 'auto' }, row.item.name),
          node('span', { class: 'mono small muted' }, row.item.barcode ?? ''),
          node('span', { class: 'num' }, money(row.item.price ?? 0, row.item.currency ?? 'IQD')),
          node('span', { class: 'small muted' }, t('sale.inStock', { qty: format.count(row.stock ?? 0) }))))));
  }

  function markSelected() {
    [...resultList.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === selected)));
    resultList.children[selected]?.scrollIntoView?.({ block: 'nearest' });
  }

  function pickResult(row) {
    addItem(row);
    clearSearch();
    scan.focus();
  }

  function clearSearch() {
    runSearch.cancel();
    search.value = '';
    searchError.clear();
    drawResults([]);
  }

  // ---- cart ----
  // Whether `qty` of the line's item may be sold from this store: above the
  // stock it is refused (the message says how many there are), or, where the
  // store allows negative stock, shown as a warning on the line.
  function stockAllows(item, stock, qty) {
    if (stock === undefined || stock === null || qty <= stock) return true;
    const vars = { name: item.name, qty: format.count(qty), stock: format.count(Math.max(stock, 0)) };
    if (negativeAllowed()) {
      status.set(t('sale.stockShortWarn', vars), 'warn');
      return true;
    }
    cartError.show({ code: 'Validation', message: t('sale.stockShort', vars) });
    return false;
  }

  function drawStockWarning(line) {
    const short = line.stock !== undefined && line.stock !== null && line.qty > line.stock;
    line.stockBadge.hidden = !short;
    line.stockBadge.textContent = short ? t('sale.stockLeft', { stock: format.count(Math.max(line.stock, 0)) }) : '';
  }

  function addItem({ item, stock }, { qty = 1, discount = 0, restoring = false } = {}) {
    cartError.clear();
    const id = String(item.id);
    const existing = lines.find((l) => String(l.item.id) === id);
    if (existing) {
      if (!stockAllows(item, existing.stock, existing.qty + 1)) return;
      existing.qty += 1;
      existing.qtyInput.value = String(existing.qty);
      drawStockWarning(existing);
    } else {
      if (!restoring && !stockAllows(item, stock, qty)) return;
      const line = { item, stock, qty, discount };
      line.qtyInput = node('input', { class: 'sale-qty-input', inputMode: 'numeric', autocomplete: 'off', 'data-testid': 'sale-line-qty', value: String(qty), 'aria-label': t('sale.qtyOf', { name: item.name }) });
      line.discountInput = node('input', { class: 'sale-money-input', inputMode: 'decimal', autocomplete: 'off', 'data-testid': 'sale-line-discount', value: discount ? format.moneyInput(discount, currency) : '', placeholder: '0', 'aria-label': t('sale.discountOf', { name: item.name }) });
      line.stockBadge = node('span', { class: 'badge badge--warn', 'data-testid': 'sale-line-stock', hidden: true });
      line.priceInput = node('input', { class: 'sale-money-input', inputMode: 'decimal', autocomplete: 'off', 'data-testid': 'sale-line-unit', value: '', 'aria-label': t('sale.priceOf', { name: item.name, currency }) });
      line.totalCell = node('td', { class: 'num', 'data-testid': 'sale-line-total' }, '—');
      // A price typed for one unit, in the invoice currency, is sold as a
      // line discount off the list price (the invoice keeps the list price
      // and shows what was taken off). It can only go down.
      line.priceInput.addEventListener('change', () => {
        const q = quote?.lines?.[lines.indexOf(line)];
        const unit = format.parseMoney(line.priceInput.value, currency);
        if (!q || unit === null) {
          if (unit === null) cartError.show({ code: 'Validation', message: t('sale.badPrice', { currency }) });
          drawTotals();
          return;
        }
        const gross = (q.total ?? 0) + (q.discount ?? 0);
        const discount = gross - unit * line.qty;
        if (discount < 0) {
          cartError.show({ code: 'Validation', message: t('sale.priceAboveList', { name: item.name, price: money(Math.floor(gross / line.qty), currency) }) });
          drawTotals();
          return;
        }
        cartError.clear();
        line.discount = discount;
        line.discountInput.value = discount ? format.moneyInput(discount, currency) : '';
        refreshQuote();
      });
      line.qtyInput.addEventListener('change', () => {
        const qty = format.parseQty(line.qtyInput.value);
        if (qty === null || qty < 1) {
          cartError.show({ code: 'Validation', message: t('sale.badQty', { name: item.name }) });
          line.qtyInput.value = String(line.qty);
          return;
        }
        cartError.clear();
        if (!stockAllows(item, line.stock, qty)) {
          line.qtyInput.value = String(line.qty);
          return;
        }
        line.qty = qty;
        drawStockWarning(line);
        refreshQuote();
      });
      line.discountInput.addEventListener('change', () => {
        const amount = moneyOr(line.discountInput, currency, 0);
        if (amount === null) {
          cartError.show({ code: 'Validation', message: t('sale.badDiscount', { currency }) });
          line.discountInput.value = line.discount ? format.moneyInput(line.discount, currency) : '';
          return;
        }
        cartError.clear();
        line.discount = amount;
        refreshQuote();
      });
      const remove = node('button', { type: 'button', class: 'button button--small', 'data-testid': 'sale-line-remove', 'aria-label': t('sale.removeOf', { name: item.name }), onclick: () => removeLine(line) }, '×');
      line.row = node('tr', { 'data-testid': 'sale-line', 'data-item-id': id },
        node('th', { scope: 'row', 'data-testid': 'sale-line-name' }, userText(item.name),
          stock !== undefined && stock !== null && stock < 1 ? node('span', { class: 'badge badge--warn' }, t('sale.noStock')) : null,
          line.stockBadge),
        node('td', { class: 'num' }, line.qtyInput),
        node('td', { class: 'num' }, line.priceInput,
          node('div', { class: 'small muted', 'data-testid': 'sale-line-price' }, t('sale.listPrice', { price: money(item.price ?? 0, item.currency ?? 'IQD') }))),
        node('td', { class: 'num' }, line.discountInput),
        line.totalCell,
        node('td', {}, remove));
      // Enter in a cart field commits it and hands the keyboard back to the
      // scanner, so the next scan does not type into a quantity.
      for (const input of [line.qtyInput, line.priceInput, line.discountInput]) {
        input.addEventListener('keydown', (e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            input.blur();
            scan.focus();
          }
        });
      }
      lines.push(line);
      cartBody.append(line.row);
      drawStockWarning(line);
    }
    refreshQuote();
  }

  function removeLine(line) {
    lines = lines.filter((l) => l !== line);
    line.row.remove();
    cartError.clear();
    refreshQuote();
    scan.focus();
  }

  function setCurrency(c) {
    if (c === currency) return;
    currency = c;
    // Discounts were typed in the old currency; they do not carry over.
    let hadDiscount = invoiceDiscount > 0;
    invoiceDiscount = 0;
    discountInput.value = '';
    for (const line of lines) {
      hadDiscount ||= line.discount > 0;
      line.discount = 0;
      line.discountInput.value = '';
    }
    if (hadDiscount) status.set(t('sale.discountsCleared'), 'warn');
    drawCurrency();
    refreshQuote();
  }

  function drawCurrency() {
    for (const b of currencyButtons) b.setAttribute('aria-pressed', String(b.dataset.currency === currency));
    discountLabel.textContent = t('sale.invoiceDiscountIn', { currency: t(`sale.currencyShort.${currency}`) });
  }

  discountInput.addEventListener('change', () => {
    const amount = moneyOr(discountInput, currency, 0);
    if (amount === null) {
      cartError.show({ code: 'Validation', message: t('sale.badDiscount', { currency }) });
      discountInput.value = invoiceDiscount ? format.moneyInput(invoiceDiscount, currency) : '';
      return;
    }
    cartError.clear();
    invoiceDiscount = amount;
    refreshQuote();
  });

  function saleInput(payments = [], changeCurrency = null) {
    return {
      lines: lines.map((l) => ({ itemId: String(l.item.id), qty: l.qty, discount: l.discount })),
      currency,
      discount: invoiceDiscount,
      customerId: customer ? String(customer.customer.id) : null,
      payments,
      changeCurrency,
    };
  }

  function refreshQuote() {
    quoting = priceCart();
    keepDraft();
    return quoting;
  }

  // ---- the cart kept for this till (Rust keeps it in the till's database) ----
  // It lives until it is sold or cleared: leaving the screen, signing out or
  // closing the app keeps it.
  let draftLoaded = false;
  function keepDraft() {
    if (!draftLoaded) return;
    const draft = lines.length === 0 ? null : {
      currency,
      discount: invoiceDiscount,
      customer,
      lines: lines.map((l) => ({ item: l.item, stock: l.stock, qty: l.qty, discount: l.discount })),
    };
    saveDraft(draft).catch((err) => cartError.show(err));
  }

  async function restoreDraft() {
    try {
      await draftSaved.catch(() => {});
      const draft = await api.saleDraft();
      if (draft && Array.isArray(draft.lines) && lines.length === 0) {
        if (CURRENCIES.includes(draft.currency)) currency = draft.currency;
        invoiceDiscount = Number(draft.discount) || 0;
        discountInput.value = invoiceDiscount ? format.moneyInput(invoiceDiscount, currency) : '';
        customer = draft.customer ?? null;
        drawCustomer();
        drawCurrency();
        for (const l of draft.lines) {
          if (l?.item?.id !== undefined) addItem({ item: l.item, stock: l.stock }, { qty: Number(l.qty) || 1, discount: Number(l.discount) || 0, restoring: true });
        }
      }
    } catch (err) {
      cartError.show(err);
    } finally {
      draftLoaded = true;
    }
  }

  async function priceCart() {
    const mine = ++quoteSeq;
    if (lines.length === 0) {
      quote = null;
      drawTotals();
      return;
    }
    try {
      const q = await api.quoteSale(saleInput());
      if (mine !== quoteSeq) return;
      quote = q;
      cartError.clear();
    } catch (err) {
      if (mine !== quoteSeq) return;
      quote = null;
      cartError.show(err);
    }
    drawTotals();
  }

  function drawTotals() {
    cartEmpty.hidden = lines.length > 0;
    cartTable.hidden = lines.length === 0;
    lines.forEach((line, i) => {
      const q = quote?.lines?.[i];
      line.totalCell.textContent = q ? money(q.total ?? 0, currency) : '—';
      if (document.activeElement !== line.priceInput) {
        // What one unit sells for now, after its discount, in the invoice currency.
        line.priceInput.value = q ? format.moneyInput(Math.round((q.total ?? 0) / line.qty), currency) : '';
      }
      line.priceInput.setAttribute('aria-label', t('sale.priceOf', { name: line.item.name, currency }));
    });
    subtotalCell.textContent = quote ? money(quote.subtotal, currency) : '—';
    totalCell.textContent = quote ? money(quote.total, currency) : '—';
    totalCell.dataset.amount = quote ? String(quote.total) : '';
    const [otherCurrency, otherAmount] = quote?.otherTotal ?? [other(currency), null];
    otherTotalCell.textContent = otherAmount === null ? '—' : money(otherAmount, otherCurrency);
    const r = quote?.rate ?? rate();
    rateCell.textContent = r ? t('sale.rateValue', { rate: format.count(Number(r)) }) : t('sale.noRate');
    payButton.disabled = !quote;
    payButton.dataset.ready = String(Boolean(quote));
  }

  // ---- customer ----
  const runCustomerSearch = lookup(customerSearch, customerError, (text) => api.searchCustomers(text, { offset: 0, limit: 10 }), drawCustomerResults);
  customerSearch.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      if (customerResults[0]) pickCustomer(customerResults[0]);
    }
  });

  function balanceText(balance) {
    const owed = owedText(balance, money);
    return owed ? t('sale.owes', { amount: owed }) : t('sale.owesNothing');
  }

  function drawCustomerResults(rows) {
    customerResults = rows;
    if (rows.length === 0 && customerSearch.value.trim()) {
      customerList.replaceChildren(node('li', { class: 'muted sale-results__none' }, t('sale.noCustomers')));
      return;
    }
    customerList.replaceChildren(...rows.map((row) =>
      node('li', { class: 'sale-results__row' },
        node('button', { type: 'button', class: 'sale-results__button', 'data-testid': 'sale-customer-result', 'data-customer-id': String(row.customer.id), onclick: () => pickCustomer(row) },
          node('span', { class: 'sale-results__name', dir: 'auto' }, row.customer.name),
          node('span', { class: 'small muted' }, row.customer.phone ?? ''),
          node('span', { class: 'small' }, balanceText(row.balance))))));
  }

  function pickCustomer(row) {
    customer = row;
    runCustomerSearch.cancel();
    customerSearch.value = '';
    customerError.clear();
    drawCustomerResults([]);
    drawCustomer();
  }

  function drawCustomer() {
    if (!customer) {
      customerChosen.hidden = true;
      customerChosen.replaceChildren();
      return;
    }
    customerChosen.hidden = false;
    customerChosen.replaceChildren(
      node('div', {},
        node('div', { class: 'strong', dir: 'auto', 'data-testid': 'sale-customer-name' }, customer.customer.name),
        node('div', { class: 'small muted', 'data-testid': 'sale-customer-balance' }, balanceText(customer.balance))),
      node('button', { type: 'button', class: 'button', 'data-testid': 'sale-customer-clear', onclick: () => { customer = null; drawCustomer(); } }, t('sale.customerClear')));
  }

  function newCustomerDialog() {
    const name = node('input', { required: true, autocomplete: 'off', 'data-testid': 'sale-new-customer-name' });
    const phone = node('input', { type: 'tel', autocomplete: 'off', 'data-testid': 'sale-new-customer-phone' });
    const error = errorBox(t, 'sale-new-customer-error');
    const save = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'sale-new-customer-save' }, t('common.save'));
    const cancel = node('button', { type: 'button', class: 'button', onclick: () => el.close() }, t('common.cancel'));
    const form = node('form', { class: 'form' },
      node('h2', {}, t('sale.customerNewTitle')),
      field(t('sale.customerName'), name),
      field(t('sale.customerPhone'), phone),
      error.el,
      node('div', { class: 'row' }, save, cancel));
    const el = node('dialog', { class: 'dialog', 'data-testid': 'sale-new-customer-dialog' }, form);
    onSubmit(form, { button: save, error }, async () => {
      const made = await api.createCustomer(customerInput(name, phone));
      el.close();
      pickCustomer({ customer: made, balance: { iqd: 0, usd: 0 } });
      status.set(t('sale.customerAdded', { name: made.name }), 'ok');
    });
    return {
      el,
      open() {
        error.clear();
        name.value = customerSearch.value.trim();
        phone.value = '';
        el.showModal();
        name.focus();
      },
    };
  }

  function openNewCustomer() {
    newCustomer.open();
  }

  // A quantity or discount still being typed is committed (its change
  // event) and priced before the payment dialog shows the total.
  async function openPay() {
    if (lines.length === 0 || !receiptView.hidden) return;
    const active = document.activeElement;
    if (active && active !== scan && root.contains(active) && active.tagName === 'INPUT') active.blur();
    await quoting;
    if (!quote || openDialog()) return;
    pay.open();
  }

  // ---- receipt ----
  // sold: the sell result ({ invoice, change, changeCurrency, debt, receipt }).
  function showReceipt(sold, customerName, { again = false, mark = null } = {}) {
    receiptBox.replaceChildren(...receiptContent(sold, { t, format, step: step(), customerName, mark }));
    receiptPrint.show(sold, customerName, mark);
    const change = again ? 0 : Number(sold.change ?? 0);
    changeView.hidden = !(change > 0);
    if (change > 0) {
      const changeCurrency = sold.changeCurrency ?? sold.invoice.currency;
      changeAmount.textContent = money(change, changeCurrency);
      changeView.dataset.currency = changeCurrency;
      changeTotal.textContent = t('sale.changeOfTotal', { total: money(sold.invoice.total, sold.invoice.currency) });
    }
    saleView.hidden = true;
    receiptView.hidden = false;
    newSaleButton.hidden = again;
    backButton.hidden = !again;
    (again ? backButton : newSaleButton).focus();
  }

  function backToSale() {
    receiptView.hidden = true;
    saleView.hidden = false;
    scan.focus();
  }

  async function showInvoice(number) {
    recentError.clear();
    try {
      const found = await api.invoiceByNumber(number);
      if (!found) {
        recentError.show({ code: 'NotFound', message: t('sale.invoiceMissing', { number }) });
        return;
      }
      const store = (ctx.session?.stores ?? []).find((s) => String(s.id) === String(found.invoice.storeId));
      showReceipt({
        invoice: found.invoice,
        receipt: { shopName: ctx.session?.settings?.shopName ?? '', receiptHeader: ctx.session?.settings?.receiptHeader, storeName: store?.name, itemNames: found.itemNames },
      }, null, { again: true, mark: receiptMark(found.invoice, found.returned) });
    } catch (err) {
      recentError.show(err);
    }
  }

  function newSale() {
    lines = [];
    cartBody.replaceChildren();
    customer = null;
    drawCustomer();
    invoiceDiscount = 0;
    discountInput.value = '';
    currency = shopCurrency();
    drawCurrency();
    saveDraft(null).catch((err) => cartError.show(err));
    quote = null;
    quoteSeq++;
    clearSearch();
    cartError.clear();
    scanError.clear();
    drawTotals();
    receiptView.hidden = true;
    saleView.hidden = false;
    scan.focus();
  }

  function drawRecent(rows) {
    if (rows.length === 0) {
      recentList.replaceChildren(node('li', { class: 'muted' }, t('sale.recentEmpty')));
      return;
    }
    recentList.replaceChildren(...rows.map((inv) =>
      node('li', { class: 'history__item' },
        node('button', { type: 'button', class: 'sale-recent__button', 'data-testid': 'sale-recent-item', 'data-number': String(inv.number), onclick: () => showInvoice(inv.number) },
          node('span', { class: 'history__reason' }, t('sale.recentNumber', { number: inv.number })),
          node('span', { class: 'num', 'data-testid': 'sale-recent-total' }, money(inv.total, inv.currency)),
          node('span', { class: 'small muted' }, format.dateTime(inv.createdAt))))));
  }

  // ---- start ----
  drawCurrency();
  drawTotals();
  restoreDraft();
  recentPager.first().catch((err) => recentError.show(err));
  scan.focus();

  function openDialog() {
    return [pay.el, newCustomer.el].find((d) => d.open) ?? null;
  }

  return {
    unmount() {
      runSearch.cancel();
      runCustomerSearch.cancel();
      for (const d of [pay.el, newCustomer.el]) if (d.open) d.close();
      delete document.body.dataset.print;
    },
    onKey(e) {
      // What is typed while a sale's receipt shows (the next customer's
      // scan) starts the next sale and goes into its scan box.
      const typed = e.key.length === 1 && !e.ctrlKey && !e.altKey && !e.metaKey;
      if (typed && !receiptView.hidden && backButton.hidden && !openDialog()) {
        newSale();
        scan.value += e.key;
        return true;
      }
      if (e.key === 'F4') {
        if (!openDialog()) openPay();
        return true;
      }
      if (e.key === 'Escape') {
        const d = openDialog();
        if (d) {
          d.close();
          return true;
        }
        if (!receiptView.hidden && !backButton.hidden) {
          backToSale();
          return true;
        }
        if (search.value || results.length) {
          clearSearch();
          search.focus();
          return true;
        }
        if (customerSearch.value || customerResults.length) {
          runCustomerSearch.cancel();
          customerSearch.value = '';
          drawCustomerResults([]);
          return true;
        }
        if (scan.value) {
          scan.value = '';
          scanError.clear();
          return true;
        }
      }
      return false;
    },
  };
}
