//! `sonic-pos-admin`: the owner's and the technician's tool for a Sonic POS
//! data directory. Each command is a few lines over `sonic-core`.

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use serde_json::json;
use sonic_core::backup::{self, BackupInfo};
use sonic_core::restore::{self, ImportMode, Preview};
use sonic_core::snapshot::{self, Document, ExportInfo};
use sonic_core::{DataDir, SectionCounts, SectionKey, Store};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

mod bench;
mod server;

#[derive(Debug, Parser)]
#[command(
    name = "sonic-pos-admin",
    version,
    about = "Backup, restore, import and export for Sonic POS"
)]
struct Cli {
    /// Data directory (default: $SONIC_DATA_DIR, else the platform data directory).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write all 16 sections to a JSON export file.
    Export { file: PathBuf },
    /// Import an export file (this POS's or the old POS's) into the store.
    Import {
        file: PathBuf,
        /// Check the file and show the counts; change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Replace a store that already holds data (a safety backup is made first).
        #[arg(long)]
        replace: bool,
    },
    /// Check an export or backup file (or a local backup by its id or short
    /// id): parse, validate, and verify its hashes.
    Verify { file: PathBuf },
    /// Write a compressed local backup now.
    Backup {
        #[arg(long, default_value = backup::reason::MANUAL)]
        reason: String,
    },
    /// List the local backups, newest first.
    Backups,
    /// Apply the retention now: remove the local backups it does not keep,
    /// then the pages no kept backup needs. Backups still waiting for the
    /// server are kept unless --unpushed.
    Prune {
        /// Keep this many newest backups (default: the saved retention).
        #[arg(long)]
        keep_last: Option<usize>,
        /// Keep the newest backup of each of this many days (default: the saved retention).
        #[arg(long)]
        keep_daily_days: Option<u32>,
        /// Also remove backups not pushed to the server yet.
        #[arg(long)]
        unpushed: bool,
    },
    /// Replace the store with a backup file or a local backup (by id).
    Restore {
        /// A file path, or a local backup id (or its first 8+ characters).
        source: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// SOURCE is a backup on the backup server (its id, 8+ characters, or `latest`).
        #[arg(long)]
        from_server: bool,
        /// Backup server for --from-server (default: the PG* variables).
        #[arg(long, env = "SONIC_SERVER_URL", value_name = "URL", hide_env_values = true)]
        server: Option<String>,
    },
    /// The PostgreSQL backup server: create its tables, list its backups.
    Server {
        #[command(subcommand)]
        command: server::ServerCommand,
    },
    /// Push the backups waiting in the outbox to the backup server.
    Push(server::PushArgs),
    /// Download a server backup, verified, as an export file.
    Pull(server::PullArgs),
    /// Check the database for damage (SQLite integrity_check) and the shop's
    /// rules (gapless numbers, stock = movements, …).
    Check,
    /// Make sales one by one, printing each invoice number once it is on
    /// disk (for crash tests; needs a store made by `gen`).
    #[command(hide = true)]
    SellStream {
        #[arg(long, default_value_t = 1000)]
        count: u32,
    },
    /// Measure sales, search, backup, push and restore against the machine's
    /// limits and the old way (see BENCHMARKS.md).
    Bench(bench::BenchArgs),
    /// Fill an empty store with realistic generated shop data.
    Gen {
        #[arg(long, default_value = "small")]
        profile: sonic_core::gen::Profile,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SONIC_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let code = main_with(&cli);
    if std::env::var_os(PEAK_RSS_ENV).is_some() {
        report_peak_rss();
    }
    code
}

/// When set, the peak resident memory of the run is printed to stderr at
/// the end (Linux), so a test can hold a command to a memory bound.
const PEAK_RSS_ENV: &str = "SONIC_REPORT_PEAK_RSS";

/// Prints `peak RSS: N kB` (`VmHWM` of `/proc/self/status`, the high-water
/// mark of this process) to stderr.
fn report_peak_rss() {
    let peak = std::fs::read_to_string("/proc/self/status").ok().and_then(|status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .map(|v| v.trim().to_string())
    });
    match peak {
        Some(kb) => eprintln!("peak RSS: {kb}"),
        None => eprintln!("peak RSS: unknown (no /proc/self/status)"),
    }
}

fn main_with(cli: &Cli) -> ExitCode {
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if cli.json {
                let code = err
                    .downcast_ref::<sonic_core::Error>()
                    .map(sonic_core::Error::code)
                    .or_else(|| err.downcast_ref::<sonic_backup::Error>().map(sonic_backup::Error::code))
                    .unwrap_or("Error");
                let problems = match err.downcast_ref::<sonic_core::Error>() {
                    Some(sonic_core::Error::Rejected(r)) => json!(r.problems),
                    _ => json!([]),
                };
                println!(
                    "{}",
                    json!({ "error": { "code": code, "message": format!("{err:#}"), "problems": problems } })
                );
            } else {
                eprintln!("error: {err:#}");
            }
            ExitCode::FAILURE
        }
    }
}

fn run(cli: &Cli) -> Result<()> {
    let dir = DataDir::resolve(cli.data_dir.as_deref())?;
    let out = Output { json: cli.json };
    match &cli.command {
        Command::Export { file } => {
            let store = Store::open(&dir)?;
            let info = ExportInfo {
                reason: "export".into(),
                backup_id: None,
            };
            let meta = snapshot::export_file(&store, file, &info)?;
            out.counts(
                &format!("exported to {}", file.display()),
                &store.counts()?,
                json!({ "file": file, "snapshotSha256": meta.snapshot_sha256 }),
            );
        }
        Command::Import { file, dry_run, replace } => {
            let doc = snapshot::read_file_in(file, &staging_dir(&dir))?;
            let mut store = Store::open(&dir)?;
            let now = store.counts()?;
            out.warnings(&doc.warnings);
            out.import_table(&now, &doc.counts(), *dry_run);
            if !dry_run {
                let mode = if *replace {
                    ImportMode::Replace
                } else {
                    ImportMode::IntoEmpty
                };
                let safety = restore::import(&mut store, &doc, mode, &file.display().to_string())?;
                out.done(
                    &format!("imported {}", file.display()),
                    json!({ "imported": true, "safetyBackup": safety }),
                );
                if let Some(s) = safety {
                    out.note(&format!("the data before the import is in backup {}", s.id));
                }
            }
        }
        Command::Verify { file } => {
            // A path that is not there may be a local backup's id.
            let file = if file.exists() || !dir.root().is_dir() {
                file.clone()
            } else {
                backup::find_backup(&Store::open(&dir)?, &file.to_string_lossy())?.file
            };
            let file = &file;
            let doc = snapshot::read_file_in(file, &staging_dir(&dir))?;
            out.warnings(&doc.warnings);
            let hashed = doc.meta.is_some();
            out.counts(
                &format!(
                    "{} is valid; {}",
                    file.display(),
                    if hashed {
                        "all 16 section hashes match"
                    } else {
                        "an old POS file without hashes"
                    }
                ),
                &doc.counts(),
                json!({ "valid": true, "hashesChecked": hashed, "meta": doc.meta }),
            );
        }
        Command::Backup { reason } => {
            let store = Store::open(&dir)?;
            let info = backup::create_backup(&store, reason)?;
            out.backup(&info);
        }
        Command::Backups => {
            let store = Store::open(&dir)?;
            out.backup_list(&backup::list_backups(&store)?);
        }
        Command::Prune {
            keep_last,
            keep_daily_days,
            unpushed,
        } => {
            let store = Store::open(&dir)?;
            let saved = store.retention()?;
            let retention = backup::Retention {
                keep_last: keep_last.unwrap_or(saved.keep_last).max(1),
                keep_daily_days: keep_daily_days.unwrap_or(saved.keep_daily_days),
            };
            let pending = if *unpushed {
                backup::PendingBackups::NoServer
            } else {
                backup::PendingBackups::Keep
            };
            let removed = backup::prune(&store, retention, pending)?;
            out.done(
                &format!("{} backup(s) removed", removed.len()),
                json!({ "removed": removed.iter().map(|b| b.id).collect::<Vec<_>>() }),
            );
        }
        Command::Restore {
            source,
            yes,
            from_server,
            server,
        } => {
            let mut store = Store::open(&dir)?;
            let (doc, label) = if *from_server {
                server::load_from_server(server.as_deref(), source)?
            } else {
                load_source(&store, source)?
            };
            let preview = restore::preview(&store, &doc)?;
            out.warnings(&doc.warnings);
            out.preview(&preview);
            if !yes && !confirm(&format!("Replace ALL data in {} with {label}?", dir.root().display()))? {
                bail!("restore cancelled; nothing was changed");
            }
            let outcome = restore::restore(&mut store, &doc, &label, "admin", &mut |_| {})?;
            out.done(
                &format!("restored from {label}; the data before is in backup {}", outcome.safety_backup.id),
                json!({ "restored": true, "source": label, "safetyBackup": outcome.safety_backup, "preview": outcome.preview }),
            );
        }
        Command::Server { command } => server::server(command, &out)?,
        Command::Push(args) => server::push(&dir, args, &out)?,
        Command::Pull(args) => server::pull(args, &out)?,
        Command::Check => {
            let store = Store::open(&dir)?;
            store.integrity_check()?;
            let problems = sonic_core::ops::audit::audit(&store)?;
            if !problems.is_empty() {
                out.done(
                    &format!(
                        "the database is sound, but {} rule(s) do not hold:\n  {}",
                        problems.len(),
                        problems.join("\n  ")
                    ),
                    json!({ "ok": false, "database": dir.database(), "problems": problems }),
                );
                bail!("{} rule(s) of the shop do not hold", problems.len());
            }
            out.done(
                &format!(
                    "{} is sound (integrity_check ok, all rules hold)",
                    dir.database().display()
                ),
                json!({ "ok": true, "database": dir.database() }),
            );
        }
        Command::SellStream { count } => sell_stream(&dir, *count)?,
        Command::Bench(args) => bench::run(args, cli.json)?,
        Command::Gen { profile, seed } => {
            let mut store = Store::open(&dir)?;
            let counts = sonic_core::gen::generate(&mut store, *profile, *seed)?;
            out.counts(
                &format!("generated {profile:?} shop (seed {seed}) in {}", dir.root().display()),
                &counts,
                json!({}),
            );
        }
    }
    Ok(())
}

/// Sells one unit of an item in stock, `count` times, as the generated
/// cashier in store-1, printing `sold N` after each commit.
fn sell_stream(dir: &DataDir, count: u32) -> Result<()> {
    use sonic_core::ops::{sale, stock, Actor, OpCtx, Page};
    let mut store = Store::open(dir)?;
    let items = sonic_core::ops::catalog::search_items(&store, "", Page { offset: 0, limit: 200 })?;
    let cashier = Actor {
        user_id: "user-3".into(),
        name: "cashier1".into(),
        role: sonic_core::sections::Role::Cashier,
    };
    let manager = Actor {
        user_id: "user-2".into(),
        name: "manager".into(),
        role: sonic_core::sections::Role::Manager,
    };
    let stdout = std::io::stdout();
    for n in 0..count as usize {
        let item = &items[n % items.len()];
        let id = item.id.key();
        if stock::level(&store, &id, "store-1")? < 1 {
            // A long stream sells everything: restock as the manager would.
            stock::receive(&mut store, &OpCtx::now(manager.clone(), "store-1"), &id, 50, 0)?;
        }
        let currency = item.currency.unwrap_or(sonic_core::sections::Currency::Iqd);
        let input = sale::SaleInput::cash(&[(&id, 1)], currency, item.price.unwrap_or(0));
        let receipt = sale::sell(&mut store, &OpCtx::now(cashier.clone(), "store-1"), &input)?;
        let mut lock = stdout.lock();
        writeln!(lock, "sold {}", receipt.invoice.number)?;
        lock.flush()?;
    }
    Ok(())
}

/// Where a file being read waits, record by record: the data directory
/// (the disk the store is on), or the system's temporary folder when there
/// is no data directory yet (`verify` on a technician's machine).
fn staging_dir(dir: &DataDir) -> PathBuf {
    if dir.root().is_dir() {
        dir.root().to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// A restore source: an existing file, else a local backup id.
fn load_source(store: &Store, source: &str) -> Result<(Document, String)> {
    let path = Path::new(source);
    let staging = store.data_dir().root();
    if path.exists() {
        return Ok((snapshot::read_file_in(path, staging)?, path.display().to_string()));
    }
    let info = backup::find_backup(store, source)?;
    let doc = snapshot::read_file_in(&info.file, staging).with_context(|| format!("reading backup {}", info.id))?;
    Ok((doc, format!("backup {}", info.id)))
}

fn confirm(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        bail!("restore replaces all data: pass --yes to confirm when not at a terminal; nothing was changed");
    }
    eprint!("{question} Type yes to continue: ");
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(answer.trim().eq_ignore_ascii_case("yes"))
}

/// Prints results as text or as JSON.
struct Output {
    json: bool,
}

impl Output {
    fn counts(&self, headline: &str, counts: &SectionCounts, extra: serde_json::Value) {
        if self.json {
            let mut v = extra;
            if let Some(obj) = v.as_object_mut() {
                obj.insert("counts".into(), counts_json(counts));
            }
            println!("{v}");
        } else {
            println!("{headline}");
            for (key, n) in counts {
                println!("  {:<24} {n:>9}", key.as_str());
            }
        }
    }

    fn import_table(&self, now: &SectionCounts, file: &SectionCounts, dry_run: bool) {
        if self.json {
            if dry_run {
                println!(
                    "{}",
                    json!({ "dryRun": true, "now": counts_json(now), "inFile": counts_json(file), "after": counts_json(file) })
                );
            }
            return;
        }
        println!("{:<24} {:>9} {:>9} {:>9}", "section", "now", "in file", "after");
        for key in SectionKey::ALL {
            let f = file.get(&key).copied().unwrap_or(0);
            println!(
                "{:<24} {:>9} {:>9} {:>9}",
                key.as_str(),
                now.get(&key).copied().unwrap_or(0),
                f,
                f
            );
        }
        if dry_run {
            println!("dry run: nothing was changed");
        }
    }

    fn preview(&self, preview: &Preview) {
        if self.json {
            return;
        }
        println!(
            "{:<24} {:>9} {:>9} {:>8} {:>8} {:>8}  dates in backup",
            "section", "now", "backup", "added", "removed", "changed"
        );
        for s in &preview.sections {
            let dates = match (s.first, s.last) {
                (Some(a), Some(b)) => format!("{} … {}", a.format("%Y-%m-%d"), b.format("%Y-%m-%d")),
                _ => String::new(),
            };
            println!(
                "{:<24} {:>9} {:>9} {:>8} {:>8} {:>8}  {dates}",
                s.key, s.now, s.backup, s.added, s.removed, s.changed
            );
        }
    }

    fn backup(&self, info: &BackupInfo) {
        if self.json {
            println!("{}", json!(info));
            return;
        }
        println!("backup {} written ({}, {} bytes)", info.id, info.reason, info.size);
        println!("  file: {}", info.file.display());
        for (key, n) in &info.counts {
            println!("  {key:<24} {n:>9}");
        }
    }

    fn backup_list(&self, list: &[BackupInfo]) {
        let ids: Vec<_> = list.iter().map(|b| b.id).collect();
        let short = backup::short_ids(&ids);
        if self.json {
            let rows: Vec<serde_json::Value> = list
                .iter()
                .zip(&short)
                .map(|(b, s)| {
                    let mut row = json!(b);
                    row["shortId"] = json!(s);
                    row
                })
                .collect();
            println!("{}", json!(rows));
            return;
        }
        if list.is_empty() {
            println!("no local backups yet; `sonic-pos-admin backup` makes one");
            return;
        }
        // The short id (the random end of the id, unique in this list) is
        // what `restore` and `verify` take; the whole id follows.
        println!(
            "{:<10}  {:<20}  {:<12} {:>12} {:>9}  {:<36}",
            "short id", "created (UTC)", "reason", "bytes", "records", "id"
        );
        for (b, short) in list.iter().zip(&short) {
            let records: u64 = b.counts.values().sum();
            let missing = if b.file.exists() { "" } else { "  (file missing)" };
            println!(
                "{:<10}  {:<20}  {:<12} {:>12} {:>9}  {:<36}{missing}",
                short,
                b.created_at.format("%Y-%m-%d %H:%M:%S"),
                b.reason,
                b.size,
                records,
                b.id
            );
        }
    }

    fn warnings(&self, warnings: &[String]) {
        for w in warnings {
            eprintln!("warning: {w}");
        }
    }

    fn done(&self, text: &str, value: serde_json::Value) {
        if self.json {
            println!("{value}");
        } else {
            println!("{text}");
        }
    }

    fn note(&self, text: &str) {
        if !self.json {
            println!("{text}");
        }
    }
}

fn counts_json(counts: &SectionCounts) -> serde_json::Value {
    counts
        .iter()
        .map(|(k, n)| (k.as_str().to_string(), json!(n)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}
