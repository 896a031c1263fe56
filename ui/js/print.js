// Printing a paper the till hands out (a sale's receipt, a repair ticket, a
// label). Two ways, chosen in Settings › Printer on this computer:
//
// - No receipt printer: the system's print dialog over one part of the
//   screen (`printOnly`). The print rules in the screens' stylesheets apply
//   under `@media print` while `body[data-print]` names the part. The print
//   itself is the shell's `print` command (WebviewWindow::print), not the
//   page's window.print(), which does nothing in macOS's WKWebView.
//   `data-print` stays set after the call answers: on Windows the native
//   print runs the page's print a moment after the command has returned, and
//   removing it then would print the whole screen. Outside printing it
//   changes nothing, and the next print names its own part.
// - An ESC/POS printer: the paper, described as blocks (`drawPaper`), is
//   drawn here on a canvas at the printer's dot width (the browser engine
//   shapes Arabic and lays out right-to-left text), made 1-bit, and sent to
//   Rust as bytes (`api.printPaper`), which prints it as a raster image, cuts,
//   and opens the drawer when the paper is for cash taken.
//
// A paper is a list of blocks:
//   { text, align: 'start' | 'center' | 'end', size: 1 | 1.5 | 2, bold }
//   { pair: [label, value], size, bold }      label at the start, value at the end
//   { rule: true }                             a dashed line
//   { mark: 'COPY' }                           white on black, across the paper
//   { bars: [w, w, …], height, text }          a barcode: module widths, bar first,
//                                              `text` printed under it
//   { gap: n }                                 n blank dots
import { api } from './api.js';
import { language } from './i18n.js';

// what: 'receipt' | 'ticket'
export async function printOnly(what) {
  document.body.dataset.print = what;
  try {
    await api.print();
  } catch (err) {
    console.error(`printing the ${what} failed: ${err.message ?? err}`);
  }
}

let setup = null;

// This computer's printer ({ settings, dots }), asked once per session.
export async function printer() {
  if (!setup) setup = api.printerSettings().catch((err) => { setup = null; throw err; });
  return setup;
}

// After Settings › Printer saved: the next print asks again.
export function printerChanged(view) {
  setup = view ? Promise.resolve(view) : null;
}

// Whether a receipt printer is set up (not the dialog).
export async function hasPrinter() {
  const p = await printer();
  return p.settings.connection.kind !== 'none';
}

const MARGIN = 8;
// The longest paper drawn, in dots (Rust's escpos::MAX_HEIGHT, about 5 m):
// a layout that would be longer stops with an error before any canvas.
export const MAX_HEIGHT = 40000;
// Blank modules on each side of a barcode.
const QUIET = 10;

// A paper that cannot be drawn: shown like a refused input.
export class PaperError extends Error {
  constructor(message) {
    super(message);
    this.code = 'Validation';
  }
}
const FONT = '"Noto Sans", "Noto Sans Arabic", "DejaVu Sans", Arial, sans-serif';

// The blocks laid out at `dots` wide: { height, draw(ctx) }.
function layout(blocks, dots, dir) {
  const base = dots >= 576 ? 24 : 18;
  const measure = document.createElement('canvas').getContext('2d');
  const font = (size = 1, bold = false) => `${bold ? 'bold ' : ''}${Math.round(base * size)}px ${FONT}`;
  const lineHeight = (size = 1) => Math.round(base * size * 1.4);
  const inner = dots - 2 * MARGIN;
  const startX = dir === 'rtl' ? dots - MARGIN : MARGIN;
  const endX = dir === 'rtl' ? MARGIN : dots - MARGIN;

  // Words onto lines no wider than `width`.
  function wrap(text, f, width) {
    measure.font = f;
    const lines = [];
    for (const para of String(text).split('\n')) {
      let line = '';
      for (const word of para.split(/\s+/).filter(Boolean)) {
        const next = line ? `${line} ${word}` : word;
        if (line && measure.measureText(next).width > width) {
          lines.push(line);
          line = word;
        } else {
          line = next;
        }
      }
      lines.push(line);
    }
    return lines;
  }

  const ops = [];
  let y = MARGIN;
  function text(b) {
    const f = font(b.size, b.bold);
    const lines = wrap(b.text, f, inner);
    const lh = lineHeight(b.size);
    const top = y;
    const align = b.align ?? 'start';
    const x = align === 'center' ? dots / 2 : align === 'end' ? endX : startX;
    ops.push((c) => {
      c.fillStyle = '#000';
      c.font = f;
      c.textBaseline = 'top';
      c.textAlign = align;
      lines.forEach((l, i) => c.fillText(l, x, top + i * lh));
    });
    y += lh * lines.length;
  }
  for (const b of blocks) {
    if (!b) continue;
    if (b.gap) {
      y += b.gap;
    } else if (b.rule) {
      const at = y + 6;
      ops.push((c) => {
        c.fillStyle = '#000';
        for (let x = MARGIN; x < dots - MARGIN; x += 12) c.fillRect(x, at, 6, 2);
      });
      y += 14;
    } else if (b.mark) {
      const f = font(1.5, true);
      const h = lineHeight(1.5) + 8;
      const top = y;
      ops.push((c) => {
        c.fillStyle = '#000';
        c.fillRect(MARGIN, top, inner, h);
        c.fillStyle = '#fff';
        c.font = f;
        c.textAlign = 'center';
        c.textBaseline = 'middle';
        c.fillText(b.mark, dots / 2, top + h / 2);
      });
      y += h + 8;
    } else if (b.pair) {
      const [label, value] = b.pair;
      const f = font(b.size, b.bold);
      measure.font = f;
      const valueWidth = measure.measureText(String(value)).width;
      const labelLines = wrap(label, f, Math.max(inner - valueWidth - 16, inner / 3));
      const lh = lineHeight(b.size);
      const top = y;
      ops.push((c) => {
        c.fillStyle = '#000';
        c.font = f;
        c.textBaseline = 'top';
        c.textAlign = 'start';
        labelLines.forEach((l, i) => c.fillText(l, startX, top + i * lh));
        c.textAlign = 'end';
        c.fillText(String(value), endX, top);
      });
      y += lh * labelLines.length;
    } else if (b.bars) {
      // Whole dots per module, and the quiet zone of QUIET modules on each
      // side that a scanner needs: a code too long for the paper is refused.
      const total = b.bars.reduce((a, w) => a + w, 0);
      const module = Math.floor(dots / (total + 2 * QUIET));
      if (module < 1) throw new PaperError(`the barcode${b.text ? ` ${b.text}` : ''} is too long to print on this paper (${total + 2 * QUIET} modules, ${dots} dots)`);
      const left = Math.round((dots - total * module) / 2);
      const h = b.height ?? 80;
      const top = y;
      ops.push((c) => {
        c.fillStyle = '#000';
        let x = left;
        b.bars.forEach((w, i) => {
          if (i % 2 === 0) c.fillRect(x, top, w * module, h);
          x += w * module;
        });
      });
      y += h + 4;
      // The code in digits under its bars (drawn here: the list of blocks is
      // never changed while it is laid out).
      if (b.text) text({ text: b.text, align: 'center', size: 0.9 });
    } else if (b.text !== undefined && b.text !== null) {
      text(b);
    }
    if (y > MAX_HEIGHT) throw new PaperError(`the paper is longer than a receipt printer prints in one job (${MAX_HEIGHT} dots)`);
  }
  return { height: y + MARGIN, draw: (c) => ops.forEach((op) => op(c)) };
}

// The paper on a white canvas `dots` wide, as tall as it needs.
export function drawPaper(blocks, dots, dir = document.documentElement.dir || 'ltr') {
  const { height, draw } = layout(blocks, dots, dir);
  const canvas = document.createElement('canvas');
  canvas.width = dots;
  canvas.height = height;
  const c = canvas.getContext('2d');
  c.fillStyle = '#fff';
  c.fillRect(0, 0, dots, height);
  c.direction = dir;
  draw(c);
  return canvas;
}

// The canvas as 1-bit rows, most significant bit first, 1 = black: darker
// than half grey prints.
export function packRows(canvas) {
  const { width, height } = canvas;
  const pixels = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  const stride = width / 8;
  const rows = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const light = (pixels[i] * 299 + pixels[i + 1] * 587 + pixels[i + 2] * 114) / 1000;
      if (light < 128) rows[y * stride + (x >> 3)] |= 0x80 >> (x & 7);
    }
  }
  return rows;
}

// The papers printed on the receipt printer in this session, newest last
// (the last 20): what each was for, its drawer request, its size in dots
// and its text in the order drawn. What the till printed, for checking.
const printedLog = [];

export function printedPapers() {
  return printedLog.map((p) => ({ ...p, lines: [...p.lines] }));
}

function textOf(blocks) {
  return blocks.filter(Boolean).flatMap((b) => {
    if (b.mark) return [String(b.mark)];
    if (b.pair) return [`${b.pair[0]} ${b.pair[1]}`];
    if (b.bars) return b.text ? [String(b.text)] : [];
    if (b.text !== undefined && b.text !== null) return [String(b.text)];
    return [];
  });
}

// Prints a paper: on the receipt printer when one is set up (→ { drawerOpened }),
// else through the print dialog over the part of the screen `what` names
// (→ { dialog: true }). drawer: '' | 'invoice:<number>' | 'cash'. A printer
// that cannot be reached throws an ApiError (PrinterOffline) saying so.
export async function printPaper(blocks, { what, drawer = '', copies = 1 } = {}) {
  const { settings, dots } = await printer();
  if (settings.connection.kind === 'none') {
    await printOnly(what);
    return { dialog: true };
  }
  const canvas = drawPaper(blocks, dots, language() === 'ar' ? 'rtl' : 'ltr');
  const done = await api.printPaper(packRows(canvas), { width: dots, copies, drawer });
  printedLog.push({ what, drawer, width: canvas.width, height: canvas.height, lines: textOf(blocks) });
  if (printedLog.length > 20) printedLog.shift();
  return done;
}
