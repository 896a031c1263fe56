// Customers screen: find a customer by name or phone (a page at a time,
// with what each owes), add or change one, archive one (manager), and see
// one customer's balance, debts and invoices.
import { node, field, errorBox, pager, userText, actionRow } from '../dom.js';
import { screenHead } from '../screen.js';
import { debounce } from '../debounce.js';
import { onSubmit, invalid, moneyOr } from '../form.js';
import { confirmDialog } from '../confirm.js';
import { customerInput, owedText } from '../customer.js';

export function mount(root, ctx) {
  const { api, t, format, status } = ctx;
  const money = format.money;
  const isManager = () => ['manager', 'owner'].includes(ctx.session?.user?.role);
  let shownId = null;

  const search = node('input', { type: 'search', autocomplete: 'off', 'data-role': 'search', 'data-testid': 'customers-search', placeholder: t('customers.searchPlaceholder') });
  const add = node('button', { type: 'button', class: 'button button--primary', 'data-testid': 'customers-add', onclick: () => form.open(null) }, t('customers.add'));
  const body = node('tbody', {});
  const empty = node('p', { class: 'muted', 'data-testid': 'customers-empty', hidden: true }, t('customers.empty'));
  const listError = errorBox(t, 'customers-error');
  const table = node('table', { class: 'table', 'data-testid': 'customers-list' },
    node('thead', {}, node('tr', {},
      node('th', { scope: 'col' }, t('customers.name')),
      node('th', { scope: 'col' }, t('customers.phone')),
      node('th', { scope: 'col', class: 'num' }, t('customers.balance')),
      node('th', { scope: 'col' }, node('span', { class: 'visually-hidden' }, t('customers.actions'))))),
    body);
  const list = pager(t, 'customers', (page) => api.searchCustomers(search.value.trim(), page), draw);
  const detail = node('section', { class: 'card customers-detail', 'data-testid': 'customers-detail', 'aria-live': 'polite' },
    node('p', { class: 'muted' }, t('customers.pick')));
  const form = customerForm();
  const archive = archiveDialog();

  root.append(
    screenHead(t('customers.title'), t('customers.lead'), add),
    node('div', { class: 'columns' },
      node('section', { class: 'card' }, field(t('common.search'), search), table, empty, listError.el, list.el),
      detail),
    form.el,
    archive.el);

  function balanceText(balance) {
    return owedText(balance, money) || '—';
  }

  function draw(rows) {
    empty.hidden = rows.length > 0;
    table.hidden = rows.length === 0;
    body.replaceChildren(...rows.map((row) => {
      const c = row.customer;
      return node('tr', { 'data-testid': 'customers-row', 'data-customer-id': String(c.id) },
        node('th', { scope: 'row' },
          node('button', { type: 'button', class: 'link-button', 'data-testid': 'customers-open', onclick: () => showDetail(c.id) }, userText(c.name))),
        node('td', { class: 'mono small' }, c.phone ?? ''),
        node('td', { class: 'num', 'data-testid': 'customers-balance' }, balanceText(row.balance)),
        node('td', { class: 'customers-actions' },
          node('button', { type: 'button', class: 'button button--small', 'data-testid': 'customers-edit', onclick: () => form.open(c) }, t('common.edit')),
          isManager() ? node('button', { type: 'button', class: 'button button--small', 'data-testid': 'customers-archive', onclick: () => archive.open(c) }, t('common.archive')) : null));
    }));
  }

  function reload() {
    return list.reload().catch((err) => listError.show(err));
  }

  const runSearch = debounce(() => {
    listError.clear();
    list.first().catch((err) => listError.show(err));
  }, 200);
  search.addEventListener('input', runSearch);

  async function showDetail(id) {
    shownId = String(id);
    detail.replaceChildren(node('p', { class: 'muted' }, t('common.loading')));
    try {
      const d = await api.customerDetail(String(id));
      if (shownId !== String(id)) return;
      drawDetail(d);
    } catch (err) {
      const box = errorBox(t, 'customers-detail-error');
      box.show(err);
      detail.replaceChildren(box.el);
    }
  }

  function drawDetail({ customer: c, balance, debts = [], invoices = [] }) {
    const debtRows = debts.map((entry) => {
      const d = entry.debt ?? entry;
      const remaining = entry.remaining ?? d.remaining ?? 0;
      return node('tr', { 'data-testid': 'customers-detail-debt', 'data-debt-id': String(d.id) },
        node('td', {}, format.date(d.createdAt)),
        node('td', {}, d.source ? t(`customers.source.${d.source}`) : ''),
        node('td', { class: 'num' }, money(d.amount, d.currency)),
        node('td', { class: 'num strong' }, money(remaining, d.currency)),
        node('td', {}, remaining > 0 ? t('customers.open') : t('customers.settled')));
    });
    const invoiceRows = invoices.map((inv) =>
      node('tr', { 'data-testid': 'customers-detail-invoice', 'data-number': String(inv.number) },
        node('td', {}, `#${inv.number}`),
        node('td', {}, format.dateTime(inv.createdAt)),
        node('td', { class: 'num' }, money(inv.total, inv.currency)),
        node('td', { class: 'num' }, money(inv.paid ?? inv.total, inv.currency))));
    detail.replaceChildren(
      node('h2', { class: 'card__title', dir: 'auto', 'data-testid': 'customers-detail-name' }, c.name),
      node('dl', { class: 'facts' },
        node('dt', {}, t('customers.phone')), node('dd', { class: 'mono' }, c.phone ?? '—'),
        node('dt', {}, t('customers.creditLimit')), node('dd', {}, c.creditLimit === null || c.creditLimit === undefined ? t('customers.noLimit') : money(c.creditLimit, 'IQD')),
        node('dt', {}, t('customers.balance')), node('dd', { class: 'strong', 'data-testid': 'customers-detail-balance' }, balanceText(balance))),
      node('h3', { class: 'card__subtitle' }, t('customers.debts')),
      debtRows.length
        ? node('table', { class: 'table', 'data-testid': 'customers-detail-debts' },
          node('thead', {}, node('tr', {},
            node('th', { scope: 'col' }, t('customers.date')),
            node('th', { scope: 'col' }, t('customers.source')),
            node('th', { scope: 'col', class: 'num' }, t('customers.amount')),
            node('th', { scope: 'col', class: 'num' }, t('customers.remaining')),
            node('th', { scope: 'col' }, t('customers.state')))),
          node('tbody', {}, ...debtRows))
        : node('p', { class: 'muted' }, t('customers.noDebts')),
      node('h3', { class: 'card__subtitle' }, t('customers.invoices')),
      invoiceRows.length
        ? node('table', { class: 'table', 'data-testid': 'customers-detail-invoices' },
          node('thead', {}, node('tr', {},
            node('th', { scope: 'col' }, t('customers.invoice')),
            node('th', { scope: 'col' }, t('customers.date')),
            node('th', { scope: 'col', class: 'num' }, t('customers.total')),
            node('th', { scope: 'col', class: 'num' }, t('customers.paid')))),
          node('tbody', {}, ...invoiceRows))
        : node('p', { class: 'muted' }, t('customers.noInvoices')));
  }

  function customerForm() {
    const title = node('h2', {});
    const name = node('input', { required: true, autocomplete: 'off', 'data-testid': 'customers-form-name' });
    const phone = node('input', { type: 'tel', autocomplete: 'off', 'data-testid': 'customers-form-phone' });
    const limit = node('input', { inputMode: 'numeric', autocomplete: 'off', 'data-testid': 'customers-form-limit', placeholder: t('customers.noLimit') });
    const error = errorBox(t, 'customers-form-error');
    const save = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'customers-form-save' }, t('common.save'));
    const cancel = node('button', { type: 'button', class: 'button', onclick: () => el.close() }, t('common.cancel'));
    const formEl = node('form', { class: 'form' },
      title,
      field(t('customers.name'), name),
      field(t('customers.phone'), phone),
      field(t('customers.creditLimitIqd'), limit, t('customers.creditLimitHint')),
      actionRow(error, save, cancel));
    const el = node('dialog', { class: 'dialog', 'data-testid': 'customers-form-dialog' }, formEl);
    let editing = null;
    onSubmit(formEl, { button: save, error }, async () => {
      const creditLimit = moneyOr(limit, 'IQD', null);
      if (limit.value.trim() !== '' && creditLimit === null) throw invalid(t('customers.badLimit'), limit);
      const input = customerInput(name, phone, creditLimit);
      const saved = editing ? await api.editCustomer(String(editing.id), input) : await api.createCustomer(input);
      el.close();
      status.set(t(editing ? 'customers.saved' : 'customers.added', { name: saved.name }), 'ok');
      await reload();
      showDetail(saved.id);
    });
    return {
      el,
      open(c) {
        editing = c;
        error.clear();
        title.textContent = c ? t('customers.editTitle', { name: c.name }) : t('customers.addTitle');
        name.value = c?.name ?? '';
        phone.value = c?.phone ?? '';
        limit.value = c?.creditLimit === null || c?.creditLimit === undefined ? '' : String(c.creditLimit);
        el.showModal();
        name.focus();
      },
    };
  }

  function archiveDialog() {
    return confirmDialog(t, {
      testid: 'customers-archive',
      title: t('customers.archiveTitle'),
      confirm: t('common.archive'),
      confirmClass: 'button--danger',
      describe: (c) => t('customers.archiveWhat', { name: c.name }),
      act: (c) => api.archiveCustomer(String(c.id)),
      after(c) {
        status.set(t('customers.archived', { name: c.name }), 'ok');
        if (shownId === String(c.id)) detail.replaceChildren(node('p', { class: 'muted' }, t('customers.pick')));
        reload();
      },
    });
  }

  list.first().catch((err) => listError.show(err));
  search.focus();

  return {
    unmount() {
      runSearch.cancel();
      for (const d of [form.el, archive.el]) if (d.open) d.close();
    },
    onKey(e) {
      if (e.key !== 'Escape') return false;
      const d = [form.el, archive.el].find((x) => x.open);
      if (d) {
        d.close();
        return true;
      }
      if (search.value) {
        search.value = '';
        runSearch();
        return true;
      }
      return false;
    },
  };
}
