//! Every paper the till hands out goes to the receipt printer once one is
//! set up (a fake ESC/POS network printer here), with the drawer opened for
//! cash taken: a repair ticket and its delivery receipt, the receipt of a
//! payment on a debt, a sale's receipt shown again (marked COPY, RETURNED or
//! PARTLY RETURNED) and a return's refund receipt. What the webview drew is
//! read back from print.js's log of printed papers (their text in the order
//! drawn) beside the raster the printer received.

use anyhow::Context as _;
use sonic_core::ops::catalog::{self, CustomerInput};
use sonic_core::ops::sale::{self, SaleInput, SaleLineInput, TenderInput};
use sonic_core::ops::{debt, returns, security, service, Actor, OpCtx};
use sonic_core::sections::{Currency, ServiceStatus};
use sonic_core::{DataDir, Store};
use sonic_e2e::printer::{FakePrinter, Image};
use sonic_e2e::screen::{click, css, dialog_open, fill};
use sonic_e2e::shop::{seed_shop, SeededShop, MANAGER, OWNER};
use sonic_e2e::App;

use crate::printer::{one_receipt, saved_png, set_up_printer};
use crate::returns::cashier_at_main;

/// One paper print.js printed, as it drew it.
#[derive(Debug)]
struct Printed {
    what: String,
    drawer: String,
    width: usize,
    height: usize,
    lines: Vec<String>,
}

/// The papers the webview printed this session, oldest first.
async fn printed(app: &App) -> anyhow::Result<Vec<Printed>> {
    let value = app
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             import('/js/print.js').then((m) => done(m.printedPapers()), (e) => done({ error: String(e) }));",
            vec![],
        )
        .await?;
    let list = value
        .as_array()
        .with_context(|| format!("print.js's printed papers: {value}"))?;
    list.iter()
        .map(|p| {
            let text = |k: &str| p[k].as_str().map(String::from).with_context(|| format!("{k} of {p}"));
            let dots = |k: &str| {
                p[k].as_u64()
                    .and_then(|n| usize::try_from(n).ok())
                    .with_context(|| format!("{k} of {p}"))
            };
            Ok(Printed {
                what: text("what")?,
                drawer: text("drawer")?,
                width: dots("width")?,
                height: dots("height")?,
                lines: p["lines"]
                    .as_array()
                    .with_context(|| format!("lines of {p}"))?
                    .iter()
                    .map(|l| l.as_str().unwrap_or_default().to_string())
                    .collect(),
            })
        })
        .collect()
}

/// The newest paper printed, once there are `n`.
async fn nth_printed(app: &App, n: usize) -> anyhow::Result<Printed> {
    let mut papers = printed(app).await?;
    anyhow::ensure!(
        papers.len() == n,
        "{n} papers printed, not {}: {papers:?}",
        papers.len()
    );
    Ok(papers.pop().expect("n > 0"))
}

/// The drawn paper and the printed raster are the same picture's size.
fn same_size(drawn: &Printed, image: &Image) {
    assert_eq!(
        (drawn.width, drawn.height),
        (image.width, image.height),
        "the printer received the {} the webview drew",
        drawn.what
    );
}

fn owner_at_main(store: &Store, shop: &SeededShop) -> anyhow::Result<OpCtx> {
    let owner = security::users(store)?
        .into_iter()
        .find(|u| u.name == OWNER.0)
        .context("the seeded owner")?;
    Ok(OpCtx::now(
        Actor {
            user_id: owner.id.key(),
            name: owner.name,
            role: owner.role,
        },
        shop.main_store.clone(),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repair_ticket_its_delivery_and_a_debt_payment_print_on_the_receipt_printer() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    // A ticket ready for delivery (20,000 IQD, 5,000 deposit) and an old debt.
    let (ticket_id, debt_id) = {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        let ctx = owner_at_main(&store, &shop)?;
        let zainab = catalog::create_customer(
            &mut store,
            &ctx,
            &CustomerInput {
                name: "Zainab Kareem".into(),
                phone: Some("07905556677".into()),
                credit_limit: None,
            },
        )?;
        let ticket = service::open_ticket(
            &mut store,
            &ctx,
            &service::TicketInput {
                customer_id: zainab.id.key(),
                device: "Galaxy A15, cracked screen".into(),
                fault: Some("screen".into()),
                currency: Currency::Iqd,
                estimate: 20_000,
                deposit: 5_000,
            },
        )?;
        let id = ticket.id.key();
        service::advance(&mut store, &ctx, &id, ServiceStatus::Diagnosing)?;
        service::advance(&mut store, &ctx, &id, ServiceStatus::Ready)?;
        let owed = debt::open_debt(&mut store, &ctx, &zainab.id.key(), Currency::Iqd, 40_000, "old tab")?;
        (id, owed.id.key())
    };
    let printer = FakePrinter::start().await?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(MANAGER.0, MANAGER.1).await?;
    set_up_printer(&app, &printer.addr().to_string()).await?;

    // The ticket, printed from its Print button: no dialog, no drawer.
    app.open("services").await.context("opening Services")?;
    css(&app, &format!("[data-testid='services-ticket'][data-id='{ticket_id}']"))
        .await?
        .click()
        .await
        .context("opening the ticket")?;
    css(&app, "[data-testid='services-detail'][data-status='ready']").await?;
    click(&app, "services-print")
        .await
        .context("clicking the ticket's Print")?;
    app.wait_for_text("services-print-status", |t| t.contains("printed"))
        .await
        .context("the ticket printed")?;
    let jobs = printer.wait_for_jobs(1).await?;
    let ticket = one_receipt(&jobs[0], "the repair ticket")?;
    assert_eq!(jobs[0].kicks(), 0, "printing a ticket takes no cash");
    let drawn = nth_printed(&app, 1).await.context("reading what the webview printed")?;
    assert_eq!(drawn.what, "ticket");
    assert!(
        drawn.lines.iter().any(|l| l.contains("Galaxy A15, cracked screen")),
        "{:?}",
        drawn.lines
    );
    assert!(
        drawn.lines.iter().any(|l| l.contains("Zainab Kareem")),
        "{:?}",
        drawn.lines
    );
    same_size(&drawn, &ticket);
    ticket.save_png(&saved_png("repair-ticket.png"))?;

    // Delivered for 20,000 with 10,000 paid in cash: its receipt prints by
    // itself and the drawer opens.
    fill(&app, "services-charge", "20000").await?;
    fill(&app, "services-paid", "10000").await?;
    click(&app, "services-deliver-submit").await?;
    css(&app, "[data-testid='services-detail'][data-status='delivered']").await?;
    let jobs = printer.wait_for_jobs(2).await?;
    let delivery = one_receipt(&jobs[1], "the delivery receipt")?;
    assert_eq!(jobs[1].kicks(), 1, "cash taken at delivery opens the drawer");
    let drawn = nth_printed(&app, 2).await?;
    assert_eq!((drawn.what.as_str(), drawn.drawer.as_str()), ("delivery", "cash"));
    assert_eq!(
        drawn.lines.first().map(String::as_str),
        Some("DELIVERED"),
        "{:?}",
        drawn.lines
    );
    assert!(
        drawn
            .lines
            .iter()
            .any(|l| l.contains("Left as debt") && l.contains("5,000")),
        "{:?}",
        drawn.lines
    );
    same_size(&drawn, &delivery);
    assert!(
        delivery.height > ticket.height,
        "the delivery receipt adds the money to the ticket"
    );
    delivery.save_png(&saved_png("delivery-receipt.png"))?;

    // 15,000 paid on the old debt, in cash: its receipt and the drawer.
    app.open("debts").await?;
    css(
        &app,
        &format!("[data-testid='debts-row'][data-debt-id='{debt_id}'] [data-testid='debts-pay']"),
    )
    .await?
    .click()
    .await?;
    dialog_open(&app, "debts-pay-dialog").await?;
    app.fill("debts-pay-amount", "15000").await?;
    app.click("debts-pay-submit").await?;
    app.wait_for_text("debts-print-status", |t| t.contains("printed"))
        .await
        .context("the payment's receipt printed")?;
    let jobs = printer.wait_for_jobs(3).await?;
    let payment = one_receipt(&jobs[2], "the debt payment's receipt")?;
    assert_eq!(jobs[2].kicks(), 1, "a debt paid in cash opens the drawer");
    let drawn = nth_printed(&app, 3).await?;
    assert_eq!(drawn.what, "debt-payment");
    assert_eq!(drawn.lines.first().map(String::as_str), Some("PAYMENT"));
    assert!(
        drawn.lines.iter().any(|l| l.contains("15,000")),
        "the amount paid: {:?}",
        drawn.lines
    );
    assert!(
        drawn.lines.iter().any(|l| l.contains("25,000")),
        "what is left: {:?}",
        drawn.lines
    );
    same_size(&drawn, &payment);
    payment.save_png(&saved_png("debt-payment-receipt.png"))?;
    app.quit().await
}

/// A cash sale of `qty` cables by the seeded cashier → its invoice number.
fn sell_cables(store: &mut Store, shop: &SeededShop, qty: i64) -> anyhow::Result<(String, u64)> {
    let ctx = cashier_at_main(store, shop)?;
    let mut input = SaleInput {
        lines: vec![SaleLineInput {
            item_id: shop.cable.id.clone(),
            qty,
            discount: 0,
        }],
        currency: Currency::Iqd,
        discount: 0,
        customer_id: None,
        payments: Vec::new(),
        change_currency: None,
    };
    let total = sale::quote(store, &input)?.total;
    input.payments.push(TenderInput {
        currency: Currency::Iqd,
        amount: total,
    });
    let sold = sale::sell(store, &ctx, &input)?;
    Ok((sold.invoice.id.key(), sold.invoice.number))
}

/// Shows invoice `number` again from the recent invoices and prints it →
/// the mark on screen, the mark printed first on the paper.
async fn reprint(app: &App, printer: &FakePrinter, number: u64, n: usize) -> anyhow::Result<(String, String)> {
    app.open("sale").await?;
    css(
        app,
        &format!("[data-testid='sale-recent-item'][data-number='{number}']"),
    )
    .await?
    .click()
    .await?;
    let mark = css(app, "[data-testid='sale-receipt-mark']")
        .await?
        .attr("data-mark")
        .await?
        .context("the mark names itself")?;
    app.click("sale-print").await?;
    let jobs = printer.wait_for_jobs(n).await?;
    let image = one_receipt(&jobs[n - 1], "a reprint")?;
    assert_eq!(jobs[n - 1].kicks(), 0, "a reprint does not open the drawer");
    let band = (0..image.height.min(80)).any(|y| (40..340).all(|x| image.black(x, y)));
    assert!(band, "the reprint of {number} starts with its black mark band");
    let drawn = nth_printed(app, n).await?;
    same_size(&drawn, &image);
    image.save_png(&saved_png(&format!("reprint-{mark}.png")))?;
    Ok((mark, drawn.lines.first().cloned().unwrap_or_default()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reprints_carry_copy_returned_or_partly_returned_and_a_return_prints_its_refund_receipt() -> anyhow::Result<()>
{
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    // Three cash sales: one returned whole, one in part, one not (yet).
    let (whole, part, kept) = {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        let whole = sell_cables(&mut store, &shop, 1)?;
        let part = sell_cables(&mut store, &shop, 2)?;
        let kept = sell_cables(&mut store, &shop, 1)?;
        let ctx = cashier_at_main(&store, &shop)?;
        for (invoice_id, qty) in [(&whole.0, 1), (&part.0, 1)] {
            returns::return_sale(
                &mut store,
                &ctx,
                &returns::ReturnInput {
                    invoice_id: invoice_id.clone(),
                    lines: vec![returns::ReturnLineInput {
                        item_id: shop.cable.id.clone(),
                        qty,
                    }],
                    reason: None,
                },
                None,
            )?;
        }
        (whole.1, part.1, kept.1)
    };
    let printer = FakePrinter::start().await?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(MANAGER.0, MANAGER.1).await?;
    set_up_printer(&app, &printer.addr().to_string()).await?;

    assert_eq!(
        reprint(&app, &printer, whole, 1).await?,
        ("returned".to_string(), "COPY · RETURNED".to_string())
    );
    assert_eq!(
        reprint(&app, &printer, part, 2).await?,
        ("partlyReturned".to_string(), "COPY · PARTLY RETURNED".to_string())
    );
    assert_eq!(
        reprint(&app, &printer, kept, 3).await?,
        ("copy".to_string(), "COPY".to_string())
    );

    // The cable of the kept sale comes back: its refund receipt prints and
    // the drawer opens for the cash handed back.
    app.open("return").await?;
    app.fill("return-number", &kept.to_string()).await?;
    app.click("return-find").await?;
    let row = format!("[data-testid='return-line'][data-item-id='{}']", shop.cable.id);
    css(&app, &format!("{row} [data-testid='return-line-qty']"))
        .await?
        .send_keys("1")
        .await?;
    app.click("return-submit").await?;
    app.wait_for_text("return-print-status", |t| t.contains("printed"))
        .await
        .context("the refund receipt printed")?;
    let jobs = printer.wait_for_jobs(4).await?;
    let refund = one_receipt(&jobs[3], "the refund receipt")?;
    assert_eq!(jobs[3].kicks(), 1, "cash handed back opens the drawer");
    let drawn = nth_printed(&app, 4).await?;
    assert_eq!((drawn.what.as_str(), drawn.drawer.as_str()), ("refund", "cash"));
    assert_eq!(drawn.lines.first().map(String::as_str), Some("REFUND"));
    assert!(
        drawn
            .lines
            .iter()
            .any(|l| l.starts_with("Invoice #") && l.ends_with(&kept.to_string())),
        "the refund names the invoice {kept}: {:?}",
        drawn.lines
    );
    assert!(
        drawn.lines.iter().any(|l| l.contains("USB-C cable")),
        "{:?}",
        drawn.lines
    );
    assert!(
        drawn.lines.iter().any(|l| l.contains("5,000")),
        "the cash refunded: {:?}",
        drawn.lines
    );
    same_size(&drawn, &refund);
    refund.save_png(&saved_png("refund-receipt.png"))?;
    app.quit().await
}
