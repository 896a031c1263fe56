// Tiny DOM helpers shared by the screens: no framework, no innerHTML (so no
// markup injection from data such as customer names).

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

// An inline error box shown where the user acted; show(err) / clear().
export function errorBox(t, testid) {
  const el = node('p', { class: 'inline-error', role: 'alert', 'data-testid': testid, hidden: true });
  return {
    el,
    show(err) {
      const code = err?.code ?? 'Internal';
      el.textContent = `${t(`error.${code}`)}: ${err?.message ?? err}`;
      el.dataset.code = code;
      el.hidden = false;
    },
    clear() {
      el.hidden = true;
      el.textContent = '';
    },
  };
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
