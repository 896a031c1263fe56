// Text comes from translation files; nothing user-visible is hard-coded in
// markup. `i18n/<lang>.json` holds the frame's text and each screen has its
// own `i18n/<lang>/<screen>.json` (keys prefixed with the screen's id), so
// screens can be worked on side by side. `t('status.backupDone', {id})`
// fills {placeholders}. A key missing in Arabic falls back to English.

let strings = {};
let fallback = {};
let lang = 'en';
let arabicDigits = false;

export const LANGUAGES = ['en', 'ar'];

async function loadFiles(code, namespaces) {
  const files = [`i18n/${code}.json`, ...namespaces.map((ns) => `i18n/${code}/${ns}.json`)];
  const merged = {};
  for (const file of files) {
    const response = await fetch(file);
    if (!response.ok) throw new Error(`missing translation file ${file}`);
    Object.assign(merged, await response.json());
  }
  return merged;
}

export async function loadLanguage(code, namespaces = []) {
  if (!LANGUAGES.includes(code)) code = 'en';
  fallback = code === 'en' ? {} : await loadFiles('en', namespaces);
  strings = await loadFiles(code, namespaces);
  lang = code;
  document.documentElement.lang = code;
  document.documentElement.dir = code === 'ar' ? 'rtl' : 'ltr';
}

export function language() {
  return lang;
}

// Arabic-Indic digits (٠١٢…) in Arabic, when switched on in Settings.
export function useArabicDigits(on) {
  arabicDigits = Boolean(on);
}

export function arabicDigitsOn() {
  return lang === 'ar' && arabicDigits;
}

export function t(key, vars = {}) {
  const text = strings[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

// The text of `key` for the count n, in the language's plural form
// (Intl.PluralRules: Arabic has zero, one, two, few, many and other):
// `key.<category>` where the language has it, else `key` itself.
export function plural(key, n, vars = {}) {
  if (typeof n === 'number') {
    const form = `${key}.${new Intl.PluralRules(lang).select(n)}`;
    // A language's own forms first: English's `.one` must not stand in
    // for an Arabic sentence that has no `.one` of its own.
    const has = form in strings || (!(key in strings) && form in fallback);
    if (has) return t(form, vars);
  }
  return t(key, vars);
}

// Fills every [data-i18n] element's text, [data-i18n-aria-label] label and
// [data-i18n-placeholder] placeholder under root.
export function translate(root) {
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-aria-label]')) {
    el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  }
  for (const el of root.querySelectorAll('[data-i18n-placeholder]')) {
    el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder));
  }
}
