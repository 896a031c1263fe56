//! `sonic-pos-admin bench`: the figures of issue 7 in one run, each beside the
//! reference it is judged against (the machine's limit or the old way) and
//! the goal, so that a noisy machine still gives meaningful ratios.
//!
//! This module plans the run and prints the table; [`phase`] holds the
//! measurements, each run in a child process so that its peak memory is its
//! own. The bench is a tool, not a test: it never fails because a goal is
//! missed, it says so.

mod phase;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

/// `bench` options.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The small profile and fewer repetitions (under 2 minutes).
    #[arg(long)]
    quick: bool,
    /// The fewest repetitions that still give every row (for tests).
    #[arg(long, hide = true)]
    smoke: bool,
    /// Generate the large profile again instead of using the cached copy.
    #[arg(long)]
    regen: bool,
    #[command(subcommand)]
    phase: Option<BenchPhase>,
}

/// The child processes' entry point.
#[derive(Debug, Subcommand)]
enum BenchPhase {
    #[command(hide = true)]
    Phase {
        #[command(subcommand)]
        phase: phase::Phase,
    },
}

/// How big and how often.
struct Plan {
    profile: &'static str,
    sales: usize,
    old_reps: usize,
    search_reps: usize,
}

impl Plan {
    fn of(args: &BenchArgs) -> Plan {
        match (args.smoke, args.quick) {
            (true, _) => Plan {
                profile: "small",
                sales: 5,
                old_reps: 2,
                search_reps: 5,
            },
            (false, true) => Plan {
                profile: "small",
                sales: 500,
                old_reps: 20,
                search_reps: 500,
            },
            (false, false) => Plan {
                profile: "large",
                sales: 500,
                old_reps: 7,
                search_reps: 500,
            },
        }
    }
}

/// One measured row. Absent figures are not printed.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    key: &'static str,
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    median_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    p99_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    runs: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seconds: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mb_per_s: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    peak_rss_mb: Option<f64>,
    /// Why the row has no figures (no server, a phase failed, not measured here).
    #[serde(skip_serializing_if = "Option::is_none")]
    skipped: Option<String>,
}

/// A ratio between two rows, and the goal it is judged against, if any.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Ratio {
    key: &'static str,
    label: &'static str,
    value: Option<f64>,
    /// `("<=", 2.0)`: the value must be at most 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    goal: Option<(&'static str, f64)>,
    /// `None` when not judged (no goal, or no value).
    #[serde(skip_serializing_if = "Option::is_none")]
    met: Option<bool>,
}

#[derive(Debug, Default)]
struct Report {
    rows: Vec<Row>,
}

impl Report {
    fn get(&self, key: &str) -> Option<&Row> {
        self.rows.iter().find(|r| r.key == key && r.skipped.is_none())
    }
    fn median(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(|r| r.median_ms)
    }
    fn field(&self, key: &str, f: impl Fn(&Row) -> Option<f64>) -> Option<f64> {
        self.get(key).and_then(f)
    }
}

/// Runs `bench`, or one of its phases when called as a child.
pub fn run(args: &BenchArgs, json_out: bool) -> Result<()> {
    if let Some(BenchPhase::Phase { phase }) = &args.phase {
        return phase::run(phase);
    }
    let plan = Plan::of(args);
    let work = tempfile::Builder::new()
        .prefix("sonic-bench-")
        .tempdir()
        .context("making a temporary folder")?;
    let w = |name: &str| work.path().join(name);
    let mut report = Report::default();
    let shop = w("shop");

    eprintln!("bench: {} profile …", plan.profile);
    report.rows.push(dataset(&plan, &shop, args.regen)?);
    let large = plan.profile == "large";
    let on = |what: &str| format!("{what}, {} profile", plan.profile);

    eprintln!("bench: sales …");
    let sales = |dir: &Path| {
        child(&[
            "sale",
            "--dir",
            &s(dir),
            "--sales",
            &plan.sales.to_string(),
            "--old-reps",
            &plan.old_reps.to_string(),
        ])
    };
    let empty = sales(&w("empty"));
    let full = sales(&shop);
    let bytes_per_sale = |r: &Value| r["bytesPerSale"].as_u64();
    for (key, label, result, series) in [
        (
            "sale_empty",
            "sale commit (3 lines), empty store".to_string(),
            &empty,
            "sale",
        ),
        (
            "fsync_empty",
            "raw write+fdatasync, same bytes".to_string(),
            &empty,
            "fsync",
        ),
        ("sale_profile", on("sale commit (3 lines)"), &full, "sale"),
        ("fsync_profile", on("raw write+fdatasync, same bytes"), &full, "fsync"),
        (
            "old_way",
            on("old way: whole sonic_invoices as one JSON + fsync"),
            &full,
            "old",
        ),
    ] {
        let mut row = latency_row(key, label, result, series);
        if series == "fsync" {
            row.bytes = result.as_ref().ok().and_then(bytes_per_sale);
        } else if series == "old" {
            row.bytes = result.as_ref().ok().and_then(|r| r["invoicesBytes"].as_u64());
        }
        report.rows.push(row);
    }

    eprintln!("bench: search …");
    let search = child(&["search", "--dir", &s(&shop), "--reps", &plan.search_reps.to_string()]);
    for (key, which, what) in [
        ("search_name", "name", "item search, name substring"),
        ("search_prefix", "prefix", "item search, name prefix"),
        ("search_barcode", "barcode", "item search, barcode"),
    ] {
        let part = search
            .as_ref()
            .map(|v| v[which].clone())
            .map_err(|e| anyhow::anyhow!("{e:#}"));
        let text = part.as_ref().ok().and_then(|p| p["text"].as_str().map(str::to_string));
        let label = on(&format!("{what} {:?}", text.unwrap_or_default()));
        report.rows.push(latency_row(key, label, &part, "times"));
    }

    eprintln!("bench: backup …");
    let backup = child(&["backup", "--dir", &s(&shop)]);
    report.rows.push(once_row(
        "backup",
        on("Backup Now, full (manifest + every page, into an empty folder)"),
        &backup,
    ));
    eprintln!("bench: incremental backups …");
    let incremental = child(&["incremental", "--dir", &s(&shop)]);
    report.rows.extend(incremental_rows(&incremental, &backup, &on));
    let vacuum = child(&["vacuum", "--dir", &s(&shop), "--out", &s(&w("vacuum.db"))]);
    report
        .rows
        .push(once_row("vacuum_into", on("VACUUM INTO of the same database"), &vacuum));
    let old = child(&["old-export", "--dir", &s(&shop), "--out", &s(&w("old-export.json"))]);
    report.rows.push(once_row(
        "old_export",
        on("old export: 16 sections as one JSON value"),
        &old,
    ));
    let _ = std::fs::remove_file(w("vacuum.db"));
    let _ = std::fs::remove_file(w("old-export.json"));

    eprintln!("bench: export and import …");
    let export_file = w("export.json");
    let export = child(&["export", "--dir", &s(&shop), "--out", &s(&export_file)]);
    report
        .rows
        .push(once_row("export", on("export (one plain .json file)"), &export));
    let import = match &export {
        Ok(_) => child(&["import", "--file", &s(&export_file), "--dir", &s(&w("imported"))]),
        Err(_) => Err(anyhow::anyhow!("no export to import")),
    };
    report.rows.push(once_row(
        "import",
        on("import of that export into an empty data directory"),
        &import,
    ));
    let _ = std::fs::remove_file(&export_file);
    let _ = std::fs::remove_dir_all(w("imported"));

    let backup_file = backup.as_ref().ok().and_then(|b| b["file"].as_str().map(PathBuf::from));
    let restore_local = match &backup_file {
        Some(file) => child(&["restore-local", "--file", &s(file), "--dir", &s(&w("restored-local"))]),
        None => Err(anyhow::anyhow!("no backup to restore")),
    };
    let mut server = server_rows(&plan, &shop, backup_file.as_deref(), &w("restored-server"));
    let restore_server = server.pop();
    report.rows.extend(server);
    report.rows.push(once_row(
        "restore_local",
        on("restore from a local backup"),
        &restore_local,
    ));
    report.rows.extend(restore_server);
    eprintln!("bench: sales during Backup Now …");
    let during = child(&[
        "sale-during-backup",
        "--dir",
        &s(&shop),
        "--sales",
        &plan.sales.to_string(),
    ]);
    report.rows.push(latency_row(
        "sale_idle",
        on("sale commit (3 lines), no backup running"),
        &during,
        "idle",
    ));
    let mut row = latency_row(
        "sale_during_backup",
        on("sale commit (3 lines) while Backup Now runs back to back"),
        &during,
        "during",
    );
    if let Ok(v) = &during {
        row.label = format!("{} ({} backups)", row.label, v["backups"].as_u64().unwrap_or(0));
    }
    report.rows.push(row);
    report.rows.push(Row {
        key: "app_start",
        label: on("app start to first screen"),
        skipped: Some("not measured here: it needs the Tauri shell (src-tauri)".into()),
        ..Row::default()
    });

    let ratios = ratios(&report, large);
    let machine = machine(work.path());
    if json_out {
        println!(
            "{}",
            json!({ "profile": plan.profile, "machine": machine, "rows": report.rows, "ratios": ratios })
        );
    } else {
        print_table(plan.profile, &machine, &report, &ratios);
    }
    Ok(())
}

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// The data set for the run in `shop`: the small profile generated now, or
/// the large one copied from `<cache>/sonic-pos/bench-large` (generated
/// there first if missing, which is the `gen` row).
fn dataset(plan: &Plan, shop: &Path, regen: bool) -> Result<Row> {
    let label = format!("gen --profile {} (seed 1)", plan.profile);
    if plan.profile != "large" {
        let gen = child(&["gen", "--dir", &s(shop), "--profile", plan.profile]);
        return Ok(once_row("gen", label, &gen));
    }
    let cache = directories::BaseDirs::new()
        .context("no home folder to keep the large profile in")?
        .cache_dir()
        .join("sonic-pos")
        .join("bench-large");
    let timing = cache.join("gen.json");
    if regen || !timing.exists() {
        let _ = std::fs::remove_dir_all(&cache);
        let tmp = cache.with_extension("tmp");
        let _ = std::fs::remove_dir_all(&tmp);
        eprintln!("bench: generating the large profile into {} …", cache.display());
        let gen = child(&["gen", "--dir", &s(&tmp), "--profile", "large"])?;
        std::fs::write(tmp.join("gen.json"), gen.to_string())?;
        std::fs::rename(&tmp, &cache).context("moving the generated profile into the cache")?;
    }
    let gen: Value = serde_json::from_slice(&std::fs::read(&timing)?)?;
    let measured = std::fs::metadata(&timing)?.modified()?;
    std::fs::create_dir_all(shop)?;
    let db = sonic_core::DataDir::at(&cache).database();
    std::fs::copy(&db, sonic_core::DataDir::at(shop).database()).context("copying the cached large profile")?;
    let mut row = once_row("gen", label, &Ok(gen));
    let age = measured.elapsed().map(|d| d.as_secs() / 60).unwrap_or(0);
    if age > 0 {
        row.label.push_str(&format!(" [cached, measured {age} min ago]"));
    }
    Ok(row)
}

/// Runs `sonic-pos-admin bench phase ARGS…` and returns the JSON it printed.
fn child(args: &[&str]) -> Result<Value> {
    let exe = std::env::current_exe().context("finding sonic-pos-admin")?;
    let out = Command::new(exe)
        .args(["bench", "phase"])
        .args(args)
        .output()
        .with_context(|| format!("running bench phase {}", args[0]))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        anyhow::bail!(
            "phase {} failed: {}",
            args[0],
            stderr.lines().last().unwrap_or("no message")
        );
    }
    serde_json::from_slice(&out.stdout).with_context(|| format!("reading the figures of phase {}", args[0]))
}

fn peak_mb(v: &Value) -> Option<f64> {
    v["vmHwmKb"].as_f64().map(|kb| kb / 1024.0)
}

/// A row of repeated timings (`series`, in seconds): median and p99.
fn latency_row(key: &'static str, label: String, result: &Result<Value>, series: &str) -> Row {
    match result {
        Ok(v) => {
            let mut times: Vec<f64> = v[series]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_f64).collect())
                .unwrap_or_default();
            times.sort_by(f64::total_cmp);
            Row {
                key,
                label,
                median_ms: percentile(&times, 50.0).map(|t| t * 1e3),
                p99_ms: percentile(&times, 99.0).map(|t| t * 1e3),
                runs: Some(times.len()),
                ..Row::default()
            }
        }
        Err(e) => skipped(key, label, format!("{e:#}")),
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// A row of one timed run: seconds, bytes, MB/s, peak RSS.
/// The rows of the `incremental` phase, beside the full backup's figures.
fn incremental_rows(result: &Result<Value>, full: &Result<Value>, on: &dyn Fn(&str) -> String) -> Vec<Row> {
    let full_bytes = full.as_ref().ok().and_then(|f| f["bytes"].as_u64());
    let v = match result {
        Ok(v) => v,
        Err(e) => {
            return vec![skipped(
                "backup_one_sale",
                on("Backup Now after one more sale"),
                format!("{e:#}"),
            )]
        }
    };
    let share = |bytes: Option<u64>| match (bytes, full_bytes) {
        (Some(b), Some(f)) if f > 0 => format!("{:.2} % of the full backup's bytes", b as f64 * 100.0 / f as f64),
        _ => "full backup not measured".into(),
    };
    let one = once_row(
        "backup_one_sale",
        on(&format!(
            "Backup Now after one more sale ({})",
            share(v["bytes"].as_u64())
        )),
        result,
    );
    let disk = v["diskBytes"].as_u64();
    let ratio = match (disk, full_bytes) {
        (Some(d), Some(f)) if f > 0 => format!("{:.2}× one full backup", d as f64 / f as f64),
        _ => "full backup not measured".into(),
    };
    let disk_row = Row {
        key: "backup_disk_50",
        label: on(&format!(
            "disk of {} backups, one sale between each ({ratio})",
            v["backups"].as_u64().unwrap_or(0)
        )),
        bytes: disk,
        ..Row::default()
    };
    let close = Row {
        key: "close_backup",
        label: on(&format!(
            "close: the on_close backup after a session of {} sales",
            v["sessionSales"].as_u64().unwrap_or(0)
        )),
        seconds: v["closeSeconds"].as_f64(),
        bytes: v["closeBytes"].as_u64(),
        runs: Some(1),
        ..Row::default()
    };
    vec![one, disk_row, close]
}

fn once_row(key: &'static str, label: String, result: &Result<Value>) -> Row {
    match result {
        Ok(v) => {
            let seconds = v["seconds"].as_f64();
            let bytes = v["bytes"].as_u64();
            Row {
                key,
                label,
                seconds,
                bytes,
                runs: Some(1),
                mb_per_s: match (bytes, seconds) {
                    (Some(b), Some(t)) if t > 0.0 && matches!(key, "push_full" | "copy" | "push_incremental") => {
                        Some(b as f64 / 1e6 / t)
                    }
                    _ => None,
                },
                peak_rss_mb: peak_mb(v),
                ..Row::default()
            }
        }
        Err(e) => skipped(key, label, format!("{e:#}")),
    }
}

fn skipped(key: &'static str, label: String, why: String) -> Row {
    Row {
        key,
        label,
        skipped: Some(why),
        ..Row::default()
    }
}

/// Push, COPY, incremental push and restore from the server (in this
/// order), on a database of its own made for this run and dropped after; or
/// skipped rows without a server.
fn server_rows(plan: &Plan, shop: &Path, backup: Option<&Path>, restored: &Path) -> Vec<Row> {
    let on = |what: &str| format!("{what}, {} profile", plan.profile);
    let rows: [(&'static str, String); 4] = [
        ("push_full", on("first full push to PostgreSQL")),
        ("copy", on("COPY of the same page JSON into a jsonb table")),
        ("push_incremental", on("push after one more sale")),
        ("restore_server", on("restore from the server")),
    ];
    let have_pg = std::env::var_os("PGHOST").is_some() || std::env::var_os("PGPORT").is_some();
    let Some(backup) = backup.filter(|_| have_pg) else {
        let why = if have_pg {
            "skipped: no backup to push"
        } else {
            "skipped: run under pg_virtualenv"
        };
        return rows
            .into_iter()
            .map(|(key, label)| skipped(key, label, why.into()))
            .collect();
    };
    let db = format!("sonic_bench_{}", std::process::id());
    if let Err(e) = phase::psql("postgres", &format!("CREATE DATABASE {db}")) {
        return rows
            .into_iter()
            .map(|(key, label)| skipped(key, label, format!("skipped: {e:#}")))
            .collect();
    }
    eprintln!("bench: push to PostgreSQL ({db}) …");
    let [push_full, copy, push_incremental, restore_server] = rows;
    let mut out = Vec::new();
    let full = child(&["push", "--file", &s(backup), "--db", &db]);
    out.push(once_row(push_full.0, push_full.1, &full));
    let copied = child(&["copy", "--file", &s(backup), "--db", &db]);
    out.push(once_row(copy.0, copy.1, &copied));
    let incremental = child(&["backup", "--dir", &s(shop), "--sales", "1"]).and_then(|b| {
        let file = b["file"]
            .as_str()
            .context("the backup phase names no file")?
            .to_string();
        child(&["push", "--file", &file, "--db", &db])
    });
    out.push(once_row(push_incremental.0, push_incremental.1, &incremental));
    eprintln!("bench: restore …");
    let restored = child(&["restore-server", "--db", &db, "--dir", &s(restored)]);
    out.push(once_row(restore_server.0, restore_server.1, &restored));
    if let Err(e) = phase::psql("postgres", &format!("DROP DATABASE IF EXISTS {db}")) {
        eprintln!("bench: could not drop {db}: {e:#}");
    }
    out
}

/// The ratios of issue 7, with their goals.
fn ratios(r: &Report, large: bool) -> Vec<Ratio> {
    let div = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    };
    let secs = |key| r.field(key, |row| row.seconds);
    let bytes = |key| r.field(key, |row| row.bytes.map(|b| b as f64));
    let mbps = |key| r.field(key, |row| row.mb_per_s);
    let p99 = |key| r.field(key, |row| row.p99_ms);
    let peak = [
        "backup",
        "import",
        "push_full",
        "push_incremental",
        "restore_local",
        "restore_server",
    ]
    .iter()
    .filter_map(|k| r.field(k, |row| row.peak_rss_mb))
    .reduce(f64::max);
    let judged = |key, label, value: Option<f64>, goal: Option<(&'static str, f64)>| {
        let met = match (value, goal) {
            (Some(v), Some(("<=", g))) => Some(v <= g),
            (Some(v), Some(("<", g))) => Some(v < g),
            (Some(v), Some((">=", g))) => Some(v >= g),
            _ => None,
        };
        Ratio {
            key,
            label,
            value,
            goal,
            met,
        }
    };
    let gen_label = if large {
        "gen --profile large time (s)"
    } else {
        "gen time (s; goal is for the large profile)"
    };
    let rss_label = if large {
        "peak RSS of backup, import, push, restore (MB)"
    } else {
        "peak RSS of backup, import, push, restore (MB; goal is for the large profile)"
    };
    vec![
        judged(
            "sale_vs_fsync_empty",
            "sale ÷ raw fsync, empty store (median)",
            div(r.median("sale_empty"), r.median("fsync_empty")),
            Some(("<=", 2.0)),
        ),
        judged(
            "sale_vs_fsync",
            "sale ÷ raw fsync, profile (median)",
            div(r.median("sale_profile"), r.median("fsync_profile")),
            Some(("<=", 2.0)),
        ),
        judged(
            "sale_profile_vs_empty",
            "sale on the profile ÷ sale on an empty store (median)",
            div(r.median("sale_profile"), r.median("sale_empty")),
            Some(("<=", 1.2)),
        ),
        judged(
            "old_way_vs_sale",
            "old way ÷ sale, profile (median)",
            div(r.median("old_way"), r.median("sale_profile")),
            None,
        ),
        judged(
            "search_barcode_vs_sale",
            "barcode search ÷ sale, profile (median)",
            div(r.median("search_barcode"), r.median("sale_profile")),
            None,
        ),
        judged(
            "backup_vs_vacuum_time",
            "Backup Now time ÷ VACUUM INTO time",
            div(secs("backup"), secs("vacuum_into")),
            None,
        ),
        judged(
            "backup_vs_vacuum_size",
            "backup size ÷ VACUUM INTO size",
            div(bytes("backup"), bytes("vacuum_into")),
            None,
        ),
        judged(
            "backup_vs_old_export_time",
            "Backup Now time ÷ old export time",
            div(secs("backup"), secs("old_export")),
            None,
        ),
        judged(
            "incremental_vs_full_bytes",
            "incremental push bytes ÷ full push bytes",
            div(bytes("push_incremental"), bytes("push_full")),
            Some(("<", 0.01)),
        ),
        judged(
            "incremental_vs_full_time",
            "incremental push time ÷ full re-upload time",
            div(secs("push_incremental"), secs("push_full")),
            None,
        ),
        judged(
            "push_vs_copy",
            "full push MB/s ÷ COPY MB/s",
            div(mbps("push_full"), mbps("copy")),
            Some((">=", 0.8)),
        ),
        judged(
            "push_incremental_seconds",
            "push after one more sale (s)",
            secs("push_incremental"),
            Some(("<", 2.0)),
        ),
        judged(
            "restore_local_vs_backup",
            "restore from a local backup time ÷ Backup Now time",
            div(secs("restore_local"), secs("backup")),
            Some(("<=", 5.0)),
        ),
        judged(
            "restore_server_vs_local",
            "restore from server time ÷ from local backup",
            div(secs("restore_server"), secs("restore_local")),
            Some(("<=", 1.5)),
        ),
        judged(
            "sale_during_backup_vs_idle",
            "sale commit p99 while a Backup Now runs ÷ sale commit p99 idle",
            div(p99("sale_during_backup"), p99("sale_idle")),
            Some(("<=", 2.0)),
        ),
        judged("peak_rss", rss_label, peak, Some(("<", 300.0))),
        judged("gen_time", gen_label, secs("gen"), Some(("<", 120.0))),
        judged(
            "backup_one_sale_time",
            "Backup Now after one more sale (s)",
            secs("backup_one_sale"),
            Some(("<", 1.0)),
        ),
        judged(
            "backup_one_sale_bytes",
            "Backup Now after one more sale ÷ full backup (bytes written)",
            div(bytes("backup_one_sale"), bytes("backup")),
            Some(("<", 0.01)),
        ),
        judged(
            "backup_disk_50",
            "disk of 50 backups, one sale between each ÷ one full backup",
            div(bytes("backup_disk_50"), bytes("backup")),
            Some(("<=", 1.2)),
        ),
        judged(
            "close_backup",
            "the close's on_close backup after a session of sales (s)",
            secs("close_backup"),
            Some(("<", 2.0)),
        ),
    ]
}

/// What the figures were measured on.
fn machine(dir: &Path) -> Value {
    let read = |p: &str| std::fs::read_to_string(p).unwrap_or_default();
    let cpu = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_default();
    let mem_gib = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| (kb / 1024.0 / 1024.0 * 10.0).round() / 10.0);
    let run = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let disk = run("df", &["-hT", &s(dir)])
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    json!({
        "cpus": std::thread::available_parallelism().map(usize::from).unwrap_or(0),
        "cpu": cpu,
        "memoryGiB": mem_gib,
        "disk": disk.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        "loadAverage": read("/proc/loadavg").split_whitespace().take(3).collect::<Vec<_>>().join(" "),
        "date": run("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
    })
}

fn print_table(profile: &str, machine: &Value, report: &Report, ratios: &[Ratio]) {
    let m = |k: &str| {
        machine[k]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| machine[k].to_string())
    };
    println!("Sonic POS bench, {profile} profile");
    println!(
        "machine: {} CPUs ({}), {} GiB RAM, disk {}, load {}, {}",
        m("cpus"),
        m("cpu"),
        m("memoryGiB"),
        m("disk"),
        m("loadAverage"),
        m("date")
    );
    println!();
    let w = report.rows.iter().map(|r| r.label.chars().count()).max().unwrap_or(0);
    println!(
        "{:<w$}  {:>9} {:>9} {:>5}  {:>8} {:>10} {:>7} {:>8}",
        "measurement", "median", "p99", "runs", "time", "size", "MB/s", "peak RSS"
    );
    let ms = |v: Option<f64>| v.map(|x| format!("{x:.2} ms")).unwrap_or_default();
    for r in &report.rows {
        if let Some(why) = &r.skipped {
            println!("{:<w$}  {why}", r.label);
            continue;
        }
        println!(
            "{:<w$}  {:>9} {:>9} {:>5}  {:>8} {:>10} {:>7} {:>8}",
            r.label,
            ms(r.median_ms),
            ms(r.p99_ms),
            r.runs.map(|n| n.to_string()).unwrap_or_default(),
            r.seconds.map(|t| format!("{t:.2} s")).unwrap_or_default(),
            r.bytes.map(size).unwrap_or_default(),
            r.mb_per_s.map(|x| format!("{x:.1}")).unwrap_or_default(),
            r.peak_rss_mb.map(|x| format!("{x:.0} MB")).unwrap_or_default(),
        );
    }
    println!();
    let w = ratios.iter().map(|r| r.label.chars().count()).max().unwrap_or(0);
    println!("{:<w$}  {:>9}  {:>8}  verdict", "ratio", "value", "goal");
    for r in ratios {
        let verdict = match (r.met, r.goal, r.value) {
            (Some(true), ..) => "met",
            (Some(false), ..) => "MISSED",
            (None, Some(_), None) => "not measured",
            _ => "",
        };
        println!(
            "{:<w$}  {:>9}  {:>8}  {verdict}",
            r.label,
            r.value.map(ratio_text).unwrap_or_else(|| "-".into()),
            r.goal.map(|(op, g)| format!("{op} {g}")).unwrap_or_default(),
        );
    }
}

/// Enough digits to tell a ratio from its goal (0.0003 from 0.01, 0.4996 from 0.5).
fn ratio_text(v: f64) -> String {
    match v {
        v if v < 0.01 => format!("{v:.5}"),
        v if v < 10.0 => format!("{v:.4}"),
        v => format!("{v:.1}"),
    }
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 10 << 20 => format!("{:.0} MB", b as f64 / 1e6),
        b if b >= 10 << 10 => format!("{:.0} kB", b as f64 / 1e3),
        b => format!("{b} B"),
    }
}
