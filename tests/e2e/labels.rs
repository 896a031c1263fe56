//! Item barcode labels on the receipt printer (Items screen › Barcode
//! labels): the fake ESC/POS printer's raster is read back as a scanner
//! would (one row of dots across the bars, against the EAN-13 and Code 128
//! tables in `sonic_e2e::barcode`), for an item with an EAN-13 and one with
//! a shop's own code (Code 128). A number of labels that is not 1 to 50 and
//! an item without a barcode are refused with a message that says so, and
//! nothing is printed.

use anyhow::Context as _;
use sonic_core::ops::{catalog, security, Actor, OpCtx};
use sonic_core::sections::Currency;
use sonic_core::{DataDir, Store};
use sonic_e2e::barcode::{decode_code128, decode_ean13, read_all};
use sonic_e2e::printer::FakePrinter;
use sonic_e2e::screen::{css, css_text};
use sonic_e2e::shop::{seed_shop, MANAGER, OWNER};
use sonic_e2e::App;

use crate::printer::{one_receipt, saved_png, set_up_printer};

/// A shop's own code, not an EAN-13: printed as Code 128.
const OWN_CODE: &str = "CASE-A15/blk";

/// Adds two items: a case with the shop's own code and a wipe without a barcode.
fn add_items(dir: &std::path::Path, main_store: &str) -> anyhow::Result<()> {
    let mut store = Store::open(&DataDir::at(dir))?;
    let owner = security::users(&store)?
        .into_iter()
        .find(|u| u.name == OWNER.0)
        .context("the seeded owner")?;
    let ctx = OpCtx::now(
        Actor {
            user_id: owner.id.key(),
            name: owner.name,
            role: owner.role,
        },
        main_store.to_string(),
    );
    for (name, barcode) in [("A15 case", Some(OWN_CODE)), ("Screen wipe", None)] {
        catalog::create_item(
            &mut store,
            &ctx,
            &catalog::ItemInput {
                name: name.into(),
                barcode: barcode.map(String::from),
                category: None,
                currency: Currency::Iqd,
                price: 3_000,
                cost: 1_000,
            },
        )?;
    }
    Ok(())
}

/// Opens `name` on the Items screen (searched: the first row is it).
async fn open_item(app: &App, name: &str) -> anyhow::Result<()> {
    app.open("items").await?;
    app.fill("items-search", name).await?;
    let first = "[data-testid='items-row'] [data-testid='items-open']";
    css_text(app, first, |t| t == name)
        .await
        .with_context(|| format!("the Items screen finds {name}"))?;
    css(app, first).await?.click().await?;
    app.wait_for_text("items-detail-name", |t| t == name).await?;
    Ok(())
}

/// Prints `count` labels of the item shown; the status says they printed.
async fn print_labels(app: &App, count: &str) -> anyhow::Result<String> {
    app.fill("items-labels-count", count).await?;
    app.click("items-labels-print").await?;
    app.wait_for_text("items-labels-status", |t| !t.is_empty()).await
}

/// Asks for `count` labels and expects the refusal to contain `says`.
async fn refused(app: &App, count: &str, says: &str) -> anyhow::Result<()> {
    app.fill("items-labels-count", count).await?;
    app.click("items-labels-print").await?;
    let message = app
        .wait_for_text("items-labels-error", |t| !t.is_empty())
        .await
        .with_context(|| format!("{count:?} labels are refused"))?;
    assert!(
        message.contains(says),
        "the refusal of {count:?} labels says {says:?}: {message}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_print_barcodes_that_read_back_as_the_items_codes_and_bad_requests_are_refused() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    add_items(dir.path(), &shop.main_store)?;
    let printer = FakePrinter::start().await?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(MANAGER.0, MANAGER.1).await?;
    set_up_printer(&app, &printer.addr().to_string()).await?;

    // Three labels of the cable: its EAN-13, three times.
    open_item(&app, &shop.cable.name).await?;
    let said = print_labels(&app, "3").await?;
    assert!(said.contains('3'), "the status counts the labels: {said}");
    let jobs = printer.wait_for_jobs(1).await?;
    let labels = one_receipt(&jobs[0], "three labels")?;
    assert_eq!(jobs[0].kicks(), 0, "labels do not open the drawer");
    labels.save_png(&saved_png("labels-ean13.png"))?;
    let read = read_all(&labels, decode_ean13);
    assert_eq!(
        read,
        vec![shop.cable.barcode.clone(); 3],
        "three EAN-13 labels read back"
    );

    // Bad requests: nothing more reaches the printer.
    for (count, says) in [
        ("0", "1 to 50"),
        ("-2", "1 to 50"),
        ("51", "1 to 50"),
        ("two", "1 to 50"),
    ] {
        refused(&app, count, says).await?;
    }

    // Two labels of the case: its own code, as Code 128.
    open_item(&app, "A15 case").await?;
    print_labels(&app, "2").await?;
    let jobs = printer.wait_for_jobs(2).await?;
    let labels = one_receipt(&jobs[1], "two labels")?;
    labels.save_png(&saved_png("labels-code128.png"))?;
    assert_eq!(read_all(&labels, decode_code128), vec![OWN_CODE.to_string(); 2]);
    assert!(
        read_all(&labels, decode_ean13).is_empty(),
        "the shop's own code is no EAN-13"
    );

    // An item without a barcode has no labels.
    open_item(&app, "Screen wipe").await?;
    refused(&app, "1", "has no barcode").await?;
    assert_eq!(printer.jobs()?.len(), 2, "no refused request printed anything");
    app.quit().await
}
