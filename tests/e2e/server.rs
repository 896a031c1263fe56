//! Backups reach the PostgreSQL backup server: Backup Now at once, and the
//! on_close backup within the close's bounded wait. Needs a real server:
//! run under `pg_virtualenv` (scripts/test does), or set SONIC_SKIP_PG=1 to
//! skip knowingly.

use sonic_backup::{schema, ListFilter, ServerConfig};
use sonic_e2e::{backup_files, App};

/// The server from the PG* variables as a key=value connection string for
/// `--server` (the password stays in PGPASSWORD, which the app inherits).
fn server_from_env() -> Option<String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (var("PGHOST"), var("PGPORT"), var("PGUSER")) {
        (Some(host), Some(port), Some(user)) => {
            let db = var("PGDATABASE").unwrap_or_else(|| user.clone());
            Some(format!("host={host} port={port} user={user} dbname={db}"))
        }
        _ if var("SONIC_SKIP_PG").as_deref() == Some("1")
            && var("SONIC_REQUIRE_PG").is_none()
            && var("CI").is_none() =>
        {
            eprintln!("SKIPPED: PostgreSQL e2e test (SONIC_SKIP_PG=1)");
            None
        }
        _ => panic!(
            "this test needs a real PostgreSQL: PGHOST/PGPORT/PGUSER are not set. Run it with \
             `pg_virtualenv -- cargo test -p sonic-e2e` (Debian package postgresql-common), \
             or set SONIC_SKIP_PG=1 to skip it knowingly"
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_now_and_the_on_close_backup_reach_the_server() -> anyhow::Result<()> {
    let Some(conn) = server_from_env() else { return Ok(()) };
    let config = ServerConfig::parse(&conn)?;
    let mut remote = config.connect().await?;
    schema::migrate(&mut remote).await?;

    let dir = tempfile::tempdir()?;
    let app = App::launch_with(dir.path(), &["--server", &conn, "--close-push-wait", "20"]).await?;
    app.set_up_shop().await?;
    app.open("backup").await?;
    app.testid("backup-now").await?.click().await?;
    let id = app.wait_for_text("backup-id", |text| !text.trim().is_empty()).await?;
    let id = id.trim().to_string();
    app.wait_for_text("status-server", |text| text.contains("all backups sent"))
        .await?;

    let on_server = sonic_backup::list_backups(&remote, &ListFilter::default()).await?;
    assert!(
        on_server
            .iter()
            .any(|b| b.backup_id.to_string() == id && b.reason == "manual"),
        "Backup Now's backup {id} is on the server"
    );

    app.close_window_and_wait_for_exit().await?;
    let files = backup_files(dir.path())?;
    let on_close = files
        .iter()
        .find(|name| name.contains("-on_close-"))
        .unwrap_or_else(|| panic!("an on_close backup was written: {files:?}"));
    let on_server = sonic_backup::list_backups(&remote, &ListFilter::default()).await?;
    assert!(
        on_server
            .iter()
            .any(|b| b.reason == "on_close" && on_close.contains(&b.backup_id.simple().to_string())),
        "the on_close backup {on_close} reached the server before the app exited"
    );
    app.quit().await
}
