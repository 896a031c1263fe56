//! The till's receipt printer and cash drawer, against a fake ESC/POS
//! network printer (`sonic_e2e::printer`): set up in Settings › Printer by
//! a manager, a cash sale prints one receipt (a raster image as wide as the
//! paper, as long as its lines), cuts it and opens the drawer; a sale on
//! credit does not open it; with the printer off the sale is stored all the
//! same and the till says the printer is unreachable, and the receipt prints
//! again from the recent invoices once it is back, marked as a copy.

use anyhow::Context as _;
use sonic_core::ops::sale;
use sonic_core::{DataDir, Store};
use sonic_e2e::printer::{FakePrinter, Image, Job};
use sonic_e2e::screen::{choose, css, dialog_open, wait_for_count};
use sonic_e2e::shop::{seed_shop, MANAGER};
use sonic_e2e::App;

use crate::sale::{receipt_number, scan};

/// Settings › Printer: a network printer at `addr`, 58 mm paper, printing
/// right after each sale.
pub(crate) async fn set_up_printer(app: &App, addr: &str) -> anyhow::Result<()> {
    app.open("settings").await?;
    app.testid("settings-printer").await?;
    choose(app, "printer-kind", "network").await?;
    app.fill("printer-address", addr).await?;
    choose(app, "printer-paper", "58").await?;
    app.fill("printer-copies", "1").await?;
    let auto = app.testid("printer-auto").await?;
    if auto.prop("checked").await?.as_deref() != Some("true") {
        auto.click().await?;
    }
    app.click("printer-save").await?;
    app.wait_for_text("printer-saved", |t| !t.is_empty())
        .await
        .context("Settings › Printer saves a network printer")?;
    app.open("sale").await
}

/// Pays the cart with exactly its total in cash.
async fn pay_exact(app: &App) -> anyhow::Result<u64> {
    app.click("sale-pay").await?;
    dialog_open(app, "sale-pay-dialog").await?;
    app.click("sale-pay-exact").await?;
    app.click("sale-pay-confirm").await?;
    receipt_number(app).await
}

/// The one receipt of a job: one image, one cut.
pub(crate) fn one_receipt(job: &Job, what: &str) -> anyhow::Result<Image> {
    let images = job.images();
    anyhow::ensure!(images.len() == 1, "{what}: one raster image, not {}", images.len());
    anyhow::ensure!(job.cuts() == 1, "{what}: one cut, not {}", job.cuts());
    Ok(images.into_iter().next().expect("one"))
}

/// Where a test keeps what the printer printed.
pub(crate) fn saved_png(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cash_sale_prints_its_receipt_cuts_and_opens_the_drawer_and_credit_does_not() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let printer = FakePrinter::start().await?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(MANAGER.0, MANAGER.1).await?;
    set_up_printer(&app, &printer.addr().to_string()).await?;

    // One cable, paid in cash.
    scan(&app, &shop.cable.barcode).await?;
    wait_for_count(&app, "[data-testid='sale-line']", 1).await?;
    pay_exact(&app).await?;
    let jobs = printer.wait_for_jobs(1).await?;
    let one_line = one_receipt(&jobs[0], "the first sale")?;
    assert_eq!(one_line.width, 384, "58 mm paper is 384 dots wide");
    assert_eq!(jobs[0].kicks(), 1, "cash taken: the drawer opens");
    assert!(
        one_line.inked_rows() > 100,
        "the receipt has text on it: {} inked rows",
        one_line.inked_rows()
    );
    app.wait_for_text("sale-print-status", |t| !t.is_empty()).await?;
    one_line.save_png(&saved_png("receipt-one-line.png"))?;

    // Three lines, on a new customer's account with nothing paid: no cash, no drawer.
    app.click("sale-new").await?;
    app.click("sale-customer-new").await?;
    dialog_open(&app, "sale-new-customer-dialog").await?;
    app.fill("sale-new-customer-name", "Ali Hassan").await?;
    app.fill("sale-new-customer-phone", "07701234567").await?;
    app.click("sale-new-customer-save").await?;
    app.wait_for_text("sale-customer-name", |t| t == "Ali Hassan").await?;
    for item in [&shop.cable, &shop.phone, &shop.screen] {
        scan(&app, &item.barcode).await?;
    }
    wait_for_count(&app, "[data-testid='sale-line']", 3).await?;
    app.click("sale-pay").await?;
    dialog_open(&app, "sale-pay-dialog").await?;
    app.fill("sale-tender-iqd", "0").await?;
    app.click("sale-pay-confirm").await?;
    let number = receipt_number(&app).await?;
    let jobs = printer.wait_for_jobs(2).await?;
    let three_lines = one_receipt(&jobs[1], "the sale on credit")?;
    assert_eq!(three_lines.width, 384);
    assert_eq!(jobs[1].kicks(), 0, "nothing paid in cash: the drawer stays shut");
    assert!(
        three_lines.height > one_line.height,
        "three lines print longer than one: {} vs {} dots",
        three_lines.height,
        one_line.height
    );
    three_lines.save_png(&saved_png("receipt-three-lines.png"))?;
    let store = Store::open(&DataDir::at(dir.path()))?;
    let invoice = sale::invoice_by_number(&store, number)?.context("the credit sale is stored")?;
    assert!(invoice.payments.iter().all(|p| p.amount == 0), "{:?}", invoice.payments);
    app.quit().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sale_with_the_printer_off_is_stored_and_its_receipt_prints_again_once_it_is_back() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let printer = FakePrinter::start().await?;
    let addr = printer.addr();
    let app = App::launch(dir.path()).await?;
    app.sign_in(MANAGER.0, MANAGER.1).await?;
    set_up_printer(&app, &addr.to_string()).await?;
    printer.stop().await;

    scan(&app, &shop.cable.barcode).await?;
    scan(&app, &shop.cable.barcode).await?;
    wait_for_count(&app, "[data-testid='sale-line']", 1).await?;
    let number = pay_exact(&app).await?;
    let message = app
        .wait_for_text("sale-print-status", |t| !t.is_empty())
        .await
        .context("the till says the receipt did not print")?;
    assert!(
        message.contains("unreachable"),
        "the message says the printer is unreachable: {message}"
    );
    assert!(message.contains(&addr.to_string()), "and names it: {message}");
    {
        let store = Store::open(&DataDir::at(dir.path()))?;
        let invoice = sale::invoice_by_number(&store, number)?.context("the sale is stored though nothing printed")?;
        assert_eq!(invoice.lines.len(), 1);
        assert_eq!(invoice.lines[0].qty, 2);
    }

    // The printer is switched on again; the receipt prints from the recent invoices.
    let printer = FakePrinter::start_at(addr).await?;
    app.click("sale-new").await?;
    css(
        &app,
        &format!("[data-testid='sale-recent-item'][data-number='{number}']"),
    )
    .await?
    .click()
    .await?;
    app.wait_for_text("sale-receipt-mark", |t| !t.is_empty())
        .await
        .context("a receipt shown again is marked as a copy")?;
    app.click("sale-print").await?;
    let jobs = printer.wait_for_jobs(1).await?;
    let copy = one_receipt(&jobs[0], "the reprint")?;
    assert_eq!(copy.width, 384);
    assert_eq!(jobs[0].kicks(), 0, "a reprint does not open the drawer");
    // The COPY mark is a black band across the top of the paper.
    let band = (0..copy.height.min(80)).any(|y| (40..340).all(|x| copy.black(x, y)));
    assert!(band, "the reprint starts with the black COPY band");
    copy.save_png(&saved_png("receipt-copy.png"))?;
    app.quit().await
}
