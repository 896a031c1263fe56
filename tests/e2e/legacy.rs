//! Legacy mode: the shop's old HTML POS (the stand-in in
//! tests/fixtures/legacy-pos/) runs in its own window on the store, started
//! with `--legacy DIR`. Its sales are in the store and the native screens,
//! a native sale made meanwhile survives the page's next whole-section
//! write, a malformed value is refused in view, Backup Now is a real
//! backup, and the page can call no command.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context as _};
use fantoccini::wd::WindowHandle;
use fantoccini::Locator;
use serde_json::{json, Value};
use sonic_core::{DataDir, Reader, SectionKey};
use sonic_e2e::screen::{click, css, css_text, dialog_open};
use sonic_e2e::shop::{seed_shop, OWNER};
use sonic_e2e::{app_binary, backup_files, App};

use crate::sale::{receipt_number, scan};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/legacy-pos")
}

/// The invoice numbers in the store, read as another process would.
fn stored_numbers(dir: &Path) -> anyhow::Result<Vec<u64>> {
    let reader = Reader::open(&DataDir::at(dir))?;
    let (text, _) = sonic_core::legacy::read_section(&reader, SectionKey::Invoices)?;
    let invoices: Vec<Value> = serde_json::from_str(&text.unwrap_or_default())?;
    Ok(invoices.iter().filter_map(|i| i["number"].as_u64()).collect())
}

/// The old POS's window and the main one, by their addresses.
async fn windows(app: &App) -> anyhow::Result<(WindowHandle, WindowHandle)> {
    let start = app.client.window().await?;
    let mut legacy = None;
    let mut main = None;
    for _ in 0..100 {
        for handle in app.client.windows().await? {
            app.client.switch_to_window(handle.clone()).await?;
            let url = app.client.current_url().await?;
            if url.as_str().starts_with("sonic-legacy://") {
                legacy = Some(handle);
            } else {
                main = Some(handle);
            }
        }
        if legacy.is_some() && main.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    app.client.switch_to_window(start).await?;
    match (legacy, main) {
        (Some(l), Some(m)) => Ok((l, m)),
        _ => bail!("the old POS's window did not open; log:\n{}", app.log_tail()),
    }
}

async fn text_of(app: &App, css_selector: &str, ok: impl Fn(&str) -> bool) -> anyhow::Result<String> {
    css_text(app, css_selector, ok).await
}

/// Sells one `item_id` in the old page and returns the number it shows.
async fn sell_in_page(app: &App, item_id: &str) -> anyhow::Result<u64> {
    let before = app.client.find(Locator::Css("#status")).await?.text().await?;
    app.client
        .execute(
            "document.getElementById('item').value = arguments[0]; document.getElementById('status').textContent = '';",
            vec![json!(item_id)],
        )
        .await?;
    app.client.find(Locator::Css("#sell")).await?.click().await?;
    let status = text_of(app, "#status", |t| t.starts_with("Sold")).await?;
    let _ = before;
    status
        .rsplit('#')
        .next()
        .and_then(|n| n.trim().parse().ok())
        .with_context(|| format!("the page's status {status:?} names the invoice"))
}

fn admin(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let binary = app_binary()?.with_file_name("sonic-pos-admin");
    let out = Command::new(&binary)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .output()
        .with_context(|| format!("running {} (cargo build -p sonic-cli)", binary.display()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if !out.status.success() {
        bail!("sonic-pos-admin {args:?} failed: {text}");
    }
    Ok(text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_old_pos_sells_on_the_store_beside_the_sale_screen_and_backs_up() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let shop = seed_shop(dir.path())?;
    let folder = fixture();
    let app = App::launch_with(dir.path(), &["--legacy", folder.to_str().context("a UTF-8 path")?]).await?;
    app.sign_in(OWNER.0, OWNER.1).await?;
    let (legacy, main) = windows(&app).await?;

    // The old page sells a cable: the store has invoice 1 at once.
    app.client.switch_to_window(legacy.clone()).await?;
    text_of(&app, "#invoice-count", |t| t == "0").await?;
    let first = sell_in_page(&app, &shop.cable.id).await?;
    assert_eq!(first, 1, "the first invoice of the shop");
    assert_eq!(stored_numbers(dir.path())?, [1], "the page's sale is in the store");

    // The Sale screen shows it, and sells one itself (number 2).
    app.client.switch_to_window(main.clone()).await?;
    app.open("sale").await?;
    css(&app, "[data-testid='sale-recent-item'][data-number='1']").await?;
    scan(&app, &shop.cable.barcode).await?;
    click(&app, "sale-pay").await?;
    dialog_open(&app, "sale-pay-dialog").await?;
    click(&app, "sale-pay-exact").await?;
    click(&app, "sale-pay-confirm").await?;
    assert_eq!(receipt_number(&app).await?, 2);
    click(&app, "sale-new").await?;

    // The page, still holding its old copy of sonic_invoices, sells again:
    // number 3 (the counter is read fresh), and the native sale survives
    // the page's rewrite of the whole section.
    app.client.switch_to_window(legacy.clone()).await?;
    let third = sell_in_page(&app, &shop.cable.id).await?;
    assert_eq!(third, 3, "the page does not reissue the Sale screen's number");
    assert_eq!(stored_numbers(dir.path())?, [1, 2, 3], "the native sale was not lost");
    // After a reload the page shows all three.
    app.client.refresh().await?;
    text_of(&app, "#invoice-count", |t| t == "3").await?;
    css(&app, "#invoices li[data-number='2']").await?;

    // A malformed value is refused in view, and the page's copy is put back.
    let back = app
        .client
        .execute(
            "localStorage.setItem('sonic_invoices', '[{\"id\": \"bad\"}]'); return localStorage.getItem('sonic_invoices');",
            vec![],
        )
        .await?;
    let banner = text_of(&app, "#sonic-bridge-banner", |t| t.contains("sonic_invoices")).await?;
    assert!(banner.contains("Not saved"), "{banner}");
    let copy: Vec<Value> = serde_json::from_str(back.as_str().context("getItem gives a string")?)?;
    assert_eq!(copy.len(), 3, "the page's copy is what is stored: {copy:?}");
    assert_eq!(stored_numbers(dir.path())?, [1, 2, 3], "nothing stored");
    // Other keys are the page's own localStorage.
    let own = app
        .client
        .execute(
            "localStorage.setItem('theme', 'dark'); return localStorage.getItem('theme');",
            vec![],
        )
        .await?;
    assert_eq!(own, json!("dark"));

    // The page can call no command: not the app's, not a plugin's.
    for (command, args) in [
        ("session", json!({})),
        ("sell", json!({ "input": { "lines": [], "currency": "IQD" } })),
        ("backup_now", json!({})),
        ("plugin:fs|read_file", json!({ "path": "/etc/passwd" })),
        ("plugin:window|close", json!({ "label": "main" })),
    ] {
        let out = app
            .client
            .execute_async(
                r#"const [command, args, done] = arguments;
                   const ipc = window.__TAURI_INTERNALS__;
                   if (!ipc) { done({ err: 'no IPC in this window' }); return; }
                   ipc.invoke(command, args).then(
                     (value) => done({ ok: value === undefined ? null : value }),
                     (error) => done({ err: String(error && error.message || error) }));"#,
                vec![json!(command), args],
            )
            .await?;
        let err = out
            .get("err")
            .unwrap_or_else(|| panic!("{command} must be refused to the old POS, got {out}"));
        let err = err.as_str().unwrap_or_default();
        assert!(
            err.contains("not allowed") || err.contains("not found") || err == "no IPC in this window",
            "{command} refused for lack of permission: {err}"
        );
    }

    // Backup Now from the page: a real backup, its id shown.
    let before = backup_files(dir.path())?.len();
    app.client.find(Locator::Css("#backup")).await?.click().await?;
    let shown = text_of(&app, "#backup-result", |t| t.contains("ID:")).await?;
    let id = shown.rsplit("ID:").next().unwrap_or_default().trim().to_string();
    assert!(id.len() >= 8, "an id is shown: {shown}");
    assert_eq!(backup_files(dir.path())?.len(), before + 1, "one backup file more");
    // Other server scripts are answered plainly.
    app.client.find(Locator::Css("#report")).await?.click().await?;
    text_of(&app, "#report-result", |t| t.contains("not available in Sonic POS")).await?;

    // The native Activity and Dashboard screens count the page's sales.
    app.client.switch_to_window(main.clone()).await?;
    app.open("activity").await?;
    css(&app, "[data-testid='activity-details']").await?;
    css_text(&app, "[data-testid='activity-list']", |t| {
        t.contains("Old POS invoice #3")
    })
    .await?;
    app.open("dashboard").await?;
    app.wait_for_text("dashboard-invoices-value", |t| t == "3").await?;
    app.quit().await?;

    // The backup is listed, verifies and restores with the admin tool.
    let listed = admin(dir.path(), &["backups"])?;
    assert!(listed.contains(&id), "`backups` lists {id}: {listed}");
    let file = backup_files(dir.path())?
        .into_iter()
        .find(|f| f.contains(&id.replace('-', "")))
        .with_context(|| format!("a backup file named with {id}"))?;
    admin(
        dir.path(),
        &[
            "verify",
            dir.path().join("backups").join(&file).to_str().unwrap_or_default(),
        ],
    )?;
    admin(dir.path(), &["restore", &id, "--yes"])?;
    assert_eq!(stored_numbers(dir.path())?, [1, 2, 3], "restored: the three sales");

    // And after a restart the page and the Sale screen still have them.
    let app = App::launch_with(dir.path(), &["--legacy", folder.to_str().unwrap_or_default()]).await?;
    app.sign_in(OWNER.0, OWNER.1).await?;
    app.open("sale").await?;
    css(&app, "[data-testid='sale-recent-item'][data-number='3']").await?;
    let (legacy, _) = windows(&app).await?;
    app.client.switch_to_window(legacy).await?;
    text_of(&app, "#invoice-count", |t| t == "3").await?;
    app.quit().await
}
