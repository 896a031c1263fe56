//! Money transfers on the Transfer screen: one sent in dinars and one
//! received in dollars, both in today's totals and in the stored list.

use anyhow::Context as _;
use fantoccini::Locator;
use sonic_core::ops::rates::{self, RateKind};
use sonic_core::ops::{transfer, Actor, OpCtx, Page};
use sonic_core::sections::{Currency, Rate, Role, TransferDirection};
use sonic_core::{DataDir, Store};
use sonic_e2e::shop::{seed_shop, CASHIER, OWNER};
use sonic_e2e::App;

use sonic_e2e::screen::{choose, click, css, css_text, fill};

/// The rate transfers are recorded at (the seed sets only the sales rate).
const TRANSFER_RATE: &str = "1305";

/// Waits until the totals entry `<testid>` holds `iqd` dinars and `usd` cents.
async fn wait_for_totals(app: &App, testid: &str, iqd: i64, usd: i64) -> anyhow::Result<()> {
    let selector = format!("[data-testid='{testid}'][data-iqd='{iqd}'][data-usd='{usd}']");
    css(app, &selector)
        .await
        .with_context(|| format!("today's totals should show {testid} = {iqd} IQD and {usd} US cents"))?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_recorded_on_the_transfer_screen_is_in_todays_totals_and_stored() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        let owner = Actor {
            user_id: "user-1".into(),
            name: OWNER.0.into(),
            role: Role::Owner,
        };
        let rate: Rate = TRANSFER_RATE.parse().map_err(anyhow::Error::msg)?;
        rates::set_rate(
            &mut store,
            &OpCtx::now(owner, shop.main_store.clone()),
            RateKind::Transfer,
            rate,
        )?;
    }
    let app = App::launch(dir.path()).await?;
    app.sign_in(CASHIER.0, CASHIER.1).await?;
    app.open("transfer").await?;
    wait_for_totals(&app, "transfer-totals-sent", 0, 0).await?;

    // Send 250,000 IQD for a 2,500 IQD fee.
    choose(&app, "transfer-direction", "send").await?;
    choose(&app, "transfer-currency", "IQD").await?;
    fill(&app, "transfer-amount", "250,000").await?;
    fill(&app, "transfer-fee", "2,500").await?;
    fill(&app, "transfer-party", "Karim Jabbar").await?;
    fill(&app, "transfer-phone", "07801112233").await?;
    click(&app, "transfer-submit").await?;
    app.wait_for_text("transfer-done", |t| t.contains("Karim Jabbar"))
        .await?;
    wait_for_totals(&app, "transfer-totals-sent", 250_000, 0).await?;

    // Receive $100.50 for a $1.50 fee.
    choose(&app, "transfer-direction", "receive").await?;
    choose(&app, "transfer-currency", "USD").await?;
    fill(&app, "transfer-amount", "100.50").await?;
    fill(&app, "transfer-fee", "1.50").await?;
    fill(&app, "transfer-party", "Sara Ahmed").await?;
    click(&app, "transfer-submit").await?;
    app.wait_for_text("transfer-done", |t| t.contains("Sara Ahmed")).await?;

    app.wait_for_text("transfer-totals-count", |t| t.trim() == "2").await?;
    wait_for_totals(&app, "transfer-totals-sent", 250_000, 0).await?;
    wait_for_totals(&app, "transfer-totals-received", 0, 10_050).await?;
    wait_for_totals(&app, "transfer-totals-fees", 2_500, 150).await?;
    let received_usd = app.testid("transfer-totals-received-usd").await?.text().await?;
    assert_eq!(received_usd, "$100.50", "dollars are shown with their cents");
    // Newest first in the list.
    css_text(
        &app,
        "[data-testid='transfer-list'] [data-testid='transfer-row']:first-child [data-testid='transfer-row-party']",
        |t| t == "Sara Ahmed",
    )
    .await?;
    let rows = app
        .client
        .find_all(Locator::Css(
            "[data-testid='transfer-list'] [data-testid='transfer-row']",
        ))
        .await?;
    assert_eq!(rows.len(), 2, "both transfers are listed");

    let store = Store::open(&DataDir::at(dir.path()))?;
    let stored = transfer::transfers(&store, Page::FIRST)?;
    assert_eq!(stored.len(), 2, "two transfers are stored");
    let (received, sent) = (&stored[0], &stored[1]);
    assert_eq!(
        (sent.direction, sent.currency, sent.amount, sent.fee),
        (TransferDirection::Send, Currency::Iqd, 250_000, Some(2_500)),
        "the sent transfer as typed, in dinars"
    );
    assert_eq!(
        (sent.party.as_str(), sent.phone.as_deref()),
        ("Karim Jabbar", Some("07801112233"))
    );
    assert_eq!(
        (received.direction, received.currency, received.amount, received.fee),
        (TransferDirection::Receive, Currency::Usd, 10_050, Some(150)),
        "the received transfer as typed, in cents"
    );
    assert_eq!(
        (received.party.as_str(), received.phone.as_deref()),
        ("Sara Ahmed", None)
    );
    for t in &stored {
        assert_eq!(
            t.rate.map(|r| r.to_string()).as_deref(),
            Some(TRANSFER_RATE),
            "at the transfer rate"
        );
        assert_eq!(
            t.cashier.as_deref(),
            Some(CASHIER.0),
            "recorded by the signed-in cashier"
        );
        assert_eq!(
            t.store_id.as_ref().map(|s| s.key()),
            Some(shop.main_store.clone()),
            "in the till's store"
        );
    }
    assert_eq!((sent.number, received.number), (Some(1), Some(2)), "numbered in order");
    app.quit().await
}
