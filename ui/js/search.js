// A search box that asks as the user types: once typing pauses, or at once
// through now() (Enter). Answers can come back out of order; only the answer
// to the last question is shown. Shared by the item picker (Inventory,
// Services' parts) and the Services screen's customer search.

// liveSearch(input, { find(text) → Promise<rows>, show(rows), fail(err), pause })
// → { now(): asks for what is typed (resolves once the answer is shown or
// dropped), forget(): drops the answers still on their way }.
export function liveSearch(input, { find, show, fail, pause = 150 }) {
  let asked = 0;
  let timer = null;
  async function now() {
    clearTimeout(timer);
    const mine = ++asked;
    try {
      const rows = await find(input.value.trim());
      if (mine === asked) show(rows);
    } catch (err) {
      fail(err);
    }
  }
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(now, pause);
  });
  return {
    now,
    forget() {
      asked += 1;
    },
  };
}
