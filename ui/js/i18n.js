// Text comes from i18n/<lang>.json; nothing user-visible is hard-coded in
// markup. `t('status.backupDone', {id})` fills {placeholders}.

let strings = {};
let lang = 'en';

export async function loadLanguage(code) {
  const response = await fetch(`i18n/${code}.json`);
  if (!response.ok) throw new Error(`missing translation file i18n/${code}.json`);
  strings = await response.json();
  lang = code;
  document.documentElement.lang = code;
  document.documentElement.dir = code === 'ar' ? 'rtl' : 'ltr';
}

export function language() {
  return lang;
}

export function t(key, vars = {}) {
  const text = strings[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

// Fills every [data-i18n] element's text and [data-i18n-aria-label] label under root.
export function translate(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  }
}
