//! The bench figure "close with the on-close backup after one sale",
//! measured as a real app close (run by `scripts/bench-app`, which sets
//! `SONIC_BENCH_CLOSE_DIR` to a copy of the large profile that already
//! holds a full backup, and `SONIC_POS_APP` to the release build).
//!
//! The app starts on that folder, the generated cashier signs in through
//! the `sign_in` command (the one the sign-in form calls), one sale is made
//! through the app's own `sell` command (the command the Sale screen's Pay
//! button calls), the window is asked to close
//! (`WM_DELETE_WINDOW`, as the window's close button), and the time from
//! that request until the app has let go of its data directory (its
//! instance lock, released as the process ends) is printed as
//! `bench close_seconds=…`. It checks what the close did (one `on_close`
//! backup, holding the sale), never how long it took. Without
//! `SONIC_BENCH_CLOSE_DIR` it does nothing.

use serde_json::json;
use sonic_core::{DataDir, SectionKey, Store};
use sonic_e2e::{backup_files, App};
use std::time::{Duration, Instant};

fn lock_is_free(path: &std::path::Path) -> anyhow::Result<bool> {
    use fs4::fs_std::FileExt as _;
    let file = std::fs::OpenOptions::new().read(true).write(true).open(path)?;
    Ok(file.try_lock_exclusive()?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench-app runs it on a copy of the large profile"]
async fn bench_close_after_one_sale_on_a_large_shop() -> anyhow::Result<()> {
    let dir = std::env::var_os("SONIC_BENCH_CLOSE_DIR")
        .ok_or_else(|| anyhow::anyhow!("SONIC_BENCH_CLOSE_DIR is not set: run scripts/bench-app"))?;
    let dir = std::path::PathBuf::from(dir);
    let invoices_before = Store::open(&DataDir::at(&dir))?.counts()?[&SectionKey::Invoices];
    let on_close_before = backup_files(&dir)?.iter().filter(|f| f.contains("-on_close-")).count();

    let app = App::launch(&dir).await?;
    eprintln!("bench start_to_ready_seconds={:.3}", app.start_to_ready.as_secs_f64());
    // Signed in through the command the sign-in form calls.
    let session = app
        .invoke("sign_in", json!({ "name": "cashier1", "pin": "1111" }))
        .await?;
    let session = session.map_err(|e| anyhow::anyhow!("signing in as cashier1: {e}"))?;
    eprintln!("signed in: {session}");
    // One cash sale of one item the till's store has in stock.
    let mut sold = None;
    for n in 1..=400 {
        let sale = json!({ "input": {
            "lines": [{ "itemId": format!("item-{n}"), "qty": 1 }],
            "currency": "IQD",
            "payments": [{ "currency": "IQD", "amount": 500_000_000 }],
        }});
        match app.invoke("sell", sale).await? {
            Ok(done) => {
                sold = Some(done);
                break;
            }
            Err(e) if n == 1 => eprintln!("item-1 not sold: {e}"),
            Err(_) => {}
        }
    }
    let sold = sold.ok_or_else(|| anyhow::anyhow!("no item of item-1..item-400 could be sold"))?;
    eprintln!("sold: invoice {}", sold["sold"]["invoice"]["number"]);

    let lock = dir.join("sonic-pos.lock");
    let asked = Instant::now();
    app.close_window()?;
    let mut requests = 1;
    let mut again = Instant::now() + Duration::from_secs(3);
    while !lock_is_free(&lock)? {
        if asked.elapsed() > Duration::from_secs(120) {
            anyhow::bail!("the app did not exit within 120 s; its log ends:\n{}", app.log_tail());
        }
        // The first request may come before the window takes it.
        if Instant::now() >= again {
            if app.close_window().is_ok() {
                requests += 1;
            }
            again = Instant::now() + Duration::from_secs(3);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let close = asked.elapsed();
    eprintln!(
        "bench close_seconds={:.3} close_requests={requests}",
        close.as_secs_f64()
    );
    app.quit().await?;

    let on_close: Vec<String> = backup_files(&dir)?
        .into_iter()
        .filter(|f| f.contains("-on_close-"))
        .collect();
    assert_eq!(
        on_close.len(),
        on_close_before + 1,
        "the close wrote one on_close backup: {on_close:?}"
    );
    let store = Store::open(&DataDir::at(&dir))?;
    assert_eq!(
        store.counts()?[&SectionKey::Invoices],
        invoices_before + 1,
        "the sale is in the shop"
    );
    let newest = sonic_core::backup::list_backups(&store)?;
    assert_eq!(newest[0].reason, "on_close");
    assert_eq!(
        newest[0].counts["sonic_invoices"],
        invoices_before + 1,
        "the on_close backup holds the sale"
    );
    Ok(())
}
