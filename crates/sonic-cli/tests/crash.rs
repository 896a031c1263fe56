//! A till process killed with SIGKILL in the middle of a stream of sales, 50
//! times: every sale it acknowledged is there, no sale is half-written, the
//! numbers stay gapless and SQLite finds the file sound.

// Test helpers outside #[test] fns: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use sonic_core::ops::{audit, sale};
use sonic_core::{DataDir, Store};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// SONIC_KILLS runs the long form (scripts/reliability uses 1000).
fn kills() -> u64 {
    std::env::var("SONIC_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

#[test]
fn sales_acknowledged_before_a_sigkill_are_all_kept_and_none_is_partial() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DataDir::at(tmp.path().join("till"));
    let admin = env!("CARGO_BIN_EXE_sonic-pos-admin");
    let status = Command::new(admin)
        .arg("--data-dir")
        .arg(dir.root())
        .arg("gen")
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "gen must make the shop");

    let mut acknowledged: Vec<u64> = Vec::new();
    let mut mid_stream_kills = 0;
    let kills = kills();
    for kill in 0..kills {
        let mut child = Command::new(admin)
            .arg("--data-dir")
            .arg(dir.root())
            .args(["sell-stream", "--count", "100000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(n) = line.strip_prefix("sold ") {
                    let _ = tx.send(n.parse::<u64>().unwrap());
                }
            }
        });
        // Wait for the first acknowledged sale, then kill at a point that
        // moves with each round (0-45 ms later), mid-stream.
        let first = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the stream must start selling");
        acknowledged.push(first);
        std::thread::sleep(Duration::from_millis((kill * 7919) % 46));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        reader.join().unwrap();
        let before = acknowledged.len();
        acknowledged.extend(rx.try_iter());
        if acknowledged.len() > before {
            mid_stream_kills += 1;
        }

        let store = Store::open(&dir).unwrap();
        store.integrity_check().unwrap_or_else(|e| panic!("kill {kill}: {e}"));
        // The full audit reads the whole store: every 10th kill and the last
        // (a partial sale would still be there at the next audit).
        if kill % 10 == 0 || kill + 1 == kills {
            let problems = audit::audit(&store).unwrap();
            assert!(problems.is_empty(), "kill {kill}: a rule broke: {problems:#?}");
        }
        for n in &acknowledged[before.saturating_sub(1)..] {
            assert!(
                sale::invoice_by_number(&store, *n).unwrap().is_some(),
                "kill {kill}: invoice #{n} was acknowledged but is missing"
            );
        }
    }
    let store = Store::open(&dir).unwrap();
    for n in &acknowledged {
        assert!(
            sale::invoice_by_number(&store, *n).unwrap().is_some(),
            "invoice #{n} was acknowledged but is missing"
        );
    }
    assert!(
        mid_stream_kills > kills / 2,
        "most kills must land mid-stream (got {mid_stream_kills})"
    );
    eprintln!(
        "{kills} kills, {} acknowledged sales, all present; 0 lost, 0 partial",
        acknowledged.len()
    );
}
