// debounce(fn, ms): a function that calls fn with its last arguments once
// ms have passed without another call (typing in a search box); .cancel()
// drops a call still waiting.
export function debounce(fn, ms) {
  let timer = null;
  const run = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  run.cancel = () => clearTimeout(timer);
  return run;
}
