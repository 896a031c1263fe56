//! Return Sale: part of an invoice comes back. A refund large enough needs
//! a manager's name and PIN; a refund on an invoice the customer still owes
//! on is first taken off that debt.

use anyhow::Context as _;
use fantoccini::Locator;
use sonic_core::money;
use sonic_core::ops::catalog::{self, CustomerInput};
use sonic_core::ops::sale::{self, SaleInput, SaleLineInput, TenderInput};
use sonic_core::ops::{debt, returns, security, settings, stock, Actor, OpCtx, Page};
use sonic_core::sections::{Currency, SectionKey};
use sonic_core::snapshot::{self, ExportInfo};
use sonic_core::{DataDir, Store};
use sonic_e2e::screen::{choose, css, css_text, dialog_open};
use sonic_e2e::shop::{seed_shop, SeededShop, CASHIER, MANAGER};
use sonic_e2e::App;

use crate::sale::{iqd, rate, IQD_STEP};

/// The seeded cashier at the Main till, for sales made before the app starts.
pub(crate) fn cashier_at_main(store: &Store, shop: &SeededShop) -> anyhow::Result<OpCtx> {
    let cashier = security::users(store)?
        .into_iter()
        .find(|u| u.name == CASHIER.0)
        .context("the seeded cashier")?;
    Ok(OpCtx::now(
        Actor {
            user_id: cashier.id.key(),
            name: cashier.name,
            role: cashier.role,
        },
        shop.main_store.clone(),
    ))
}

/// Opens the Return screen and finds invoice `number` on it.
async fn find_invoice(app: &App, number: u64) -> anyhow::Result<()> {
    app.open("return").await?;
    app.fill("return-number", &number.to_string()).await?;
    app.click("return-find").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_return_above_the_threshold_needs_a_managers_pin() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let rate = rate()?;

    // The cashier sold 2 phones and a cable in dinars, paid in full.
    let (invoice, threshold) = {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        let ctx = cashier_at_main(&store, &shop)?;
        let mut input = SaleInput {
            lines: vec![
                SaleLineInput {
                    item_id: shop.phone.id.clone(),
                    qty: 2,
                    discount: 0,
                },
                SaleLineInput {
                    item_id: shop.cable.id.clone(),
                    qty: 1,
                    discount: 0,
                },
            ],
            currency: Currency::Iqd,
            discount: 0,
            customer_id: None,
            payments: Vec::new(),
            change_currency: None,
        };
        let total = sale::quote(&store, &input)?.total;
        input.payments.push(TenderInput {
            currency: Currency::Iqd,
            amount: total,
        });
        let sold = sale::sell(&mut store, &ctx, &input)?;
        (sold.invoice, settings::shop_settings(&store)?.return_approval_above_iqd)
    };
    // One phone back: its share of what was paid (no discounts, so the
    // phone line's total over the 2 phones).
    let phone_each = money::convert(25_000, Currency::Usd, Currency::Iqd, rate, IQD_STEP).context("converts")?;
    assert_eq!(
        invoice.lines[0].total,
        Some(2 * phone_each),
        "the phone line is 2 phones in dinars"
    );
    let refund = phone_each;
    assert!(
        refund > threshold,
        "the refund {refund} is above the approval threshold {threshold}, so the cashier needs a manager"
    );

    let app = App::launch(dir.path()).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;
    find_invoice(&app, invoice.number).await?;
    let phone_row = format!("[data-testid='return-line'][data-item-id='{}']", shop.phone.id);
    css_text(&app, &format!("{phone_row} [data-testid='return-line-sold']"), |t| {
        t == "2"
    })
    .await?;
    css_text(
        &app,
        &format!("{phone_row} [data-testid='return-line-returned']"),
        |t| t == "0",
    )
    .await?;
    let qty = css(&app, &format!("{phone_row} [data-testid='return-line-qty']")).await?;
    qty.send_keys("1").await?;
    app.fill("return-reason", "faulty").await?;
    app.click("return-submit").await?;

    // Refused without a manager: the approval dialog asks for one.
    dialog_open(&app, "return-approval-dialog").await?;
    choose(&app, "return-approval-name", MANAGER.0).await?;
    app.fill("return-approval-pin", "0000").await?;
    app.click("return-approval-submit").await?;
    app.wait_for_text("return-approval-error", |t| !t.trim().is_empty())
        .await
        .context("a wrong manager PIN is refused in the dialog")?;
    {
        let store = Store::open(&DataDir::at(dir.path()))?;
        assert!(
            returns::returned(&store, &invoice.id.key())?.is_empty(),
            "nothing is returned before the manager's PIN is right"
        );
    }
    app.fill("return-approval-pin", MANAGER.1).await?;
    app.click("return-approval-submit").await?;

    app.wait_for_text("return-refund", |t| t == iqd(refund)).await?;
    app.wait_for_text("return-cash-refund", |t| t == iqd(refund)).await?;
    app.wait_for_text("return-debt-reduced", |t| t == iqd(0)).await?;
    app.wait_for_text("return-approved-by", |t| t == MANAGER.0).await?;
    css_text(
        &app,
        &format!("{phone_row} [data-testid='return-line-returned']"),
        |t| t == "1",
    )
    .await
    .context("the invoice shown again counts the phone returned")?;
    let dialogs = app
        .client
        .find_all(Locator::Css("dialog[data-testid='return-approval-dialog'][open]"))
        .await?;
    assert!(dialogs.is_empty(), "the approval dialog closed after the return");

    let store = Store::open(&DataDir::at(dir.path()))?;
    let returned = returns::returned(&store, &invoice.id.key())?;
    assert_eq!(
        returned.into_iter().collect::<Vec<_>>(),
        vec![(shop.phone.id.clone(), 1)],
        "exactly one phone is returned against the invoice"
    );
    assert_eq!(
        stock::level(&store, &shop.phone.id, &shop.main_store)?,
        5 - 2 + 1,
        "the returned phone is back in Main"
    );
    let mut out = Vec::new();
    snapshot::export(
        &store,
        &ExportInfo {
            reason: "test".into(),
            backup_id: None,
        },
        &mut out,
    )?;
    let export: serde_json::Value = serde_json::from_slice(&out)?;
    let stored = export[SectionKey::Returns.as_str()]
        .as_array()
        .context("the export lists the returns")?;
    assert_eq!(stored.len(), 1, "one return is stored: {stored:?}");
    let ret = &stored[0];
    assert_eq!(ret["refund"], refund, "the stored refund is one phone's share");
    assert_eq!(ret["currency"], "IQD", "refunded in the invoice's currency");
    assert_eq!(
        ret["approvedBy"], MANAGER.0,
        "the manager who typed the PIN approved it"
    );
    assert_eq!(ret["cashier"], CASHIER.0, "the cashier who did the return is stored");
    assert_eq!(ret["reason"], "faulty", "the reason typed is stored");
    assert_eq!(ret["invoiceId"], invoice.id.key(), "the return is against the invoice");
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_return_on_an_invoice_still_owed_on_is_taken_off_the_customers_debt_first() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;

    // Two screens (30,000 IQD each) for Ali, 25,000 paid: 35,000 owed.
    let (invoice, owed) = {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        let ctx = cashier_at_main(&store, &shop)?;
        let ali = catalog::create_customer(
            &mut store,
            &ctx,
            &CustomerInput {
                name: "Ali Hassan".into(),
                phone: None,
                credit_limit: None,
            },
        )?;
        let sold = sale::sell(
            &mut store,
            &ctx,
            &SaleInput {
                lines: vec![SaleLineInput {
                    item_id: shop.screen.id.clone(),
                    qty: 2,
                    discount: 0,
                }],
                currency: Currency::Iqd,
                discount: 0,
                customer_id: Some(ali.id.key()),
                payments: vec![TenderInput {
                    currency: Currency::Iqd,
                    amount: 25_000,
                }],
                change_currency: None,
            },
        )?;
        let owed = sold.debt.as_ref().context("the sale opened a debt")?.amount;
        (sold.invoice, owed)
    };
    assert_eq!(owed, 2 * 30_000 - 25_000, "what was not paid is owed");
    // One of the two screens back: half the line; all of it comes off the debt.
    let refund = invoice.lines[0].total.context("the line has its total")? / 2;
    let reduced = refund.min(owed);

    let app = App::launch(dir.path()).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;
    find_invoice(&app, invoice.number).await?;
    let row = format!("[data-testid='return-line'][data-item-id='{}']", shop.screen.id);
    css(&app, &format!("{row} [data-testid='return-line-qty']"))
        .await?
        .send_keys("1")
        .await?;
    app.click("return-submit").await?;

    app.wait_for_text("return-refund", |t| t == iqd(refund)).await?;
    app.wait_for_text("return-debt-reduced", |t| t == iqd(reduced)).await?;
    app.wait_for_text("return-cash-refund", |t| t == iqd(refund - reduced))
        .await?;

    let store = Store::open(&DataDir::at(dir.path()))?;
    let open = debt::open_debts(&store, Page::FIRST)?;
    assert_eq!(open.len(), 1, "the debt is still open: {open:?}");
    assert_eq!(
        debt::remaining(&open[0]),
        owed - reduced,
        "the refund came off what is owed"
    );
    let credit = open[0].payments.last().context("the return is recorded on the debt")?;
    assert_eq!(credit.credited, Some(reduced), "the credit is the refund");
    assert_eq!(
        credit.extra.get("kind").and_then(|k| k.as_str()),
        Some("return"),
        "the credit is marked as a return"
    );
    app.quit().await
}

/// The sale to return can be found by customer, item or date as well as by
/// number: a list (number, date, customer, total) to choose from, and the
/// chosen one opens for the return (issue 16).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_is_found_by_customer_item_or_date_and_opened_for_return() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let (to_huda_cable, to_nobody, to_huda_screen) = {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        let owner = security::sign_in(&mut store, "Owner", "123456", chrono::Utc::now())?;
        let ctx = OpCtx::now(owner, shop.main_store.clone());
        let huda = catalog::create_customer(
            &mut store,
            &ctx,
            &CustomerInput {
                name: "Huda Ali".into(),
                phone: Some("07801112233".into()),
                credit_limit: None,
            },
        )?
        .id
        .key();
        let mut sell = |item: &str, price: i64, customer: Option<&str>| -> anyhow::Result<u64> {
            let mut input = SaleInput::cash(&[(item, 1)], Currency::Iqd, price);
            input.customer_id = customer.map(str::to_string);
            Ok(sale::sell(&mut store, &ctx, &input)?.invoice.number)
        };
        (
            sell(&shop.cable.id, 5_000, Some(&huda))?,
            sell(&shop.cable.id, 5_000, None)?,
            sell(&shop.screen.id, 30_000, Some(&huda))?,
        )
    };
    let app = App::launch(dir.path()).await?;
    app.sign_in("Owner", "123456").await?;
    app.open("return").await?;

    let found = |app: &App| {
        let app = app.client.clone();
        async move {
            let mut numbers = Vec::new();
            for row in app.find_all(Locator::Css("[data-testid='return-found']")).await? {
                numbers.push(row.attr("data-number").await?.unwrap_or_default().parse::<u64>()?);
            }
            anyhow::Ok(numbers)
        }
    };
    app.fill("return-search-customer", "huda").await?;
    app.click("return-search").await?;
    sonic_e2e::screen::wait_for_count(&app, "[data-testid='return-found']", 2).await?;
    assert_eq!(
        found(&app).await?,
        [to_huda_screen, to_huda_cable],
        "Huda's two sales, newest first"
    );
    let first = css(&app, "[data-testid='return-found']").await?.text().await?;
    assert!(
        first.contains("Huda Ali") && first.contains(&iqd(30_000)) && first.contains(&to_huda_screen.to_string()),
        "a row shows number, customer and total: {first}"
    );

    app.fill("return-search-customer", "").await?;
    app.fill("return-search-item", "cable").await?;
    app.click("return-search").await?;
    sonic_e2e::screen::wait_for_count(&app, "[data-testid='return-found']", 2).await?;
    assert_eq!(found(&app).await?, [to_nobody, to_huda_cable], "the two cable sales");

    app.fill("return-search-customer", "huda").await?;
    app.click("return-search").await?;
    sonic_e2e::screen::wait_for_count(&app, "[data-testid='return-found']", 1).await?;
    assert_eq!(found(&app).await?, [to_huda_cable], "Huda's cable sale");

    app.fill("return-search-customer", "").await?;
    app.fill("return-search-item", "").await?;
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    app.client
        .execute(
            "const [v] = arguments; for (const id of ['return-search-from', 'return-search-to']) \
             document.querySelector(`[data-testid='${id}']`).value = v;",
            vec![serde_json::json!(today)],
        )
        .await?;
    app.click("return-search").await?;
    sonic_e2e::screen::wait_for_count(&app, "[data-testid='return-found']", 3).await?;

    css(
        &app,
        &format!("[data-testid='return-found'][data-number='{to_huda_cable}'] [data-testid='return-found-open']"),
    )
    .await?
    .click()
    .await?;
    app.wait_for_text("return-invoice-title", |t| t.contains(&to_huda_cable.to_string()))
        .await
        .context("the chosen sale opens for the return")?;
    app.quit().await
}
