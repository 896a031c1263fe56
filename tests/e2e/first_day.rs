//! The shell's acceptance in one go, as on a shop's first day: an empty
//! data directory, the shop set up, an item added and stocked, a sale made
//! at the till, Backup Now from the button and from the menu (Ctrl+B), the
//! window closed (an `on_close` backup), and the sale still there after the
//! app is started again.

use anyhow::Context as _;
use sonic_core::ops::{catalog, sale as core_sale, Page};
use sonic_core::{DataDir, Store};
use sonic_e2e::screen::{click, css_text, dialog_open, digits, fill, pick_item, wait_for_count};
use sonic_e2e::shop::{SeededItem, OWNER};
use sonic_e2e::{backup_files, App};

use crate::sale::{iqd, receipt_number, scan};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_an_empty_data_dir_a_sale_is_made_backed_up_closed_over_and_still_there() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let app = App::launch(dir.path()).await?;
    app.set_up_shop().await?;

    // An item, priced in dinars, with a barcode.
    app.open("items").await?;
    click(&app, "items-add").await?;
    fill(&app, "items-name", "Power bank").await?;
    fill(&app, "items-barcode", "6900000000045").await?;
    fill(&app, "items-price", "15000").await?;
    fill(&app, "items-cost", "11000").await?;
    click(&app, "items-save").await?;
    app.wait_for_text("items-detail-name", |t| t == "Power bank").await?;
    let id = {
        let store = Store::open(&DataDir::at(dir.path()))?;
        catalog::search_items(&store, "6900000000045", Page::FIRST)?
            .first()
            .map(|i| i.id.key())
            .context("the new item is stored")?
    };
    let item = SeededItem {
        id,
        name: "Power bank".into(),
        barcode: "6900000000045".into(),
    };

    // Stock in: 5 received into the first store.
    app.open("inventory").await?;
    pick_item(&app, "inventory-item", &item).await?;
    fill(&app, "inventory-receive-qty", "5").await?;
    fill(&app, "inventory-receive-cost", "11000").await?;
    click(&app, "inventory-receive-submit").await?;
    css_text(
        &app,
        "[data-testid='inventory-level'] [data-testid='inventory-level-qty']",
        |t| digits(t) == "5",
    )
    .await?;

    // The sale: two scanned, paid exactly in dinars.
    app.open("sale").await?;
    scan(&app, &item.barcode).await?;
    scan(&app, &item.barcode).await?;
    wait_for_count(&app, "[data-testid='sale-line']", 1).await?;
    app.wait_for_text("sale-total", |t| t == iqd(30_000)).await?;
    click(&app, "sale-pay").await?;
    dialog_open(&app, "sale-pay-dialog").await?;
    click(&app, "sale-pay-exact").await?;
    click(&app, "sale-pay-confirm").await?;
    let number = receipt_number(&app).await?;
    click(&app, "sale-new").await?;

    // Backup Now, from the button, then from the menu's accelerator.
    app.open("backup").await?;
    click(&app, "backup-now").await?;
    let by_button = app.wait_for_text("backup-id", |t| !t.trim().is_empty()).await?;
    app.press_ctrl_until('b', "a second manual backup", || {
        Ok(backup_files(dir.path())?
            .iter()
            .filter(|n| n.contains("-manual-"))
            .count()
            >= 2)
    })
    .await?;
    let by_menu = app
        .wait_for_text("backup-id", |t| !t.trim().is_empty() && t != by_button)
        .await?;
    let manual: Vec<String> = backup_files(dir.path())?
        .into_iter()
        .filter(|n| n.contains("-manual-"))
        .collect();
    for id in [&by_button, &by_menu] {
        let simple = id.trim().replace('-', "");
        assert!(
            manual.iter().any(|n| n.contains(&simple)),
            "backup {id} is a file: {manual:?}"
        );
    }

    app.close_window_and_wait_for_exit().await?;
    app.quit().await?;
    let files = backup_files(dir.path())?;
    assert_eq!(
        files.iter().filter(|n| n.contains("-on_close-")).count(),
        1,
        "closing wrote one on_close backup: {files:?}"
    );

    // Started again: the sale is there, on screen and in the store.
    let again = App::launch(dir.path()).await?;
    again.sign_in(OWNER.0, OWNER.1).await?;
    css_text(
        &again,
        &format!("[data-testid='sale-recent-item'][data-number='{number}']"),
        |t| t.contains(&iqd(30_000)),
    )
    .await
    .context("after the restart the sale is in the recent list")?;
    again.quit().await?;
    let store = Store::open(&DataDir::at(dir.path()))?;
    let invoice = core_sale::invoice_by_number(&store, number)?.context("the invoice is stored")?;
    assert_eq!((invoice.total, invoice.lines[0].qty), (30_000, 2));
    assert_eq!(
        sonic_core::ops::stock::level(&store, &item.id, "store-1")?,
        3,
        "5 received, 2 sold"
    );
    Ok(())
}
