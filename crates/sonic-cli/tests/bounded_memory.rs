//! Decompression bombs: a small `.json.zst` that expands to gigabytes is
//! refused by `verify` and `import` with an error naming where, within a
//! bounded amount of memory, and nothing is changed.
//!
//! Each refusal runs in its own `sonic-pos-admin` process, which prints its
//! peak resident memory (`VmHWM`) when `SONIC_REPORT_PEAK_RSS` is set.

// Test helpers outside #[test] fns: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// What a refusal may take, in kB: the goal of issue 13 for any restore.
const PEAK_LIMIT_KB: u64 = 300 * 1024;

/// How much each bomb expands to.
const EXPANDED: u64 = 4 << 30;

fn admin(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sonic-pos-admin"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("SONIC_DATA_DIR")
        .env("SONIC_REPORT_PEAK_RSS", "1")
        .stdin(Stdio::null())
        .output()
        .expect("sonic-pos-admin runs")
}

/// The peak RSS the admin tool printed, in kB.
fn peak_kb(stderr: &str) -> u64 {
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("peak RSS: "))
        .unwrap_or_else(|| panic!("no peak RSS line in:\n{stderr}"));
    line.trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("peak RSS {line:?} is not a number of kB"))
}

/// Writes `head`, then `EXPANDED` bytes of `fill`, then `tail`, through
/// zstd, a megabyte at a time: the expanded file never exists anywhere.
fn bomb(path: &Path, head: &str, fill: u8, tail: &str) {
    let file = std::fs::File::create(path).unwrap();
    let mut zst = zstd::Encoder::new(file, 3).unwrap();
    zst.write_all(head.as_bytes()).unwrap();
    let chunk = vec![fill; 1 << 20];
    for _ in 0..(EXPANDED >> 20) {
        zst.write_all(&chunk).unwrap();
    }
    zst.write_all(tail.as_bytes()).unwrap();
    zst.finish().unwrap().sync_all().unwrap();
}

fn staging_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("staging-"))
        .collect()
}

#[test]
fn decompression_bombs_are_refused_in_bounded_memory_and_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("shop");
    let before = tmp.path().join("before.json");
    let after = tmp.path().join("after.json");
    let ok = |args: &[&str]| {
        let out = admin(&data, args);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    ok(&["gen", "--profile", "small"]);
    ok(&["export", before.to_str().unwrap()]);

    let cases = [
        (
            "whitespace.json.zst",
            r#"{"sonic_invoices":["#,
            b' ',
            "]}",
            vec![
                "sonic_invoices record 0",
                "a run of whitespace longer than the 4 MiB limit",
                "line 1, column 20",
            ],
        ),
        (
            "string.json.zst",
            r#"{"sonic_invoices":[{"id":"inv-1","note":""#,
            b'a',
            r#""}]}"#,
            vec![
                "sonic_invoices record 0",
                "a string longer than the 4 MiB limit",
                "line 1, column 41",
            ],
        ),
        (
            "old-pos-string.json.zst",
            r#"{"sonic_debts":""#,
            b' ',
            r#""}"#,
            vec!["sonic_debts", "a section kept as a string longer than the 64 MiB limit"],
        ),
    ];
    for (name, head, fill, tail, words) in cases {
        let file = tmp.path().join(name);
        bomb(&file, head, fill, tail);
        let size = std::fs::metadata(&file).unwrap().len();
        assert!(
            size < 1 << 20,
            "{name}: a small file ({size} bytes) that expands to 4 GiB"
        );
        let path = file.to_str().unwrap();
        for args in [
            vec!["verify", path],
            vec!["import", "--dry-run", path],
            vec!["import", "--replace", path],
        ] {
            let out = admin(&data, &args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{name} {args:?} must be refused");
            for word in &words {
                assert!(
                    stderr.contains(word),
                    "{name} {args:?}: the error must say {word:?}:\n{stderr}"
                );
            }
            assert!(stderr.contains("nothing was changed"), "{name} {args:?}: {stderr}");
            let peak = peak_kb(&stderr);
            eprintln!("{name} {args:?}: peak RSS {} MB", peak / 1024);
            assert!(
                peak < PEAK_LIMIT_KB,
                "{name} {args:?}: peak RSS {} MB must stay under {} MB",
                peak / 1024,
                PEAK_LIMIT_KB / 1024
            );
            assert!(staging_files(&data).is_empty(), "{name} {args:?}: no staging file left");
        }
    }
    ok(&["export", after.to_str().unwrap()]);
    let sections = |file: &Path| {
        let mut v: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        v.remove("_meta");
        v
    };
    assert!(
        sections(&before) == sections(&after),
        "the store holds exactly what it held before the bombs"
    );
}

#[test]
fn the_small_profile_verifies_and_imports_in_bounded_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let (d, e) = (tmp.path().join("D"), tmp.path().join("E"));
    let x = tmp.path().join("x.json");
    let x = x.to_str().unwrap();
    for (dir, args) in [
        (&d, vec!["gen", "--profile", "small"]),
        (&d, vec!["export", x]),
        (&e, vec!["verify", x]),
        (&e, vec!["import", x]),
    ] {
        let out = admin(dir, &args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        let peak = peak_kb(&stderr);
        eprintln!("small profile {args:?}: peak RSS {} MB", peak / 1024);
        assert!(peak < PEAK_LIMIT_KB, "{args:?}: peak RSS {} MB", peak / 1024);
    }
    assert!(staging_files(&e).is_empty(), "no staging file left after an import");
}
