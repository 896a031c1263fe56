//! Stock on the Inventory screen: receiving into the till's store, moving
//! stock to the branch, adjusting and counting; what the screen shows after
//! each step is what the store holds. Also the small UI helpers the other
//! screen tests here use (picking an item, choosing an option, reading text
//! by CSS selector).

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use fantoccini::elements::Element;
use fantoccini::Locator;
use sonic_core::ops::activity::{self, ActivityFilter};
use sonic_core::ops::{stock, Page};
use sonic_core::{DataDir, Store};
use sonic_e2e::shop::{seed_shop, SeededItem, OWNER};
use sonic_e2e::{App, PATIENCE};

/// Waits until the element at `css` has text satisfying `ok`; returns it.
pub(crate) async fn wait_for_css_text(app: &App, css: &str, ok: impl Fn(&str) -> bool) -> anyhow::Result<String> {
    let deadline = Instant::now() + PATIENCE;
    let mut last = None;
    loop {
        if let Ok(el) = app.client.find(Locator::Css(css)).await {
            if let Ok(text) = el.text().await {
                if ok(&text) {
                    return Ok(text);
                }
                last = Some(text);
            }
        }
        if Instant::now() > deadline {
            bail!("{css} never showed the expected text; last seen: {last:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The `data-testid` element, scrolled to the middle of its scrolling
/// screen: the screen area scrolls under a fixed status bar, and WebKit's
/// driver refuses to type into or click a field the status bar covers.
pub(crate) async fn in_view(app: &App, id: &str) -> anyhow::Result<Element> {
    let el = app.testid(id).await?;
    app.client
        .execute(
            "arguments[0].scrollIntoView({ block: 'center' });",
            vec![serde_json::to_value(&el)?],
        )
        .await?;
    Ok(el)
}

/// Types into the `data-testid` field after clearing it (scrolled into view).
pub(crate) async fn fill(app: &App, id: &str, text: &str) -> anyhow::Result<()> {
    let el = in_view(app, id).await?;
    el.clear().await?;
    el.send_keys(text).await?;
    Ok(())
}

/// Clicks the `data-testid` element (scrolled into view).
pub(crate) async fn click(app: &App, id: &str) -> anyhow::Result<()> {
    in_view(app, id).await?.click().await?;
    Ok(())
}

/// Types the item's name into `<prefix>-search` and clicks its row in the
/// picker's results (`<prefix>-result` with the item's id).
pub(crate) async fn pick_item(app: &App, prefix: &str, item: &SeededItem) -> anyhow::Result<()> {
    fill(app, &format!("{prefix}-search"), &item.name).await?;
    let css = format!("[data-testid='{prefix}-result'][data-id='{}']", item.id);
    app.client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(&css))
        .await
        .with_context(|| format!("searching {:?} did not list it in {prefix}-results", item.name))?
        .click()
        .await?;
    Ok(())
}

/// Chooses the option with `value` in the `data-testid` select.
pub(crate) async fn choose(app: &App, select: &str, value: &str) -> anyhow::Result<()> {
    in_view(app, select)
        .await?
        .find(Locator::Css(&format!("option[value='{value}']")))
        .await
        .with_context(|| format!("the select {select} has no option {value:?}"))?
        .click()
        .await?;
    Ok(())
}

/// A number as the screen writes it, without the group separators.
pub(crate) fn digits(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_digit() || *c == '-').collect()
}

/// Waits until the Inventory screen's levels table shows `qty` for `store`.
async fn wait_for_level(app: &App, store: &str, qty: i64) -> anyhow::Result<()> {
    let css = format!("[data-testid='inventory-level'][data-store-id='{store}'] [data-testid='inventory-level-qty']");
    wait_for_css_text(app, &css, |text| digits(text) == qty.to_string())
        .await
        .with_context(|| format!("the levels table should show {qty} in {store}"))?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receiving_and_moving_stock_to_the_branch_shows_and_stores_every_level() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let (main, branch) = (shop.main_store.as_str(), shop.branch_store.as_str());
    let app = App::launch(dir.path()).await?;
    app.sign_in(OWNER.0, OWNER.1).await?;
    app.open("inventory").await?;

    pick_item(&app, "inventory-item", &shop.screen).await?;
    app.wait_for_text("inventory-item-name", |t| t == shop.screen.name)
        .await?;
    // Seeded: 4 in Main, none in Branch (shown as 0: every store is listed).
    wait_for_level(&app, main, 4).await?;
    wait_for_level(&app, branch, 0).await?;

    // Receive 6 at 17,500 IQD each into Main (the till's store): 4 + 6 = 10.
    fill(&app, "inventory-receive-qty", "6").await?;
    fill(&app, "inventory-receive-cost", "17,500").await?;
    click(&app, "inventory-receive-submit").await?;
    wait_for_level(&app, main, 10).await?;

    // Move 3 from Main to Branch: Main 10 − 3 = 7, Branch 0 + 3 = 3.
    choose(&app, "inventory-transfer-from", main).await?;
    choose(&app, "inventory-transfer-to", branch).await?;
    fill(&app, "inventory-transfer-qty", "3").await?;
    click(&app, "inventory-transfer-submit").await?;
    wait_for_level(&app, main, 7).await?;
    wait_for_level(&app, branch, 3).await?;

    // One cracked in storage: Main 7 − 1 = 6.
    fill(&app, "inventory-adjust-delta", "-1").await?;
    fill(&app, "inventory-adjust-reason", "cracked in storage").await?;
    click(&app, "inventory-adjust-submit").await?;
    wait_for_level(&app, main, 6).await?;

    // The shelf holds 5: the count books 5 − 6 = −1.
    fill(&app, "inventory-count-qty", "5").await?;
    click(&app, "inventory-count-submit").await?;
    let shown = app
        .wait_for_text("inventory-count-difference", |t| !t.trim().is_empty())
        .await?;
    assert_eq!(
        digits(&shown),
        "-1",
        "the count shows the difference it booked: {shown:?}"
    );
    wait_for_level(&app, main, 5).await?;
    wait_for_level(&app, branch, 3).await?;
    assert!(
        app.testid("inventory-error").await?.text().await?.is_empty(),
        "no step failed"
    );

    let store = Store::open(&DataDir::at(dir.path()))?;
    assert_eq!(
        stock::level(&store, &shop.screen.id, main)?,
        5,
        "Main holds 4 + 6 − 3 − 1 − 1"
    );
    assert_eq!(
        stock::level(&store, &shop.screen.id, branch)?,
        3,
        "Branch holds the 3 moved"
    );
    assert_eq!(
        stock::level(&store, &shop.cable.id, main)?,
        20,
        "the other items' stock is untouched"
    );
    let logged = |action: &str| -> anyhow::Result<Vec<String>> {
        let filter = ActivityFilter {
            action: Some(action.into()),
            text: None,
        };
        Ok(activity::list(&store, &filter, Page::FIRST)?
            .into_iter()
            .filter_map(|e| e.details)
            .collect())
    };
    assert_eq!(
        logged("stock_receive")?
            .iter()
            .filter(|d| d.contains(&shop.screen.id))
            .count(),
        2,
        "the seed's receipt and this one are logged"
    );
    assert_eq!(
        logged("stock_transfer")?,
        vec![format!("3 of {} moved from {main} to {branch}", shop.screen.id)],
        "the move is logged with both stores"
    );
    assert_eq!(
        logged("stock_adjust")?,
        vec![format!("{} adjusted by -1: cracked in storage", shop.screen.id)],
        "the adjustment is logged with its reason"
    );
    assert_eq!(
        logged("stock_count")?,
        vec![format!("{}: counted 5, had 6", shop.screen.id)],
        "the count is logged with what there was"
    );
    app.quit().await
}
