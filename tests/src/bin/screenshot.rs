//! Takes the README's screenshots of the real app:
//! `screenshot-backup.png` (the Backup screen on a generated small shop,
//! after Backup Now), `screenshot-sale-en.png` and `screenshot-sale-ar.png`
//! (the Sale screen of the seeded test shop with two items in the cart, in
//! English and in Arabic, right to left) and `screenshot-activity-ar.png`
//! (the Activity log in Arabic after a day's sales, a return and a stock
//! delivery, worded from each entry's parameters).
//!
//!     cargo build -p sonic-pos
//!     cargo run -p sonic-e2e --bin screenshot -- docs [backup] [sale] [activity]
//!
//! With no names after the folder, all of them.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use fantoccini::Locator;
use serde_json::json;
use sonic_core::{DataDir, Store};
use sonic_e2e::shop::{self, SeededShop};
use sonic_e2e::{App, PATIENCE};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "docs".into()));
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let only: Vec<String> = std::env::args().skip(2).collect();
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    if wanted("backup") {
        backup_screen(&out.join("screenshot-backup.png")).await?;
    }
    if wanted("sale") {
        sale_screens(&out.join("screenshot-sale-en.png"), &out.join("screenshot-sale-ar.png")).await?;
    }
    if wanted("activity") {
        activity_screen(&out.join("screenshot-activity-ar.png")).await?;
    }
    Ok(())
}

async fn backup_screen(path: &Path) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        sonic_core::gen::generate(&mut store, sonic_core::gen::Profile::Small, 7)?;
    }
    let app = App::launch(dir.path()).await?;
    let (owner, pin) = sonic_core::gen::DEMO_PINS[0];
    app.sign_in(owner, pin).await?;
    app.open("backup").await?;
    app.testid("backup-now").await?.click().await?;
    app.wait_for_text("backup-id", |t| !t.trim().is_empty()).await?;
    app.testid("history-item").await?;
    app.screenshot(path)?;
    println!("wrote {}", path.display());
    app.quit().await
}

/// Scans `barcode` into the Sale screen's cart and waits for the line.
async fn scan(app: &App, barcode: &str, lines: usize) -> anyhow::Result<()> {
    let input = app.testid("sale-scan").await?;
    input.send_keys(&format!("{barcode}\u{E007}")).await?;
    let css = "[data-testid='sale-cart-lines'] tr";
    let deadline = std::time::Instant::now() + PATIENCE;
    while app.client.find_all(Locator::Css(css)).await?.len() < lines {
        anyhow::ensure!(
            std::time::Instant::now() < deadline,
            "scanning {barcode} added no cart line"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Ok(())
}

async fn fill_cart(app: &App, seeded: &SeededShop) -> anyhow::Result<()> {
    scan(app, &seeded.phone.barcode, 1).await?;
    scan(app, &seeded.cable.barcode, 2).await?;
    scan(app, &seeded.cable.barcode, 2).await?;
    // Let the quote (totals in both currencies) arrive.
    app.wait_for_text("sale-total", |t| t != "—").await?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    Ok(())
}

async fn sale_screens(english: &Path, arabic: &Path) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let seeded = shop::seed_shop(dir.path())?;
    let app = App::launch(dir.path()).await?;
    app.sign_in(shop::CASHIER.0, shop::CASHIER.1).await?;
    fill_cart(&app, &seeded).await?;
    app.screenshot(english)?;
    println!("wrote {}", english.display());

    app.invoke("set_language", json!({ "language": "ar" }))
        .await?
        .map_err(|e| anyhow::anyhow!("set_language failed: {e}"))?;
    app.client.execute("window.location.reload()", vec![]).await?;
    app.client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css(
            "html[dir='rtl'] body[data-ready='true'] main[data-screen='sale']",
        ))
        .await
        .context("the Sale screen never came back in Arabic")?;
    fill_cart(&app, &seeded).await?;
    app.screenshot(arabic)?;
    println!("wrote {}", arabic.display());
    app.quit().await
}

/// The Activity log in Arabic: the seeded shop after two sales (one in
/// dollars), a return and a stock delivery, all written through sonic-core.
async fn activity_screen(path: &Path) -> anyhow::Result<()> {
    use sonic_core::ops::returns::{self, ReturnInput, ReturnLineInput};
    use sonic_core::ops::sale::{self, SaleInput, SaleLineInput, TenderInput};
    use sonic_core::ops::{security, stock, Actor, OpCtx};
    use sonic_core::sections::Currency;

    let dir = tempfile::tempdir()?;
    let seeded = shop::seed_shop(dir.path())?;
    {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        let users = security::users(&store)?;
        let as_user = |name: &str| -> anyhow::Result<OpCtx> {
            let u = users.iter().find(|u| u.name == name).context("a seeded user")?;
            Ok(OpCtx::now(
                Actor {
                    user_id: u.id.key(),
                    name: u.name.clone(),
                    role: u.role,
                },
                seeded.main_store.clone(),
            ))
        };
        let cashier = as_user(shop::CASHIER.0)?;
        let manager = as_user(shop::MANAGER.0)?;
        let sell = |store: &mut Store, item: &str, qty: i64, currency: Currency, paid: i64| {
            sale::sell(
                store,
                &cashier,
                &SaleInput {
                    lines: vec![SaleLineInput {
                        item_id: item.into(),
                        qty,
                        discount: 0,
                    }],
                    currency,
                    discount: 0,
                    customer_id: None,
                    payments: vec![TenderInput { currency, amount: paid }],
                    change_currency: None,
                },
            )
        };
        sell(&mut store, &seeded.cable.id, 2, Currency::Iqd, 10_000)?;
        let phone = sell(&mut store, &seeded.phone.id, 1, Currency::Usd, 25_000)?;
        returns::return_sale(
            &mut store,
            &manager,
            &ReturnInput {
                invoice_id: phone.invoice.id.key(),
                lines: vec![ReturnLineInput {
                    item_id: seeded.phone.id.clone(),
                    qty: 1,
                }],
                reason: None,
            },
            None,
        )?;
        stock::receive(&mut store, &manager, &seeded.screen.id, 6, 18_000)?;
        store.set_setting("ui.language", "ar")?;
    }
    let app = App::launch(dir.path()).await?;
    app.sign_in(shop::OWNER.0, shop::OWNER.1).await?;
    app.open("activity").await?;
    app.client
        .wait()
        .at_most(PATIENCE)
        .for_element(Locator::Css("[data-testid='activity-row'][data-action='return']"))
        .await
        .context("the return is in the Activity log")?;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.screenshot(path)?;
    println!("wrote {}", path.display());
    app.quit().await
}
