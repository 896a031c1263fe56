//! Stock on the Inventory screen: receiving into the till's store, moving
//! stock to the branch, adjusting and counting; what the screen shows after
//! each step is what the store holds. Also the Items, Stores and Activity
//! screens.

use anyhow::Context as _;
use fantoccini::Locator;
use sonic_core::ops::activity::{self, ActivityFilter};
use sonic_core::ops::{catalog, stock, stores, Page};
use sonic_core::sections::Currency;
use sonic_core::{DataDir, Store};
use sonic_e2e::screen::{choose, click, css, css_text, digits, fill, pick_item, wait_for_count};
use sonic_e2e::shop::{seed_shop, MANAGER, OWNER};
use sonic_e2e::App;

/// Waits until the Inventory screen's levels table shows `qty` for `store`.
async fn wait_for_level(app: &App, store: &str, qty: i64) -> anyhow::Result<()> {
    let css = format!("[data-testid='inventory-level'][data-store-id='{store}'] [data-testid='inventory-level-qty']");
    css_text(app, &css, |text| digits(text) == qty.to_string())
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
            .filter(|d| d.contains(&shop.screen.name))
            .count(),
        2,
        "the seed's receipt and this one are logged"
    );
    assert_eq!(
        logged("stock_transfer")?,
        vec![format!("3 of {} moved from Main to Branch", shop.screen.name)],
        "the move is logged with both stores"
    );
    assert_eq!(
        logged("stock_adjust")?,
        vec![format!("{} adjusted by -1: cracked in storage", shop.screen.name)],
        "the adjustment is logged with its reason"
    );
    assert_eq!(
        logged("stock_count")?,
        vec![format!("{}: counted 5, had 6", shop.screen.name)],
        "the count is logged with what there was"
    );
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_item_priced_in_dollars_is_added_changed_and_archived_on_the_items_screen() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(MANAGER.0, MANAGER.1).await?;
    app.open("items").await?;

    click(&app, "items-add").await?;
    fill(&app, "items-name", "Redmi Note 13").await?;
    fill(&app, "items-barcode", "6941812700012").await?;
    fill(&app, "items-category", "Phones").await?;
    choose(&app, "items-currency", "USD").await?;
    fill(&app, "items-price", "189.99").await?;
    fill(&app, "items-cost", "150.5").await?;
    click(&app, "items-save").await?;
    app.wait_for_text("items-detail-name", |t| t == "Redmi Note 13").await?;
    app.wait_for_text("items-detail-price", |t| t == "$189.99").await?;
    app.wait_for_text("items-detail-cost", |t| t == "$150.50").await?;

    let stored = |text: &str| -> anyhow::Result<Vec<sonic_core::sections::Item>> {
        let store = Store::open(&DataDir::at(dir.path()))?;
        Ok(catalog::search_items(&store, text, Page::FIRST)?)
    };
    let found = stored("6941812700012")?;
    assert_eq!(found.len(), 1, "the new item is found by its barcode");
    let id = found[0].id.key();
    assert_eq!(
        (found[0].currency, found[0].price, found[0].cost),
        (Some(Currency::Usd), Some(18_999), Some(15_050)),
        "$189.99 and $150.50 are stored in cents"
    );
    assert_eq!(found[0].category.as_deref(), Some("Phones"));

    click(&app, "items-edit").await?;
    fill(&app, "items-price", "179").await?;
    click(&app, "items-save").await?;
    app.wait_for_text("items-detail-price", |t| t == "$179.00").await?;
    assert_eq!(
        stored("6941812700012")?[0].price,
        Some(17_900),
        "the new price is stored"
    );

    // Archiving asks twice; the item then leaves the list and the search.
    click(&app, "items-archive").await?;
    click(&app, "items-archive").await?;
    css(&app, "[data-testid='items-detail'][hidden]")
        .await
        .context("the archived item's detail closes")?;
    let rows = app.client.find_all(Locator::Css("[data-testid='items-row']")).await?;
    let mut ids = Vec::new();
    for row in &rows {
        ids.push(row.attr("data-id").await?.unwrap_or_default());
    }
    assert!(!ids.contains(&id), "the archived item is not listed: {ids:?}");
    assert!(stored("6941812700012")?.is_empty(), "search leaves archived items out");
    let store = Store::open(&DataDir::at(dir.path()))?;
    let item = catalog::item(&store, &id)?.context("the archived item is kept")?;
    assert!(item.archived, "the item is archived, not deleted");
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_adds_a_store_that_allows_negative_stock_and_the_till_can_switch_to_it() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(OWNER.0, OWNER.1).await?;
    app.open("stores").await?;

    click(&app, "stores-add").await?;
    fill(&app, "stores-name", "Airport kiosk").await?;
    fill(&app, "stores-address", "Baghdad International Airport").await?;
    fill(&app, "stores-phone", "07700000003").await?;
    click(&app, "stores-negative").await?;
    click(&app, "stores-save").await?;
    let row = "[data-testid='stores-row'][data-id='store-3']";
    css_text(&app, &format!("{row} [data-testid='stores-row-name']"), |t| {
        t.contains("Airport kiosk")
    })
    .await?;
    let negative = app
        .client
        .find(Locator::Css(&format!("{row} [data-testid='stores-row-negative']")))
        .await?;
    assert_eq!(negative.attr("data-allowed").await?.as_deref(), Some("true"));
    css(&app, "[data-testid='store-switch'] option[value='store-3']")
        .await
        .context("the new store is offered in the top bar's store switch")?;

    let store = Store::open(&DataDir::at(dir.path()))?;
    let all = stores::stores(&store)?;
    let kiosk = all
        .iter()
        .find(|s| s.name == "Airport kiosk")
        .context("the store is stored")?;
    assert_eq!(kiosk.id.key(), "store-3", "numbered after Main and Branch");
    assert!(kiosk.allow_negative_stock, "negative stock is allowed there");
    assert_eq!(
        (kiosk.address.as_deref(), kiosk.phone.as_deref()),
        (Some("Baghdad International Airport"), Some("07700000003"))
    );
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_activity_log_filters_by_action_and_by_text() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(OWNER.0, OWNER.1).await?;
    app.open("activity").await?;

    // The seed received stock of its three items.
    choose(&app, "activity-action", "stock_receive").await?;
    let rows = "[data-testid='activity-list'] [data-testid='activity-row']";
    wait_for_count(&app, rows, 3).await?;
    for row in app.client.find_all(Locator::Css(rows)).await? {
        assert_eq!(row.attr("data-action").await?.as_deref(), Some("stock_receive"));
    }

    // Text narrows it further: only the screen's receipt names it.
    fill(&app, "activity-text", &shop.screen.name).await?;
    wait_for_count(&app, rows, 1).await?;
    let details = app.testid("activity-details").await?.text().await?;
    // The item's name sits between Unicode isolates (FSI … PDI) in the sentence.
    assert_eq!(details, format!("4 × \u{2068}{}\u{2069} received", shop.screen.name));
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moving_more_than_the_store_holds_is_refused_and_changes_nothing() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let (main, branch) = (shop.main_store.as_str(), shop.branch_store.as_str());
    let app = App::launch(dir.path()).await?;
    app.sign_in(MANAGER.0, MANAGER.1).await?;
    app.open("inventory").await?;

    pick_item(&app, "inventory-item", &shop.screen).await?;
    wait_for_level(&app, main, 4).await?;
    choose(&app, "inventory-transfer-from", main).await?;
    choose(&app, "inventory-transfer-to", branch).await?;
    fill(&app, "inventory-transfer-qty", "5").await?;
    click(&app, "inventory-transfer-submit").await?;
    let error = app.testid("inventory-error").await?;
    app.wait_for_text("inventory-error", |t| !t.is_empty()).await?;
    assert_eq!(
        error.attr("data-code").await?.as_deref(),
        Some("InsufficientStock"),
        "the screen says there is not enough stock"
    );
    // "only 4 of <item> in stock in <store>, 5 wanted" (names isolated).
    let text = error.text().await?;
    assert!(
        text.contains("only 4 of") && text.contains("5 wanted") && text.contains(shop.screen.name.as_str()),
        "and how much there is, of which item: {text}"
    );
    wait_for_level(&app, main, 4).await?;
    wait_for_level(&app, branch, 0).await?;

    let store = Store::open(&DataDir::at(dir.path()))?;
    assert_eq!(stock::level(&store, &shop.screen.id, main)?, 4, "Main keeps its 4");
    assert_eq!(stock::level(&store, &shop.screen.id, branch)?, 0, "Branch got nothing");
    app.quit().await
}
