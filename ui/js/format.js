// Formatting of numbers, sizes and times for display: one place, so the
// whole app agrees (and Arabic digits can be switched on here later).
import { language } from './i18n.js';

function locale() {
  return language() === 'ar' ? 'ar-IQ' : 'en-US';
}

export function count(n) {
  return new Intl.NumberFormat(locale()).format(n);
}

export function bytes(n) {
  if (n < 1024) return `${count(n)} B`;
  if (n < 1024 * 1024) return `${count(Math.round(n / 102.4) / 10)} KB`;
  return `${count(Math.round(n / (1024 * 102.4)) / 10)} MB`;
}

// Stored times are UTC (RFC 3339); they are shown in local time.
export function dateTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'medium', timeStyle: 'medium' }).format(d);
}

export function shortId(id) {
  return String(id).slice(0, 8);
}
