//! What the cashier sees, measured: every error sits next to the control
//! that caused it, in view, and the layout does not jump (element
//! rectangles before and after); Arabic labels are neither clipped nor
//! mixed with English formatting, and user-entered names keep their own
//! direction; a step that needs a manager asks for their name and PIN in
//! place; the status bar is one line, screens open at their top, lists take
//! the width, the chart's axis has dates, a dollar refund is in the dollars
//! card, and change due is shown large before the next sale.

use anyhow::Context as _;
use fantoccini::key::Key;
use serde_json::{json, Value};
use sonic_core::ops::catalog::{self, CustomerInput, ItemInput};
use sonic_core::ops::returns::{self, ReturnInput, ReturnLineInput};
use sonic_core::ops::sale::{self, SaleInput, SaleLineInput, TenderInput};
use sonic_core::ops::{debt, stock};
use sonic_core::sections::Currency;
use sonic_core::{DataDir, Store};
use sonic_e2e::screen::{choose, css, css_text, dialog_open, wait_for_count};
use sonic_e2e::shop::{seed_shop, SeededShop, CASHIER, MANAGER, OWNER};
use sonic_e2e::App;

use crate::returns::cashier_at_main;
use crate::sale::{iqd, scan};

/// The seeded cashier's context with an owner's role: for setting up, before
/// the app starts, what only an owner may create (customers with a limit,
/// items).
fn owner_at_main(store: &Store, shop: &SeededShop) -> anyhow::Result<sonic_core::ops::OpCtx> {
    let ctx = cashier_at_main(store, shop)?;
    Ok(sonic_core::ops::OpCtx::now(
        sonic_core::ops::Actor {
            role: sonic_core::sections::Role::Owner,
            ..ctx.actor
        },
        shop.main_store.clone(),
    ))
}

/// The rectangle of the first element matching `css`, and the viewport's size.
async fn rect(app: &App, css: &str) -> anyhow::Result<Value> {
    const SCRIPT: &str = r#"
        const el = document.querySelector(arguments[0]);
        if (!el) return null;
        const r = el.getBoundingClientRect();
        return { l: r.left, t: r.top, r: r.right, b: r.bottom, w: r.width, h: r.height,
                 vw: window.innerWidth, vh: window.innerHeight };
    "#;
    let got = app.client.execute(SCRIPT, vec![json!(css)]).await?;
    anyhow::ensure!(!got.is_null(), "no element {css}");
    Ok(got)
}

fn f(v: &Value, k: &str) -> f64 {
    v[k].as_f64().unwrap_or(f64::NAN)
}

/// The element lies inside the window (the part above the status bar included).
fn in_viewport(r: &Value) -> bool {
    f(r, "w") > 0.0
        && f(r, "l") >= -0.5
        && f(r, "t") >= -0.5
        && f(r, "r") <= f(r, "vw") + 0.5
        && f(r, "b") <= f(r, "vh") + 0.5
}

fn same_rect(a: &Value, b: &Value) -> bool {
    ["l", "t", "w", "h"].iter().all(|k| (f(a, k) - f(b, k)).abs() < 1.0)
}

/// `b` is next to `a`: on the same row (their heights overlap) or right
/// under it (within 60 px), and not across the screen.
fn adjacent(a: &Value, b: &Value) -> bool {
    let same_row = f(b, "t") < f(a, "b") && f(b, "b") > f(a, "t");
    let below = f(b, "t") >= f(a, "b") - 1.0 && f(b, "t") - f(a, "b") < 60.0;
    same_row || below
}

fn arabic(dir: &std::path::Path) -> anyhow::Result<()> {
    Store::open(&DataDir::at(dir))?.set_setting("ui.language", "ar")?;
    Ok(())
}

fn one_sale(
    store: &mut Store,
    shop: &SeededShop,
    item: &str,
    qty: i64,
    currency: Currency,
    paid: i64,
) -> anyhow::Result<sonic_core::sections::Invoice> {
    let ctx = cashier_at_main(store, shop)?;
    let sold = sale::sell(
        store,
        &ctx,
        &SaleInput {
            lines: vec![SaleLineInput {
                item_id: item.into(),
                qty,
                discount: 0,
            }],
            currency,
            discount: 0,
            customer_id: None,
            payments: vec![TenderInput { currency, amount: paid }],
            change_currency: None,
        },
    )?;
    Ok(sold.invoice)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_restore_pin_is_shown_beside_the_pin_in_view_and_the_pin_is_kept_selected() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.client.set_window_rect(0, 0, 1280, 720).await?;
    app.sign_in(OWNER.0, OWNER.1).await?;
    app.open("backup").await?;
    app.click("backup-now").await?;
    let id = app.wait_for_text("backup-id", |t| !t.trim().is_empty()).await?;
    css(
        &app,
        &format!(
            "[data-testid='history-item'][data-id='{}'] [data-testid='history-restore']",
            id.trim()
        ),
    )
    .await?
    .click()
    .await?;
    app.testid("restore-approval").await?;
    sonic_e2e::screen::fill(&app, "restore-manager-name", MANAGER.0).await?;
    sonic_e2e::screen::fill(&app, "restore-manager-pin", "0000").await?;
    let pin_before = rect(&app, "[data-testid='restore-manager-pin']").await?;
    app.click("restore-confirm").await?;
    app.wait_for_text("restore-error", |t| !t.trim().is_empty()).await?;
    let pin_after = rect(&app, "[data-testid='restore-manager-pin']").await?;
    let error = rect(&app, "[data-testid='restore-error']").await?;
    assert!(in_viewport(&error), "the error is in view: {error}");
    assert!(in_viewport(&pin_after), "the PIN field is in view: {pin_after}");
    assert!(
        adjacent(&pin_after, &error),
        "the error is beside the PIN: pin {pin_after}, error {error}"
    );
    assert!(
        (f(&pin_after, "h") - f(&pin_before, "h")).abs() < 1.0
            && (f(&pin_after, "w") - f(&pin_before, "w")).abs() < 1.0,
        "the PIN field keeps its size: {pin_before} / {pin_after}"
    );
    let kept = app
        .client
        .execute(
            "const p = document.querySelector(\"[data-testid='restore-manager-pin']\"); return { value: p.value, start: p.selectionStart, end: p.selectionEnd, focused: document.activeElement === p };",
            vec![],
        )
        .await?;
    assert_eq!(kept["value"], "0000", "the PIN is not silently emptied: {kept}");
    assert_eq!(
        (kept["start"].as_u64(), kept["end"].as_u64()),
        (Some(0), Some(4)),
        "the PIN is selected: {kept}"
    );
    assert_eq!(kept["focused"], true, "the cursor is in the PIN: {kept}");
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_return_leaves_the_return_button_in_place_with_its_error_beside_it() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let invoice = {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        one_sale(&mut store, &shop, &shop.cable.id, 2, Currency::Iqd, 10_000)?
    };
    let app = App::launch(dir.path()).await?;
    app.client.set_window_rect(0, 0, 1280, 720).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;
    app.open("return").await?;
    app.fill("return-number", &invoice.number.to_string()).await?;
    app.click("return-find").await?;
    app.testid("return-line-qty").await?;
    // Three taken back of the two sold: refused.
    sonic_e2e::screen::fill(&app, "return-line-qty", "3").await?;
    sonic_e2e::screen::in_view(&app, "return-submit").await?;
    let before = rect(&app, "[data-testid='return-submit']").await?;
    app.click("return-submit").await?;
    app.wait_for_text("return-error", |t| !t.trim().is_empty()).await?;
    let after = rect(&app, "[data-testid='return-submit']").await?;
    let error = rect(&app, "[data-testid='return-error']").await?;
    assert!(
        same_rect(&before, &after),
        "the Return button does not move: {before} / {after}"
    );
    assert!(in_viewport(&after), "the Return button is still in view: {after}");
    assert!(in_viewport(&error), "the refusal is in view: {error}");
    assert!(
        adjacent(&after, &error),
        "the refusal is beside the Return button: {after} / {error}"
    );
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_debt_payment_dialog_keeps_its_width_when_an_error_shows() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let debt_id = {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        let owner_ctx = owner_at_main(&store, &shop)?;
        let sara = catalog::create_customer(
            &mut store,
            &owner_ctx,
            &CustomerInput {
                name: "Sara Kareem".into(),
                phone: None,
                credit_limit: None,
            },
        )?;
        debt::open_debt(&mut store, &owner_ctx, &sara.id.key(), Currency::Iqd, 40_000, "old tab")?
            .id
            .key()
    };
    let app = App::launch(dir.path()).await?;
    app.client.set_window_rect(0, 0, 1280, 720).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;
    app.open("debts").await?;
    css(
        &app,
        &format!("[data-testid='debts-row'][data-debt-id='{debt_id}'] [data-testid='debts-pay']"),
    )
    .await?
    .click()
    .await?;
    dialog_open(&app, "debts-pay-dialog").await?;
    let before = rect(&app, "[data-testid='debts-pay-dialog']").await?;
    let button_before = rect(&app, "[data-testid='debts-pay-submit']").await?;
    app.fill("debts-pay-amount", "not an amount").await?;
    app.click("debts-pay-submit").await?;
    app.wait_for_text("debts-pay-error", |t| !t.trim().is_empty()).await?;
    let after = rect(&app, "[data-testid='debts-pay-dialog']").await?;
    let error = rect(&app, "[data-testid='debts-pay-error']").await?;
    let button_after = rect(&app, "[data-testid='debts-pay-submit']").await?;
    assert!(
        (f(&before, "w") - f(&after, "w")).abs() < 1.0,
        "the dialog keeps its width: {before} / {after}"
    );
    assert!(
        f(&after, "w") < 0.6 * f(&after, "vw"),
        "the dialog is not full width: {after}"
    );
    assert!(in_viewport(&error), "the error is in view: {error}");
    assert!(
        adjacent(&button_after, &error),
        "the error is beside the Pay button: {button_after} / {error}"
    );
    assert!(
        (f(&button_before, "l") - f(&button_after, "l")).abs() < 1.0
            && (f(&button_before, "w") - f(&button_after, "w")).abs() < 1.0,
        "the Pay button keeps its place in the row: {button_before} / {button_after}"
    );
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_arabic_dashboard_is_not_clipped_has_dates_on_its_axis_and_a_dollar_refund_in_the_dollars_card(
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        // Enough stock for a large dinar day, then a dinar sale and a dollar sale returned.
        let owner_ctx = owner_at_main(&store, &shop)?;
        stock::receive(&mut store, &owner_ctx, &shop.screen.id, 300, 18_000)?;
        one_sale(&mut store, &shop, &shop.screen.id, 280, Currency::Iqd, 280 * 30_000)?;
        let phone = one_sale(&mut store, &shop, &shop.phone.id, 1, Currency::Usd, 25_000)?;
        returns::return_sale(
            &mut store,
            &owner_ctx,
            &ReturnInput {
                invoice_id: phone.id.key(),
                lines: vec![ReturnLineInput {
                    item_id: shop.phone.id.clone(),
                    qty: 1,
                }],
                reason: None,
            },
            None,
        )?;
    }
    arabic(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.client.set_window_rect(0, 0, 1280, 720).await?;
    app.sign_in(OWNER.0, OWNER.1).await?;
    app.open("dashboard").await?;
    app.testid("dashboard-chart").await?;
    // Its text content (the card may sit below the window's fold).
    let mut max = String::new();
    for _ in 0..50 {
        let got = app
            .client
            .execute(
                "return document.querySelector(\"[data-testid='dashboard-chart-max']\")?.textContent ?? '';",
                vec![],
            )
            .await?;
        max = got.as_str().unwrap_or_default().to_string();
        if !max.trim().is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let fits = app
        .client
        .execute(
            r#"const el = document.querySelector("[data-testid='dashboard-chart-max']");
               const box = el.closest('.card').getBoundingClientRect(); const r = el.getBoundingClientRect();
               return { fits: el.scrollWidth <= el.clientWidth && r.left >= box.left && r.right <= box.right };"#,
            vec![],
        )
        .await?;
    assert_eq!(
        fits["fits"], true,
        "the chart's highest amount is shown whole: {max} {fits}"
    );
    assert!(max.contains("8,400,000"), "the best day's amount reads in full: {max}");
    assert!(
        !max.contains("IQD"),
        "no English currency code in an Arabic label: {max}"
    );

    // The axis: dates (a month's name with the day), not the numbers 1…30.
    let days = app
        .client
        .execute(
            "return [...document.querySelectorAll('.dashboard__day')].map((d) => ({ text: d.textContent, day: d.getAttribute('data-day') }));",
            vec![],
        )
        .await?;
    let days = days.as_array().context("axis labels")?;
    assert!(days.len() >= 6, "the axis is labelled: {days:?}");
    for d in days {
        let text = d["text"].as_str().unwrap_or_default();
        assert!(
            text.chars().any(|c| c.is_alphabetic() && !c.is_ascii_digit()) && text.chars().any(|c| c.is_numeric()),
            "an axis label is a date with its month: {text:?}"
        );
    }

    // The $250.00 refund is in the dollars card, not the dinars card.
    let usd_card = app
        .wait_for_text("dashboard-sales-usd", |t| t.contains("$250.00"))
        .await?;
    let iqd_card = app.testid("dashboard-sales-iqd").await?.text().await?;
    assert!(
        !iqd_card.contains('$'),
        "no dollar refund in the dinars card: {iqd_card}"
    );
    app.testid("dashboard-refunds-usd")
        .await
        .context("the dollar refund line is in the dollars card")?;
    assert!(usd_card.contains("المسترد"), "it says refunded: {usd_card}");

    // No letter-spaced or upper-cased Arabic anywhere on the screen.
    let spaced = app
        .client
        .execute(
            "return [...document.querySelectorAll('body *')].filter((el) => { const s = getComputedStyle(el); return (s.letterSpacing !== 'normal' && parseFloat(s.letterSpacing) !== 0) || s.textTransform === 'uppercase'; }).map((el) => el.tagName + ':' + el.textContent.slice(0, 20));",
            vec![],
        )
        .await?;
    assert_eq!(spaced, json!([]), "no letter-spacing in Arabic");
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arabic_labels_keep_one_languages_formatting_and_an_arabic_name_with_digits_is_isolated() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let charger = {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        let owner_ctx = owner_at_main(&store, &shop)?;
        let made = catalog::create_item(
            &mut store,
            &owner_ctx,
            &ItemInput {
                name: "شاحن سريع #5".into(),
                barcode: Some("6900000000555".into()),
                category: None,
                currency: Currency::Iqd,
                price: 15_000,
                cost: 9_000,
            },
        )?;
        stock::receive(&mut store, &owner_ctx, &made.id.key(), 10, 9_000)?;
        made.id.key()
    };
    arabic(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.client.set_window_rect(0, 0, 1280, 720).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;
    scan(&app, "6900000000555").await?;
    scan(&app, &shop.cable.barcode).await?;
    wait_for_count(&app, "[data-testid='sale-line']", 2).await?;
    let total = app.wait_for_text("sale-total", |t| t.contains("20,000")).await?;
    assert!(
        total.contains("د.ع") && !total.contains("IQD"),
        "dinars in Arabic words: {total}"
    );

    // Every label of the Totals card and the status bar: Arabic or English, not both.
    let mixed = app
        .client
        .execute(
            r#"const leaves = [...document.querySelectorAll(".sale-totals *, .statusbar > *")]
                 .filter((el) => el.children.length === 0 && !el.hidden && el.textContent.trim());
               // A user's name (a store, a cashier) is isolated (FSI … PDI) and is theirs.
               return leaves.map((el) => el.textContent.replace(/\u2068[^\u2069]*\u2069/g, ''))
                 .filter((s) => /[\u0600-\u06FF]/.test(s) && /[A-Za-z]/.test(s));"#,
            vec![],
        )
        .await?;
    assert_eq!(mixed, json!([]), "no label mixes English and Arabic formatting");

    // The user's name for the charger keeps its own order: isolated, right to left.
    let name = app
        .client
        .execute(
            "const el = document.querySelector(\"[data-testid='sale-line'][data-item-id='\" + arguments[0] + \"'] [data-testid='sale-line-name'] bdi\"); if (!el) return null; const s = getComputedStyle(el); return { text: el.textContent, dir: el.getAttribute('dir'), direction: s.direction, bidi: s.unicodeBidi };",
            vec![json!(charger)],
        )
        .await?;
    assert_eq!(name["text"], "شاحن سريع #5", "{name}");
    assert_eq!(name["dir"], "auto", "{name}");
    assert_eq!(
        name["direction"], "rtl",
        "the name runs right to left from its first letter: {name}"
    );
    assert!(
        name["bidi"] == "isolate" || name["bidi"] == "plaintext",
        "the name is isolated from what is around it: {name}"
    );
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cashiers_step_that_needs_a_manager_asks_for_their_name_and_pin_in_place() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;
    app.open("customers").await?;
    app.click("customers-add").await?;
    dialog_open(&app, "customers-form-dialog").await?;
    app.fill("customers-form-name", "Ali Hassan").await?;
    app.fill("customers-form-limit", "100000").await?;
    app.click("customers-form-save").await?;

    // A credit limit is a manager's: their name and PIN are asked for here.
    dialog_open(&app, "approval-dialog")
        .await
        .context("the refusal opens the manager's approval, not a bare sentence")?;
    app.testid("approval-pin").await?;
    choose(&app, "approval-name", MANAGER.0).await?;
    app.fill("approval-pin", "0000").await?;
    app.click("approval-submit").await?;
    app.wait_for_text("approval-error", |t| !t.trim().is_empty()).await?;
    let pin = rect(&app, "[data-testid='approval-pin']").await?;
    let error = rect(&app, "[data-testid='approval-error']").await?;
    assert!(in_viewport(&error), "the wrong PIN is said in view: {error}");
    assert!(
        f(&error, "t") - f(&pin, "b") < 90.0 && f(&error, "t") >= f(&pin, "t"),
        "near the PIN: {pin} / {error}"
    );
    app.fill("approval-pin", MANAGER.1).await?;
    app.click("approval-submit").await?;
    css(&app, "dialog[data-testid='customers-form-dialog']:not([open])").await?;
    let store = Store::open(&DataDir::at(dir.path()))?;
    let ali = catalog::search_customers(&store, "Ali Hassan", sonic_core::ops::Page::FIRST)?
        .into_iter()
        .next()
        .context("the customer was added with the manager's approval")?;
    assert_eq!(ali.credit_limit, Some(100_000), "with the limit the manager approved");
    let frame = app.testid("customers-form-error").await?.text().await?;
    assert!(frame.trim().is_empty(), "no bare refusal is left on the form: {frame}");
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_bar_is_one_line_screens_open_at_their_top_and_lists_take_the_width() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    arabic(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.client.set_window_rect(0, 0, 1280, 720).await?;
    app.sign_in(OWNER.0, OWNER.1).await?;
    // A long message in the status bar (a server's error can be as long).
    let bar = app
        .client
        .execute(
            r#"document.getElementById('status-message').textContent = 'تعذر الوصول إلى الخادم '.repeat(12);
               const bar = document.querySelector('.statusbar');
               const tops = [...bar.children].filter((el) => !el.hidden && el.textContent.trim() && el.getBoundingClientRect().width > 0).map((el) => Math.round(el.getBoundingClientRect().top));
               const line = parseFloat(getComputedStyle(bar).fontSize) * 2;
               return { tops, height: bar.getBoundingClientRect().height, scroll: bar.scrollHeight, client: bar.clientHeight, line,
                        wrapped: [...bar.children].filter((el) => el.getBoundingClientRect().height > line).map((el) => el.id) };"#,
            vec![],
        )
        .await?;
    let tops: Vec<i64> = serde_json::from_value(bar["tops"].clone())?;
    assert!(
        tops.windows(2).all(|w| (w[0] - w[1]).abs() <= 6),
        "the status bar's items are on one line: {bar}"
    );
    assert_eq!(bar["wrapped"], json!([]), "no item wraps to a second line: {bar}");
    assert!(
        f(&bar, "scroll") <= f(&bar, "client") + 1.0,
        "nothing spills below the bar: {bar}"
    );

    // Settings scrolled to its end; Backup then opens at its top.
    app.open("settings").await?;
    app.client
        .execute(
            "const m = document.getElementById('screen'); m.scrollTop = m.scrollHeight; return m.scrollTop;",
            vec![],
        )
        .await?;
    app.open("backup").await?;
    let top = app
        .client
        .execute("return document.getElementById('screen').scrollTop;", vec![])
        .await?;
    assert_eq!(top.as_f64(), Some(0.0), "the Backup screen opens at its top");

    for (screen, table) in [("items", "items-list"), ("stores", "stores-list")] {
        app.open(screen).await?;
        app.testid(table).await?;
        let widths = app
            .client
            .execute(
                "const t = document.querySelector(\"[data-testid='\" + arguments[0] + \"']\"); const m = document.getElementById('screen'); return { table: t.getBoundingClientRect().width, main: m.clientWidth };",
                vec![json!(table)],
            )
            .await?;
        assert!(
            f(&widths, "table") > 0.85 * f(&widths, "main"),
            "the {screen} table uses the screen's width: {widths}"
        );
    }
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_due_is_shown_large_in_its_currency_and_enter_or_a_scan_starts_the_next_sale() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.client.set_window_rect(0, 0, 1280, 720).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;

    async fn pay_with(app: &App, dinars: &str) -> anyhow::Result<()> {
        app.click("sale-pay").await?;
        dialog_open(app, "sale-pay-dialog").await?;
        app.fill("sale-tender-iqd", dinars).await?;
        app.wait_for_text("sale-pay-outcome", |t| !t.trim().is_empty()).await?;
        app.click("sale-pay-confirm").await?;
        Ok(())
    }

    scan(&app, &shop.cable.barcode).await?;
    pay_with(&app, "25000").await?;
    let shown = app
        .wait_for_text("sale-change-amount", |t| !t.trim().is_empty())
        .await?;
    assert_eq!(shown, iqd(20_000), "the change, in dinars");
    let screen = rect(&app, "[data-testid='sale-change-screen']").await?;
    let amount = rect(&app, "[data-testid='sale-change-amount']").await?;
    assert!(in_viewport(&amount), "the change is in view: {amount}");
    assert!(
        f(&screen, "w") > 0.6 * 1280.0 * 0.7,
        "the change takes the screen's width: {screen}"
    );
    let size = app
        .client
        .execute(
            "return parseFloat(getComputedStyle(document.querySelector(\"[data-testid='sale-change-amount']\")).fontSize);",
            vec![],
        )
        .await?;
    assert!(size.as_f64().unwrap_or(0.0) >= 48.0, "in large type: {size}");

    // Enter goes on to the next sale.
    app.client
        .active_element()
        .await?
        .send_keys(&char::from(Key::Enter).to_string())
        .await?;
    css(&app, "[data-testid='sale-view']:not([hidden])").await?;
    wait_for_count(&app, "[data-testid='sale-line']", 0).await?;

    // Again, and this time the next customer's scan goes to the next sale.
    scan(&app, &shop.cable.barcode).await?;
    pay_with(&app, "10000").await?;
    app.wait_for_text("sale-change-amount", |t| t == iqd(5_000)).await?;
    app.client
        .active_element()
        .await?
        .send_keys(&format!("{}{}", shop.screen.barcode, char::from(Key::Enter)))
        .await?;
    css(
        &app,
        &format!("[data-testid='sale-line'][data-item-id='{}']", shop.screen.id),
    )
    .await
    .context("the scan made on the change screen is in the next sale")?;
    wait_for_count(&app, "[data-testid='sale-line']", 1).await?;
    css_text(&app, "[data-testid='sale-total']", |t| t == iqd(30_000)).await?;
    app.quit().await
}
