// IQD ⇄ USD conversion for previews on the till (change due, what a debt
// payment in the other currency will credit). The same rule as
// crates/sonic-core/src/money.rs, in exact integer arithmetic (BigInt over
// the decimal rate string), so the preview agrees with what Rust stores:
// USD → IQD rounds half away from zero to a multiple of `step` dinars;
// IQD → USD rounds half away from zero to the cent. Rust's figures are
// still the ones shown once the operation is done.

// "1310.5" → { num: 13105n, den: 10n }, or null when it is not a positive decimal.
function parseRate(rate) {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(String(rate ?? '').trim());
  if (!match) return null;
  const fraction = match[2] ?? '';
  const num = BigInt(match[1] + fraction);
  if (num === 0n) return null;
  return { num, den: 10n ** BigInt(fraction.length) };
}

// a / b rounded half away from zero (b > 0).
function divRound(a, b) {
  const negative = a < 0n;
  const abs = negative ? -a : a;
  const q = (2n * abs + b) / (2n * b);
  return negative ? -q : q;
}

// Converts `amount` minor units of `from` into `to`; null when no rate is known.
export function convert(amount, from, to, rate, step = 1) {
  if (from === to) return amount;
  const r = parseRate(rate);
  if (!r) return null;
  const a = BigInt(amount);
  if (from === 'USD') {
    const s = BigInt(Math.max(1, step));
    return Number(divRound(a * r.num, 100n * r.den * s) * s);
  }
  return Number(divRound(a * 100n * r.den, r.num));
}

export function other(currency) {
  return currency === 'USD' ? 'IQD' : 'USD';
}
