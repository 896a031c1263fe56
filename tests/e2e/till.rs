//! The cashier's flow at the till: nothing lost, nothing surprising. The
//! cart lives until it is sold or cleared (leaving the screen or closing the
//! app keeps it), every sale starts in dinars, a scan made while a receipt
//! shows goes to the next sale, stock is checked when a line is added or
//! changed, and Complete sale is offered only when the sale can complete.

use anyhow::Context as _;
use fantoccini::key::Key;
use sonic_e2e::screen::{css, css_text, dialog_open, wait_for_count};
use sonic_e2e::shop::{seed_shop, CASHIER};
use sonic_e2e::App;

use crate::sale::{iqd, receipt_number, scan};

fn line(item_id: &str) -> String {
    format!("[data-testid='sale-line'][data-item-id='{item_id}']")
}

async fn qty_of(app: &App, item_id: &str) -> anyhow::Result<String> {
    Ok(css(app, &format!("{} [data-testid='sale-line-qty']", line(item_id)))
        .await?
        .prop("value")
        .await?
        .unwrap_or_default())
}

/// Pays the cart exactly from the Pay dialog and waits for the receipt.
async fn pay_exact(app: &App) -> anyhow::Result<u64> {
    app.click("sale-pay").await?;
    dialog_open(app, "sale-pay-dialog").await?;
    app.click("sale-pay-exact").await?;
    app.click("sale-pay-confirm").await?;
    receipt_number(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cart_is_kept_when_the_cashier_leaves_the_sale_screen_and_across_a_restart() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let first = App::launch(dir.path()).await?;
    first.sign_in(CASHIER.0, CASHIER.1).await?;
    scan(&first, &shop.cable.barcode).await?;
    scan(&first, &shop.cable.barcode).await?;
    scan(&first, &shop.screen.barcode).await?;
    wait_for_count(&first, "[data-testid='sale-line']", 2).await?;
    first
        .wait_for_text("sale-total", |t| t == iqd(2 * 5_000 + 30_000))
        .await?;

    // Another screen and back: the same cart.
    first.open("customers").await?;
    first.open("sale").await?;
    wait_for_count(&first, "[data-testid='sale-line']", 2)
        .await
        .context("the cart is still there after the cashier came back to the Sale screen")?;
    assert_eq!(qty_of(&first, &shop.cable.id).await?, "2", "the 2 cables are still 2");
    first.wait_for_text("sale-total", |t| t == iqd(40_000)).await?;

    // Closed and started again: still the same cart.
    first.close_window_and_wait_for_exit().await?;
    first.quit().await?;
    let second = App::launch(dir.path()).await?;
    second.sign_in(CASHIER.0, CASHIER.1).await?;
    wait_for_count(&second, "[data-testid='sale-line']", 2)
        .await
        .context("the cart survives closing the app")?;
    assert_eq!(qty_of(&second, &shop.cable.id).await?, "2");
    second.wait_for_text("sale-total", |t| t == iqd(40_000)).await?;

    // Sold, it is no longer kept: a new sale is empty, here and after a restart.
    pay_exact(&second).await?;
    second.click("sale-new").await?;
    css(&second, "[data-testid='sale-cart-empty']:not([hidden])").await?;
    second.open("customers").await?;
    second.open("sale").await?;
    css(&second, "[data-testid='sale-cart-empty']:not([hidden])")
        .await
        .context("a sold cart does not come back")?;
    second.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_dollar_sale_the_next_sale_starts_in_dinars() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;
    app.click("sale-currency-USD").await?;
    scan(&app, &shop.phone.barcode).await?;
    app.wait_for_text("sale-total", |t| t == "$250.00").await?;
    pay_exact(&app).await?;
    app.click("sale-new").await?;

    let pressed = app.testid("sale-currency-IQD").await?.attr("aria-pressed").await?;
    assert_eq!(pressed.as_deref(), Some("true"), "the new sale is in dinars");
    scan(&app, &shop.cable.barcode).await?;
    app.wait_for_text("sale-total", |t| t == iqd(5_000))
        .await
        .context("the cable is priced in dinars in the new sale, not in dollars")?;
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_made_while_the_receipt_shows_goes_to_the_next_sale() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;
    scan(&app, &shop.cable.barcode).await?;
    pay_exact(&app).await?;
    css(&app, "[data-testid='sale-receipt-view']:not([hidden])").await?;

    // The scanner types into whatever has the keyboard: the receipt's button.
    let focused = app.client.active_element().await?;
    focused
        .send_keys(&format!("{}{}", shop.phone.barcode, char::from(Key::Enter)))
        .await?;
    css(&app, &line(&shop.phone.id))
        .await
        .context("the phone scanned during the receipt is in the next sale's cart")?;
    wait_for_count(&app, "[data-testid='sale-line']", 1).await?;
    css(&app, "[data-testid='sale-receipt-view'][hidden]").await?;
    let left = app.testid("sale-scan").await?.prop("value").await?.unwrap_or_default();
    assert_eq!(left, "", "the whole barcode went to the item, none is left in the box");
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quantity_above_the_stock_is_refused_when_it_is_typed_or_scanned() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;
    // 4 screens in Main, which does not allow negative stock.
    scan(&app, &shop.screen.barcode).await?;
    app.wait_for_text("sale-total", |t| t == iqd(30_000)).await?;
    let qty = css(
        &app,
        &format!("{} [data-testid='sale-line-qty']", line(&shop.screen.id)),
    )
    .await?;
    qty.clear().await?;
    qty.send_keys(&format!("999{}", char::from(Key::Enter))).await?;
    let error = app
        .wait_for_text("sale-cart-error", |t| !t.trim().is_empty())
        .await
        .context("999 of an item with 4 in stock is refused when typed")?;
    assert!(error.contains('4'), "the refusal says how many there are: {error}");
    assert_eq!(
        qty_of(&app, &shop.screen.id).await?,
        "1",
        "the quantity stays what it was"
    );
    app.wait_for_text("sale-total", |t| t == iqd(30_000)).await?;

    // Scanning a fifth one is refused too; four are fine.
    for _ in 0..3 {
        scan(&app, &shop.screen.barcode).await?;
    }
    app.wait_for_text("sale-total", |t| t == iqd(4 * 30_000)).await?;
    app.testid("sale-scan")
        .await?
        .send_keys(&format!("{}{}", shop.screen.barcode, char::from(Key::Enter)))
        .await?;
    app.wait_for_text("sale-cart-error", |t| !t.trim().is_empty()).await?;
    assert_eq!(qty_of(&app, &shop.screen.id).await?, "4", "no fifth screen is added");
    app.wait_for_text("sale-total", |t| t == iqd(4 * 30_000)).await?;
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_sale_is_offered_only_when_the_cash_covers_the_total() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;
    scan(&app, &shop.cable.barcode).await?;
    app.click("sale-pay").await?;
    dialog_open(&app, "sale-pay-dialog").await?;
    let confirm = app.testid("sale-pay-confirm").await?;
    assert!(!confirm.is_enabled().await?, "nothing tendered: nothing to complete");

    app.fill("sale-tender-iqd", "1000").await?;
    css_text(&app, "[data-testid='sale-pay-outcome'][data-kind='short']", |t| {
        t.contains(&iqd(4_000))
    })
    .await
    .context("the dialog says what is still to pay")?;
    assert!(
        !confirm.is_enabled().await?,
        "1,000 IQD for a 5,000 IQD sale without a customer cannot complete"
    );

    app.click("sale-pay-exact").await?;
    css(&app, "[data-testid='sale-pay-confirm'][data-ready='true']:enabled").await?;
    confirm.click().await?;
    receipt_number(&app).await?;
    app.quit().await
}

/// Whether the side bar has a link to `screen`.
async fn in_side_bar(app: &App, screen: &str) -> anyhow::Result<bool> {
    let links = app
        .client
        .find_all(fantoccini::Locator::Css(&format!("#nav [data-testid='nav-{screen}']")))
        .await?;
    Ok(!links.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cashiers_frame_shows_only_what_a_cashier_can_do_and_sign_in_preselects_the_last_user() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.testid("sign-in-form").await?;
    let chosen = app
        .testid("sign-in-name")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(chosen, "", "at first nobody is preselected (not the owner)");
    // Signing in without a name says so at the form.
    app.testid("sign-in-pin").await?.send_keys(CASHIER.1).await?;
    app.click("sign-in-submit").await?;
    app.wait_for_text("sign-in-error", |t| !t.trim().is_empty()).await?;
    app.fill("sign-in-pin", "").await?;

    app.sign_in(CASHIER.0, CASHIER.1).await?;
    for screen in ["dashboard", "inventory", "activity", "stores", "settings", "backup"] {
        assert!(
            !in_side_bar(&app, screen).await?,
            "a cashier's side bar has no {screen}"
        );
    }
    for screen in ["sale", "return", "transfer", "customers", "services", "debts"] {
        assert!(in_side_bar(&app, screen).await?, "a cashier's side bar has {screen}");
    }

    app.click("sign-out").await?;
    app.testid("sign-in-form").await?;
    let chosen = app
        .testid("sign-in-name")
        .await?
        .prop("value")
        .await?
        .unwrap_or_default();
    assert_eq!(chosen, CASHIER.0, "the last user of this till is preselected");

    app.sign_in(sonic_e2e::shop::OWNER.0, sonic_e2e::shop::OWNER.1).await?;
    for screen in ["dashboard", "settings", "backup"] {
        assert!(in_side_bar(&app, screen).await?, "the owner's side bar has {screen}");
    }
    app.open("settings").await?;
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_pin_is_worded_in_the_shops_language_from_the_errors_values() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    sonic_core::Store::open(&sonic_core::DataDir::at(dir.path()))?.set_setting("ui.language", "ar")?;
    let app = App::launch(dir.path()).await?;
    app.testid("sign-in-form").await?;
    sonic_e2e::screen::choose(&app, "sign-in-name", CASHIER.0).await?;
    app.testid("sign-in-pin").await?.send_keys("9999").await?;
    app.click("sign-in-submit").await?;
    let said = app.wait_for_text("sign-in-error", |t| !t.trim().is_empty()).await?;
    assert!(
        said.contains("رقم سري خاطئ") && said.contains(CASHIER.0),
        "the refusal is an Arabic sentence naming the user: {said}"
    );
    assert!(
        !said.to_lowercase().contains("wrong pin") && !said.contains("attempts"),
        "no English from Rust in the Arabic screen: {said}"
    );
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_arabic_sale_screen_at_1280_by_720_has_no_overlapping_cards_and_no_letter_spacing() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    sonic_core::Store::open(&sonic_core::DataDir::at(dir.path()))?.set_setting("ui.language", "ar")?;
    let app = App::launch(dir.path()).await?;
    app.client.set_window_rect(0, 0, 1280, 720).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;
    for barcode in [&shop.phone.barcode, &shop.cable.barcode, &shop.screen.barcode] {
        scan(&app, barcode).await?;
    }
    wait_for_count(&app, "[data-testid='sale-line']", 3).await?;
    const SCRIPT: &str = r#"
        const cards = [...document.querySelectorAll("main[data-screen='sale'] [data-testid='sale-view'] .card")]
            .map((el) => { const r = el.getBoundingClientRect(); return { name: el.className, l: r.left, r: r.right, t: r.top, b: r.bottom }; });
        const clash = [];
        for (let i = 0; i < cards.length; i++) for (let j = i + 1; j < cards.length; j++) {
            const a = cards[i], b = cards[j];
            if (a.l < b.r - 0.5 && b.l < a.r - 0.5 && a.t < b.b - 0.5 && b.t < a.b - 0.5) clash.push(`${a.name} / ${b.name}`);
        }
        // What sticks out of its card (a wide cart table) counts as overlapping too.
        for (const card of document.querySelectorAll("[data-testid='sale-view'] .card")) {
            const r = card.getBoundingClientRect();
            for (const inner of card.querySelectorAll('table')) {
                const s = inner.getBoundingClientRect();
                const shown = getComputedStyle(card).overflowX !== 'visible';
                if (!shown && (s.left < r.left - 0.5 || s.right > r.right + 0.5)) clash.push(`table outside ${card.className}`);
            }
        }
        const spaced = [...document.querySelectorAll('th, h2, h3, h4')]
            .filter((el) => { const ls = getComputedStyle(el).letterSpacing; return ls !== 'normal' && parseFloat(ls) !== 0; })
            .map((el) => el.textContent);
        return { count: cards.length, clash, spaced, width: window.innerWidth };
    "#;
    let found = app.client.execute(SCRIPT, vec![]).await?;
    assert!(
        found["count"].as_u64().unwrap_or(0) >= 4,
        "the Sale screen's cards are there: {found}"
    );
    assert_eq!(
        found["clash"],
        serde_json::json!([]),
        "no card overlaps another: {found}"
    );
    assert_eq!(
        found["spaced"],
        serde_json::json!([]),
        "no Arabic header is letter-spaced: {found}"
    );
    app.quit().await
}
