// Settings (owner and managers): the two exchange rates with their history,
// the shop's settings, users and their PINs, the language, and the backup
// server as the app sees it. Every change goes through one command; the
// shell refuses a cashier, and that refusal is shown where they acted.
import { node, field, errorBox, errorText } from '../dom.js';
import { screenHead } from '../screen.js';
import { backupSettingsCard } from './settings-backup.js';
import { confirmDialog } from '../confirm.js';
import { convert } from '../rate.js';
import { oldPosCard } from './settings-oldpos.js';
import { printerSettingsCard } from './settings-printer.js';

// The two rates: IQD per 1 USD for sales and returns, and the transfer rate.
const RATE_KINDS = ['iqdPerUsd', 'iqdRate'];
const ROLES = ['cashier', 'manager', 'owner'];
const HISTORY_LIMIT = 10;
// A new rate further than this from the current one (a 13150 typed for
// 1315) is asked about first, with an example price at both rates.
const RATE_CONFIRM_PERCENT = 10n;
const EXAMPLE_CENTS = 10_000;

// Whether decimal strings `a` (current) and `b` are more than
// RATE_CONFIRM_PERCENT apart, in exact integer arithmetic.
function farApart(a, b) {
  const places = (x) => x.split('.')[1]?.length ?? 0;
  const d = Math.max(places(a), places(b));
  const scaled = (x) => BigInt(x.replace('.', '') + '0'.repeat(d - places(x)));
  const [from, to] = [scaled(a), scaled(b)];
  const diff = from > to ? from - to : to - from;
  return diff * 100n > from * RATE_CONFIRM_PERCENT;
}

// Digits a user may type in Arabic (٠١٢…) as plain digits.
function latinDigits(text) {
  return String(text ?? '')
    .trim()
    .replace(/[٠-٩]/g, (d) => String('٠١٢٣٤٥٦٧٨٩'.indexOf(d)))
    .replace(/٫/g, '.')
    .replace(/[,\s٬]/g, '');
}

export function mount(root, ctx) {
  const { api, on, events, t, format, status } = ctx;
  const unlisteners = [];
  let mounted = true;
  // A listener that arrives after the screen was left is dropped at once.
  const listen = (event, handler) => on(event, handler).then((u) => (mounted ? unlisteners.push(u) : u()));

  // A rate is a decimal string ("1310.5"); shown with grouping, its
  // fraction kept as typed (no rounding through a float).
  function rateText(rate) {
    if (rate === null || rate === undefined || rate === '') return t('settings.rateUnset');
    const [whole, fraction] = String(rate).split('.');
    const sample = format.count(1.5);
    const digits = (s) => s.replace(/\d/g, (d) => format.count(Number(d)));
    return fraction ? `${format.count(Number(whole))}${sample.charAt(1)}${digits(fraction)}` : format.count(Number(whole));
  }

  // ---- rates ----
  function rateCard() {
    const card = node('section', { class: 'card settings__card', 'data-testid': 'settings-rates', 'aria-labelledby': 'settings-rates-title' },
      node('h2', { class: 'card__title', id: 'settings-rates-title' }, t('settings.ratesTitle')));
    const parts = RATE_KINDS.map((kind) => {
      const current = node('span', { class: 'settings__rate-now strong', 'data-testid': `settings-rate-${kind}-current` });
      const input = node('input', { inputMode: 'decimal', autocomplete: 'off', 'data-testid': `settings-rate-${kind}`, placeholder: '1310' });
      const save = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': `settings-rate-${kind}-save` }, t('settings.rateSave'));
      const error = errorBox(t, `settings-rate-${kind}-error`);
      const history = node('ol', { class: 'history settings__rate-history', 'data-testid': `settings-rate-${kind}-history` });
      const form = node('form', { class: 'row' },
        node('div', { class: 'grow' }, field(t(`settings.rateNew.${kind}`), input, t(`settings.rateHint.${kind}`))),
        save);
      const saved = async (rate) => {
        input.value = '';
        status.set(t('settings.rateSaved', { rate: rateText(rate) }), 'ok');
        await Promise.all([ctx.refreshSession().then(drawRates), loadHistory(kind)]);
      };
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        error.clear();
        const rate = latinDigits(input.value);
        if (!/^\d{1,9}(\.\d{1,6})?$/.test(rate) || Number(rate) <= 0) {
          error.show({ code: 'Validation', message: t('settings.rateInvalid') });
          input.focus();
          return;
        }
        const old = ctx.session?.rates?.[kind] ?? null;
        if (old && farApart(String(old), rate)) {
          rateConfirm.open({ kind, old: String(old), rate, saved });
          return;
        }
        save.disabled = true;
        try {
          await api.setRate(kind, rate);
          await saved(rate);
        } catch (err) {
          error.show(err);
        } finally {
          save.disabled = false;
        }
      });
      card.append(node('div', { class: 'settings__rate', 'data-kind': kind },
        node('h3', { class: 'card__subtitle' }, t(`settings.rate.${kind}`)),
        node('p', { class: 'settings__rate-line' }, node('span', { class: 'muted' }, t('settings.rateCurrent')), ' ', current),
        form,
        error.el,
        node('h4', { class: 'settings__minor' }, t('settings.rateHistory')),
        history));
      return { kind, current, history };
    });

    function drawRates() {
      for (const { kind, current } of parts) {
        const rate = ctx.session?.rates?.[kind] ?? null;
        current.textContent = rateText(rate);
        current.dataset.rate = rate ?? '';
      }
    }

    async function loadHistory(kind) {
      const { history } = parts.find((p) => p.kind === kind);
      try {
        const changes = await api.rateHistory(kind, { offset: 0, limit: HISTORY_LIMIT });
        if (changes.length === 0) {
          history.replaceChildren(node('li', { class: 'muted' }, t('settings.rateHistoryEmpty')));
          return;
        }
        history.replaceChildren(...changes.map((c) =>
          node('li', { class: 'history__item', 'data-testid': 'rate-change', 'data-old': c.old ?? '', 'data-new': c.new },
            node('span', { class: 'settings__change' },
              node('span', { 'data-testid': 'rate-old' }, c.old ? rateText(c.old) : t('settings.rateUnset')),
              node('span', { class: 'settings__arrow', 'aria-hidden': 'true' }, ' → '),
              node('span', { class: 'strong', 'data-testid': 'rate-new' }, rateText(c.new))),
            node('span', { class: 'history__when' }, format.dateTime(c.at)),
            node('span', { class: 'small muted' }, t('settings.rateBy', { name: c.by ?? '—' })))));
      } catch (err) {
        history.replaceChildren(node('li', { class: 'inline-error' }, errorText(t, err)));
      }
    }

    // Old and new rate, and what a $100.00 item costs at each.
    const step = () => ctx.session?.settings?.iqdStep ?? 250;
    const rateConfirm = confirmDialog(t, {
      testid: 'settings-rate-confirm',
      title: t('settings.rateConfirmTitle'),
      confirm: t('settings.rateConfirm'),
      confirmClass: 'button--primary',
      describe: ({ old, rate }) => t('settings.rateConfirmWhat', {
        old: rateText(old),
        new: rateText(rate),
        price: format.money(EXAMPLE_CENTS, 'USD'),
        before: format.money(convert(EXAMPLE_CENTS, 'USD', 'IQD', old, step()), 'IQD'),
        after: format.money(convert(EXAMPLE_CENTS, 'USD', 'IQD', rate, step()), 'IQD'),
      }),
      act: ({ kind, rate }) => api.setRate(kind, rate),
      after: ({ rate, saved }) => saved(rate).catch((err) => status.error(err)),
    });
    card.append(rateConfirm.el);

    drawRates();
    for (const kind of RATE_KINDS) loadHistory(kind);
    return { card, drawRates };
  }

  // ---- shop settings ----
  function shopCard() {
    const error = errorBox(t, 'settings-shop-error');
    const saved = node('p', { class: 'settings__saved', 'data-testid': 'settings-shop-saved', role: 'status', hidden: true }, t('settings.shopSaved'));
    const inputs = {
      shopName: node('input', { required: true, 'data-testid': 'settings-shop-name' }),
      receiptHeader: node('textarea', { rows: 3, 'data-testid': 'settings-receipt-header' }),
      iqdStep: node('input', { inputMode: 'numeric', 'data-testid': 'settings-iqd-step' }),
      returnApprovalAboveIqd: node('input', { inputMode: 'numeric', 'data-testid': 'settings-return-approval' }),
      maxPinAttempts: node('input', { inputMode: 'numeric', 'data-testid': 'settings-max-pin-attempts' }),
      lockMinutes: node('input', { inputMode: 'numeric', 'data-testid': 'settings-lock-minutes' }),
      discountApprovalAbovePercent: node('input', { inputMode: 'numeric', 'data-testid': 'settings-discount-approval' }),
    };
    const digits = node('input', { type: 'checkbox', 'data-testid': 'settings-arabic-digits' });
    const digitsField = node('label', { class: 'settings__check', hidden: true }, digits, node('span', {}, t('settings.arabicDigits')));
    const save = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'settings-shop-save' }, t('common.save'));
    const form = node('form', { class: 'form', 'data-testid': 'settings-shop-form' },
      field(t('settings.shopName'), inputs.shopName),
      field(t('settings.receiptHeader'), inputs.receiptHeader, t('settings.receiptHeaderHint')),
      node('div', { class: 'settings__grid' },
        field(t('settings.iqdStep'), inputs.iqdStep, t('settings.iqdStepHint')),
        field(t('settings.returnApproval'), inputs.returnApprovalAboveIqd, t('settings.returnApprovalHint')),
        field(t('settings.maxPinAttempts'), inputs.maxPinAttempts),
        field(t('settings.lockMinutes'), inputs.lockMinutes, t('settings.lockHint')),
        field(t('settings.discountApproval'), inputs.discountApprovalAbovePercent, t('settings.discountApprovalHint'))),
      digitsField,
      error.el,
      node('div', { class: 'row' }, save, saved));
    let loaded = null;

    function fill(settings) {
      loaded = settings;
      for (const [key, input] of Object.entries(inputs)) input.value = settings[key] ?? '';
      // Only offered once the shop's settings carry the option.
      digitsField.hidden = !('arabicDigits' in settings);
      digits.checked = Boolean(settings.arabicDigits);
    }

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      error.clear();
      saved.hidden = true;
      const whole = {};
      for (const key of ['iqdStep', 'returnApprovalAboveIqd', 'maxPinAttempts', 'lockMinutes', 'discountApprovalAbovePercent']) {
        const text = latinDigits(inputs[key].value);
        if (!/^\d{1,12}$/.test(text)) {
          error.show({ code: 'Validation', message: t('settings.wholeNumber', { field: t(`settings.${{ returnApprovalAboveIqd: 'returnApproval', discountApprovalAbovePercent: 'discountApproval' }[key] ?? key}`) }) });
          inputs[key].focus();
          return;
        }
        whole[key] = Number(text);
      }
      // Fields this screen does not know are sent back as they came.
      const settings = { ...(loaded ?? {}), shopName: inputs.shopName.value.trim(), receiptHeader: inputs.receiptHeader.value, ...whole };
      if ('arabicDigits' in (loaded ?? {})) settings.arabicDigits = digits.checked;
      save.disabled = true;
      try {
        await api.setShopSettings(settings);
        fill(await api.shopSettings());
        saved.hidden = false;
        status.set(t('settings.shopSaved'), 'ok');
        const digitsChanged = 'arabicDigits' in settings && Boolean(ctx.session?.settings?.arabicDigits) !== settings.arabicDigits;
        await ctx.refreshSession();
        // Digits are chosen when the frame loads its text.
        if (digitsChanged && document.documentElement.lang === 'ar') window.location.reload();
      } catch (err) {
        error.show(err);
      } finally {
        save.disabled = false;
      }
    });

    api.shopSettings().then(fill, (err) => error.show(err));
    return node('section', { class: 'card settings__card', 'data-testid': 'settings-shop', 'aria-labelledby': 'settings-shop-title' },
      node('h2', { class: 'card__title', id: 'settings-shop-title' }, t('settings.shopTitle')),
      form);
  }

  // ---- users and PINs ----
  function usersCard() {
    const error = errorBox(t, 'settings-users-error');
    const body = node('tbody');
    const table = node('table', { class: 'table', 'data-testid': 'settings-users' },
      node('thead', {}, node('tr', {},
        node('th', { scope: 'col' }, t('settings.userName')),
        node('th', { scope: 'col' }, t('settings.userRole')),
        node('th', { scope: 'col' }, t('settings.userState')),
        node('th', { scope: 'col' }, t('settings.userPin')))),
      body);

    function pinForm(user) {
      const pin = node('input', { type: 'password', inputMode: 'numeric', autocomplete: 'new-password', class: 'settings__pin', 'data-testid': 'user-new-pin', 'aria-label': t('settings.newPinFor', { name: user.name }) });
      const set = node('button', { type: 'submit', class: 'button', 'data-testid': 'user-set-pin' }, t('settings.setPin'));
      const form = node('form', { class: 'settings__pin-form' }, pin, set);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        error.clear();
        set.disabled = true;
        try {
          await api.setPin(user.id, pin.value);
          pin.value = '';
          status.set(t('settings.pinSet', { name: user.name }), 'ok');
          await loadUsers();
        } catch (err) {
          error.show(err);
        } finally {
          set.disabled = false;
        }
      });
      return form;
    }

    async function loadUsers() {
      try {
        const users = await api.users();
        body.replaceChildren(...users.map((u) => {
          const state = u.disabled ? 'disabled' : u.locked ? 'locked' : 'active';
          return node('tr', { 'data-testid': 'user-row', 'data-name': u.name, 'data-role': u.role },
            node('th', { scope: 'row' }, u.name),
            node('td', {}, t(`role.${u.role}`)),
            node('td', {}, node('span', { class: `settings__state settings__state--${state}` }, t(`settings.state.${state}`))),
            node('td', {}, pinForm(u)));
        }));
      } catch (err) {
        error.show(err);
      }
    }

    const name = node('input', { required: true, autocomplete: 'off', 'data-testid': 'settings-new-user-name' });
    const role = node('select', { 'data-testid': 'settings-new-user-role' }, ...ROLES.map((r) => node('option', { value: r }, t(`role.${r}`))));
    const pin = node('input', { type: 'password', inputMode: 'numeric', autocomplete: 'new-password', 'data-testid': 'settings-new-user-pin' });
    const add = node('button', { type: 'submit', class: 'button button--primary', 'data-testid': 'settings-new-user-submit' }, t('settings.addUser'));
    const form = node('form', { class: 'row settings__new-user' },
      field(t('settings.userName'), name),
      field(t('settings.userRole'), role),
      field(t('settings.userPin'), pin, t('settings.pinHint')),
      add);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      error.clear();
      add.disabled = true;
      try {
        await api.createUser(name.value.trim(), role.value, pin.value);
        status.set(t('settings.userAdded', { name: name.value.trim() }), 'ok');
        name.value = '';
        pin.value = '';
        await loadUsers();
      } catch (err) {
        error.show(err);
      } finally {
        add.disabled = false;
      }
    });

    loadUsers();
    return node('section', { class: 'card settings__card', 'data-testid': 'settings-users-card', 'aria-labelledby': 'settings-users-title' },
      node('h2', { class: 'card__title', id: 'settings-users-title' }, t('settings.usersTitle')),
      table,
      node('h3', { class: 'card__subtitle' }, t('settings.newUser')),
      form,
      error.el);
  }

  // ---- language ----
  function languageCard() {
    const current = ctx.session?.language ?? document.documentElement.lang ?? 'en';
    const error = errorBox(t, 'settings-language-error');
    const buttons = ['en', 'ar'].map((code) => {
      const button = node('button', {
        type: 'button',
        class: 'button settings__language',
        lang: code,
        'data-testid': `settings-language-${code}`,
        'aria-pressed': String(code === current),
      }, t(`settings.language.${code}`));
      button.addEventListener('click', async () => {
        if (code === current) return;
        error.clear();
        try {
          await ctx.setLanguage(code);
        } catch (err) {
          error.show(err);
        }
      });
      return button;
    });
    return node('section', { class: 'card settings__card', 'data-testid': 'settings-language', 'aria-labelledby': 'settings-language-title' },
      node('h2', { class: 'card__title', id: 'settings-language-title' }, t('settings.languageTitle')),
      node('p', { class: 'muted' }, t('settings.languageLead')),
      node('div', { class: 'row', role: 'group', 'aria-labelledby': 'settings-language-title' }, ...buttons),
      error.el);
  }

  // ---- backup server (read-only: set when the app is started) ----
  function serverCard() {
    const facts = node('dl', { class: 'facts', 'data-testid': 'settings-server-status' });
    function draw(s) {
      const state = !s.configured ? 'notSetUp' : s.lastError ? 'offline' : s.online === false ? 'offline' : 'online';
      facts.dataset.state = state;
      facts.replaceChildren(
        node('dt', {}, t('settings.serverState')),
        node('dd', { class: 'strong', 'data-testid': 'settings-server-state' }, t(`settings.server.${state}`)),
        node('dt', {}, t('settings.serverAddress')),
        node('dd', { class: 'mono small', dir: 'ltr' }, s.server ?? '—'),
        node('dt', {}, t('settings.serverPending')),
        node('dd', { 'data-testid': 'settings-server-pending' }, format.count(s.pending ?? 0)),
        node('dt', {}, t('settings.serverLastSuccess')),
        node('dd', {}, s.lastSuccess ? format.dateTime(s.lastSuccess) : '—'),
        ...(s.lastError ? [node('dt', {}, t('settings.serverLastError')), node('dd', { class: 'small' }, s.lastError)] : []));
    }
    api.serverStatus().then(draw, (err) => status.error(err));
    listen(events.serverStatus, draw);
    return node('section', { class: 'card settings__card', 'data-testid': 'settings-server', 'aria-labelledby': 'settings-server-title' },
      node('h2', { class: 'card__title', id: 'settings-server-title' }, t('settings.serverTitle')),
      facts,
      node('p', { class: 'small muted' }, t('settings.serverHow')));
  }

  const rates = rateCard();
  root.append(
    screenHead(t('settings.title'), t('settings.lead')),
    node('div', { class: 'settings__columns' },
      node('div', { class: 'settings__column' }, rates.card, usersCard()),
      node('div', { class: 'settings__column' }, shopCard(), languageCard(), serverCard(),
        // The backup server is the shop's key to its backups: the owner's alone (Rust refuses the others).
        ctx.session?.user?.role === 'owner' ? backupSettingsCard(ctx) : null,
        ctx.session?.user?.role === 'owner' ? oldPosCard(ctx) : null,
        // This computer's printer and drawer: managers and the owner (Rust refuses the others).
        ['owner', 'manager'].includes(ctx.session?.user?.role) ? printerSettingsCard(ctx) : null)));

  // A rate changed elsewhere (another window, the admin tool) shows here too.
  listen(events.session, () => rates.drawRates());
  root.querySelector('[data-testid="settings-rate-iqdPerUsd"]')?.focus();

  return {
    unmount: () => {
      mounted = false;
      unlisteners.forEach((u) => u());
    },
  };
}
