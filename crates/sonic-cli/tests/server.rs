//! The backup-server commands as a DBA and an owner run them, against a real
//! PostgreSQL (`pg_virtualenv -- cargo test -p sonic-cli --test server`).

// Test helpers outside #[test] fns may unwrap: a failure is the test failing.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};

const ROLE_PASSWORD: &str = "Cli-Role-Pw-42";

/// The PG* server, or a loud failure saying how to get one.
fn pg() -> Option<(String, String)> {
    match (std::env::var("PGHOST"), std::env::var("PGPORT")) {
        (Ok(host), Ok(port)) => Some((host, port)),
        _ if std::env::var("SONIC_SKIP_PG").is_ok_and(|v| v == "1")
            && std::env::var("SONIC_REQUIRE_PG").is_err()
            && std::env::var("CI").is_err() =>
        {
            eprintln!("SKIPPED: PostgreSQL test (SONIC_SKIP_PG=1)");
            None
        }
        _ => panic!(
            "this test needs a real PostgreSQL (PGHOST/PGPORT/PGUSER/PGPASSWORD are not set): \
             run `pg_virtualenv -- cargo test -p sonic-cli --test server`, or set SONIC_SKIP_PG=1 to skip it knowingly"
        ),
    }
}

/// Runs SQL on database `db` of the PG* server as its owner, through the
/// same client the app uses (no psql: under Wine this test is a Windows
/// program and cannot start the machine's Linux psql).
fn sql(db: &str, statements: &str) {
    let config = sonic_backup::ServerConfig::from_env().unwrap().with_dbname(db);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let remote = config.connect().await.unwrap();
        if let Err(e) = remote.client().batch_execute(statements).await {
            panic!("{statements}: {e:?}");
        }
    });
}

fn admin(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sonic-pos-admin"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("SONIC_DATA_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null()).output().expect("sonic-pos-admin runs")
}

fn ok(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> String {
    let out = admin(data_dir, args, env);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(
        out.status.success(),
        "`sonic-pos-admin {}` must succeed:\n{stderr}",
        args.join(" ")
    );
    for secret in [
        ROLE_PASSWORD.to_string(),
        std::env::var("PGPASSWORD").unwrap_or_default(),
    ] {
        if !secret.is_empty() {
            assert!(
                !stdout.contains(&secret) && !stderr.contains(&secret),
                "the password must never be printed"
            );
        }
    }
    stdout
}

fn sections(file: &Path) -> serde_json::Map<String, Value> {
    let mut v: serde_json::Map<String, Value> = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    v.remove("_meta");
    v
}

#[test]
fn a_new_pc_restores_the_shop_from_the_server_and_a_damaged_page_restores_nothing() {
    let Some((host, port)) = pg() else { return };
    let db = format!("sonic_cli_{}", std::process::id());
    sql("postgres", &format!("DROP DATABASE IF EXISTS {db}"));
    sql("postgres", &format!("CREATE DATABASE {db}"));
    let role = format!("sonic_cli_role_{}", std::process::id());
    let owner_url = format!("host={host} port={port} dbname={db}");
    let role_url = format!("postgresql://{role}@{host}:{port}/{db}");
    let as_role = [("PGPASSWORD", ROLE_PASSWORD)];

    let tmp = tempfile::tempdir().unwrap();
    let (shop, new_pc, other) = (
        tmp.path().join("shop"),
        tmp.path().join("new"),
        tmp.path().join("other"),
    );
    let init = ok(
        &shop,
        &[
            "--json", "server", "init", "--shop", "shop-a", "--role", &role, "--server", &owner_url,
        ],
        &[("SONIC_ROLE_PASSWORD", ROLE_PASSWORD)],
    );
    let init: Value = serde_json::from_str(&init).unwrap();
    assert_eq!(init["schemaVersion"], 2);

    ok(&shop, &["gen", "--profile", "small"], &[]);
    ok(&shop, &["backup"], &[]);
    let pushed: Value = serde_json::from_str(&ok(&shop, &["--json", "push", "--server", &role_url], &as_role)).unwrap();
    assert_eq!(pushed["pushed"].as_array().unwrap().len(), 1, "{pushed}");
    assert_eq!(pushed["pending"], 0);
    let id = pushed["pushed"][0]["backupId"].as_str().unwrap().to_string();

    // The new PC knows only the server settings.
    let list: Value = serde_json::from_str(&ok(
        &new_pc,
        &["--json", "server", "list", "--server", &role_url],
        &as_role,
    ))
    .unwrap();
    assert_eq!(list[0]["backupId"], id.as_str());
    let pulled = tmp.path().join("pulled.json");
    ok(
        &new_pc,
        &["pull", &id[..8], pulled.to_str().unwrap(), "--server", &role_url],
        &as_role,
    );
    ok(&new_pc, &["verify", pulled.to_str().unwrap()], &[]);
    ok(
        &new_pc,
        &["restore", "--from-server", "latest", "--yes", "--server", &role_url],
        &as_role,
    );
    let (a, b) = (tmp.path().join("a.json"), tmp.path().join("b.json"));
    ok(&shop, &["export", a.to_str().unwrap()], &[]);
    ok(&new_pc, &["export", b.to_str().unwrap()], &[]);
    let (mut sa, mut sb) = (sections(&a), sections(&b));
    let (acts_a, acts_b) = (
        sa.remove("sonic_activity_data").unwrap(),
        sb.remove("sonic_activity_data").unwrap(),
    );
    assert_eq!(sa, sb, "the new PC holds the shop's sections");
    assert_eq!(
        acts_b.as_array().unwrap().len(),
        acts_a.as_array().unwrap().len() + 1,
        "plus the restore's own activity entry"
    );

    // A page changed on the server: restore refuses, names the page, changes nothing.
    // The server refuses to change a stored page, so damage it behind its
    // back, as a broken disk would.
    sql(
        &db,
        "ALTER TABLE sonic_backup_pages DISABLE TRIGGER sonic_check_page; \
         UPDATE sonic_backup_pages SET body = body || ' ' \
         WHERE hash = (SELECT hash FROM sonic_backup_pages WHERE section = 'sonic_shop_data' ORDER BY hash LIMIT 1); \
         ALTER TABLE sonic_backup_pages ENABLE TRIGGER sonic_check_page",
    );
    ok(&other, &["gen", "--profile", "small", "--seed", "5"], &[]);
    let (c, d) = (tmp.path().join("c.json"), tmp.path().join("d.json"));
    ok(&other, &["export", c.to_str().unwrap()], &[]);
    let out = admin(
        &other,
        &["restore", "--from-server", &id, "--yes", "--server", &role_url],
        &as_role,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a damaged server backup must not restore");
    assert!(
        stderr.contains("page ") && stderr.contains("sonic_shop_data"),
        "{stderr}"
    );
    ok(&other, &["export", d.to_str().unwrap()], &[]);
    assert_eq!(sections(&c), sections(&d), "nothing was restored");
    let backups: Value = serde_json::from_str(&ok(&other, &["--json", "backups"], &[])).unwrap();
    assert!(
        backups.as_array().unwrap().iter().all(|b| b["reason"] != "pre_restore"),
        "not even a safety backup was made"
    );
}

/// `SONIC_KILLS` (scripts/reliability: 1000), 50 by default; each kind of
/// pull below is killed half as many times.
fn kills() -> u32 {
    std::env::var("SONIC_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n >= 3)
        .unwrap_or(50)
}

/// Runs `args` and SIGKILLs it after `wait` (or lets it end when `wait` is None).
fn killed(data_dir: &Path, args: &[&str], env: &[(&str, &str)], wait: Option<std::time::Duration>) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sonic-pos-admin"));
    cmd.arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("SONIC_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    match wait {
        Some(wait) => std::thread::sleep(wait),
        None => {
            let _ = child.wait();
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A pull killed at any moment leaves no file or a whole one that verifies,
/// and a restore from the server killed at any moment leaves the old state
/// or the new one, never a mix, and the database sound.
#[test]
fn a_pull_or_a_restore_from_the_server_killed_midway_leaves_nothing_half_written() {
    let Some((host, port)) = pg() else { return };
    let db = format!("sonic_cli_kill_{}", std::process::id());
    sql("postgres", &format!("DROP DATABASE IF EXISTS {db}"));
    sql("postgres", &format!("CREATE DATABASE {db}"));
    let role = format!("sonic_cli_kill_role_{}", std::process::id());
    let owner_url = format!("host={host} port={port} dbname={db}");
    let role_url = format!("postgresql://{role}@{host}:{port}/{db}");
    let as_role = [("PGPASSWORD", ROLE_PASSWORD)];

    let tmp = tempfile::tempdir().unwrap();
    let (shop, other) = (tmp.path().join("shop"), tmp.path().join("other"));
    ok(
        &shop,
        &[
            "server", "init", "--shop", "shop-k", "--role", &role, "--server", &owner_url,
        ],
        &[("SONIC_ROLE_PASSWORD", ROLE_PASSWORD)],
    );
    ok(&shop, &["gen", "--profile", "small", "--seed", "3"], &[]);
    ok(&shop, &["backup"], &[]);
    let pushed: Value = serde_json::from_str(&ok(&shop, &["--json", "push", "--server", &role_url], &as_role)).unwrap();
    let id = pushed["pushed"][0]["backupId"].as_str().unwrap().to_string();

    // How long each takes here, to spread the kills over it.
    let pulled = tmp.path().join("out").join("pulled.json");
    std::fs::create_dir_all(pulled.parent().unwrap()).unwrap();
    let pull_args = ["pull", id.as_str(), pulled.to_str().unwrap(), "--server", &role_url];
    let started = std::time::Instant::now();
    ok(&other, &pull_args, &as_role);
    let pull_time = started.elapsed();
    ok(&other, &["verify", pulled.to_str().unwrap()], &[]);
    // The backup as the server holds it: what every pull must give back.
    let new_state = sections(&pulled);
    assert!(!new_state["sonic_invoices"].as_array().unwrap().is_empty());
    std::fs::remove_file(&pulled).unwrap();
    let restore_args = ["restore", "--from-server", id.as_str(), "--yes", "--server", &role_url];
    let timing = tmp.path().join("timing");
    let started = std::time::Instant::now();
    ok(&timing, &restore_args, &as_role);
    let restore_time = started.elapsed();

    let attempts = (kills() / 2).max(3);
    let point = |i: u32, span: std::time::Duration| {
        let scattered = (u64::from(i) * 7919 % u64::from(attempts)) as u32;
        span * 6 / 5 * scattered / attempts
    };
    let (mut no_file, mut whole_file) = (0u32, 0u32);
    for attempt in 0..attempts {
        let wait = (attempt + 1 < attempts).then(|| point(attempt, pull_time));
        killed(&other, &pull_args, &as_role, wait);
        if pulled.exists() {
            ok(&other, &["verify", pulled.to_str().unwrap()], &[]);
            assert_eq!(
                sections(&pulled),
                new_state,
                "attempt {attempt}: the pulled file is the shop"
            );
            std::fs::remove_file(&pulled).unwrap();
            whole_file += 1;
        } else {
            no_file += 1;
        }
    }
    assert!(whole_file > 0, "the pull that ran to its end wrote the file");
    let leftovers: Vec<_> = std::fs::read_dir(pulled.parent().unwrap())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    eprintln!(
        "pull kills: {attempts}; no file: {no_file}, a whole file: {whole_file}; left in the folder: {leftovers:?}"
    );

    ok(&other, &["gen", "--profile", "small", "--seed", "9"], &[]);
    let old_file = tmp.path().join("old.json");
    ok(&other, &["export", old_file.to_str().unwrap()], &[]);
    let old_state = sections(&old_file);
    let (mut saw_old, mut saw_new) = (0u32, 0u32);
    for attempt in 0..attempts {
        let wait = (attempt + 1 < attempts).then(|| point(attempt, restore_time));
        killed(&other, &restore_args, &as_role, wait);
        let check: Value = serde_json::from_str(&ok(&other, &["--json", "check"], &[])).unwrap();
        assert_eq!(check["ok"], true, "attempt {attempt}: the store must be sound: {check}");
        let now_file = tmp.path().join("now.json");
        ok(&other, &["export", now_file.to_str().unwrap()], &[]);
        let now = sections(&now_file);
        if now == old_state {
            saw_old += 1;
        } else {
            for key in ["sonic_invoices", "sonic_shop_data", "sonic_inventory_data"] {
                assert_eq!(
                    now[key], new_state[key],
                    "attempt {attempt}: a mix of old and new in {key}"
                );
            }
            saw_new += 1;
            std::fs::remove_dir_all(&other).unwrap();
            ok(&other, &["import", old_file.to_str().unwrap()], &[]);
        }
    }
    assert!(saw_old > 0, "a kill before the commit must leave the old state");
    assert!(
        saw_new > 0,
        "the restore that ran to its end restored the server's backup"
    );
    eprintln!("restore-from-server kills: {attempts}; old state: {saw_old}, new state: {saw_new}, a mix: 0");
}
