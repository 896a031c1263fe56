//! The Sale screen at the till: a sale in dollars paid with a note and the
//! change given in dinars, and a sale that is still there after the app is
//! closed and started again. Also the till's own helpers the other flows
//! (returns, debts) share: amounts as the screen writes them, scanning, the
//! receipt's number.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use fantoccini::key::Key;
use fantoccini::Locator;
use sonic_core::money;
use sonic_core::ops::{sale, stock};
use sonic_core::sections::{Currency, Rate};
use sonic_core::{DataDir, Store};
use sonic_e2e::screen::{choose, css, css_text, dialog_open, wait_for_count};
use sonic_e2e::shop::{seed_shop, CASHIER, RATE};
use sonic_e2e::{App, PATIENCE};

/// The shop's IQD step (the seeded shop keeps the default).
pub(crate) const IQD_STEP: i64 = money::DEFAULT_IQD_STEP;

pub(crate) fn rate() -> anyhow::Result<Rate> {
    RATE.parse::<Rate>().map_err(anyhow::Error::msg)
}

fn grouped(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Dinars as the app shows them in English: `8,000 IQD`.
pub(crate) fn iqd(dinars: i64) -> String {
    format!("{} IQD", grouped(dinars))
}

/// Cents as the app shows them in English: `$253.82`.
pub(crate) fn usd(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}${}.{:02}", grouped(cents.abs() / 100), cents.abs() % 100)
}

/// Scans a barcode the way a keyboard-wedge scanner does: its digits, then Enter.
pub(crate) async fn scan(app: &App, barcode: &str) -> anyhow::Result<()> {
    let input = app.testid("sale-scan").await?;
    input.send_keys(&format!("{barcode}{}", char::from(Key::Enter))).await?;
    // The box empties once the item is in the cart.
    let deadline = Instant::now() + PATIENCE;
    while input.prop("value").await?.unwrap_or_default() != "" {
        if Instant::now() > deadline {
            bail!("the scanned barcode {barcode} never reached the cart");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// The invoice number on the receipt now shown.
pub(crate) async fn receipt_number(app: &App) -> anyhow::Result<u64> {
    let text = app
        .wait_for_text("sale-receipt-number", |t| !t.trim().is_empty())
        .await?;
    text.trim()
        .parse()
        .with_context(|| format!("the receipt's invoice number {text:?} is a number"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dollar_sale_paid_with_a_note_gives_the_change_in_dinars() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let rate = rate()?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;

    // The phone is priced $250.00, the cable 5,000 IQD: in a dollar invoice
    // the cable is converted to cents.
    app.click("sale-currency-USD").await?;
    scan(&app, &shop.phone.barcode).await?;
    app.fill("sale-search", "USB-C").await?;
    css(
        &app,
        &format!("[data-testid='sale-result'][data-item-id='{}']", shop.cable.id),
    )
    .await?
    .click()
    .await?;
    wait_for_count(&app, "[data-testid='sale-line']", 2).await?;

    let cable_cents = money::convert(5_000, Currency::Iqd, Currency::Usd, rate, IQD_STEP).context("converts")?;
    let total = 25_000 + cable_cents;
    let total_iqd = money::convert(total, Currency::Usd, Currency::Iqd, rate, IQD_STEP).context("converts")?;
    app.wait_for_text("sale-total", |t| t == usd(total)).await?;
    app.wait_for_text("sale-other-total", |t| t == iqd(total_iqd)).await?;

    // F4 opens Pay; a $260 note, change in dinars.
    app.testid("sale-scan")
        .await?
        .send_keys(&char::from(Key::F4).to_string())
        .await?;
    dialog_open(&app, "sale-pay-dialog").await?;
    let tendered = 26_000;
    app.fill("sale-tender-usd", "260").await?;
    choose(&app, "sale-change-currency", "IQD").await?;
    let change = money::convert(tendered - total, Currency::Usd, Currency::Iqd, rate, IQD_STEP).context("converts")?;
    assert!(change > 0, "the note is more than the total, so there is change");
    app.wait_for_text("sale-pay-outcome", |t| t.contains(&iqd(change)))
        .await
        .context("the Pay dialog shows the change in dinars before the sale")?;
    app.click("sale-pay-confirm").await?;

    let number = receipt_number(&app).await?;
    app.wait_for_text("sale-receipt-total", |t| t == usd(total)).await?;
    app.wait_for_text("sale-receipt-other-total", |t| t == iqd(total_iqd))
        .await?;
    app.wait_for_text("sale-receipt-change", |t| t == iqd(change)).await?;
    app.wait_for_text("sale-receipt-tendered-USD", |t| t == usd(tendered))
        .await?;
    app.wait_for_text("sale-receipt-rate", |t| t.contains(&grouped(1310)))
        .await?;

    let store = Store::open(&DataDir::at(dir.path()))?;
    let invoice = sale::invoice_by_number(&store, number)?.context("the invoice on the receipt is stored")?;
    assert_eq!(invoice.currency, Currency::Usd, "the invoice is in dollars");
    assert_eq!(
        invoice.total, total,
        "the stored total is the phone plus the converted cable"
    );
    assert_eq!(invoice.paid, Some(total), "the invoice is paid in full");
    assert_eq!(
        invoice.change,
        Some(change),
        "the stored change is the surplus in dinars"
    );
    assert_eq!(
        invoice.change_currency,
        Some(Currency::Iqd),
        "the change was given in dinars"
    );
    assert_eq!(invoice.rate, Some(rate), "the invoice keeps the rate it used");
    assert_eq!(invoice.payments.len(), 1, "one tender: {:?}", invoice.payments);
    assert_eq!(
        (invoice.payments[0].currency, invoice.payments[0].amount),
        (Currency::Usd, tendered),
        "the $260 note is stored as tendered"
    );
    assert_eq!(
        invoice.cashier.as_deref(),
        Some(CASHIER.0),
        "the cashier who sold is on the invoice"
    );
    assert_eq!(
        stock::level(&store, &shop.phone.id, &shop.main_store)?,
        4,
        "one of the 5 phones left Main"
    );
    assert_eq!(
        stock::level(&store, &shop.cable.id, &shop.main_store)?,
        19,
        "one of the 20 cables left Main"
    );

    // New sale empties the till for the next customer.
    app.click("sale-new").await?;
    css(
        &app,
        "[data-testid='sale-view']:not([hidden]) [data-testid='sale-cart-empty']:not([hidden])",
    )
    .await?;
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_made_at_the_till_is_still_there_after_the_app_is_closed_and_started_again() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let first = App::launch(dir.path()).await?;
    first.sign_in(CASHIER.0, CASHIER.1).await?;

    // Three cables, scanned one by one: one cart line of 3.
    for _ in 0..3 {
        scan(&first, &shop.cable.barcode).await?;
    }
    wait_for_count(&first, "[data-testid='sale-line']", 1).await?;
    let total = 3 * 5_000;
    first.wait_for_text("sale-total", |t| t == iqd(total)).await?;
    first.click("sale-pay").await?;
    dialog_open(&first, "sale-pay-dialog").await?;
    first.click("sale-pay-exact").await?;
    first.wait_for_text("sale-pay-outcome", |t| t.contains(&iqd(0))).await?;
    first.click("sale-pay-confirm").await?;
    let number = receipt_number(&first).await?;
    first.click("sale-new").await?;
    css_text(
        &first,
        &format!("[data-testid='sale-recent-item'][data-number='{number}']"),
        |t| t.contains(&iqd(total)),
    )
    .await
    .context("the new invoice heads the recent list")?;

    first.close_window_and_wait_for_exit().await?;
    first.quit().await?;

    let second = App::launch(dir.path()).await?;
    second.sign_in(CASHIER.0, CASHIER.1).await?;
    let recent = css_text(
        &second,
        &format!("[data-testid='sale-recent-item'][data-number='{number}']"),
        |t| t.contains(&iqd(total)),
    )
    .await
    .context("after the restart the invoice is in the recent list")?;
    assert!(
        recent.contains(&number.to_string()),
        "the row names invoice #{number}: {recent}"
    );
    css(
        &second,
        &format!("[data-testid='sale-recent-item'][data-number='{number}']"),
    )
    .await?
    .click()
    .await?;
    assert_eq!(
        receipt_number(&second).await?,
        number,
        "the receipt shown again is that invoice"
    );
    second.wait_for_text("sale-receipt-total", |t| t == iqd(total)).await?;

    // The Return screen finds it by number, with its 3 cables.
    second.open("return").await?;
    second.fill("return-number", &number.to_string()).await?;
    second.click("return-find").await?;
    css_text(
        &second,
        &format!(
            "[data-testid='return-line'][data-item-id='{}'] [data-testid='return-line-sold']",
            shop.cable.id
        ),
        |t| t == "3",
    )
    .await
    .context("the Return screen shows the 3 cables sold")?;

    let store = Store::open(&DataDir::at(dir.path()))?;
    let invoice = sale::invoice_by_number(&store, number)?.context("the invoice survived the restart")?;
    assert_eq!(invoice.total, total, "3 cables at 5,000 IQD");
    assert_eq!(invoice.lines.len(), 1, "one line for the scanned cables");
    assert_eq!(invoice.lines[0].qty, 3, "scanning the same item adds to its line");
    assert_eq!(invoice.paid, Some(total), "paid in full");
    second.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_lowered_at_the_till_is_sold_as_a_line_discount_and_never_raised() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let rate = rate()?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;

    // The $250 phone in a dinar invoice, then the cashier's price for it.
    scan(&app, &shop.phone.barcode).await?;
    let list = money::convert(25_000, Currency::Usd, Currency::Iqd, rate, IQD_STEP).context("converts")?;
    app.wait_for_text("sale-total", |t| t == iqd(list)).await?;
    let phone_row = format!("[data-testid='sale-line'][data-item-id='{}']", shop.phone.id);
    let price = css(&app, &format!("{phone_row} [data-testid='sale-line-unit']")).await?;

    // Above the list price is refused where it was typed; the total stays.
    price.clear().await?;
    price
        .send_keys(&format!("{}{}", list + 1_000, char::from(Key::Enter)))
        .await?;
    app.wait_for_text("sale-cart-error", |t| !t.trim().is_empty()).await?;
    app.wait_for_text("sale-total", |t| t == iqd(list)).await?;

    let lowered = list - 7_500;
    let price = css(&app, &format!("{phone_row} [data-testid='sale-line-unit']")).await?;
    price.clear().await?;
    price.send_keys(&format!("{lowered}{}", char::from(Key::Enter))).await?;
    app.wait_for_text("sale-total", |t| t == iqd(lowered)).await?;
    let discount = css(&app, &format!("{phone_row} [data-testid='sale-line-discount']"))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(
        discount,
        (list - lowered).to_string(),
        "the lowered price shows as the line's discount"
    );

    app.click("sale-pay").await?;
    dialog_open(&app, "sale-pay-dialog").await?;
    app.click("sale-pay-exact").await?;
    app.click("sale-pay-confirm").await?;
    let number = receipt_number(&app).await?;
    app.wait_for_text("sale-receipt-total", |t| t == iqd(lowered)).await?;

    let store = Store::open(&DataDir::at(dir.path()))?;
    let invoice = sale::invoice_by_number(&store, number)?.context("the invoice is stored")?;
    let line = &invoice.lines[0];
    assert_eq!(
        line.unit_price, 25_000,
        "the invoice keeps the list price, in the item's currency"
    );
    assert_eq!(
        line.discount,
        Some(list - lowered),
        "what was taken off is the line's discount"
    );
    assert_eq!(line.total, Some(lowered), "the line sold for the cashier's price");
    assert_eq!(invoice.total, lowered, "the invoice total is the lowered price");
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_the_till_f3_goes_to_search_esc_clears_it_and_an_unknown_barcode_is_said_at_the_scanner(
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;

    let scanner = app.testid("sale-scan").await?;
    scanner
        .send_keys(&format!("4000000000000{}", char::from(Key::Enter)))
        .await?;
    app.wait_for_text("sale-scan-error", |t| t.contains("4000000000000"))
        .await
        .context("an unknown barcode is reported under the scan box")?;
    let lines = app.client.find_all(Locator::Css("[data-testid='sale-line']")).await?;
    assert!(lines.is_empty(), "nothing was added to the cart");

    // F3 moves the keyboard to the item search.
    scanner.send_keys(&char::from(Key::F3).to_string()).await?;
    let focused = app
        .client
        .execute("return document.activeElement?.dataset?.testid ?? null", vec![])
        .await?;
    assert_eq!(focused, "sale-search", "F3 focuses the search box");
    let search = app.testid("sale-search").await?;
    let cable = format!("[data-testid='sale-result'][data-item-id='{}']", shop.cable.id);
    search.send_keys("USB-C").await?;
    css(&app, &cable).await?;

    // Esc clears the search and its results; Enter on a result would have added it.
    search.send_keys(&char::from(Key::Escape).to_string()).await?;
    wait_for_count(&app, "[data-testid='sale-result']", 0).await?;
    let text = search.prop("value").await?.unwrap_or_default();
    assert_eq!(text, "", "Esc empties the search box");

    search.send_keys("USB-C").await?;
    css(&app, &cable).await?;
    search.send_keys(&char::from(Key::Enter).to_string()).await?;
    wait_for_count(&app, "[data-testid='sale-line']", 1).await?;
    app.wait_for_text("sale-total", |t| t == iqd(5_000)).await?;
    app.quit().await
}
