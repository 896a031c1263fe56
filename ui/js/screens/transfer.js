// Transfer screen: money sent or received for a customer (amount and fee in
// the transfer's currency, at the shop's transfer rate), today's totals and
// the list of transfers, newest first, a page at a time.
import { node, field, errorBox, pager } from '../dom.js';
import { screenHead } from '../screen.js';
import { invalid, moneyOr } from '../form.js';

const PAGE = 20;

export function mount(root, ctx) {
  const { api, t, format, status } = ctx;

  const direction = node('select', { 'data-testid': 'transfer-direction' },
    node('option', { value: 'send' }, t('transfer.send')),
    node('option', { value: 'receive' }, t('transfer.receive')));
  const currency = node('select', { 'data-testid': 'transfer-currency' },
    node('option', { value: 'IQD' }, 'IQD'),
    node('option', { value: 'USD' }, 'USD'));
  const amount = node('input', { inputMode: 'decimal', autocomplete: 'off', required: true, 'data-testid': 'transfer-amount' });
  const fee = node('input', { inputMode: 'decimal', autocomplete: 'off', 'data-testid': 'transfer-fee', placeholder: '0' });
  const party = node('input', { autocomplete: 'off', required: true, 'data-testid': 'transfer-party' });
  const phone = node('input', { type: 'tel', autocomplete: 'off', 'data-testid': 'transfer-phone' });
  const error = errorBox(t, 'transfer-error');
  const done = node('p', { class: 'transfer__done', role: 'status', 'data-testid': 'transfer-done', hidden: true });
  const submit = node('button', { type: 'submit', class: 'button button--primary button--large', 'data-testid': 'transfer-submit' }, t('transfer.record'));
  const form = node('form', { class: 'card form', 'data-testid': 'transfer-form' },
    node('h2', { class: 'card__title' }, t('transfer.new')),
    node('div', { class: 'row' }, node('div', { class: 'grow' }, field(t('transfer.direction'), direction)), node('div', { class: 'grow' }, field(t('transfer.currency'), currency))),
    node('div', { class: 'row' }, node('div', { class: 'grow' }, field(t('transfer.amount'), amount)), node('div', { class: 'grow' }, field(t('transfer.fee'), fee))),
    field(t('transfer.party'), party, t('transfer.partyHint')),
    field(t('transfer.phone'), phone),
    error.el,
    done,
    submit);

  const totals = node('dl', { class: 'facts transfer__totals', 'data-testid': 'transfer-totals' });
  const rows = node('tbody', {});
  const list = pager(t, 'transfer-pager', (page) => api.transfers(page), drawList, PAGE);
  const table = node('table', { class: 'table', 'data-testid': 'transfer-list' },
    node('thead', {}, node('tr', {},
      node('th', { scope: 'col' }, t('transfer.number')),
      node('th', { scope: 'col' }, t('transfer.when')),
      node('th', { scope: 'col' }, t('transfer.direction')),
      node('th', { scope: 'col' }, t('transfer.party')),
      node('th', { scope: 'col', class: 'num' }, t('transfer.amount')),
      node('th', { scope: 'col', class: 'num' }, t('transfer.fee')),
      node('th', { scope: 'col' }, t('transfer.cashier')))),
    rows);

  root.append(
    screenHead(t('transfer.title'), t('transfer.lead')),
    node('div', { class: 'columns transfer' },
      form,
      node('section', { class: 'card', 'aria-labelledby': 'transfer-totals-title' },
        node('h2', { class: 'card__title', id: 'transfer-totals-title' }, t('transfer.today')),
        totals)),
    node('section', { class: 'card transfer__list', 'aria-labelledby': 'transfer-list-title' },
      node('h2', { class: 'card__title', id: 'transfer-list-title' }, t('transfer.list')),
      table,
      list.el),
  );

  function drawTotals(x) {
    // <bdi>: each amount keeps its own direction in an Arabic (rtl) line.
    const pair = (testid, iqd, usd) => node('dd', { 'data-testid': testid, 'data-iqd': String(iqd), 'data-usd': String(usd) },
      node('bdi', { 'data-testid': `${testid}-iqd` }, format.money(iqd, 'IQD')), ' · ',
      node('bdi', { 'data-testid': `${testid}-usd` }, format.money(usd, 'USD')));
    totals.replaceChildren(
      node('dt', {}, t('transfer.count')),
      node('dd', { 'data-testid': 'transfer-totals-count' }, format.count(x.count)),
      node('dt', {}, t('transfer.sent')),
      pair('transfer-totals-sent', x.sentIqd, x.sentUsd),
      node('dt', {}, t('transfer.received')),
      pair('transfer-totals-received', x.receivedIqd, x.receivedUsd),
      node('dt', {}, t('transfer.fees')),
      pair('transfer-totals-fees', x.feesIqd, x.feesUsd));
  }

  function drawList(list) {
    if (list.length === 0) {
      rows.replaceChildren(node('tr', {}, node('td', { colSpan: 7, class: 'muted' }, t('transfer.none'))));
      return;
    }
    rows.replaceChildren(...list.map((x) =>
      node('tr', { 'data-testid': 'transfer-row', 'data-id': String(x.id), 'data-number': String(x.number ?? '') },
        node('td', { class: 'mono' }, x.number ? `#${x.number}` : '—'),
        node('td', {}, format.dateTime(x.createdAt)),
        node('td', {}, node('span', { class: `badge transfer__dir transfer__dir--${x.direction}` }, t(`transfer.${x.direction}`))),
        node('td', {}, node('div', { 'data-testid': 'transfer-row-party' }, x.party), x.phone ? node('div', { class: 'muted small mono' }, x.phone) : null),
        node('td', { class: 'num', 'data-testid': 'transfer-row-amount' }, format.money(x.amount, x.currency)),
        node('td', { class: 'num' }, format.money(x.fee ?? 0, x.currency)),
        node('td', {}, x.cashier ?? ''))));
  }

  async function refresh() {
    try {
      const [x] = await Promise.all([api.transferTotals(), list.first()]);
      drawTotals(x);
    } catch (err) {
      status.error(err);
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.clear();
    done.hidden = true;
    submit.disabled = true;
    try {
      const cur = currency.value;
      const minor = format.parseMoney(amount.value, cur);
      if (minor === null || minor <= 0) throw invalid(t('transfer.badAmount', { currency: cur }), amount);
      const feeMinor = moneyOr(fee, cur, 0);
      if (feeMinor === null) throw invalid(t('transfer.badFee', { currency: cur }), fee);
      if (!party.value.trim()) throw invalid(t('transfer.needParty'), party);
      const saved = await api.recordTransfer({
        direction: direction.value,
        currency: cur,
        amount: minor,
        fee: feeMinor,
        party: party.value.trim(),
        phone: phone.value.trim() || null,
      });
      const message = t(`transfer.done.${saved.direction}`, {
        number: saved.number ?? '',
        amount: format.money(saved.amount, saved.currency),
        party: saved.party,
      });
      done.textContent = message;
      done.hidden = false;
      status.set(message, 'ok');
      amount.value = '';
      fee.value = '';
      party.value = '';
      phone.value = '';
      await refresh();
      amount.focus();
    } catch (err) {
      error.show(err);
      // Transfers need the shop's transfer rate: say where it is set.
      if (err.code === 'RateNotSet') error.el.textContent = t('transfer.rateNotSet');
    } finally {
      submit.disabled = false;
    }
  });

  drawTotals({ count: 0, sentIqd: 0, sentUsd: 0, receivedIqd: 0, receivedUsd: 0, feesIqd: 0, feesUsd: 0 });
  refresh();
  amount.focus();
  return { unmount() {} };
}
