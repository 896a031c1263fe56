//! Errors as data (issue 16, point 8): in Arabic, what Rust refuses is shown
//! in Arabic, amounts formatted with their currency, names instead of ids,
//! statuses worded: no English sentence, no internal id.

use anyhow::Context as _;
use serde_json::{json, Value};
use sonic_core::ops::catalog::{self, CustomerInput, ItemInput};
use sonic_core::ops::sale::{self, SaleInput, SaleLineInput};
use sonic_core::ops::service::{self, TicketInput};
use sonic_core::ops::{debt, stock, OpCtx};
use sonic_core::sections::{Currency, ServiceStatus};
use sonic_core::{DataDir, Store};
use sonic_e2e::screen::{css, dialog_open};
use sonic_e2e::shop::{seed_shop, OWNER};
use sonic_e2e::App;

const CUSTOMER: &str = "سارة محمود";
const CHARGER: &str = "شاحن سريع";
const OLD_HEADSET: &str = "سماعة قديمة";

/// The text without the formatted amounts (their currency sign or code is
/// the formatter's), checked for Latin letters and ids.
fn assert_arabic(what: &str, text: &str, amounts: &[String]) {
    let mut rest = text.to_string();
    for a in amounts {
        assert!(
            text.contains(a.as_str()),
            "{what}: the amount {a} is shown formatted: {text:?}"
        );
        rest = rest.replace(a.as_str(), "");
    }
    assert!(
        !rest.chars().any(|c| c.is_ascii_alphabetic()),
        "{what}: no English words and no ids in the Arabic text: {text:?}"
    );
}

/// Runs `invoke(command, args)` in the webview and words the error with the
/// app's own `errorText`, as every screen's error box does.
async fn worded(app: &App, command: &str, args: Value) -> anyhow::Result<String> {
    const SCRIPT: &str = r#"
        const [command, args, done] = arguments;
        const base = document.baseURI;
        Promise.all([import(new URL('js/dom.js', base)), import(new URL('js/i18n.js', base))]).then(([dom, i18n]) =>
          window.__TAURI__.core.invoke(command, args).then(
            () => done({ ok: true }),
            (err) => done({ text: dom.errorText(i18n.t, err), err }),
          ));
    "#;
    let out = app
        .client
        .execute_async(SCRIPT, vec![json!(command), args])
        .await
        .with_context(|| format!("invoking {command}"))?;
    let text = out["text"]
        .as_str()
        .with_context(|| format!("{command} was refused: {out}"))?;
    assert!(
        !text.contains(out["err"]["message"].as_str().unwrap_or("\u{0}")),
        "{command}: the English message is not shown: {text}"
    );
    Ok(text.to_string())
}

/// An amount as the app formats it in the language shown.
async fn money(app: &App, minor: i64, currency: &str) -> anyhow::Result<String> {
    let out = app
        .client
        .execute_async(
            r#"const [m, c, done] = arguments;
               import(new URL('js/format.js', document.baseURI)).then((f) => done(f.money(m, c)));"#,
            vec![json!(minor), json!(currency)],
        )
        .await?;
    Ok(out.as_str().context("a formatted amount")?.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_are_worded_in_arabic_with_names_formatted_amounts_and_statuses() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let (customer, charger, archived, open_debt, settled_debt, ticket) = {
        let mut store = Store::open(&DataDir::at(dir.path()))?;
        let owner = sonic_core::ops::security::sign_in(&mut store, OWNER.0, OWNER.1, chrono::Utc::now())?;
        let ctx = OpCtx::now(owner, shop.main_store.clone());
        let customer = catalog::create_customer(
            &mut store,
            &ctx,
            &CustomerInput {
                name: CUSTOMER.into(),
                phone: None,
                credit_limit: Some(10_000),
            },
        )?
        .id
        .key();
        let item = |store: &mut Store, name: &str, barcode: &str| -> anyhow::Result<String> {
            let input = ItemInput {
                name: name.into(),
                barcode: Some(barcode.into()),
                category: None,
                currency: Currency::Iqd,
                price: 5_000,
                cost: 2_000,
            };
            let id = catalog::create_item(store, &ctx, &input)?.id.key();
            stock::receive(store, &ctx, &id, 10, 2_000)?;
            Ok(id)
        };
        let charger = item(&mut store, CHARGER, "6900000000991")?;
        let archived = item(&mut store, OLD_HEADSET, "6900000000992")?;
        catalog::archive_item(&mut store, &ctx, &archived)?;
        let on_credit = |store: &mut Store| -> anyhow::Result<String> {
            let input = SaleInput {
                lines: vec![SaleLineInput {
                    item_id: charger.clone(),
                    qty: 1,
                    discount: 0,
                }],
                currency: Currency::Iqd,
                discount: 0,
                customer_id: Some(customer.clone()),
                payments: Vec::new(),
                change_currency: None,
            };
            Ok(sale::sell(store, &ctx, &input)?.debt.context("a debt")?.id.key())
        };
        let settled_debt = on_credit(&mut store)?;
        debt::pay(&mut store, &ctx, &settled_debt, Currency::Iqd, 5_000)?;
        let open_debt = on_credit(&mut store)?;
        let ticket = service::open_ticket(
            &mut store,
            &ctx,
            &TicketInput {
                customer_id: customer.clone(),
                device: "هاتف".into(),
                fault: None,
                currency: Currency::Iqd,
                estimate: 0,
                deposit: 0,
            },
        )?;
        service::advance(&mut store, &ctx, &ticket.id.key(), ServiceStatus::Diagnosing)?;
        service::advance(&mut store, &ctx, &ticket.id.key(), ServiceStatus::WaitingForParts)?;
        store.set_setting("ui.language", "ar")?;
        (customer, charger, archived, open_debt, settled_debt, ticket)
    };

    let app = App::launch(dir.path()).await?;
    app.sign_in(OWNER.0, OWNER.1).await?;

    // On screen: paying more than is left on the debt.
    app.open("debts").await?;
    let row = format!("[data-testid='debts-row'][data-debt-id='{open_debt}']");
    css(&app, &format!("{row} [data-testid='debts-pay']"))
        .await?
        .click()
        .await?;
    dialog_open(&app, "debts-pay-dialog").await?;
    app.fill("debts-pay-amount", "9000").await?;
    app.click("debts-pay-submit").await?;
    let shown = app.wait_for_text("debts-pay-error", |t| !t.trim().is_empty()).await?;
    let (nine, five) = (money(&app, 9_000, "IQD").await?, money(&app, 5_000, "IQD").await?);
    assert_arabic("an overpaid debt", &shown, &[nine, five]);

    let settled = worded(
        &app,
        "pay_debt",
        json!({"debtId": settled_debt, "currency": "IQD", "amount": 1000}),
    )
    .await?;
    assert!(
        settled.contains(CUSTOMER),
        "the settled debt is named by its customer: {settled}"
    );
    assert_arabic("a settled debt", &settled, &[]);

    let status = worded(&app, "advance_ticket", json!({"id": ticket.id.key(), "to": "received"})).await?;
    let number = ticket.number.context("a ticket number")?.to_string();
    assert!(
        status.contains("بانتظار القطع") && status.contains("مستلمة") && status.contains(&number),
        "the refused change names the ticket's number and both statuses in Arabic: {status}"
    );
    assert_arabic("a refused status change", &status, &[]);

    let sale_of = |item: &str, qty: i64, customer: Option<&str>| {
        json!({"input": {"lines": [{"itemId": item, "qty": qty}], "currency": "IQD",
                         "customerId": customer, "payments": []}})
    };
    let limit = worded(&app, "sell", sale_of(&charger, 2, Some(&customer))).await?;
    assert!(limit.contains(CUSTOMER), "{limit}");
    let amounts = [
        money(&app, 10_000, "IQD").await?,
        money(&app, 15_000, "IQD").await?,
        money(&app, 5_000, "IQD").await?,
    ];
    assert_arabic("over the credit limit", &limit, &amounts);

    let unpaid = worded(&app, "sell", sale_of(&charger, 1, None)).await?;
    assert_arabic("an unpaid sale", &unpaid, &[money(&app, 5_000, "IQD").await?]);

    let archived_sale = worded(&app, "sell", sale_of(&archived, 1, None)).await?;
    assert!(archived_sale.contains(OLD_HEADSET), "{archived_sale}");
    assert_arabic("an archived item", &archived_sale, &[]);

    let barcode = worded(
        &app,
        "create_item",
        json!({"input": {"name": "جديد", "barcode": "6900000000991", "currency": "IQD", "price": 1, "cost": 0}}),
    )
    .await?;
    assert!(barcode.contains(CHARGER), "the barcode's item is named: {barcode}");
    assert_arabic("a used barcode", &barcode, &[]);

    let missing = worded(
        &app,
        "pay_debt",
        json!({"debtId": "debt-0000", "currency": "IQD", "amount": 1}),
    )
    .await?;
    assert_arabic("a missing record", &missing, &[]);
    app.quit().await
}
