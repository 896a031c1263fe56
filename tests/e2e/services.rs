//! A repair on the Services screen, from the counter to delivery: a ticket
//! for a customer added on the spot, its status moved on, a part taken out
//! of stock, and delivery with part of the bill left as the customer's debt.

use anyhow::Context as _;
use sonic_core::ops::{catalog, debt, service, stock, Page};
use sonic_core::sections::{Currency, RecordId, ServiceStatus};
use sonic_core::{DataDir, Store};
use sonic_e2e::shop::{seed_shop, MANAGER};
use sonic_e2e::App;

use sonic_e2e::screen::{choose, click, click_css, css, css_text, digits, fill, pick_item};

/// Waits until the open ticket is in `status`.
async fn wait_for_status(app: &App, status: &str) -> anyhow::Result<()> {
    css(app, &format!("[data-testid='services-detail'][data-status='{status}']"))
        .await
        .with_context(|| format!("the open ticket never became {status}"))?;
    Ok(())
}

/// Clicks the button that moves the open ticket to `to`, and waits for it.
async fn advance(app: &App, to: &str) -> anyhow::Result<()> {
    click(app, &format!("services-advance-{to}")).await?;
    wait_for_status(app, to).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repair_goes_from_received_to_delivered_using_a_part_from_stock_and_leaves_a_debt() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let main = shop.main_store.as_str();
    let part = &shop.screen; // 30,000 IQD, 4 in Main
    let app = App::launch(dir.path()).await?;
    app.sign_in(MANAGER.0, MANAGER.1).await?;
    app.open("services").await?;

    // Open a ticket for a customer added at the counter.
    click(&app, "services-new").await?;
    fill(&app, "services-customer-name", "Ali Hassan").await?;
    fill(&app, "services-customer-phone", "07701234567").await?;
    click(&app, "services-customer-add").await?;
    app.wait_for_text("services-customer-chosen", |t| t.contains("Ali Hassan"))
        .await?;
    fill(&app, "services-device", "Galaxy A15 (blue)").await?;
    fill(&app, "services-fault", "cracked screen").await?;
    fill(&app, "services-estimate", "25,000").await?;
    fill(&app, "services-deposit", "10,000").await?;
    click(&app, "services-open-submit").await?;
    wait_for_status(&app, "received").await?;
    app.wait_for_text("services-detail-customer", |t| t.contains("Ali Hassan"))
        .await?;
    let ticket_id = app
        .testid("services-detail")
        .await?
        .attr("data-id")
        .await?
        .context("the open ticket has its id")?;
    css_text(
        &app,
        &format!("[data-testid='services-list-received'] [data-testid='services-ticket'][data-id='{ticket_id}']"),
        |t| t.contains("Galaxy A15 (blue)"),
    )
    .await
    .context("the new ticket is in the Received column")?;

    advance(&app, "diagnosing").await?;
    advance(&app, "waiting_for_parts").await?;

    // Two screens out of Main's stock: 4 − 2 = 2 left.
    pick_item(&app, "services-part", part).await?;
    app.wait_for_text("services-part-chosen", |t| t.contains(&part.name))
        .await?;
    fill(&app, "services-part-qty", "2").await?;
    click(&app, "services-part-use").await?;
    css_text(
        &app,
        &format!(
            "[data-testid='services-part-row'][data-item-id='{}'][data-qty='2']",
            part.id
        ),
        |t| t.contains(&part.name),
    )
    .await
    .context("the part is listed on the ticket")?;

    advance(&app, "ready").await?;
    // The suggested charge is the estimate plus the parts: 25,000 + 2 × 30,000.
    let suggested = app.testid("services-charge").await?.prop("value").await?;
    assert_eq!(
        suggested.as_deref(),
        Some("85000"),
        "the charge is prefilled with estimate + parts"
    );

    // Charge 80,000; the deposit of 10,000 leaves 70,000 due; 50,000 paid now
    // leaves 20,000 as debt.
    fill(&app, "services-charge", "80,000").await?;
    fill(&app, "services-paid", "50,000").await?;
    let due = app.testid("services-due").await?;
    assert_eq!(
        due.attr("data-due").await?.as_deref(),
        Some("70000"),
        "due = 80,000 − 10,000"
    );
    assert_eq!(
        due.attr("data-debt").await?.as_deref(),
        Some("20000"),
        "debt = 70,000 − 50,000"
    );
    click(&app, "services-deliver-submit").await?;
    wait_for_status(&app, "delivered").await?;
    let delivered = app.testid("services-delivered").await?;
    assert_eq!(
        delivered.attr("data-debt").await?.as_deref(),
        Some("20000"),
        "the screen says 20,000 IQD is left as debt"
    );
    assert!(
        digits(&delivered.text().await?).contains("20000"),
        "the debt is written out"
    );
    css_text(
        &app,
        &format!("[data-testid='services-list-delivered'] [data-testid='services-ticket'][data-id='{ticket_id}']"),
        |t| t.contains("Galaxy A15 (blue)"),
    )
    .await
    .context("the ticket moved to the Delivered column")?;

    let store = Store::open(&DataDir::at(dir.path()))?;
    assert_eq!(stock::level(&store, &part.id, main)?, 2, "4 screens in Main − 2 used");
    let delivered = service::tickets(&store, ServiceStatus::Delivered, Page::FIRST)?;
    assert_eq!(delivered.len(), 1, "one delivered ticket is stored");
    let t = &delivered[0];
    assert_eq!(t.id.key(), ticket_id, "the stored ticket is the one on screen");
    assert_eq!(t.device, "Galaxy A15 (blue)");
    assert_eq!(t.fault.as_deref(), Some("cracked screen"));
    assert_eq!(
        (t.estimate, t.deposit),
        (Some(25_000), Some(10_000)),
        "estimate and deposit as typed"
    );
    assert_eq!(t.currency, Some(Currency::Iqd));
    let history: Vec<ServiceStatus> = t.history.iter().map(|h| h.status).collect();
    assert_eq!(
        history,
        vec![
            ServiceStatus::Received,
            ServiceStatus::Diagnosing,
            ServiceStatus::WaitingForParts,
            ServiceStatus::Ready,
            ServiceStatus::Delivered
        ],
        "every status change is recorded in order"
    );
    assert!(
        t.history.iter().all(|h| h.by.as_deref() == Some(MANAGER.0)),
        "each change names who made it"
    );
    assert_eq!(t.parts.len(), 1, "one part line");
    assert_eq!(t.parts[0].item_id, RecordId::Text(part.id.clone()));
    assert_eq!((t.parts[0].qty, t.parts[0].unit_price), (2, Some(30_000)));
    assert_eq!(
        t.extra.get("charge").and_then(|v| v.as_i64()),
        Some(80_000),
        "the final charge"
    );
    assert_eq!(
        t.extra.get("paidAtDelivery").and_then(|v| v.as_i64()),
        Some(50_000),
        "what was paid at delivery"
    );

    let customer_id = t.customer_id.as_ref().context("the ticket names its customer")?.key();
    let customer = catalog::customer(&store, &customer_id)?.context("the quick-added customer is stored")?;
    assert_eq!(
        (customer.name.as_str(), customer.phone.as_deref()),
        ("Ali Hassan", Some("07701234567"))
    );
    let debts = debt::customer_debts(&store, &customer_id)?;
    assert_eq!(debts.len(), 1, "one debt for the unpaid part: {debts:?}");
    let d = &debts[0];
    assert_eq!(
        (d.currency, d.amount),
        (Currency::Iqd, 20_000),
        "80,000 − 10,000 − 50,000"
    );
    assert_eq!(d.source.as_deref(), Some("service"));
    assert_eq!(d.source_id.as_ref().map(RecordId::key), Some(ticket_id.clone()));
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repair_priced_in_dollars_leaves_its_debt_in_dollars() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    {
        // A customer from earlier, picked by search rather than added.
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        let owner = sonic_core::ops::Actor {
            user_id: "user-1".into(),
            name: "Owner".into(),
            role: sonic_core::sections::Role::Owner,
        };
        let ctx = sonic_core::ops::OpCtx::now(owner, shop.main_store.clone());
        let input = catalog::CustomerInput {
            name: "Zainab Kareem".into(),
            phone: Some("07905556677".into()),
            credit_limit: None,
        };
        catalog::create_customer(&mut store, &ctx, &input)?;
    }
    let app = App::launch(dir.path()).await?;
    app.sign_in(MANAGER.0, MANAGER.1).await?;
    app.open("services").await?;

    click(&app, "services-new").await?;
    fill(&app, "services-customer-search", "Zainab").await?;
    click_css(&app, "[data-testid='services-customer-result']").await?;
    app.wait_for_text("services-customer-chosen", |t| t.contains("Zainab Kareem"))
        .await?;
    fill(&app, "services-device", "iPad 9").await?;
    choose(&app, "services-currency", "USD").await?;
    fill(&app, "services-estimate", "45.50").await?;
    fill(&app, "services-deposit", "10").await?;
    click(&app, "services-open-submit").await?;
    wait_for_status(&app, "received").await?;
    app.wait_for_text("services-detail-estimate", |t| t == "$45.50").await?;
    advance(&app, "diagnosing").await?;
    advance(&app, "ready").await?;
    let suggested = app.testid("services-charge").await?.prop("value").await?;
    assert_eq!(
        suggested.as_deref(),
        Some("45.50"),
        "no parts: the estimate is the charge"
    );

    // $45.50 − $10 deposit = $35.50 due; $20 paid leaves $15.50.
    fill(&app, "services-paid", "20").await?;
    click(&app, "services-deliver-submit").await?;
    wait_for_status(&app, "delivered").await?;
    let delivered = app.testid("services-delivered").await?;
    assert_eq!(delivered.attr("data-debt").await?.as_deref(), Some("1550"));
    assert!(
        delivered.text().await?.contains("$15.50"),
        "the debt is shown in dollars"
    );

    let store = Store::open(&DataDir::at(dir.path()))?;
    let t = service::tickets(&store, ServiceStatus::Delivered, Page::FIRST)?
        .pop()
        .context("the delivered ticket is stored")?;
    assert_eq!(
        (t.currency, t.estimate, t.deposit),
        (Some(Currency::Usd), Some(4_550), Some(1_000)),
        "the ticket is in dollars, amounts in cents"
    );
    let customer_id = t.customer_id.as_ref().context("the ticket names its customer")?.key();
    let debts = debt::customer_debts(&store, &customer_id)?;
    assert_eq!(debts.len(), 1, "one debt: {debts:?}");
    assert_eq!(
        (debts[0].currency, debts[0].amount),
        (Currency::Usd, 1_550),
        "$15.50 owed"
    );
    app.quit().await
}
