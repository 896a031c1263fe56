//! The backup-server commands: `server init`, `server list`, `push`, `pull`
//! and the loading half of `restore --from-server`. Each is a few lines over
//! `sonic-backup`, run on a small tokio runtime.
//!
//! The server comes from `--server URL` / `$SONIC_SERVER_URL` (a libpq URL or
//! `key=value` string), else from the `PG*` variables. Prefer `PGPASSWORD`
//! to a password in the URL; either way it is never printed.

use super::Output;
use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use sonic_backup::{schema, ListFilter, ServerConfig};
use sonic_core::snapshot::Document;
use sonic_core::DataDir;
use std::path::PathBuf;

/// Where the backup server is.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Backup server: libpq URL or key=value string (default: the PG* variables).
    #[arg(long, env = "SONIC_SERVER_URL", value_name = "URL", hide_env_values = true)]
    server: Option<String>,
}

impl ServerArgs {
    fn config(&self) -> Result<ServerConfig> {
        Ok(match &self.server {
            Some(url) => ServerConfig::parse(url)?,
            None => ServerConfig::from_env()?,
        })
    }
}

/// `server …` subcommands.
#[derive(Debug, Subcommand)]
pub enum ServerCommand {
    /// Create or migrate the backup tables (run as an owner of the database);
    /// with --shop and --role, also a login role for that shop's tills that
    /// may only INSERT and SELECT the shop's own backups; with --head-office,
    /// a login role that reads every shop's. The role's password is taken
    /// from $SONIC_ROLE_PASSWORD if set, and sent only as a SCRAM verifier.
    Init {
        /// The shop the --role backs up (created if new; default: `default`,
        /// the shop that a server from before shops was adopted into).
        #[arg(long, value_name = "ID", requires = "role")]
        shop: Option<String>,
        #[arg(long, value_name = "NAME")]
        role: Option<String>,
        #[arg(long, value_name = "NAME", conflicts_with_all = ["role", "shop"])]
        head_office: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// List the backups on the server (a shop's role: its own shop's),
    /// newest first by the time the server received them.
    List {
        /// Only this shop's (for the head office).
        #[arg(long, value_name = "ID")]
        shop: Option<String>,
        #[arg(long, value_name = "STORE")]
        store: Option<String>,
        #[arg(long, value_name = "DEVICE")]
        device: Option<String>,
        #[arg(long)]
        limit: Option<i64>,
        #[command(flatten)]
        server: ServerArgs,
    },
}

/// `push`: send the backups waiting in the outbox.
#[derive(Debug, Args)]
pub struct PushArgs {
    #[command(flatten)]
    server: ServerArgs,
}

/// `pull BACKUP_ID FILE`: download a server backup, verified, as an export file.
#[derive(Debug, Args)]
pub struct PullArgs {
    /// A server backup id, 8+ characters of one, or `latest`.
    backup_id: String,
    /// Where to write the export file (JSON).
    file: PathBuf,
    #[command(flatten)]
    server: ServerArgs,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn server(command: &ServerCommand, out: &Output) -> Result<()> {
    match command {
        ServerCommand::Init {
            shop,
            role,
            head_office,
            server,
        } => {
            let config = server.config()?;
            let password = std::env::var("SONIC_ROLE_PASSWORD").ok().filter(|p| !p.is_empty());
            let shop = shop.as_deref().unwrap_or(schema::DEFAULT_SHOP);
            let grant = match (role, head_office) {
                (Some(role), _) => Some((role, schema::Access::Shop(shop))),
                (None, Some(role)) => Some((role, schema::Access::HeadOffice)),
                (None, None) => None,
            };
            runtime()?.block_on(async {
                let mut remote = config.connect().await?;
                let before = schema::migrate(&mut remote).await?;
                if let Some((role, access)) = grant {
                    schema::grant_role(&remote, role, access, password.as_deref()).await?;
                }
                let what = match grant {
                    Some((role, schema::Access::Shop(shop))) => {
                        format!("; role {role} may INSERT and SELECT only the backups of shop {shop}")
                    }
                    Some((role, schema::Access::HeadOffice)) => {
                        format!("; role {role} may read every shop's backups (head office)")
                    }
                    None => String::new(),
                };
                out.done(
                    &format!(
                        "backup schema on {} is at version {} (was {before}){what}",
                        config.redacted(),
                        schema::SERVER_SCHEMA_VERSION,
                    ),
                    json!({ "server": config.redacted(), "schemaVersion": schema::SERVER_SCHEMA_VERSION,
                            "previousVersion": before, "role": grant.map(|(r, _)| r),
                            "shop": grant.and_then(|(_, a)| match a { schema::Access::Shop(s) => Some(s), schema::Access::HeadOffice => None }),
                            "headOffice": matches!(grant, Some((_, schema::Access::HeadOffice))) }),
                );
                if grant.is_some() && password.is_none() {
                    out.note(
                        "no password set for the role: set SONIC_ROLE_PASSWORD and run init again, or use ALTER ROLE",
                    );
                }
                Ok(())
            })
        }
        ServerCommand::List {
            shop,
            store,
            device,
            limit,
            server,
        } => {
            let config = server.config()?;
            let filter = ListFilter {
                shop: shop.clone(),
                store: store.clone(),
                device: device.clone(),
                limit: *limit,
            };
            runtime()?.block_on(async {
                let remote = config.connect().await?;
                schema::check(&remote).await?;
                let list = sonic_backup::list_backups(&remote, &filter).await?;
                if out.json {
                    println!("{}", json!(list));
                    return Ok(());
                }
                if list.is_empty() {
                    println!("no backups on {}", config.redacted());
                    return Ok(());
                }
                println!(
                    "{:<36}  {:<12} {:<20}  {:<20}  {:<12} {:<12} {:>9} {:>6}",
                    "id", "shop", "received (UTC)", "created (UTC)", "reason", "store", "records", "pages"
                );
                for b in list {
                    println!(
                        "{:<36}  {:<12} {:<20}  {:<20}  {:<12} {:<12} {:>9} {:>6}",
                        b.backup_id,
                        b.shop_id,
                        b.received_at.format("%Y-%m-%d %H:%M:%S"),
                        b.created_at.format("%Y-%m-%d %H:%M:%S"),
                        b.reason,
                        b.store_id.as_deref().unwrap_or("-"),
                        b.records,
                        b.pages
                    );
                }
                Ok(())
            })
        }
    }
}

pub fn push(dir: &DataDir, args: &PushArgs, out: &Output) -> Result<()> {
    let config = args.server.config()?;
    let pass = runtime()?.block_on(sonic_backup::push_pending(&config, dir))?;
    if out.json {
        println!("{}", json!(pass));
    } else {
        for r in &pass.pushed {
            if r.already_on_server {
                println!("backup {} was on the server already", r.backup_id);
            } else {
                println!(
                    "backup {} pushed: {} of {} pages uploaded ({} bytes)",
                    r.backup_id, r.pages_uploaded, r.pages_total, r.bytes_uploaded
                );
            }
        }
        for (id, error) in &pass.failed {
            eprintln!("backup {id} not pushed: {error}");
        }
        println!("{} backup(s) still waiting to be pushed", pass.pending);
    }
    if !pass.failed.is_empty() {
        bail!("{} backup(s) could not be pushed; they stay queued", pass.failed.len());
    }
    Ok(())
}

pub fn pull(args: &PullArgs, out: &Output) -> Result<()> {
    let config = args.server.config()?;
    let (document, mut export, id) = fetch(&config, &args.backup_id)?;
    sonic_core::backup::write_atomically(&args.file, |w| {
        std::io::copy(&mut export, w)
            .map(drop)
            .map_err(|e| sonic_core::Error::io("writing", &args.file, e))
    })?;
    out.counts(
        &format!(
            "server backup {id} verified (every page, section and snapshot hash) and written to {}",
            args.file.display()
        ),
        &document.counts(),
        json!({ "backupId": id, "file": args.file, "verified": true }),
    );
    Ok(())
}

/// The restore source of `restore --from-server ID`: the backup pulled and
/// verified, and a label for the activity log. `latest` is the newest the
/// server received of the role's own shop.
pub fn load_from_server(server: Option<&str>, id: &str) -> Result<(Document, String)> {
    let config = ServerArgs {
        server: server.map(str::to_string),
    }
    .config()?;
    let (document, _, id) = fetch(&config, id)?;
    Ok((document, format!("server backup {id}")))
}

fn fetch(config: &ServerConfig, id: &str) -> Result<(Document, std::fs::File, uuid::Uuid)> {
    runtime()?.block_on(async {
        let remote = config.connect().await?;
        schema::check(&remote).await?;
        let info = sonic_backup::find_backup(&remote, id, &ListFilter::default()).await?;
        let pulled = sonic_backup::pull(&remote, info.backup_id).await?;
        Ok((pulled.document, pulled.export, info.backup_id))
    })
}
