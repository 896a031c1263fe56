//! `sonic-pos-admin bench` gives every row of issue 7 with real figures.
//! Speed goals are judged by the bench itself, never here: this test only
//! checks that each measurement ran and produced positive numbers.

// Test helpers outside #[test] fns may unwrap: a failure is the test failing.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::process::{Command, Stdio};

/// Rows that need no server and must always be measured.
const CORE_ROWS: [&str; 20] = [
    "gen",
    "backup_one_sale",
    "backup_disk_50",
    "close_backup",
    "sale_empty",
    "fsync_empty",
    "sale_profile",
    "fsync_profile",
    "old_way",
    "search_name",
    "search_prefix",
    "search_barcode",
    "backup",
    "vacuum_into",
    "old_export",
    "export",
    "import",
    "restore_local",
    "sale_idle",
    "sale_during_backup",
];
/// Rows that need PostgreSQL (skipped, with the reason, without one).
const SERVER_ROWS: [&str; 4] = ["push_full", "copy", "push_incremental", "restore_server"];

#[test]
fn bench_smoke_run_gives_every_row_with_positive_figures() {
    let out = Command::new(env!("CARGO_BIN_EXE_sonic-pos-admin"))
        .args(["bench", "--quick", "--smoke", "--json"])
        .env_remove("SONIC_DATA_DIR")
        .stdin(Stdio::null())
        .output()
        .expect("sonic-pos-admin runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "bench must succeed:\n{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("bench --json prints one JSON object");
    let rows = report["rows"].as_array().expect("a rows array");
    let row = |key: &str| {
        rows.iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("row {key} must be in the report: {report:#}"))
    };
    for key in CORE_ROWS {
        let r = row(key);
        assert!(r.get("skipped").is_none(), "row {key} must be measured: {r}");
        let figures: Vec<f64> = ["medianMs", "p99Ms", "seconds", "bytes", "mbPerS", "peakRssMb"]
            .iter()
            .filter_map(|f| r.get(*f).and_then(Value::as_f64))
            .collect();
        assert!(!figures.is_empty(), "row {key} must have figures: {r}");
        assert!(
            figures.iter().all(|f| *f > 0.0),
            "every figure of {key} must be positive: {r}"
        );
    }
    // The server rows make their database and the COPY baseline with psql: a
    // Windows build under Wine cannot run the machine's Linux psql.
    let psql = Command::new("psql")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    for key in SERVER_ROWS {
        let r = row(key);
        let pg = std::env::var_os("PGHOST").is_some() || std::env::var_os("PGPORT").is_some();
        if pg && !psql {
            let why = r["skipped"].as_str().unwrap_or_default();
            assert!(
                why.contains("psql"),
                "without psql, row {key} says why it is skipped: {r}"
            );
        } else if pg {
            assert!(
                r.get("skipped").is_none(),
                "row {key} must be measured under PostgreSQL: {r}"
            );
            assert!(r["seconds"].as_f64().unwrap() > 0.0, "{key} must take time: {r}");
            assert!(r["bytes"].as_f64().unwrap() > 0.0, "{key} must send bytes: {r}");
        } else {
            assert_eq!(r["skipped"], "skipped: run under pg_virtualenv", "{r}");
        }
    }
    for key in ["backup", "import", "restore_local"] {
        assert!(
            row(key)["peakRssMb"].as_f64().unwrap() > 0.0,
            "{key} reports its peak memory"
        );
    }
    assert!(
        row("app_start")["skipped"].is_string(),
        "app start is not measured here"
    );
    let ratios = report["ratios"].as_array().expect("a ratios array");
    for key in [
        "sale_vs_fsync",
        "sale_profile_vs_empty",
        "restore_local_vs_backup",
        "sale_during_backup_vs_idle",
        "peak_rss",
    ] {
        let r = ratios.iter().find(|r| r["key"] == key).unwrap();
        assert!(r["value"].as_f64().unwrap() > 0.0, "ratio {key} must be computed: {r}");
        assert!(
            r["met"].is_boolean(),
            "ratio {key} must be judged against its goal: {r}"
        );
    }
    assert!(report["machine"]["cpus"].as_u64().unwrap() > 0);
}
