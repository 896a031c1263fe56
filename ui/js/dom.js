// Tiny DOM helpers shared by the screens: no framework, no innerHTML (so no
// markup injection from data such as customer names).
import * as format from './format.js';
import { language, plural } from './i18n.js';

// node('button', { class: 'button', 'data-testid': 'pay', onclick: fn }, 'Pay')
export function node(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') el.className = value;
    else if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (name.includes('-') || name === 'for' || name === 'role') el.setAttribute(name, value === true ? '' : value);
    else el[name] = value;
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

// A labelled form field: field(t('items.name'), input)
export function field(label, input, hint = null) {
  return node('label', { class: 'field' }, node('span', { class: 'field__label' }, label), input, hint && node('span', { class: 'field__hint' }, hint));
}

// An error in the user's language: its heading (`error.<code>`), then the
// sentence worded from its named values (`error.reason.<reason>` when Rust
// names the rule, else `error.<code>.text`; each with plural forms through
// Intl.PluralRules, see i18n.js plural): amounts formatted from minor units
// with their currency, counts in the chosen digits, dates in local time,
// statuses and "what" words translated. Rust's English message is shown
// only in English and only where no wording exists; in another language
// the heading stands alone (the message goes to the console).
export function errorText(t, err) {
  const code = err?.code ?? 'Internal';
  const heading = t(`error.${code}`);
  const params = err?.params;
  if (params && typeof params === 'object') {
    const vars = {};
    let count = null;
    for (const [name, value] of Object.entries(params)) {
      if (name === 'reason') continue;
      vars[name] = paramText(t, name, value);
      if (typeof value === 'number') count ??= value;
    }
    const keys = params.reason ? [`error.reason.${params.reason}`] : [];
    keys.push(`error.${code}.text`);
    for (const key of keys) {
      const text = plural(key, count, vars);
      if (text !== key) return `${heading}: ${text}`;
    }
  }
  if (language() === 'en') return `${heading}: ${err?.message ?? err}`;
  console.warn(`${code}: ${err?.message ?? err}`);
  return heading;
}

// One named value of an error, as the user reads it.
function paramText(t, name, value) {
  if (value && typeof value === 'object') {
    if ('minor' in value) return format.money(value.minor, value.currency);
    if ('date' in value) return format.date(value.date);
    if ('status' in value) return t(`error.status.${value.status}`);
    return '';
  }
  if (typeof value === 'number') return format.count(value);
  if (name === 'until') return format.dateTime(value);
  if (name === 'needs') return t(`role.${value}`);
  if (name === 'what') return t(`error.what.${value}`);
  // A name typed by a user keeps its own direction inside the sentence.
  return isolate(String(value ?? ''));
}

// An inline error box shown where the user acted; show(err) / clear().
// Every error sits next to the control that caused it and in view: the
// screens place the box beside the control (actionRow below, or right under
// a field), and show() scrolls it into view without moving anything else.
export function errorBox(t, testid) {
  const el = node('p', { class: 'inline-error', role: 'alert', 'data-testid': testid, hidden: true });
  return {
    el,
    show(err) {
      const code = err?.code ?? 'Internal';
      el.textContent = errorText(t, err);
      el.dataset.code = code;
      el.hidden = false;
      el.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    },
    clear() {
      el.hidden = true;
      el.textContent = '';
    },
  };
}

// The buttons of a form with its error beside them: the buttons keep their
// place when an error appears (it takes the rest of the row, growing down).
export function actionRow(error, ...buttons) {
  return node('div', { class: 'row row--actions' }, ...buttons, error.el);
}

// User-entered text (an item's or a customer's name) isolated from the text
// around it, so "شاحن سريع #5" reads the same inside an English or an
// Arabic sentence and inside a table cell.
export function userText(text, attrs = {}) {
  return node('bdi', { dir: 'auto', ...attrs }, String(text ?? ''));
}

// A name put inside a sentence, between FSI and PDI (Unicode's first-strong
// isolate): "5 × شاحن سريع #5" keeps the name's own order in either language.
export function isolate(text) {
  return text === '' ? text : `\u2068${text}\u2069`;
}

// A "Previous / Next" pager for lists loaded a page at a time.
// load(page) must resolve to the rows; render(rows) draws them.
export function pager(t, testid, load, render, limit = 50) {
  let offset = 0;
  const prev = node('button', { type: 'button', class: 'button', 'data-testid': `${testid}-prev` }, t('common.previous'));
  const next = node('button', { type: 'button', class: 'button', 'data-testid': `${testid}-next` }, t('common.next'));
  const where = node('span', { class: 'muted small' });
  const el = node('div', { class: 'pager' }, prev, where, next);
  async function go(to) {
    offset = Math.max(0, to);
    const rows = await load({ offset, limit });
    prev.disabled = offset === 0;
    next.disabled = rows.length < limit;
    where.textContent = rows.length ? t('common.rows', { from: offset + 1, to: offset + rows.length }) : '';
    render(rows);
    return rows;
  }
  prev.addEventListener('click', () => go(offset - limit));
  next.addEventListener('click', () => go(offset + limit));
  return { el, reload: () => go(offset), first: () => go(0) };
}
