//! The Activity screen: each entry worded in the reader's language from its
//! stored action and parameters (money from minor units with its currency,
//! names rather than ids), and entries written before parameters were stored
//! still shown with their text.

use anyhow::Context as _;
use fantoccini::Locator;
use sonic_core::ops::activity::{self, ActivityFilter};
use sonic_core::ops::sale::{self, SaleInput, SaleLineInput, TenderInput};
use sonic_core::ops::Page;
use sonic_core::restore::{self, ImportMode};
use sonic_core::sections::{Currency, SectionKey};
use sonic_core::snapshot::{self, ExportInfo};
use sonic_core::{DataDir, Store};
use sonic_e2e::screen::css;
use sonic_e2e::shop::{seed_shop, OWNER};
use sonic_e2e::App;

use crate::returns::cashier_at_main;

/// The text of an entry from before entries kept their parameters.
const OLD_TEXT: &str = "invoice #41: 1500 IQD";

/// The details shown on every row of `action`, in list order.
async fn details_of(app: &App, action: &str) -> anyhow::Result<Vec<String>> {
    let cells = app
        .client
        .find_all(Locator::Css(&format!(
            "[data-testid='activity-row'][data-action='{action}'] [data-testid='activity-details']"
        )))
        .await?;
    let mut out = Vec::new();
    for cell in cells {
        // Names sit between Unicode isolates (FSI … PDI) in a sentence.
        out.push(cell.text().await?.replace(['\u{2068}', '\u{2069}'], ""));
    }
    Ok(out)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dollar_sale_reads_in_dollars_in_the_arabic_activity_log_and_old_entries_still_show() -> anyhow::Result<()> {
    // A shop in use: a $250.00 phone sold in dollars, paid exactly.
    let seeded = tempfile::tempdir()?;
    let shop = seed_shop(seeded.path())?;
    let (mut export, number) = {
        let mut store = Store::open(&DataDir::at(seeded.path()))?;
        let ctx = cashier_at_main(&store, &shop)?;
        let input = SaleInput {
            lines: vec![SaleLineInput {
                item_id: shop.phone.id.clone(),
                qty: 1,
                discount: 0,
            }],
            currency: Currency::Usd,
            discount: 0,
            customer_id: None,
            payments: vec![TenderInput {
                currency: Currency::Usd,
                amount: 25_000,
            }],
            change_currency: None,
        };
        let sold = sale::sell(&mut store, &ctx, &input)?;
        assert_eq!(sold.invoice.total, 25_000, "the phone is $250.00");
        let logged = activity::list(
            &store,
            &ActivityFilter {
                action: Some("sale".into()),
                text: None,
            },
            Page::FIRST,
        )?;
        let params = logged[0].params.as_ref().context("a new entry stores its parameters")?;
        assert_eq!(
            params["total"],
            serde_json::json!({ "minor": 25_000, "currency": "USD" }),
            "the total is stored as cents with its currency"
        );
        assert_eq!(params["number"], sold.invoice.number, "and the invoice number");
        assert!(
            logged[0].details.as_deref().is_some_and(|d| !d.is_empty()),
            "the entry keeps a text for readers that predate parameters"
        );
        let mut out = Vec::new();
        snapshot::export(
            &store,
            &ExportInfo {
                reason: "test".into(),
                backup_id: None,
            },
            &mut out,
        )?;
        (serde_json::from_slice::<serde_json::Value>(&out)?, sold.invoice.number)
    };

    // The same shop with one entry written before entries had parameters
    // (text only), brought in as an old POS file.
    let object = export.as_object_mut().context("an export is a JSON object")?;
    object.remove("_meta");
    object[SectionKey::ActivityData.as_str()]
        .as_array_mut()
        .context("the export lists the activity")?
        .insert(
            0,
            serde_json::json!({
                "id": "act-old-41",
                "action": "sale",
                "user": "Cashier",
                "details": OLD_TEXT,
                "at": "2025-01-02T10:00:00Z",
            }),
        );
    let dir = tempfile::tempdir()?;
    {
        let doc = snapshot::parse_bytes(&serde_json::to_vec(&export)?, "test file")?;
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        restore::import(&mut store, &doc, ImportMode::IntoEmpty, "test file")?;
        store.set_setting("ui.language", "ar")?;
    }

    let app = App::launch(dir.path()).await?;
    app.sign_in(OWNER.0, OWNER.1).await?;
    app.open("activity").await?;
    css(&app, "[data-testid='activity-row'][data-action='sale']").await?;
    let sales = details_of(&app, "sale").await?;
    assert!(
        sales.iter().any(|d| d == &format!("فاتورة رقم {number}: $250.00")),
        "the dollar sale is worded in Arabic with its amount in dollars, not cents: {sales:?}"
    );
    assert!(
        !sales.iter().any(|d| d.contains("25000") || d.contains("25,000")),
        "no amount is shown in minor units: {sales:?}"
    );
    assert!(
        sales.iter().any(|d| d == OLD_TEXT),
        "the entry from before parameters still shows its text: {sales:?}"
    );
    let items = details_of(&app, "item_create").await?;
    assert!(
        items.iter().any(|d| d == &format!("أُضيفت المادة {}", shop.phone.name)),
        "an item entry names the item, in Arabic: {items:?}"
    );
    app.quit().await
}
