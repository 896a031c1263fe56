// Activity screen: who did what and when, newest first, a page at a time,
// filtered by action and by text (a name, an item, an invoice number…).
import { node, field, pager, isolate } from '../dom.js';
import { screenHead } from '../screen.js';

// The actions the app writes (sonic-core ops::activity::ACTIONS).
const ACTIONS = [
  'sale', 'return', 'transfer', 'debt_open', 'debt_payment',
  'service_open', 'service_status', 'service_part', 'service_delivered',
  'stock_receive', 'stock_adjust', 'stock_transfer', 'stock_count', 'stock_correction',
  'item_create', 'item_edit', 'item_archive',
  'customer_create', 'customer_edit', 'customer_archive',
  'store_create', 'store_edit', 'user_create', 'user_locked', 'pin_change',
  'rate_change', 'settings_change', 'cash', 'shift_close', 'restore',
];
const PAGE = 50;

export function mount(root, ctx) {
  const { api, t, format, status, session } = ctx;
  const filter = { action: null, text: null };
  let timer = null;

  const label = (action) => {
    const key = `activity.action.${action}`;
    const text = t(key);
    return text === key ? action : text;
  };
  const storeName = (id) => (session.stores ?? []).find((s) => String(s.id) === String(id))?.name ?? String(id ?? '');

  const action = node('select', { 'data-testid': 'activity-action' },
    node('option', { value: '' }, t('activity.allActions')),
    ...ACTIONS.map((a) => node('option', { value: a }, label(a))));
  const text = node('input', { type: 'search', autocomplete: 'off', 'data-role': 'search', 'data-testid': 'activity-text', placeholder: t('activity.textHint') });
  const rows = node('tbody', {});
  const list = pager(t, 'activity-pager', (page) => api.activity({ ...filter }, page), draw, PAGE);
  const table = node('table', { class: 'table activity__table', 'data-testid': 'activity-list' },
    node('thead', {}, node('tr', {},
      node('th', { scope: 'col' }, t('activity.when')),
      node('th', { scope: 'col' }, t('activity.user')),
      node('th', { scope: 'col' }, t('activity.action')),
      node('th', { scope: 'col' }, t('activity.details')),
      node('th', { scope: 'col' }, t('activity.store')))),
    rows);

  // A parameter as the reader's language shows it: money from minor units
  // with its currency, counts in the chosen digits, codes (a repair status,
  // a role, a rate) through their own words.
  const CODES = { status: 'activity.status', role: 'activity.role', rate: 'activity.rate', kind: 'activity.cashKind', source: 'activity.debtSource' };
  function param(name, value) {
    if (value && typeof value === 'object' && 'minor' in value) return format.money(value.minor, value.currency);
    if (typeof value === 'number') return format.count(value);
    if (name in CODES && value) {
      const key = `${CODES[name]}.${value}`;
      const text = t(key);
      return text === key ? String(value) : text;
    }
    // A name typed by a user keeps its own direction inside the sentence.
    return isolate(String(value ?? ''));
  }

  // The entry worded from its action and parameters; entries written before
  // they were stored (or an action this build has no words for) show their
  // stored text.
  function details(e) {
    if (!e.params || typeof e.params !== 'object') return e.details ?? '';
    let key = `activity.text.${e.action}`;
    if (e.action === 'transfer' && e.params.direction) key += `.${e.params.direction}`;
    if (e.action === 'service_delivered' && e.params.returned?.minor > 0) key += '.returned';
    if (e.action === 'rate_change' && !e.params.old) key += '.first';
    const vars = Object.fromEntries(Object.entries(e.params).map(([k, v]) => [k, param(k, v)]));
    const text = t(key, vars);
    return text === key ? (e.details ?? '') : text;
  }

  // Extra fields some old entries carry (old and new price, …), as "key: value".
  function extras(entry) {
    if (entry.params) return null;
    const known = new Set(['id', 'action', 'user', 'details', 'params', 'storeId', 'at']);
    const pairs = Object.entries(entry).filter(([k, v]) => !known.has(k) && v !== null && typeof v !== 'object');
    return pairs.length ? node('div', { class: 'muted small mono' }, pairs.map(([k, v]) => `${k}: ${v}`).join(' · ')) : null;
  }

  function draw(entries) {
    if (entries.length === 0) {
      rows.replaceChildren(node('tr', {}, node('td', { colSpan: 5, class: 'muted' }, t('activity.none'))));
      return;
    }
    rows.replaceChildren(...entries.map((e) =>
      node('tr', { 'data-testid': 'activity-row', 'data-action': e.action },
        node('td', { class: 'activity__when' }, format.dateTime(e.at)),
        node('td', {}, e.user ?? ''),
        node('td', {}, node('span', { class: 'badge' }, label(e.action))),
        node('td', { 'data-testid': 'activity-details' }, node('bdi', {}, details(e)), extras(e)),
        node('td', {}, e.storeId ? storeName(e.storeId) : ''))));
  }

  function reload() {
    list.first().catch((err) => status.error(err));
  }
  action.addEventListener('change', () => {
    filter.action = action.value || null;
    reload();
  });
  text.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      filter.text = text.value.trim() || null;
      reload();
    }, 250);
  });

  root.append(
    screenHead(t('activity.title'), t('activity.lead')),
    node('section', { class: 'card' },
      node('div', { class: 'row activity__filter', 'data-testid': 'activity-filter' },
        field(t('activity.action'), action),
        node('div', { class: 'grow' }, field(t('activity.text'), text))),
      table,
      list.el),
  );
  reload();
  text.focus();

  return {
    unmount() {
      clearTimeout(timer);
    },
  };
}
