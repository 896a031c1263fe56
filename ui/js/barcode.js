// Barcodes for item labels, as module widths (bar, space, bar, …) that
// print.js draws: EAN-13 when the item's barcode is 13 digits with a right
// check digit (what most shop goods carry), else Code 128 (set B: any
// printable ASCII), which a shop's scanner reads as well.

const EAN_L = ['0001101', '0011001', '0010011', '0111101', '0100011', '0110001', '0101111', '0111011', '0110111', '0001011'];
// G is L's mirror image inverted; R is L inverted.
const invert = (bits) => [...bits].map((b) => (b === '1' ? '0' : '1')).join('');
const EAN_R = EAN_L.map(invert);
const EAN_G = EAN_R.map((bits) => [...bits].reverse().join(''));
// Which of L/G encode digits 2–7, chosen by the first digit.
const PARITY = ['LLLLLL', 'LLGLGG', 'LLGGLG', 'LLGGGL', 'LGLLGG', 'LGGLLG', 'LGGGLG', 'LGGGGL', 'LGLGLG', 'LGLGGL'];

export function eanCheckDigit(first12) {
  const sum = [...first12].reduce((acc, d, i) => acc + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return (10 - (sum % 10)) % 10;
}

export function isEan13(code) {
  return /^\d{13}$/.test(code) && eanCheckDigit(code.slice(0, 12)) === Number(code[12]);
}

// '1'/'0' module string → run widths starting with a bar.
function runs(bits) {
  const out = [];
  let last = '';
  for (const b of bits) {
    if (b === last) out[out.length - 1]++;
    else out.push(1);
    last = b;
  }
  return out;
}

function ean13(code) {
  const parity = PARITY[Number(code[0])];
  let bits = '101';
  for (let i = 1; i <= 6; i++) bits += (parity[i - 1] === 'L' ? EAN_L : EAN_G)[Number(code[i])];
  bits += '01010';
  for (let i = 7; i <= 12; i++) bits += EAN_R[Number(code[i])];
  bits += '101';
  return runs(bits);
}

// Code 128 patterns (bar/space widths) by value 0–106.
const C128 = [
  '212222', '222122', '222221', '121223', '121322', '131222', '122213', '122312', '132212', '221213',
  '221312', '231212', '112232', '122132', '122231', '113222', '123122', '123221', '223211', '221132',
  '221231', '213212', '223112', '312131', '311222', '321122', '321221', '312212', '322112', '322211',
  '212123', '212321', '232121', '111323', '131123', '131321', '112313', '132113', '132311', '211313',
  '231113', '231311', '112133', '112331', '132131', '113123', '113321', '133121', '313121', '211331',
  '231131', '213113', '213311', '213131', '311123', '311321', '331121', '312113', '312311', '332111',
  '314111', '221411', '431111', '111224', '111422', '121124', '121421', '141122', '141221', '112214',
  '112412', '122114', '122411', '142112', '142211', '241211', '221114', '413111', '241112', '134111',
  '111242', '121142', '121241', '114212', '124112', '124211', '411212', '421112', '421211', '212141',
  '214121', '412121', '111143', '111341', '131141', '114113', '114311', '411113', '411311', '113141',
  '114131', '311141', '411131', '211412', '211214', '211232', '2331112',
];
const START_B = 104;
const STOP = 106;

function code128(text) {
  const values = [START_B, ...[...text].map((c) => c.charCodeAt(0) - 32)];
  const check = values.reduce((acc, v, i) => acc + v * Math.max(i, 1), 0) % 103;
  return [...values, check, STOP].flatMap((v) => [...C128[v]].map(Number));
}

// The bars of `code` with their quiet zones left to the label: { kind, bars }.
// A barcode that cannot be drawn: a refused input, not a fault.
function refused(message) {
  const err = new Error(message);
  err.code = 'Validation';
  return err;
}

// The longest code drawn: 11 modules a character, about 4 cm at one dot a
// module; longer would not fit a receipt printer's paper anyway.
export const MAX_CODE = 40;

export function barcode(code) {
  if (typeof code !== 'string' || code === '') throw refused('the item has no barcode to print');
  if (isEan13(code)) return { kind: 'EAN-13', bars: ean13(code) };
  if (code.length > MAX_CODE) throw refused(`the barcode ${JSON.stringify(code)} is longer than ${MAX_CODE} characters`);
  if (!/^[\x20-\x7e]+$/.test(code)) throw refused(`the barcode ${JSON.stringify(code)} has characters Code 128 cannot print (only ASCII letters, digits and signs)`);
  return { kind: 'Code 128', bars: code128(code) };
}
