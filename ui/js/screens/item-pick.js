// An item search box with a short list of matches to pick from, shared by
// the Inventory and Services screens. Enter picks the only match, or the
// item whose barcode is exactly what was typed (a scanner ends with Enter).
import { node } from '../dom.js';
import { liveSearch } from '../search.js';

const LIMIT = 8;

// itemPicker(ctx, { testid, label, empty, onPick({ item, stock }) })
// → { el, input, focus(), search(), clear() }. Test ids: <testid>-search,
// <testid>-results, <testid>-result (data-id = item id).
export function itemPicker(ctx, { testid, label, empty, onPick, role = null }) {
  const { api, format, status } = ctx;
  const input = node('input', {
    type: 'search',
    autocomplete: 'off',
    'aria-label': label,
    placeholder: label,
    'data-testid': `${testid}-search`,
    'data-role': role,
  });
  const list = node('ul', { class: 'pick__list', 'data-testid': `${testid}-results` });
  let rows = [];

  function draw() {
    if (rows.length === 0) {
      list.replaceChildren(node('li', { class: 'muted small' }, empty));
      return;
    }
    list.replaceChildren(...rows.map((row) =>
      node('li', {},
        node('button', { type: 'button', class: 'pick__row', 'data-testid': `${testid}-result`, 'data-id': String(row.item.id), onclick: () => onPick(row) },
          node('span', { class: 'pick__name', dir: 'auto' }, row.item.name),
          node('span', { class: 'muted small mono' }, row.item.barcode ?? ''),
          node('span', { class: 'pick__stock' }, format.count(row.stock))))));
  }

  // Answers can come back out of order while typing; only the last counts.
  const live = liveSearch(input, {
    find: (text) => api.searchItems(text, { offset: 0, limit: LIMIT }),
    show(found) {
      rows = found;
      draw();
    },
    fail: (err) => status.error(err),
  });
  async function search() {
    await live.now();
    return rows;
  }

  input.addEventListener('keydown', async (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault();
    const text = input.value.trim();
    const found = await search();
    const exact = found.find((row) => row.item.barcode && row.item.barcode === text);
    if (exact) onPick(exact);
    else if (found.length === 1) onPick(found[0]);
  });

  return {
    el: node('div', { class: 'pick' }, input, list),
    input,
    focus: () => input.focus(),
    search,
    // Empties the list (until the next search).
    clear() {
      live.forget();
      rows = [];
      list.replaceChildren();
    },
  };
}
