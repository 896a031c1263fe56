//! The Dashboard: today's sales per currency and the 30-day chart.

use fantoccini::Locator;
use serde_json::json;
use sonic_core::ops::sale::{self, SaleInput};
use sonic_core::ops::{security, OpCtx};
use sonic_core::{DataDir, Store};
use sonic_e2e::shop::{self, seed_shop};
use sonic_e2e::App;

/// The chart's bars: (day, value) in order.
async fn bars(app: &App) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for bar in app
        .client
        .find_all(Locator::Css("[data-testid='dashboard-chart'] rect"))
        .await?
    {
        out.push((
            bar.attr("data-day").await?.unwrap_or_default(),
            bar.attr("data-value").await?.unwrap_or_default(),
        ));
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_todays_sales_per_currency_and_today_as_the_last_of_30_bars() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let seeded = seed_shop(dir.path())?;
    // Two sales today, one in each currency: 2 cables (10,000 IQD) and a phone ($250.00).
    {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        let cashier = security::sign_in(&mut store, shop::CASHIER.0, shop::CASHIER.1, chrono::Utc::now())?;
        let ctx = OpCtx::now(cashier, seeded.main_store.clone());
        for (item, qty, currency, paid) in [(&seeded.cable, 2, "IQD", 10_000), (&seeded.phone, 1, "USD", 25_000)] {
            let input: SaleInput = serde_json::from_value(json!({
                "lines": [{ "itemId": item.id, "qty": qty }],
                "currency": currency,
                "payments": [{ "currency": currency, "amount": paid }],
            }))?;
            sale::sell(&mut store, &ctx, &input)?;
        }
    }
    let app = App::launch(dir.path()).await?;
    app.sign_in(shop::OWNER.0, shop::OWNER.1).await?;
    app.open("dashboard").await?;

    app.wait_for_text("dashboard-sales-iqd-value", |t| t == "10,000 IQD")
        .await?;
    assert_eq!(app.testid("dashboard-sales-usd-value").await?.text().await?, "$250.00");
    let iqd_tile = app.testid("dashboard-sales-iqd").await?.text().await?;
    assert!(
        iqd_tile.contains("Profit: 6,000 IQD"),
        "2 cables cost 4,000 of the 10,000: {iqd_tile}"
    );
    let usd_tile = app.testid("dashboard-sales-usd").await?.text().await?;
    assert!(
        usd_tile.contains("Profit: $50.00"),
        "the phone cost $200.00 of its $250.00: {usd_tile}"
    );
    assert_eq!(app.testid("dashboard-invoices-value").await?.text().await?, "2");
    assert_eq!(
        app.testid("dashboard-debts-value").await?.text().await?,
        "0 IQD",
        "nobody owes anything"
    );
    assert_eq!(
        app.testid("dashboard-ready-value").await?.text().await?,
        "0",
        "no repair is ready"
    );

    app.testid("dashboard-chart").await?;
    let iqd = bars(&app).await?;
    assert_eq!(iqd.len(), 30, "one bar a day for 30 days");
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    assert_eq!(
        iqd[29],
        (today.clone(), "10000".into()),
        "today is the last bar, with the dinar sales"
    );
    assert!(
        iqd[..29].iter().all(|(_, v)| v == "0"),
        "no sales before today: {iqd:?}"
    );

    app.click("dashboard-chart-usd").await?;
    app.wait_for_text("dashboard-chart-total", |t| t.contains("$250.00"))
        .await?;
    let usd = bars(&app).await?;
    assert_eq!(
        usd[29],
        (today, "25000".into()),
        "in dollars, today's bar is the phone's $250.00 in cents"
    );
    app.quit().await
}
