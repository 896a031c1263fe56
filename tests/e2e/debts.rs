//! Customers and what they owe: a sale left partly unpaid by a customer
//! added at the till opens a debt, paid later in dollars on the Debts screen;
//! a manager settles a debt; the Customers screen adds, changes and archives.

use anyhow::Context as _;
use fantoccini::Locator;
use sonic_core::money;
use sonic_core::ops::{catalog, debt, sale, security, stores, Actor, OpCtx, Page};
use sonic_core::sections::Currency;
use sonic_core::{DataDir, Store};
use sonic_e2e::screen::{choose, css, css_text, dialog_open, wait_for_count};
use sonic_e2e::shop::{seed_shop, CASHIER, MANAGER, OWNER};
use sonic_e2e::App;

use crate::sale::{iqd, rate, receipt_number, scan, usd, IQD_STEP};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partly_paid_sale_opens_a_debt_that_is_then_paid_in_dollars_on_the_debts_screen() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let rate = rate()?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;

    // A customer added at the till.
    app.click("sale-customer-new").await?;
    dialog_open(&app, "sale-new-customer-dialog").await?;
    app.fill("sale-new-customer-name", "Ali Hassan").await?;
    app.fill("sale-new-customer-phone", "07701234567").await?;
    app.click("sale-new-customer-save").await?;
    app.wait_for_text("sale-customer-name", |t| t == "Ali Hassan").await?;

    // Two screens (30,000 IQD each), scanned twice: one line of 2.
    scan(&app, &shop.screen.barcode).await?;
    scan(&app, &shop.screen.barcode).await?;
    wait_for_count(&app, "[data-testid='sale-line']", 1).await?;
    let total = 2 * 30_000;
    app.wait_for_text("sale-total", |t| t == iqd(total)).await?;
    let total_usd = money::convert(total, Currency::Iqd, Currency::Usd, rate, IQD_STEP).context("converts")?;
    app.wait_for_text("sale-other-total", |t| t == usd(total_usd)).await?;

    // 25,000 IQD now, the rest on the customer's account.
    app.click("sale-pay").await?;
    dialog_open(&app, "sale-pay-dialog").await?;
    let paid = 25_000;
    let owed = total - paid;
    app.fill("sale-tender-iqd", "25,000").await?;
    app.wait_for_text("sale-pay-outcome", |t| {
        t.contains(&iqd(owed)) && t.contains("Ali Hassan")
    })
    .await
    .context("the Pay dialog says what the customer will owe")?;
    app.click("sale-pay-confirm").await?;
    let number = receipt_number(&app).await?;
    app.wait_for_text("sale-receipt-debt", |t| t == iqd(owed)).await?;
    app.wait_for_text("sale-receipt-customer", |t| t.contains("Ali Hassan"))
        .await?;

    let (debt_id, customer_id) = {
        let store = Store::open(&DataDir::at(dir.path()))?;
        let invoice = sale::invoice_by_number(&store, number)?.context("the invoice is stored")?;
        assert_eq!(invoice.total, total, "2 screens at 30,000 IQD");
        assert_eq!(invoice.paid, Some(paid), "the 25,000 IQD taken is what was paid");
        assert_eq!(invoice.change, Some(0), "no change on a partial payment");
        let customer_id = invoice.customer_id.clone().context("the invoice is the customer's")?;
        let customer =
            catalog::customer(&store, &customer_id.key())?.context("the customer added at the till is stored")?;
        assert_eq!(customer.name, "Ali Hassan");
        assert_eq!(customer.phone.as_deref(), Some("07701234567"));
        let open = debt::open_debts(&store, Page::FIRST)?;
        assert_eq!(open.len(), 1, "the sale opened one debt: {open:?}");
        let d = &open[0];
        assert_eq!(
            (d.currency, d.amount),
            (Currency::Iqd, owed),
            "the debt is what was not paid"
        );
        assert_eq!(d.customer_id, customer_id, "the debt is the customer's");
        assert_eq!(
            d.source_id.as_ref(),
            Some(&invoice.id),
            "the debt points at the invoice"
        );
        (d.id.key(), customer_id)
    };

    // On the Debts screen: $10 paid on it, credited in dinars at the rate.
    app.open("debts").await?;
    let row = format!("[data-testid='debts-row'][data-debt-id='{debt_id}']");
    css_text(&app, &format!("{row} [data-testid='debts-customer']"), |t| {
        t == "Ali Hassan"
    })
    .await?;
    css_text(&app, &format!("{row} [data-testid='debts-remaining']"), |t| {
        t == iqd(owed)
    })
    .await?;
    css(&app, &format!("{row} [data-testid='debts-pay']"))
        .await?
        .click()
        .await?;
    dialog_open(&app, "debts-pay-dialog").await?;
    choose(&app, "debts-pay-currency", "USD").await?;
    let dollars = 1_000;
    app.fill("debts-pay-amount", "10.00").await?;
    let credited = money::convert(dollars, Currency::Usd, Currency::Iqd, rate, 1).context("converts")?;
    let left = owed - credited;
    assert!(left > 0, "$10 does not pay off {owed} IQD");
    app.wait_for_text("debts-pay-credit", |t| t.contains(&iqd(credited)))
        .await
        .context("the dialog says what $10 credits")?;
    app.click("debts-pay-submit").await?;
    app.wait_for_text("debts-result", |t| t.contains(&iqd(left)) && t.contains("Ali Hassan"))
        .await?;
    css_text(&app, &format!("{row} [data-testid='debts-remaining']"), |t| {
        t == iqd(left)
    })
    .await
    .context("the list shows what is left")?;

    // The customer's card on Customers agrees.
    app.open("customers").await?;
    css(&app, "[data-testid='customers-open']").await?.click().await?;
    app.wait_for_text("customers-detail-name", |t| t == "Ali Hassan")
        .await?;
    app.wait_for_text("customers-detail-balance", |t| t == iqd(left))
        .await?;
    css_text(
        &app,
        &format!("[data-testid='customers-detail-invoice'][data-number='{number}']"),
        |t| t.contains(&iqd(total)) && t.contains(&iqd(paid)),
    )
    .await
    .context("the customer's invoices list the sale with what was paid")?;
    let store = Store::open(&DataDir::at(dir.path()))?;
    let d = debt::debt(&store, &debt_id)?.context("the debt is still stored")?;
    assert_eq!(d.payments.len(), 1, "one payment on the debt: {:?}", d.payments);
    let p = &d.payments[0];
    assert_eq!(
        (p.amount, p.currency, p.credited),
        (dollars, Some(Currency::Usd), Some(credited)),
        "the $10 is stored with what it credited in dinars"
    );
    assert_eq!(p.rate, Some(rate), "the payment keeps the rate it used");
    assert_eq!(debt::remaining(&d), left, "what is left is the debt less the credit");
    let balance = debt::balance(&store, &customer_id.key())?;
    assert_eq!(
        (balance.iqd, balance.usd),
        (left, 0),
        "the customer's balance is what is left"
    );
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_settles_what_is_left_on_a_debt_and_a_cashier_is_not_offered_settle() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    // An old tab of $40 opened by the owner before the app starts.
    let debt_id = {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        let owner = security::users(&store)?
            .into_iter()
            .find(|u| u.name == OWNER.0)
            .context("the seeded owner")?;
        let main = stores::stores(&store)?
            .into_iter()
            .find(|s| s.name == "Main")
            .context("the seeded Main store")?;
        let ctx = OpCtx::now(
            Actor {
                user_id: owner.id.key(),
                name: owner.name,
                role: owner.role,
            },
            main.id.key(),
        );
        let sara = catalog::create_customer(
            &mut store,
            &ctx,
            &catalog::CustomerInput {
                name: "Sara Kareem".into(),
                phone: None,
                credit_limit: None,
            },
        )?;
        debt::open_debt(&mut store, &ctx, &sara.id.key(), Currency::Usd, 4_000, "old tab")?
            .id
            .key()
    };
    let app = App::launch(dir.path()).await?;
    let row = format!("[data-testid='debts-row'][data-debt-id='{debt_id}']");

    app.sign_in(CASHIER.0, CASHIER.1).await?;
    app.open("debts").await?;
    css_text(&app, &format!("{row} [data-testid='debts-remaining']"), |t| {
        t == usd(4_000)
    })
    .await?;
    let settle = app
        .client
        .find_all(Locator::Css(&format!("{row} [data-testid='debts-settle']")))
        .await?;
    assert!(settle.is_empty(), "a cashier is not offered Settle");

    app.click("sign-out").await?;
    app.sign_in(MANAGER.0, MANAGER.1).await?;
    app.open("debts").await?;
    css(&app, &format!("{row} [data-testid='debts-settle']"))
        .await?
        .click()
        .await?;
    dialog_open(&app, "debts-settle-dialog").await?;
    app.wait_for_text("debts-settle-what", |t| {
        t.contains(&usd(4_000)) && t.contains("Sara Kareem")
    })
    .await?;
    app.click("debts-settle-confirm").await?;
    app.wait_for_text("debts-result", |t| t.contains("Sara Kareem") && t.contains("paid off"))
        .await?;
    wait_for_count(&app, &row, 0)
        .await
        .context("a settled debt leaves the list")?;

    let store = Store::open(&DataDir::at(dir.path()))?;
    let d = debt::debt(&store, &debt_id)?.context("the debt is still stored")?;
    assert_eq!(d.status.as_deref(), Some("settled"), "the debt is settled");
    assert_eq!(debt::remaining(&d), 0, "nothing is left on it");
    let last = d.payments.last().context("settling records a payment")?;
    assert_eq!(
        (last.amount, last.currency, last.by.as_deref()),
        (4_000, Some(Currency::Usd), Some(MANAGER.0)),
        "the manager recorded the $40 left"
    );
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manager_adds_changes_and_archives_a_customer_on_the_customers_screen() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(MANAGER.0, MANAGER.1).await?;
    app.open("customers").await?;

    app.click("customers-add").await?;
    dialog_open(&app, "customers-form-dialog").await?;
    app.fill("customers-form-name", "Huda Ali").await?;
    app.fill("customers-form-phone", "0780").await?;
    app.fill("customers-form-limit", "500,000").await?;
    app.click("customers-form-save").await?;
    app.wait_for_text("customers-detail-name", |t| t == "Huda Ali").await?;
    let id = {
        let store = Store::open(&DataDir::at(dir.path()))?;
        let found = catalog::search_customers(&store, "Huda", Page::FIRST)?;
        assert_eq!(found.len(), 1, "the new customer is found by name: {found:?}");
        assert_eq!(
            found[0].credit_limit,
            Some(500_000),
            "the manager set a credit limit in dinars"
        );
        assert_eq!(found[0].phone.as_deref(), Some("0780"));
        found[0].id.key()
    };

    app.fill("customers-search", "Huda").await?;
    let row = format!("[data-testid='customers-row'][data-customer-id='{id}']");
    css(&app, &format!("{row} [data-testid='customers-edit']"))
        .await?
        .click()
        .await?;
    dialog_open(&app, "customers-form-dialog").await?;
    app.fill("customers-form-phone", "07801112222").await?;
    app.click("customers-form-save").await?;
    css_text(&app, &row, |t| t.contains("07801112222"))
        .await
        .context("the list shows the changed phone")?;

    css(&app, &format!("{row} [data-testid='customers-archive']"))
        .await?
        .click()
        .await?;
    dialog_open(&app, "customers-archive-dialog").await?;
    app.click("customers-archive-confirm").await?;
    wait_for_count(&app, &row, 0)
        .await
        .context("an archived customer leaves the search")?;

    let store = Store::open(&DataDir::at(dir.path()))?;
    let c = catalog::customer(&store, &id)?.context("an archived customer is kept")?;
    assert!(c.archived, "the customer is archived");
    assert_eq!(c.phone.as_deref(), Some("07801112222"), "the change was stored");
    assert_eq!(c.credit_limit, Some(500_000), "editing the phone kept the credit limit");
    assert!(
        catalog::search_customers(&store, "Huda", Page::FIRST)?.is_empty(),
        "archived customers are left out of search"
    );
    app.quit().await
}
