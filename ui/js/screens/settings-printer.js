// Settings › Printer (managers and the owner): the receipt printer of this
// computer. None (the system's print dialog) or an ESC/POS printer on the
// network (host:port), a device file (/dev/usb/lp0, a serial port) or, on
// Windows, a printer by name through the spooler; the paper width; copies
// of each sale's receipt; printing right after a sale. "Print test page"
// prints a short page in both languages; "Open drawer" kicks the drawer
// (logged in Activity). Saved on this computer, never in a backup.
import { node, field, errorBox } from '../dom.js';
import { printPaper, printerChanged } from '../print.js';

const KINDS = ['none', 'network', 'device', 'spooler'];

export function printerSettingsCard(ctx) {
  const { api, t, format } = ctx;
  const kind = node('select', { 'data-testid': 'printer-kind' },
    ...KINDS.map((k) => node('option', { value: k }, t(`settings.printer.kind.${k}`))));
  const address = node('input', { autocomplete: 'off', dir: 'ltr', 'data-testid': 'printer-address', placeholder: '192.168.1.50:9100' });
  const path = node('input', { autocomplete: 'off', dir: 'ltr', 'data-testid': 'printer-path', placeholder: '/dev/usb/lp0' });
  const name = node('input', { autocomplete: 'off', 'data-testid': 'printer-name', placeholder: 'POS-80' });
  const paper = node('select', { 'data-testid': 'printer-paper' },
    node('option', { value: '80' }, t('settings.printer.paper80')),
    node('option', { value: '58' }, t('settings.printer.paper58')));
  const copies = node('input', { inputMode: 'numeric', 'data-testid': 'printer-copies' });
  const auto = node('input', { type: 'checkbox', 'data-testid': 'printer-auto' });
  const saved = node('p', { class: 'small', 'data-testid': 'printer-saved', role: 'status', hidden: true });
  const error = errorBox(t, 'printer-error');
  const save = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'printer-save' }, t('common.save'));
  const testPage = node('button', { type: 'button', class: 'button', 'data-testid': 'printer-test' }, t('settings.printer.test'));
  const drawer = node('button', { type: 'button', class: 'button', 'data-testid': 'printer-open-drawer' }, t('settings.printer.openDrawer'));

  const addressField = field(t('settings.printer.address'), address, t('settings.printer.addressHint'));
  const pathField = field(t('settings.printer.path'), path, t('settings.printer.pathHint'));
  const nameField = field(t('settings.printer.name'), name, t('settings.printer.nameHint'));

  function showKind() {
    addressField.hidden = kind.value !== 'network';
    pathField.hidden = kind.value !== 'device';
    nameField.hidden = kind.value !== 'spooler';
    // Both need a saved receipt printer (the dialog has no drawer, nor a test page).
    drawer.disabled = kind.value === 'none';
    testPage.disabled = kind.value === 'none';
  }
  kind.addEventListener('change', showKind);

  function draw(view) {
    const s = view.settings;
    const c = s.connection;
    kind.value = c.kind;
    address.value = c.address ?? '';
    path.value = c.path ?? '';
    name.value = c.name ?? '';
    paper.value = String(s.paperMm);
    copies.value = String(s.copies);
    auto.checked = s.autoPrint;
    showKind();
  }

  function connection() {
    switch (kind.value) {
      case 'network': return { kind: 'network', address: address.value.trim() };
      case 'device': return { kind: 'device', path: path.value.trim() };
      case 'spooler': return { kind: 'spooler', name: name.value.trim() };
      default: return { kind: 'none' };
    }
  }

  function say(text) {
    saved.textContent = text;
    saved.hidden = false;
  }

  const form = node('form', { class: 'form' },
    field(t('settings.printer.kindLabel'), kind),
    addressField, pathField, nameField,
    node('div', { class: 'row' },
      node('div', { class: 'grow' }, field(t('settings.printer.paper'), paper)),
      node('div', { class: 'grow' }, field(t('settings.printer.copies'), copies))),
    node('label', { class: 'field field--check' }, auto, node('span', {}, t('settings.printer.auto'))),
    error.el,
    saved,
    node('div', { class: 'row' }, save, testPage, drawer));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.clear();
    saved.hidden = true;
    const n = copies.value.trim();
    if (!/^[1-5]$/.test(n)) {
      error.show({ code: 'Validation', message: t('settings.printer.copiesRange') });
      copies.focus();
      return;
    }
    save.disabled = true;
    try {
      const view = await api.setPrinterSettings({ connection: connection(), paperMm: Number(paper.value), copies: Number(n), autoPrint: auto.checked });
      printerChanged(view);
      draw(view);
      say(t('settings.printer.saved'));
    } catch (err) {
      error.show(err);
    } finally {
      save.disabled = false;
    }
  });

  // A short page: the shop's name, both scripts, the paper width, a ruler.
  testPage.addEventListener('click', async () => {
    error.clear();
    saved.hidden = true;
    testPage.disabled = true;
    try {
      const view = await api.printerSettings();
      const r = await printPaper([
        { text: ctx.session?.settings?.shopName || 'Sonic POS', align: 'center', size: 1.5, bold: true },
        { text: t('settings.printer.testTitle'), align: 'center' },
        { rule: true },
        { pair: [t('settings.printer.paper'), `${view.settings.paperMm} mm · ${format.count(view.dots)}`] },
        { text: 'Sonic POS — نقطة البيع', align: 'center' },
        { text: '0123456789 ٠١٢٣٤٥٦٧٨٩', align: 'center' },
        { rule: true },
        { text: format.dateTime(new Date().toISOString()), align: 'center', size: 0.85 },
      ], { what: 'receipt' });
      if (!r.dialog) say(t('settings.printer.testDone'));
    } catch (err) {
      error.show(err);
    } finally {
      testPage.disabled = kind.value === 'none';
    }
  });

  drawer.addEventListener('click', async () => {
    error.clear();
    saved.hidden = true;
    drawer.disabled = true;
    try {
      await api.openDrawer();
      say(t('settings.printer.drawerOpened'));
    } catch (err) {
      error.show(err);
    } finally {
      drawer.disabled = kind.value === 'none';
    }
  });

  api.printerSettings().then(draw, (err) => error.show(err));
  return node('section', { class: 'card settings__card', 'data-testid': 'settings-printer', 'aria-labelledby': 'settings-printer-title' },
    node('h2', { class: 'card__title', id: 'settings-printer-title' }, t('settings.printer.title')),
    node('p', { class: 'small muted' }, t('settings.printer.lead')),
    form);
}
