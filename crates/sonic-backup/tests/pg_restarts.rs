//! PostgreSQL restarted again and again (`pg_ctl restart -m fast` on the
//! `pg_virtualenv` cluster) while the till sells, backs up and the outbox
//! pusher pushes: every backup ends on the server exactly once and
//! verifies, the outbox drains, and no sale fails.
//!
//! A test binary of its own: the restarts would cut the connections of the
//! other PostgreSQL tests, which run in parallel in `pg`. Cargo runs test
//! binaries one after the other. `SONIC_PG_RESTARTS` sets the count (5
//! here, 200 in `scripts/reliability`).
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

#[allow(dead_code)]
#[path = "pg/support.rs"]
mod support;

use sonic_backup::{pull, Pusher, PusherOptions, ServerConfig};
use sonic_core::backup::{self, reason};
use sonic_core::ops::sale::SaleInput;
use sonic_core::ops::{Actor, OpCtx};
use sonic_core::sections::{Currency, Role, Table};
use sonic_core::{outbox, DataDir, Store};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{small_shop, TestDb};

/// How to restart the server the tests run against.
struct ServerCtl {
    pg_ctl: PathBuf,
    data_dir: String,
    /// The data directory's owner, when we are root (pg_ctl refuses root).
    run_as: Option<String>,
}

impl ServerCtl {
    async fn find(admin: &ServerConfig) -> ServerCtl {
        let remote = admin.connect().await.unwrap();
        let data_dir: String = remote
            .client()
            .query_one("SHOW data_directory", &[])
            .await
            .expect("SHOW data_directory (the pg_virtualenv user is a superuser)")
            .get(0);
        let version: String = remote
            .client()
            .query_one("SHOW server_version_num", &[])
            .await
            .unwrap()
            .get(0);
        let major = version.parse::<u32>().unwrap() / 10_000;
        let pg_ctl = PathBuf::from(format!("/usr/lib/postgresql/{major}/bin/pg_ctl"));
        assert!(pg_ctl.exists(), "{} is missing", pg_ctl.display());
        let uid = Command::new("id").arg("-u").output().unwrap();
        let root = String::from_utf8_lossy(&uid.stdout).trim() == "0";
        let run_as = root.then(|| {
            let out = Command::new("stat").args(["-c", "%U", &data_dir]).output().unwrap();
            String::from_utf8_lossy(&out.stdout).trim().to_string()
        });
        ServerCtl {
            pg_ctl,
            data_dir,
            run_as,
        }
    }

    /// `pg_ctl restart -m fast -w`: connections are cut, the server stops
    /// and starts again with the options it was started with.
    fn restart(&self) {
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&self.pg_ctl);
                c
            }
            None => Command::new(&self.pg_ctl),
        };
        // The restarted server keeps the inherited stdout/stderr open:
        // never a pipe, or waiting for pg_ctl would never end.
        let status = cmd
            .args(["restart", "-D", &self.data_dir, "-m", "fast", "-w", "-t", "120"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "pg_ctl restart failed: {status}");
    }
}

/// The ids of the shop's items (read once, through an export).
fn items_of(store: &Store) -> Vec<String> {
    let mut bytes = Vec::new();
    let info = sonic_core::snapshot::ExportInfo {
        reason: "test".into(),
        backup_id: None,
    };
    sonic_core::snapshot::export(store, &info, &mut bytes).unwrap();
    let doc = sonic_core::snapshot::parse_bytes(&bytes, "test").unwrap();
    let mut items = Vec::new();
    doc.for_each_record(Table::Items, |id, _| {
        items.extend(id.map(str::to_string));
        Ok(())
    })
    .unwrap();
    items
}

/// One sale of one unit, in whichever store and item has stock: it must
/// commit, whatever the server is doing.
fn sell(store: &mut Store, items: &[String], n: u64) {
    let actor = Actor {
        user_id: "user-1".into(),
        name: "owner".into(),
        role: Role::Owner,
    };
    let mut last_error = None;
    for store_id in ["store-1", "store-2", "store-3"] {
        for k in 0..items.len().min(60) {
            let id = &items[(n as usize + k) % items.len()];
            let ctx = OpCtx::now(actor.clone(), store_id);
            let input = SaleInput::cash(&[(id.as_str(), 1)], Currency::Iqd, 50_000_000);
            match sonic_core::ops::sale::sell(store, &ctx, &input) {
                Ok(_) => return,
                Err(e @ sonic_core::Error::InsufficientStock { .. }) => last_error = Some(e),
                Err(e) => panic!("a sale failed while the server restarted: {e}"),
            }
        }
    }
    panic!("no item could be sold: {last_error:?}");
}

fn pending(dir: &DataDir) -> u64 {
    outbox::counts(&Store::open(dir).unwrap()).unwrap().pending
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_restarts_during_pushes_leave_every_backup_on_the_server_exactly_once() {
    let Some(db) = TestDb::new().await else { return };
    let ctl = ServerCtl::find(&db.admin).await;
    let restarts: u64 = std::env::var("SONIC_PG_RESTARTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let (_tmp, dir) = small_shop(21);
    let options = PusherOptions {
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(500),
        idle_check: Duration::from_millis(200),
    };
    let pusher = Pusher::start(dir.clone(), db.config.clone(), options);

    let done = Arc::new(AtomicBool::new(false));
    let restarter = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            for i in 0..restarts {
                // Spread over the push: 50 ms to about 1 s between restarts.
                std::thread::sleep(Duration::from_millis(50 + (i * 397) % 950));
                ctl.restart();
            }
            done.store(true, Ordering::SeqCst);
        })
    };

    // The till: sells throughout (every sale must commit), a backup every
    // fifth sale, the pusher woken for each.
    let mut till = Store::open(&dir).unwrap();
    let items = items_of(&till);
    let mut made = Vec::new();
    let mut sales = 0u64;
    let mut failed_passes_seen = 0u64;
    while !done.load(Ordering::SeqCst) {
        if pusher.status().last_error.is_some() {
            failed_passes_seen += 1;
        }
        sell(&mut till, &items, sales);
        sales += 1;
        if sales % 5 == 0 {
            made.push(backup::create_backup(&till, reason::MANUAL).unwrap().id);
            pusher.wake();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    restarter.join().expect("the restarter thread");
    made.push(backup::create_backup(&till, reason::MANUAL).unwrap().id);
    drop(till);
    pusher.wake();

    let mut drained = false;
    for _ in 0..1200 {
        if pusher.status().pending == 0 && pending(&dir) == 0 {
            drained = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        drained,
        "the outbox must drain after the restarts: {:?}",
        pusher.status()
    );
    pusher.stop().await;

    // Exactly once each, nothing else, and every one verifies.
    let rows = db
        .sql("SELECT backup_id::text, count(*) FROM sonic_backups GROUP BY backup_id")
        .await;
    let on_server: std::collections::BTreeMap<String, i64> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    for id in &made {
        assert_eq!(
            on_server.get(&id.to_string()),
            Some(&1),
            "backup {id} must be on the server exactly once"
        );
    }
    assert_eq!(on_server.len(), made.len(), "no other backup on the server");
    let remote = db.config.connect().await.unwrap();
    for id in &made {
        pull(&remote, *id)
            .await
            .unwrap_or_else(|e| panic!("backup {id} must verify after the restarts: {e}"));
    }
    eprintln!(
        "server restarts during pushes: {restarts} restarts, {sales} sales all committed, {} backups each on the server exactly once and verified, outbox empty (the pusher was seen failing at {failed_passes_seen} of the till's checks)",
        made.len()
    );
}
