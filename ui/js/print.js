// Printing one part of the screen (a sale's receipt, a repair ticket) on the
// receipt printer. The print rules in the screens' stylesheets apply under
// `@media print` while `body[data-print]` names the part.
//
// The print itself is the shell's `print` command (WebviewWindow::print),
// not the page's window.print(), which does nothing in macOS's WKWebView.
// `data-print` stays set after the call answers: on Windows the native print
// runs the page's print a moment after the command has returned, and
// removing it then would print the whole screen. Outside printing it changes
// nothing, and the next print names its own part.
import { api } from './api.js';

// what: 'receipt' | 'ticket'
export async function printOnly(what) {
  document.body.dataset.print = what;
  try {
    await api.print();
  } catch (err) {
    console.error(`printing the ${what} failed: ${err.message ?? err}`);
  }
}
