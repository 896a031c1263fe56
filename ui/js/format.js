// Formatting and parsing of money, numbers, sizes and times: one place, so
// the whole app agrees. Money is an integer of minor units (IQD dinars, USD
// cents) and is never a float here either: parsing works on the digits.
import { language, arabicDigitsOn } from './i18n.js';

function locale() {
  if (language() !== 'ar') return 'en-US';
  return arabicDigitsOn() ? 'ar-IQ' : 'ar-IQ-u-nu-latn';
}

export function count(n) {
  return new Intl.NumberFormat(locale()).format(n);
}

// 12500 IQD → "12,500 IQD" (Arabic: "12,500 د.ع"); 1250 USD cents → "$12.50".
export function money(amount, currency) {
  if (amount === null || amount === undefined) return '—';
  const n = Number(amount);
  if (currency === 'USD') {
    const negative = n < 0;
    const abs = Math.abs(n);
    const whole = Math.trunc(abs / 100);
    const cents = String(abs % 100).padStart(2, '0');
    const text = `${count(whole)}.${cents}`;
    const shown = arabicDigitsOn() ? text.replace(/\./, '٫').replace(/[0-9]/g, (d) => '٠١٢٣٤٥٦٧٨٩'[d]) : text;
    return `${negative ? '-' : ''}$${shown}`;
  }
  // One language per label: in Arabic dinars read "١٢٬٥٠٠ د.ع" beside
  // "1 دولار = 1,301 دينار", never "12,500 IQD".
  return language() === 'ar' ? `${count(n)} د.ع` : `${count(n)} IQD`;
}

// A day on a chart's axis: "Nov 5" / "٥ نوفمبر"; day is 'YYYY-MM-DD'.
export function shortDay(day) {
  const d = new Date(`${day}T12:00:00`);
  if (Number.isNaN(d.getTime())) return day;
  return new Intl.DateTimeFormat(locale(), { day: 'numeric', month: 'short' }).format(d);
}

// The number a user typed, as minor units: "12.5" USD → 1250, "25,000" IQD
// → 25000. Returns null when it is not a plain non-negative amount (the
// caller says what is wrong). Arabic-Indic digits are accepted.
export function parseMoney(text, currency) {
  const clean = String(text ?? '')
    .trim()
    .replace(/[٠-٩]/g, (d) => String('٠١٢٣٤٥٦٧٨٩'.indexOf(d)))
    .replace(/٫/g, '.')
    .replace(/[,\s٬]/g, '');
  if (clean === '') return null;
  const match = /^(\d{1,15})(?:\.(\d{0,2}))?$/.exec(clean);
  if (!match) return null;
  if (currency === 'USD') return Number(match[1]) * 100 + Number((match[2] ?? '').padEnd(2, '0'));
  if (match[2] && Number(match[2]) !== 0) return null; // no fractions of a dinar
  return Number(match[1]);
}

// A whole quantity typed by the user, or null.
export function parseQty(text) {
  const clean = String(text ?? '').trim().replace(/[٠-٩]/g, (d) => String('٠١٢٣٤٥٦٧٨٩'.indexOf(d)));
  return /^-?\d{1,9}$/.test(clean) ? Number(clean) : null;
}

// For an <input> holding an amount: 1250 USD cents → "12.50", 25000 IQD → "25000".
export function moneyInput(amount, currency) {
  if (amount === null || amount === undefined) return '';
  if (currency === 'USD') return `${Math.trunc(amount / 100)}.${String(Math.abs(amount) % 100).padStart(2, '0')}`;
  return String(amount);
}

export function bytes(n) {
  if (n < 1024) return `${count(n)} B`;
  if (n < 1024 * 1024) return `${count(Math.round(n / 102.4) / 10)} KB`;
  return `${count(Math.round(n / (1024 * 102.4)) / 10)} MB`;
}

// Stored times are UTC (RFC 3339 or epoch millis); they are shown in local time.
export function dateTime(value) {
  const d = new Date(value);
  if (value === null || value === undefined || Number.isNaN(d.getTime())) return value ?? '—';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function date(value) {
  const d = new Date(value);
  if (value === null || value === undefined || Number.isNaN(d.getTime())) return value ?? '—';
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium' }).format(d);
}

// A backup's short id: the random end of its id (a UUIDv7 begins with its
// time, so backups made close together share their first digits). Lists
// show the `shortId` Rust made unique among them; this is for one id alone.
export function shortId(id) {
  return String(id).replace(/-/g, '').slice(-8);
}
