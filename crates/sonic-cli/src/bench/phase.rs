//! The measurements of `sonic-pos-admin bench`. Each runs in a child process
//! (`sonic-pos-admin bench phase NAME …`, hidden) so that the peak memory it
//! reports (`VmHWM`, which cannot be reset inside a process) is its own, and
//! prints one JSON object on stdout: its figures and `vmHwmKb`.

use anyhow::{bail, Context, Result};
use clap::Subcommand;
use serde_json::{json, Value};
use sonic_backup::{pages, schema, ListFilter, ServerConfig};
use sonic_core::gen::Profile;
use sonic_core::ops::rates::{self, RateKind};
use sonic_core::ops::sale::{self, SaleInput, SaleLineInput, TenderInput};
use sonic_core::ops::{catalog, security, stock, stores, Actor, OpCtx, Page};
use sonic_core::sections::{Currency, Role};
use sonic_core::{backup, restore, snapshot, DataDir, Store};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// One measurement, run in its own process.
#[derive(Debug, Subcommand)]
pub enum Phase {
    /// `gen::generate` into an empty data directory.
    Gen {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        profile: Profile,
    },
    /// Sale commit latency, the raw write+fdatasync of the same bytes, and
    /// the old way (the whole `sonic_invoices` rewritten as one JSON value).
    /// An empty data directory gets an owner, a store, a rate and 3 items.
    Sale {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        sales: usize,
        #[arg(long)]
        old_reps: usize,
    },
    /// Item search by name substring, name prefix and barcode.
    Search {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        reps: usize,
    },
    /// Backup Now (`backup::create_backup`), after `sales` untimed sales.
    Backup {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 0)]
        sales: usize,
    },
    /// Incremental local backups, after a full one was written into an
    /// empty backups folder (the `backup` phase): Backup Now after one more
    /// sale, then more backups with one sale between each until there are
    /// `backups`, and the disk the folder then takes; then an `on_close`
    /// backup after a session of `session_sales` sales (the close's work).
    Incremental {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long, default_value_t = 50)]
        backups: usize,
        #[arg(long, default_value_t = 20)]
        session_sales: usize,
    },
    /// Sale commit latency idle, then while Backup Now runs back to back on
    /// another thread (as the app does: the file from a reader of its own,
    /// the bookkeeping through a second connection).
    SaleDuringBackup {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        sales: usize,
    },
    /// `VACUUM INTO` of the same database.
    Vacuum {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// The old export: the 16 sections held as one JSON value, serialised,
    /// written and flushed.
    OldExport {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Push one local backup file to the server, as the app does (through
    /// its page index when it has one: only the pages the server lacks are
    /// read), upload, verify.
    Push {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        db: String,
    },
    /// `COPY` of the same page JSON into a plain jsonb table (through psql).
    Copy {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        db: String,
    },
    /// Export the shop as one plain `.json` file (File › Export…).
    Export {
        #[arg(long)]
        dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Import an export file into an empty data directory, as on a new PC:
    /// the streaming read into staging, then the one transaction.
    Import {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        dir: PathBuf,
    },
    /// Restore a local backup file into an empty data directory.
    RestoreLocal {
        #[arg(long)]
        file: PathBuf,
        #[arg(long)]
        dir: PathBuf,
    },
    /// Restore the server's latest backup into an empty data directory.
    RestoreServer {
        #[arg(long)]
        db: String,
        #[arg(long)]
        dir: PathBuf,
    },
}

/// Runs one phase and prints its JSON.
pub fn run(phase: &Phase) -> Result<()> {
    let mut figures = match phase {
        Phase::Gen { dir, profile } => {
            let mut store = Store::open(&DataDir::at(dir))?;
            let t = Instant::now();
            sonic_core::gen::generate(&mut store, *profile, 1)?;
            json!({ "seconds": t.elapsed().as_secs_f64() })
        }
        Phase::Sale { dir, sales, old_reps } => sale_phase(dir, *sales, *old_reps)?,
        Phase::Search { dir, reps } => search_phase(dir, *reps)?,
        Phase::Backup { dir, sales } => {
            let mut store = Store::open(&DataDir::at(dir))?;
            if *sales > 0 {
                let (ctx, input) = till(&mut store)?;
                for _ in 0..*sales {
                    sale::sell(&mut store, &ctx, &input)?;
                }
            }
            let t = Instant::now();
            let info = backup::create_backup(&store, backup::reason::MANUAL)?;
            json!({ "seconds": t.elapsed().as_secs_f64(), "bytes": info.size, "file": info.file,
                    "records": info.counts.values().sum::<u64>() })
        }
        Phase::Incremental {
            dir,
            backups,
            session_sales,
        } => incremental(dir, *backups, *session_sales)?,
        Phase::SaleDuringBackup { dir, sales } => sale_during_backup(dir, *sales)?,
        Phase::Vacuum { dir, out } => {
            let conn = rusqlite::Connection::open(DataDir::at(dir).database())?;
            let t = Instant::now();
            conn.execute("VACUUM INTO ?1", [out.to_string_lossy()])?;
            let seconds = t.elapsed().as_secs_f64();
            json!({ "seconds": seconds, "bytes": std::fs::metadata(out)?.len() })
        }
        Phase::OldExport { dir, out } => old_export(dir, out)?,
        Phase::Push { file, db } => push_phase(file, db)?,
        Phase::Copy { file, db } => copy_phase(file, db)?,
        Phase::Export { dir, out } => {
            let reader = sonic_core::Reader::open(&DataDir::at(dir))?;
            let t = Instant::now();
            let info = snapshot::ExportInfo {
                reason: "bench".into(),
                backup_id: None,
            };
            snapshot::export_file(&reader, out, &info)?;
            json!({ "seconds": t.elapsed().as_secs_f64(), "bytes": file_len(out) })
        }
        Phase::Import { file, dir } => {
            let t = Instant::now();
            let data = DataDir::at(dir);
            let mut store = Store::open(&data)?;
            let doc = snapshot::read_file_in(file, data.root())?;
            restore::import(&mut store, &doc, restore::ImportMode::IntoEmpty, "bench")?;
            json!({ "seconds": t.elapsed().as_secs_f64(), "bytes": file_len(file) })
        }
        Phase::RestoreLocal { file, dir } => {
            let t = Instant::now();
            let doc = snapshot::read_file(file)?;
            let mut store = Store::open(&DataDir::at(dir))?;
            restore::restore(&mut store, &doc, "bench", "bench", &mut |_| {})?;
            json!({ "seconds": t.elapsed().as_secs_f64() })
        }
        Phase::RestoreServer { db, dir } => {
            let t = Instant::now();
            let config = ServerConfig::from_env()?.with_dbname(db);
            let pulled = runtime()?.block_on(async {
                let remote = config.connect().await?;
                let info = sonic_backup::find_backup(&remote, "latest", &ListFilter::default()).await?;
                sonic_backup::pull(&remote, info.backup_id).await
            })?;
            let mut store = Store::open(&DataDir::at(dir))?;
            restore::restore(&mut store, &pulled.document, "bench", "bench", &mut |_| {})?;
            json!({ "seconds": t.elapsed().as_secs_f64(), "bytes": pulled.export_bytes })
        }
    };
    if let Some(obj) = figures.as_object_mut() {
        // `null` where the OS does not report it.
        let peak_kib = sonic_platform::process::peak_rss_bytes().map(|b| b / 1024);
        obj.insert("vmHwmKb".into(), json!(peak_kib));
    }
    println!("{figures}");
    Ok(())
}

/// The bytes of the files under `dir`, folders included.
fn disk_bytes(dir: &Path) -> Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            disk_bytes(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

fn incremental(dir: &Path, backups: usize, session_sales: usize) -> Result<Value> {
    let data = DataDir::at(dir);
    let mut store = Store::open(&data)?;
    let before = backup::list_backups(&store)?.len();
    if before != 1 {
        bail!("the incremental phase needs the one full backup of the backup phase ({before} found)");
    }
    let (ctx, input) = till(&mut store)?;
    sale::sell(&mut store, &ctx, &input)?;
    let t = Instant::now();
    let one = backup::create_backup(&store, backup::reason::MANUAL)?;
    let one_seconds = t.elapsed().as_secs_f64();
    for _ in 2..backups {
        sale::sell(&mut store, &ctx, &input)?;
        backup::create_backup(&store, backup::reason::SCHEDULED)?;
    }
    let listed = backup::list_backups(&store)?.len();
    let disk = disk_bytes(&data.backups())?;
    for _ in 0..session_sales {
        sale::sell(&mut store, &ctx, &input)?;
    }
    let t = Instant::now();
    let close = backup::create_backup(&store, backup::reason::ON_CLOSE)?;
    let close_seconds = t.elapsed().as_secs_f64();
    Ok(json!({
        "seconds": one_seconds, "bytes": one.size,
        "backups": listed, "diskBytes": disk,
        "closeSeconds": close_seconds, "closeBytes": close.size, "sessionSales": session_sales,
    }))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// A till ready to sell a typical 3-line sale, paid in full: on an empty
/// store an owner, a store, the rate and 3 items are made first; on a
/// generated one the first 3 items of the catalogue are used. Either way the
/// 3 items get plenty of stock in the till's store, so no sale is refused.
fn till(store: &mut Store) -> Result<(OpCtx, SaleInput)> {
    let owner_on_generated = Actor {
        user_id: "user-1".into(),
        name: "owner".into(),
        role: Role::Owner,
    };
    let (owner, store_id) = if store.counts()?.values().sum::<u64>() == 0 {
        let owner = security::bootstrap_owner(store, "Owner", "999999")?;
        let ctx = OpCtx::now(owner.clone(), "");
        let input = stores::StoreInput {
            name: "Main".into(),
            address: None,
            phone: None,
            allow_negative_stock: false,
        };
        let shop = stores::create_store(store, &ctx, &input)?;
        let ctx = OpCtx::now(owner.clone(), shop.id.key());
        rates::set_rate(
            store,
            &ctx,
            RateKind::IqdPerUsd,
            "1310".parse().map_err(anyhow::Error::msg)?,
        )?;
        for (name, barcode, price) in [
            ("iPhone 15 128GB", "194253401", 1_150_000),
            ("USB-C cable 1m", "619659161", 5_000),
            ("Silicone case", "619659177", 7_500),
        ] {
            let item = catalog::ItemInput {
                name: name.into(),
                barcode: Some(barcode.into()),
                category: None,
                currency: Currency::Iqd,
                price,
                cost: price * 8 / 10,
            };
            catalog::create_item(store, &ctx, &item)?;
        }
        (owner, shop.id.key())
    } else {
        (owner_on_generated, "store-1".to_string())
    };
    let ctx = OpCtx::now(owner, store_id);
    let items = catalog::search_items(store, "", Page { offset: 0, limit: 3 })?;
    if items.len() < 3 {
        bail!("the store has fewer than 3 items to sell");
    }
    let mut lines = Vec::new();
    for item in &items {
        let id = item.id.key();
        if stock::level(store, &id, &ctx.store_id)? < 100_000 {
            stock::receive(store, &ctx, &id, 1_000_000, 0)?;
        }
        lines.push(SaleLineInput {
            item_id: id,
            qty: 1,
            discount: 0,
        });
    }
    let mut input = SaleInput {
        lines,
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
    Ok((ctx, input))
}

fn sale_phase(dir: &Path, sales: usize, old_reps: usize) -> Result<Value> {
    let data = DataDir::at(dir);
    let mut store = Store::open(&data)?;
    let (ctx, input) = till(&mut store)?;
    // An empty WAL, so that its growth per sale is the bytes a commit writes.
    let wal = dir.join("sonic-pos.db-wal");
    rusqlite::Connection::open(data.database())?.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
    let mut sale_s = Vec::with_capacity(sales);
    let mut grown = Vec::new();
    for _ in 0..sales {
        let before = file_len(&wal);
        let t = Instant::now();
        sale::sell(&mut store, &ctx, &input)?;
        sale_s.push(t.elapsed().as_secs_f64());
        let after = file_len(&wal);
        if after > before {
            grown.push(after - before);
        }
    }
    grown.sort_unstable();
    let bytes = grown.get(grown.len() / 2).copied().unwrap_or(4096 + 24);
    let fsync_s = raw_fsync(dir, bytes, sales)?;
    let (old_s, invoices_bytes) = old_way(&store, dir, old_reps)?;
    Ok(json!({ "sale": sale_s, "fsync": fsync_s, "old": old_s,
               "bytesPerSale": bytes, "invoicesBytes": invoices_bytes }))
}

/// `sales` sale commits idle, then `sales` more while backups are written
/// one after another on another thread; each series in seconds. As in the
/// app, the till's store is behind a mutex: the backup writes its file
/// through a reader of its own, then takes the mutex for its bookkeeping
/// (and a sale that arrives then waits for it, which its time includes).
fn sale_during_backup(dir: &Path, sales: usize) -> Result<Value> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc, Mutex};

    let data = DataDir::at(dir);
    let mut store = Store::open(&data)?;
    let (ctx, input) = till(&mut store)?;
    let till = Arc::new(Mutex::new(store));
    // Set while the backup thread waits for the till's mutex: the till
    // lets it in between two sales (std's mutex is not fair, and a till
    // ringing sales back to back would otherwise starve it).
    let bookkeeping = Arc::new(AtomicBool::new(false));
    let timed = || -> Result<Vec<f64>> {
        let mut out = Vec::with_capacity(sales);
        for _ in 0..sales {
            let t = Instant::now();
            while bookkeeping.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
            let mut store = till
                .lock()
                .map_err(|_| anyhow::anyhow!("the till's mutex is poisoned"))?;
            sale::sell(&mut store, &ctx, &input)?;
            drop(store);
            out.push(t.elapsed().as_secs_f64());
        }
        Ok(out)
    };
    let idle = timed()?;

    let running = Arc::new(AtomicBool::new(true));
    let (started, first_started) = mpsc::channel::<()>();
    let backups = {
        let running = Arc::clone(&running);
        let bookkeeping = Arc::clone(&bookkeeping);
        let till = Arc::clone(&till);
        let data = data.clone();
        std::thread::spawn(move || -> Result<Vec<f64>> {
            let mut seconds = Vec::new();
            while running.load(Ordering::SeqCst) {
                let t = Instant::now();
                let reader = sonic_core::Reader::open(&data)?;
                let mut told = false;
                let info = backup::write_backup(&reader, backup::reason::MANUAL, &mut |_| {
                    if !told {
                        told = true;
                        let _ = started.send(());
                    }
                })?;
                drop(reader);
                bookkeeping.store(true, Ordering::SeqCst);
                let recorded = till
                    .lock()
                    .map_err(|_| anyhow::anyhow!("the till's mutex is poisoned"))
                    .and_then(|store| Ok(backup::record_backup(&store, &info, backup::PendingBackups::NoServer)?));
                bookkeeping.store(false, Ordering::SeqCst);
                recorded?;
                seconds.push(t.elapsed().as_secs_f64());
            }
            Ok(seconds)
        })
    };
    first_started
        .recv()
        .context("the backup thread stopped before its first backup")?;
    let during = timed();
    running.store(false, Ordering::SeqCst);
    let backup_s = backups
        .join()
        .map_err(|_| anyhow::anyhow!("the backup thread panicked"))??;
    Ok(json!({ "idle": idle, "during": during?, "backups": backup_s.len(), "backupSeconds": backup_s }))
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The machine's limit for a commit: `bytes` written after the previous
/// ones (wrapping at 4 MiB like SQLite's WAL) and `fdatasync`ed, `reps` times.
fn raw_fsync(dir: &Path, bytes: u64, reps: usize) -> Result<Vec<f64>> {
    let path = dir.join("bench-fsync.bin");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)?;
    let block = vec![0x5a_u8; usize::try_from(bytes)?];
    let mut offset = 0u64;
    let mut out = Vec::with_capacity(reps);
    for _ in 0..reps {
        let t = Instant::now();
        sonic_platform::fs::write_all_at(&file, &block, offset)?;
        file.sync_data()?;
        out.push(t.elapsed().as_secs_f64());
        offset = if offset + 2 * bytes > 4 << 20 {
            0
        } else {
            offset + bytes
        };
    }
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(out)
}

/// What localStorage did on every sale: the whole invoice list, held in
/// memory, serialised as one JSON value and written out, here with an fsync.
fn old_way(store: &Store, dir: &Path, reps: usize) -> Result<(Vec<f64>, u64)> {
    #[derive(serde::Deserialize)]
    struct Invoices {
        sonic_invoices: Vec<Value>,
    }
    let mut export = Vec::new();
    let info = snapshot::ExportInfo {
        reason: "bench".into(),
        backup_id: None,
    };
    snapshot::export(store, &info, &mut export)?;
    let mut invoices = serde_json::from_slice::<Invoices>(&export)?.sonic_invoices;
    drop(export);
    let path = dir.join("bench-old-sonic_invoices.json");
    let mut out = Vec::with_capacity(reps);
    let mut size = 0;
    for _ in 0..reps {
        let t = Instant::now();
        if let Some(last) = invoices.last().cloned() {
            invoices.push(last);
        }
        let json = serde_json::to_vec(&invoices)?;
        let mut file = std::fs::File::create(&path)?;
        file.write_all(&json)?;
        file.sync_data()?;
        out.push(t.elapsed().as_secs_f64());
        size = json.len() as u64;
    }
    let _ = std::fs::remove_file(&path);
    Ok((out, size))
}

fn search_phase(dir: &Path, reps: usize) -> Result<Value> {
    let store = Store::open(&DataDir::at(dir))?;
    let items = catalog::search_items(&store, "", Page { offset: 0, limit: 500 })?;
    let barcode = items
        .iter()
        .rev()
        .find_map(|i| i.barcode.clone())
        .context("no item has a barcode")?;
    let name: Vec<char> = items[items.len() / 2].name.chars().collect();
    let mid = name.len() / 2;
    let substring: String = name[mid.saturating_sub(3)..(mid + 3).min(name.len())].iter().collect();
    let prefix: String = name[..2.min(name.len())].iter().collect();
    let mut out = serde_json::Map::new();
    for (key, text) in [("name", substring), ("prefix", prefix), ("barcode", barcode)] {
        let mut times = Vec::with_capacity(reps);
        let mut found = 0;
        for _ in 0..reps {
            let t = Instant::now();
            found = catalog::search_items(&store, &text, Page::FIRST)?.len();
            times.push(t.elapsed().as_secs_f64());
        }
        out.insert(key.into(), json!({ "text": text, "found": found, "times": times }));
    }
    Ok(out.into())
}

fn old_export(dir: &Path, out: &Path) -> Result<Value> {
    let store = Store::open(&DataDir::at(dir))?;
    let mut export = Vec::new();
    let info = snapshot::ExportInfo {
        reason: "bench".into(),
        backup_id: None,
    };
    snapshot::export(&store, &info, &mut export)?;
    // The old app held every section in memory as one value.
    let mut state: serde_json::Map<String, Value> = serde_json::from_slice(&export)?;
    state.remove("_meta");
    drop(export);
    let t = Instant::now();
    let json = serde_json::to_vec(&state)?;
    let mut file = std::fs::File::create(out)?;
    file.write_all(&json)?;
    file.sync_all()?;
    Ok(json!({ "seconds": t.elapsed().as_secs_f64(), "bytes": json.len() }))
}

fn push_phase(file: &Path, db: &str) -> Result<Value> {
    let config = ServerConfig::from_env()?.with_dbname(db);
    runtime()?.block_on(async {
        let mut remote = config.connect().await?;
        schema::migrate(&mut remote).await?;
        let id = file
            .file_name()
            .and_then(|n| backup::parse_file_id(&n.to_string_lossy()))
            .context("the file name is not a backup's: it names no backup id")?;
        let t = Instant::now();
        let report = sonic_backup::push_file(&mut remote, file, id).await?;
        Ok(
            json!({ "seconds": t.elapsed().as_secs_f64(), "bytes": report.bytes_uploaded,
                   "pages": report.pages_uploaded, "pagesTotal": report.pages_total,
                   "recordsRead": report.records_read }),
        )
    })
}

fn copy_phase(file: &Path, db: &str) -> Result<Value> {
    let doc = snapshot::read_file(file)?;
    let meta = doc.meta.as_ref().context("the backup has no _meta")?;
    let paged = pages::page_document(&doc, meta)?;
    let lines = file.with_extension("copy.txt");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&lines)?);
    let mut bytes = 0u64;
    for page in &paged.pages {
        // COPY's text format: a backslash is its escape character. Compact
        // JSON holds no raw tab or newline.
        out.write_all(page.json.replace('\\', "\\\\").as_bytes())?;
        out.write_all(b"\n")?;
        bytes += page.json.len() as u64;
    }
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    drop((paged, doc));
    psql(
        db,
        "CREATE TABLE IF NOT EXISTS bench_copy (body jsonb); TRUNCATE bench_copy",
    )?;
    let t = Instant::now();
    psql(db, &format!("\\copy bench_copy (body) FROM '{}'", lines.display()))?;
    let seconds = t.elapsed().as_secs_f64();
    std::fs::remove_file(&lines)?;
    Ok(json!({ "seconds": seconds, "bytes": bytes }))
}

/// Runs one psql command against `db` (the PG* variables say where).
pub fn psql(db: &str, command: &str) -> Result<()> {
    let out = Command::new("psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db, "-c", command])
        .output()
        .context("running psql")?;
    if !out.status.success() {
        bail!("psql: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}
