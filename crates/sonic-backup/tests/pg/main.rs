//! sonic-backup against a real PostgreSQL (`pg_virtualenv -- cargo test -p sonic-backup`).
//! Every test makes its own database, so they run in parallel.

// Test helpers outside #[test] fns may unwrap: a failure is the test failing.
#![allow(clippy::unwrap_used)]

mod indexed;
mod shops;
mod support;

use sonic_backup::{
    find_backup, list_backups, pull, push_pending, schema, Error, ListFilter, Pusher, PusherOptions, TlsMode,
};
use sonic_core::backup::{self, reason};
use sonic_core::snapshot::{self, SectionDigest};
use sonic_core::{outbox, DataDir, SectionKey, Store};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;
use support::{copy_dir, one_more_sale, pg_port, small_shop, Proxy, TestDb};

fn digests(dir: &DataDir) -> BTreeMap<SectionKey, SectionDigest> {
    snapshot::store_digests(&Store::open(dir).unwrap()).unwrap()
}

fn make_backup(dir: &DataDir) -> backup::BackupInfo {
    backup::create_backup(&Store::open(dir).unwrap(), reason::MANUAL).unwrap()
}

fn pending(dir: &DataDir) -> u64 {
    outbox::counts(&Store::open(dir).unwrap()).unwrap().pending
}

#[tokio::test]
async fn push_then_pull_gives_back_the_same_sections_and_restore_reproduces_the_shop() {
    let Some(db) = TestDb::new().await else { return };
    let (_tmp, dir) = small_shop(11);
    let made = make_backup(&dir);
    let before = digests(&dir);

    let pass = push_pending(&db.config, &dir).await.unwrap();
    assert_eq!(pass.pushed.len(), 1, "the one queued backup is pushed");
    assert!(!pass.pushed[0].already_on_server);
    assert_eq!(pending(&dir), 0, "the outbox is empty after the push");

    let remote = db.config.connect().await.unwrap();
    let listed = list_backups(&remote, &ListFilter::default()).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].backup_id, made.id);
    assert_eq!(listed[0].snapshot_sha256, made.snapshot_sha256);

    let pulled = pull(&remote, made.id).await.unwrap();
    let pulled_digests = pulled.document.digests().unwrap();
    assert_eq!(pulled_digests.len(), 16, "all 16 sections come back");
    assert_eq!(
        pulled_digests, before,
        "every section hash and count is the same as in the shop"
    );
    assert_eq!(snapshot::snapshot_sha256(&pulled_digests), made.snapshot_sha256);

    // The export file verifies on its own, as a local file would.
    let file = _tmp.path().join("pulled.json");
    let mut export = &pulled.export;
    std::io::copy(&mut export, &mut std::fs::File::create(&file).unwrap()).unwrap();
    assert_eq!(std::fs::metadata(&file).unwrap().len(), pulled.export_bytes);
    assert_eq!(snapshot::read_file(&file).unwrap().digests().unwrap(), before);

    // Restore on a new PC: an empty data dir and only the server settings.
    let fresh_tmp = tempfile::tempdir().unwrap();
    let fresh = DataDir::at(fresh_tmp.path());
    let newest = find_backup(&remote, "latest", &ListFilter::default()).await.unwrap();
    assert_eq!(newest.backup_id, made.id);
    let doc = pull(&remote, newest.backup_id).await.unwrap().document;
    let mut store = Store::open(&fresh).unwrap();
    sonic_core::restore::restore(&mut store, &doc, "server backup", "test", &mut |_| {}).unwrap();
    let restored = snapshot::store_digests(&store).unwrap();
    for key in SectionKey::ALL {
        if key == SectionKey::ActivityData {
            // The restore itself is logged: one more activity entry.
            assert_eq!(restored[&key].records, before[&key].records + 1);
        } else {
            assert_eq!(restored[&key], before[&key], "{key} must be as in the shop");
        }
    }
}

#[tokio::test]
async fn one_more_sale_uploads_at_most_two_pages_per_changed_section_and_none_for_the_rest() {
    let Some(db) = TestDb::new().await else { return };
    let (_tmp, dir) = small_shop(12);
    make_backup(&dir);
    let first = push_pending(&db.config, &dir).await.unwrap();
    let before = digests(&dir);
    assert!(first.pushed[0].pages_uploaded > 10, "the first push uploads the shop");

    one_more_sale(&dir);
    make_backup(&dir);
    let after = digests(&dir);
    let pass = push_pending(&db.config, &dir).await.unwrap();
    assert_eq!(pass.pushed.len(), 1);
    let report = &pass.pushed[0];
    let changed: Vec<SectionKey> = SectionKey::ALL
        .into_iter()
        .filter(|k| before[k].sha256 != after[k].sha256)
        .collect();
    assert!(changed.contains(&SectionKey::Invoices), "a sale changes the invoices");
    for key in SectionKey::ALL {
        let uploaded = report.uploaded_by_section.get(key.as_str()).copied().unwrap_or(0);
        if changed.contains(&key) {
            assert!(
                uploaded <= 2,
                "{key} changed and uploaded {uploaded} pages; at most 2 allowed"
            );
        } else {
            assert_eq!(uploaded, 0, "{key} did not change and must upload nothing");
        }
    }
    assert!(report.pages_uploaded >= 1 && report.pages_uploaded < report.pages_total / 4);
    eprintln!(
        "after one sale: {} of {} pages uploaded ({} bytes); changed sections: {changed:?}; per section: {:?}",
        report.pages_uploaded, report.pages_total, report.bytes_uploaded, report.uploaded_by_section
    );
}

#[tokio::test]
async fn cuts_mid_upload_at_twenty_points_leave_every_backup_on_the_server_exactly_once() {
    let Some(db) = TestDb::new().await else { return };
    // Small batches, so a push is many batches each committed on its own
    // and the cuts fall between them as well as inside one.
    std::env::set_var(sonic_backup::BATCH_BYTES_ENV, "65536");
    let (tmp, dir) = small_shop(13);
    // A shop's role, as a till pushes: the batches go through its own
    // temporary table, under row-level security.
    let role = format!("shop_c_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let owner = db.config.connect().await.unwrap();
    schema::grant_role(&owner, &role, schema::Access::Shop("shop-c"), Some("cut-pw-7Yt"))
        .await
        .unwrap();
    drop(owner); // the database is cloned below: no session may stay on it
    let proxy = Proxy::start(pg_port()).await;
    let via_proxy = db
        .config
        .clone()
        .with_login(&role, "cut-pw-7Yt")
        .with_address("127.0.0.1", proxy.port);
    let mut made = Vec::new();
    let mut cut_points = Vec::new();
    // Rounds whose cut push still left some of its batches on the server.
    let mut batches_kept = 0u32;
    // SONIC_CUTS runs the long form (scripts/reliability uses 500).
    let rounds: u64 = std::env::var("SONIC_CUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    for round in 0..rounds {
        if round > 0 {
            one_more_sale(&dir);
        }
        made.push(make_backup(&dir).id);

        // Measure this push on a copy of the server and of the data dir.
        let copy = tmp.path().join(format!("copy-{round}"));
        copy_dir(dir.root(), &copy);
        let scratch = db.clone_as(&format!("sonic_s_{}", &db.name[8..])).await;
        proxy.cut_after(None);
        let scratch_via_proxy = via_proxy.clone().with_dbname(scratch.dbname().unwrap());
        push_pending(&scratch_via_proxy, &DataDir::at(&copy)).await.unwrap();
        let total = proxy.last_sent.load(std::sync::atomic::Ordering::SeqCst);
        let admin = db.admin.connect().await.unwrap();
        admin
            .client()
            .batch_execute(&format!("DROP DATABASE sonic_s_{} WITH (FORCE)", &db.name[8..]))
            .await
            .unwrap();

        // Cut the real push at a different fraction of it each round: from the
        // login (2.5 %) through the pages to the commit and read-back (97.5 %).
        let at = (total as f64 * (round as f64 + 0.5) / rounds as f64) as u64;
        cut_points.push((at, total));
        let pages_before = server_pages(&db).await;
        proxy.cut_after(Some(at.max(1)));
        let result = push_pending(&via_proxy, &dir).await;
        if server_pages(&db).await > pages_before {
            batches_kept += 1;
        }
        assert!(
            result.is_err(),
            "round {round}: a push cut at byte {at} of {total} must fail"
        );
        assert!(
            pending(&dir) >= 1,
            "round {round}: a cut push leaves its backups queued"
        );
    }
    assert_eq!(proxy.cuts.load(std::sync::atomic::Ordering::SeqCst), rounds);
    eprintln!("{rounds} cuts mid-upload; {batches_kept} left whole batches committed before the cut");
    assert!(
        batches_kept > 0,
        "a cut push keeps the batches it committed before the cut (each batch is its own transaction)"
    );

    proxy.cut_after(None);
    let pass = push_pending(&via_proxy, &dir).await.unwrap();
    assert!(pass.failed.is_empty(), "{:?}", pass.failed);
    assert_eq!(pending(&dir), 0, "the outbox is empty");

    let remote = via_proxy.connect().await.unwrap();
    let listed = list_backups(&remote, &ListFilter::default()).await.unwrap();
    let on_server: Vec<uuid::Uuid> = listed.iter().map(|b| b.backup_id).collect();
    let unique: HashSet<_> = on_server.iter().collect();
    assert_eq!(on_server.len(), unique.len(), "no backup is stored twice");
    assert_eq!(
        unique,
        made.iter().collect::<HashSet<_>>(),
        "every backup is on the server"
    );
    let rows = db
        .count("SELECT count(*) FROM (SELECT backup_id FROM sonic_backups GROUP BY backup_id HAVING count(*) > 1) d")
        .await;
    assert_eq!(rows, 0);
    assert_eq!(
        db.count("SELECT count(*) FROM sonic_backups WHERE shop_id <> 'shop-c'")
            .await,
        0,
        "every backup is in the role's shop"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM sonic_backup_pages WHERE body IS NULL OR shop_id <> 'shop-c'")
            .await,
        0,
        "every page is checked and in the role's shop"
    );
    for id in &made {
        let pulled = pull(&remote, *id)
            .await
            .unwrap_or_else(|e| panic!("backup {id} must verify: {e}"));
        assert_eq!(pulled.info.backup_id, *id);
    }
    eprintln!("cut points (byte, of total): {cut_points:?}");
}

#[tokio::test]
async fn an_unreachable_server_queues_backups_and_the_queue_drains_when_it_answers() {
    let Some(db) = TestDb::new().await else { return };
    let (_tmp, dir) = small_shop(14);

    // A closed port: the push fails as a connection problem, nothing is lost.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    make_backup(&dir);
    let err = push_pending(&db.config.clone().with_address("127.0.0.1", closed), &dir)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "got {err:?}");
    assert!(err.is_connection());
    let counts = outbox::counts(&Store::open(&dir).unwrap()).unwrap();
    assert_eq!(counts.pending, 1);
    assert!(counts.last_error.unwrap().contains("cannot be reached"));

    // The background pusher against a server that refuses, then answers.
    let proxy = Proxy::start(pg_port()).await;
    proxy.refuse(true);
    let options = PusherOptions {
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(400),
        idle_check: Duration::from_millis(200),
    };
    let pusher = Pusher::start(
        dir.clone(),
        db.config.clone().with_address("127.0.0.1", proxy.port),
        options,
    );
    for _ in 0..3 {
        one_more_sale(&dir); // the till keeps selling
        make_backup(&dir);
        pusher.wake();
    }
    wait_for(
        || pusher.status().failures_in_a_row >= 3,
        "the pusher to fail three times",
    )
    .await;
    let status = pusher.status();
    assert!(
        status.last_error.is_some() && status.last_success.is_none(),
        "{status:?}"
    );
    assert_eq!(status.last_error_code.as_deref(), Some("Unreachable"));
    assert_eq!(pending(&dir), 4, "all four backups wait in the outbox");
    assert_eq!(db.count("SELECT count(*) FROM sonic_backups").await, 0);

    proxy.refuse(false);
    wait_for(|| pusher.status().pending == 0, "the queue to drain").await;
    let status = pusher.status();
    assert!(
        status.last_success.is_some() && status.last_error.is_none(),
        "{status:?}"
    );
    assert_eq!(db.count("SELECT count(*) FROM sonic_backups").await, 4);

    // push_now with a bounded wait (the close hook) on an empty queue.
    let pass = pusher.push_now(Duration::from_secs(10)).await.unwrap();
    assert_eq!(pass.pending, 0);
    pusher.stop().await;
}

async fn wait_for(cond: impl Fn() -> bool, what: &str) {
    for _ in 0..300 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out after 30 s waiting for {what}");
}

#[tokio::test]
async fn the_backup_role_can_push_and_pull_but_not_delete_update_or_drop() {
    let Some(db) = TestDb::new().await else { return };
    let role = format!("sonic_r_{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    let password = "role-pw-Zq8";
    let owner = db.config.connect().await.unwrap();
    let shop = schema::Access::Shop("shop-r");
    schema::grant_role(&owner, &role, shop, Some(password)).await.unwrap();
    schema::grant_role(&owner, &role, shop, Some(password)).await.unwrap(); // again: no error
    let as_role = db.config.clone().with_login(&role, password);

    let (_tmp, dir) = small_shop(15);
    let made = make_backup(&dir);
    let pass = push_pending(&as_role, &dir).await.unwrap();
    assert_eq!(pass.pushed.len(), 1);
    let remote = as_role.connect().await.unwrap();
    pull(&remote, made.id).await.unwrap();

    for sql in [
        "DELETE FROM sonic_backups",
        "DELETE FROM sonic_backup_pages",
        "UPDATE sonic_backups SET reason = 'x'",
        "UPDATE sonic_backup_pages SET records = '[]'",
        "UPDATE sonic_backup_pages SET section = 'x'",
        "TRUNCATE sonic_backup_pages",
        "DROP TABLE sonic_backups",
        "DROP TABLE sonic_backup_pages",
        "CREATE TABLE sonic_backups_evil (x int)",
    ] {
        let err = remote.client().batch_execute(sql).await.unwrap_err();
        let code = err.code().cloned();
        assert!(
            code == Some(tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE),
            "{sql} must be refused for lack of privilege, got {err}"
        );
    }
    let mut remote = as_role.connect().await.unwrap();
    assert!(
        schema::migrate(&mut remote).await.is_ok(),
        "a current schema needs no change"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM sonic_backups").await,
        1,
        "nothing was deleted"
    );
}

#[tokio::test]
async fn a_page_changed_on_the_server_fails_the_pull_naming_it_and_nothing_is_restored() {
    let Some(db) = TestDb::new().await else { return };
    let (_tmp, dir) = small_shop(16);
    let made = make_backup(&dir);
    push_pending(&db.config, &dir).await.unwrap();

    let victim: String = db
        .sql("SELECT hash FROM sonic_backup_pages WHERE section = 'sonic_invoices' ORDER BY hash LIMIT 1")
        .await[0]
        .get(0);
    // The server refuses to change a stored page, even for its owner …
    let refused = db.config.connect().await.unwrap();
    let change = format!(
        "UPDATE sonic_backup_pages SET body = jsonb_set(body::jsonb, '{{0,total}}', '1')::text WHERE hash = '{victim}'"
    );
    let err = refused.client().batch_execute(&change).await.unwrap_err();
    assert!(
        err.to_string().contains("cannot change") || format!("{err:?}").contains("cannot change"),
        "{err:?}"
    );
    // … so damage it behind the server's back, as a broken disk would.
    refused
        .client()
        .batch_execute(&format!(
            "ALTER TABLE sonic_backup_pages DISABLE TRIGGER sonic_check_page; {change}; \
             ALTER TABLE sonic_backup_pages ENABLE TRIGGER sonic_check_page"
        ))
        .await
        .unwrap();

    // A till with data of its own that tries to restore the damaged backup.
    let (_tmp2, target) = small_shop(99);
    let target_before = digests(&target);
    let backups_before = backup::list_backups(&Store::open(&target).unwrap()).unwrap().len();
    let remote = db.config.connect().await.unwrap();
    let err = pull(&remote, made.id).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::CorruptPage { .. }), "got {err:?}");
    assert!(text.contains(&victim), "the error must name the page: {text}");
    assert!(text.contains("sonic_invoices"), "and its section: {text}");
    assert_eq!(digests(&target), target_before, "nothing was restored");
    assert_eq!(
        backup::list_backups(&Store::open(&target).unwrap()).unwrap().len(),
        backups_before,
        "not even a safety backup was made"
    );
}

#[tokio::test]
async fn tls_modes_are_honoured_and_a_missing_schema_is_reported() {
    let Some(db) = TestDb::empty().await else { return };
    let ssl_in_use = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    let require = db.config.clone().with_tls(TlsMode::Require).connect().await.unwrap();
    let on: bool = require.client().query_one(ssl_in_use, &[]).await.unwrap().get(0);
    assert!(on, "require must use TLS");
    // A password never goes over plain TCP: disable with one is refused
    // before connecting (connect.rs, password_rule).
    let err = db
        .config
        .clone()
        .with_tls(TlsMode::Disable)
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Tls { .. }),
        "disable with a password is refused, got {err:?}"
    );
    // Under prefer and require the password goes only as SCRAM bound to the
    // TLS channel; the test server (scram-sha-256 over TLS) accepts that.
    let prefer = db.config.clone().with_tls(TlsMode::Prefer).connect().await.unwrap();
    let on: bool = prefer.client().query_one(ssl_in_use, &[]).await.unwrap().get(0);
    assert!(on, "prefer uses the TLS the server offers");
    // verify-full: the test server's own (self-signed, `localhost`) certificate
    // as the root verifies for localhost, and not for another name.
    let cert_file: String = db.sql("SHOW ssl_cert_file").await[0].get(0);
    let verify = db
        .config
        .clone()
        .with_tls(TlsMode::VerifyFull)
        .with_root_cert(&cert_file);
    let verified = verify.connect().await.unwrap();
    let on: bool = verified.client().query_one(ssl_in_use, &[]).await.unwrap().get(0);
    assert!(on, "verify-full must use TLS");
    let err = verify
        .clone()
        .with_address("127.0.0.1", pg_port())
        .connect()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Tls { .. }),
        "a certificate for another name is refused, got {err:?}"
    );

    // No schema yet: push says to run `server init`, and leaves the backup queued.
    let (_tmp, dir) = small_shop(17);
    make_backup(&dir);
    let err = push_pending(&db.config, &dir).await.unwrap_err();
    assert!(matches!(err, Error::SchemaMissing { found: 0 }), "got {err:?}");
    assert!(err.to_string().contains("server init"));
    assert_eq!(pending(&dir), 1);
    let mut owner = db.config.connect().await.unwrap();
    assert_eq!(schema::migrate(&mut owner).await.unwrap(), 0);
    assert_eq!(
        schema::migrate(&mut owner).await.unwrap(),
        schema::SERVER_SCHEMA_VERSION
    );

    // Errors never show the password.
    let password = std::env::var("PGPASSWORD").unwrap_or_default();
    let wrong = db.config.clone().with_login("nobody_here", "Secret-Wrong-Pw");
    let err = wrong.connect().await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("Secret-Wrong-Pw"), "{text}");
    assert!(password.is_empty() || !format!("{:?} {}", db.config, db.config.redacted()).contains(&password));
}

/// Pages on the server, all shops (as the database's owner).
async fn server_pages(db: &TestDb) -> i64 {
    let remote = db.config.connect().await.unwrap();
    remote
        .client()
        .query_one("SELECT count(*) FROM sonic_backup_pages", &[])
        .await
        .unwrap()
        .get(0)
}

/// The app's pusher after a clean exit: held until the integrity check
/// after start, and halted for good when it finds damage. Nothing is
/// uploaded from the damaged store, by the loop or by the close's push.
#[tokio::test]
async fn a_held_pusher_pushes_nothing_until_released_and_a_halted_one_never_again() {
    let Some(db) = TestDb::new().await else { return };
    let options = PusherOptions {
        min_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(400),
        idle_check: Duration::from_millis(100),
    };

    // Held, then halted (the check found damage).
    let (_tmp, dir) = small_shop(21);
    make_backup(&dir);
    let pusher = Pusher::start_held(dir.clone(), db.config.clone(), options);
    pusher.wake();
    let err = pusher.push_now(Duration::from_millis(500)).await.unwrap_err();
    assert!(
        matches!(err, Error::Timeout { .. }),
        "held: the close's push waits, got {err:?}"
    );
    assert!(pusher.status().last_attempt.is_none(), "held: no pass was even started");
    pusher.halt("the database is damaged (test)");
    assert!(pusher.halted());
    let err = pusher.push_now(Duration::from_secs(10)).await.unwrap_err();
    assert!(
        matches!(&err, Error::Halted { reason } if reason.contains("damaged")),
        "halted: the close's push refuses at once, got {err:?}"
    );
    assert_eq!(err.code(), "Halted");
    pusher.release();
    pusher.wake();
    assert!(pusher.halted(), "a halted pusher is not released");
    let err = pusher.push_now(Duration::from_secs(10)).await.unwrap_err();
    assert!(matches!(err, Error::Halted { .. }), "got {err:?}");
    let status = pusher.status();
    assert!(status.last_attempt.is_none(), "{status:?}");
    assert_eq!(status.last_error_code.as_deref(), Some("Halted"), "{status:?}");
    assert_eq!(
        db.count("SELECT count(*) FROM sonic_backups").await,
        0,
        "nothing reached the server"
    );
    assert_eq!(pending(&dir), 1, "the backup stays queued");
    pusher.stop().await;

    // Held, then released (the check found the store sound): it pushes.
    let pusher = Pusher::start_held(dir.clone(), db.config.clone(), options);
    pusher.release();
    wait_for(
        || pusher.status().pending == 0,
        "the released pusher to drain the queue",
    )
    .await;
    assert_eq!(db.count("SELECT count(*) FROM sonic_backups").await, 1);
    pusher.stop().await;
}
