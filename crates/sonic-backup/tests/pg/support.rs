//! Shared pieces of the PostgreSQL tests: the server from the `PG*`
//! variables (fail loudly when it is missing), a database per test, shops
//! made by `gen`, one more sale, and a TCP proxy that refuses or cuts.

use sonic_backup::{schema, ServerConfig};
use sonic_core::ops::sale::SaleInput;
use sonic_core::ops::{Actor, OpCtx};
use sonic_core::sections::{Currency, Role, Table};
use sonic_core::{DataDir, Store};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The server the tests use: the `PG*` variables, as `pg_virtualenv` sets them.
/// Without them the test fails and says how to run it; set SONIC_SKIP_PG=1 to
/// skip the PostgreSQL tests on purpose.
pub fn server() -> Option<ServerConfig> {
    let have = std::env::var("PGHOST").is_ok() && std::env::var("PGPORT").is_ok() && std::env::var("PGUSER").is_ok();
    if !have {
        if std::env::var("SONIC_SKIP_PG").is_ok_and(|v| v == "1")
            && std::env::var("SONIC_REQUIRE_PG").is_err()
            && std::env::var("CI").is_err()
        {
            eprintln!("SKIPPED: PostgreSQL test (SONIC_SKIP_PG=1)");
            return None;
        }
        panic!(
            "the sonic-backup tests need a real PostgreSQL: PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE are not set. \
             Run them with `pg_virtualenv -- cargo test -p sonic-backup` (Debian package postgresql-common), \
             or set SONIC_SKIP_PG=1 to skip them knowingly"
        );
    }
    Some(ServerConfig::from_env().expect("PG* variables must make a valid server config"))
}

/// A database of its own for one test, with the Sonic POS schema.
pub struct TestDb {
    pub admin: ServerConfig,
    pub config: ServerConfig,
    pub name: String,
}

impl TestDb {
    pub async fn new() -> Option<TestDb> {
        let db = Self::empty().await?;
        let mut remote = db.config.connect().await.expect("connect to the test database");
        schema::migrate(&mut remote).await.expect("create the schema");
        Some(db)
    }

    /// A database without the Sonic POS schema.
    pub async fn empty() -> Option<TestDb> {
        let base = server()?;
        let name = format!("sonic_t_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let admin = base.connect().await.expect("connect to the PG* server");
        admin
            .client()
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create a test database");
        Some(TestDb {
            config: base.clone().with_dbname(&name),
            admin: base,
            name,
        })
    }

    /// Runs SQL as the owner, returning the rows.
    pub async fn sql(&self, sql: &str) -> Vec<tokio_postgres::Row> {
        let remote = self.config.connect().await.expect("connect");
        remote
            .client()
            .query(sql, &[])
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.sql(sql).await[0].get(0)
    }

    /// A copy of this database (for measuring a push without changing it).
    pub async fn clone_as(&self, name: &str) -> ServerConfig {
        let admin = self.admin.connect().await.expect("connect");
        // The template must have no sessions; a cut connection may take a moment to end.
        for attempt in 0.. {
            match admin
                .client()
                .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {}", self.name))
                .await
            {
                Ok(()) => break,
                Err(e) if attempt < 100 => {
                    let _ = e;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => panic!("clone the test database: {e}"),
            }
        }
        self.config.clone().with_dbname(name)
    }
}

/// A data directory holding a `gen --profile small` shop.
pub fn small_shop(seed: u64) -> (tempfile::TempDir, DataDir) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = DataDir::at(tmp.path().join("data"));
    let mut store = Store::open(&dir).expect("open store");
    sonic_core::gen::generate(&mut store, sonic_core::gen::Profile::Small, seed).expect("gen small");
    (tmp, dir)
}

/// Rings up one more sale (one line, paid in cash) through the domain op.
pub fn one_more_sale(dir: &DataDir) {
    let mut store = Store::open(dir).expect("open store");
    let mut bytes = Vec::new();
    let info = sonic_core::snapshot::ExportInfo {
        reason: "test".into(),
        backup_id: None,
    };
    sonic_core::snapshot::export(&store, &info, &mut bytes).expect("export");
    let doc = sonic_core::snapshot::parse_bytes(&bytes, "test").expect("parse");
    let actor = Actor {
        user_id: "user-1".into(),
        name: "owner".into(),
        role: Role::Owner,
    };
    let mut items = Vec::new();
    doc.for_each_record(Table::Items, |id, _| {
        items.extend(id.map(str::to_string));
        Ok(())
    })
    .expect("read the items");
    let mut last_error = None;
    for store_id in ["store-1", "store-2", "store-3"] {
        for id in items.iter().rev().take(60) {
            let ctx = OpCtx::now(actor.clone(), store_id);
            let input = SaleInput::cash(&[(id.as_str(), 1)], Currency::Iqd, 50_000_000);
            match sonic_core::ops::sale::sell(&mut store, &ctx, &input) {
                Ok(_) => return,
                Err(e) => last_error = Some(e),
            }
        }
    }
    panic!("no item could be sold: {last_error:?}");
}

/// Copies a (closed) data directory.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

/// A TCP proxy on 127.0.0.1 in front of the test server that can refuse
/// connections or cut each one after N bytes from the client.
#[derive(Clone)]
pub struct Proxy {
    pub port: u16,
    refuse: Arc<AtomicBool>,
    cut_after: Arc<AtomicU64>,
    /// Client→server bytes of the last connection.
    pub last_sent: Arc<AtomicU64>,
    pub cuts: Arc<AtomicU64>,
}

impl Proxy {
    pub async fn start(upstream_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let proxy = Proxy {
            port: listener.local_addr().expect("addr").port(),
            refuse: Arc::new(AtomicBool::new(false)),
            cut_after: Arc::new(AtomicU64::new(u64::MAX)),
            last_sent: Arc::new(AtomicU64::new(0)),
            cuts: Arc::new(AtomicU64::new(0)),
        };
        let p = proxy.clone();
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                if p.refuse.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let p = p.clone();
                tokio::spawn(async move { p.relay(client, upstream_port).await });
            }
        });
        proxy
    }

    pub fn refuse(&self, on: bool) {
        self.refuse.store(on, Ordering::SeqCst);
    }

    /// Cut every new connection after `bytes` from the client (None: never).
    pub fn cut_after(&self, bytes: Option<u64>) {
        self.cut_after.store(bytes.unwrap_or(u64::MAX), Ordering::SeqCst);
    }

    async fn relay(&self, client: TcpStream, upstream_port: u16) {
        let Ok(server) = TcpStream::connect(("127.0.0.1", upstream_port)).await else {
            return;
        };
        let limit = self.cut_after.load(Ordering::SeqCst);
        let (mut cr, mut cw) = client.into_split();
        let (mut sr, mut sw) = server.into_split();
        let sent = self.last_sent.clone();
        sent.store(0, Ordering::SeqCst);
        let cuts = self.cuts.clone();
        let up = async move {
            let mut buf = vec![0u8; 8192];
            let mut total = 0u64;
            loop {
                let n = match cr.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                let room = limit.saturating_sub(total);
                let n_send = (n as u64).min(room) as usize;
                if n_send > 0 && sw.write_all(&buf[..n_send]).await.is_err() {
                    return;
                }
                total += n_send as u64;
                sent.store(total, Ordering::SeqCst);
                if n_send < n {
                    cuts.fetch_add(1, Ordering::SeqCst);
                    return; // cut: both directions end below
                }
            }
        };
        let down = async move {
            let mut buf = vec![0u8; 8192];
            loop {
                let n = match sr.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if cw.write_all(&buf[..n]).await.is_err() {
                    return;
                }
            }
        };
        tokio::select! {
            _ = up => {}
            _ = down => {}
        }
    }
}

/// The port of the `PG*` server.
pub fn pg_port() -> u16 {
    std::env::var("PGPORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(5432)
}
