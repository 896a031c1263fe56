// Dashboard: today's sales per currency, invoices, what customers owe,
// repairs ready for pickup, and the last 30 days as a bar chart (inline SVG,
// one currency at a time: dinars and dollars are never added together).
import { node, errorText } from '../dom.js';
import { screenHead } from '../screen.js';

const SVG = 'http://www.w3.org/2000/svg';
const CHART = { width: 720, height: 220, top: 8, bottom: 26, side: 22 };

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  el.append(...children.filter(Boolean));
  return el;
}

export function mount(root, ctx) {
  const { api, t, format, status } = ctx;
  let data = null;
  let currency = 'IQD';

  const tiles = node('div', { class: 'dashboard__tiles', 'data-testid': 'dashboard-tiles' });
  const chartBox = node('div', { class: 'dashboard__chart', 'data-testid': 'dashboard-chart-box' });
  const switches = ['IQD', 'USD'].map((c) =>
    node('button', { type: 'button', class: 'button button--small dashboard__switch', 'data-testid': `dashboard-chart-${c.toLowerCase()}`, 'aria-pressed': String(c === currency), onclick: () => pick(c) }, t(`dashboard.currency.${c}`)));
  const refresh = node('button', { type: 'button', class: 'button', 'data-testid': 'dashboard-refresh', onclick: () => load() }, t('dashboard.refresh'));

  root.append(
    screenHead(t('dashboard.title'), t('dashboard.lead'), refresh),
    tiles,
    node('section', { class: 'card dashboard__days', 'aria-labelledby': 'dashboard-chart-title' },
      node('div', { class: 'dashboard__chart-head' },
        node('h2', { class: 'card__title', id: 'dashboard-chart-title' }, t('dashboard.chartTitle')),
        node('div', { class: 'row', role: 'group', 'aria-label': t('dashboard.chartCurrency') }, ...switches)),
      chartBox));

  function tile(testid, label, value, extra = null, action = null) {
    const lines = (Array.isArray(extra) ? extra : [extra]).filter(Boolean);
    return node('section', { class: 'card dashboard__tile', 'data-testid': testid },
      node('h2', { class: 'dashboard__label' }, label),
      node('p', { class: 'dashboard__value', 'data-testid': `${testid}-value` }, value),
      ...lines.map((line) => (typeof line === 'string' ? node('p', { class: 'small muted' }, line) : line)),
      action);
  }

  function drawTiles(d) {
    const today = d.today ?? {};
    const ready = Array.isArray(d.readyServices) ? d.readyServices.length : Number(d.readyServices ?? 0);
    // Each refund in its own currency's card: a dollar refund is not dinars.
    const refund = (amount, currency) => (amount ? node('p', { class: 'small muted', 'data-testid': `dashboard-refunds-${currency.toLowerCase()}` }, t('dashboard.refunds', { amount: format.money(amount, currency) })) : null);
    tiles.replaceChildren(
      tile('dashboard-sales-iqd', t('dashboard.salesIqd'), format.money(today.salesIqd ?? 0, 'IQD'), [
        today.salesIqd ? t('dashboard.profit', { amount: format.money(today.profitIqd ?? 0, 'IQD') }) : null,
        refund(today.refundsIqd, 'IQD')]),
      tile('dashboard-sales-usd', t('dashboard.salesUsd'), format.money(today.salesUsd ?? 0, 'USD'), [
        today.salesUsd ? t('dashboard.profit', { amount: format.money(today.profitUsd ?? 0, 'USD') }) : null,
        refund(today.refundsUsd, 'USD')]),
      tile('dashboard-invoices', t('dashboard.invoices'), format.count(today.invoices ?? 0),
        today.returns ? t('dashboard.returns', { count: format.count(today.returns) }) : null),
      tile('dashboard-debts', t('dashboard.openDebts'), format.money(d.openDebts?.iqd ?? 0, 'IQD'),
        format.money(d.openDebts?.usd ?? 0, 'USD'),
        node('button', { type: 'button', class: 'button button--small', 'data-testid': 'dashboard-open-debts', onclick: () => ctx.show('debts') }, t('dashboard.seeDebts'))),
      tile('dashboard-ready', t('dashboard.ready'), format.count(ready), null,
        node('button', { type: 'button', class: 'button button--small', 'data-testid': 'dashboard-open-services', onclick: () => ctx.show('services') }, t('dashboard.seeServices'))));
  }

  function drawChart(days) {
    const key = currency === 'USD' ? 'salesUsd' : 'salesIqd';
    const values = days.map((d) => Number(d[key] ?? 0));
    const max = Math.max(0, ...values);
    const { width, height, top, bottom, side } = CHART;
    const plot = height - top - bottom;
    const slot = (width - 2 * side) / Math.max(1, days.length);
    const bar = Math.max(2, slot * 0.7);
    // Right to left in Arabic: the newest day sits where the eye ends.
    const rtl = document.documentElement.dir === 'rtl';
    const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'dashboard__svg', role: 'img', 'data-testid': 'dashboard-chart', 'aria-label': t('dashboard.chartLabel', { currency: t(`dashboard.currency.${currency}`) }) });
    chart.append(svg('line', { x1: side, x2: width - side, y1: top + plot, y2: top + plot, class: 'dashboard__axis' }));
    // The highest day's amount is a line of HTML above the chart (an SVG
    // label clipped at the chart's edge in Arabic: "IQD 8,").
    const maxLabel = node('p', { class: 'dashboard__max', 'data-testid': 'dashboard-chart-max' }, max > 0 ? t('dashboard.chartMax', { amount: format.money(max, currency) }) : '');
    days.forEach((d, i) => {
      const slotIndex = rtl ? days.length - 1 - i : i;
      const h = max > 0 ? Math.max(values[i] > 0 ? 2 : 0, (values[i] / max) * plot) : 0;
      const x = side + slotIndex * slot + (slot - bar) / 2;
      const rect = svg('rect', { x: x.toFixed(1), y: (top + plot - h).toFixed(1), width: bar.toFixed(1), height: h.toFixed(1), rx: 2, class: 'dashboard__bar', 'data-day': d.day, 'data-value': values[i] },
        svg('title', {}, `${format.date(`${d.day}T12:00:00`)}: ${format.money(values[i], currency)} · ${t('dashboard.invoiceCount', { count: format.count(d.invoices ?? 0) })}`));
      chart.append(rect);
      // Dates on the axis (every fifth day and the last), not 1…30.
      if (i % 5 === 4 || i === days.length - 1) {
        chart.append(svg('text', { x: (x + bar / 2).toFixed(1), y: height - 8, class: 'dashboard__day', 'text-anchor': 'middle', 'data-day': d.day }, format.shortDay(d.day)));
      }
    });
    const total = values.reduce((a, b) => a + b, 0);
    chartBox.replaceChildren(maxLabel, chart,
      node('p', { class: 'small muted', 'data-testid': 'dashboard-chart-total' }, t('dashboard.chartTotal', { amount: format.money(total, currency) })));
  }

  function pick(c) {
    currency = c;
    for (const b of switches) b.setAttribute('aria-pressed', String(b.dataset.testid.endsWith(c.toLowerCase())));
    if (data) drawChart(data.days ?? []);
  }

  async function load() {
    refresh.disabled = true;
    try {
      data = await api.dashboard();
      drawTiles(data);
      drawChart(data.days ?? []);
    } catch (err) {
      status.error(err);
      tiles.replaceChildren(node('p', { class: 'inline-error', 'data-testid': 'dashboard-error' }, errorText(t, err)));
    } finally {
      refresh.disabled = false;
    }
  }

  tiles.append(node('p', { class: 'muted' }, t('common.loading')));
  load();
  return null;
}
