//! Listing the server's backups and pulling one back, verified.

use crate::connect::Remote;
use crate::error::{Error, Result};
use crate::pages::{self, Manifest, Part, StoredPage};
use crate::push::blocking;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sonic_core::snapshot::{self, Document};
use std::collections::HashMap;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::Path;
use tokio_postgres::Row;
use uuid::Uuid;

/// A backup as the server lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerBackup {
    pub backup_id: Uuid,
    /// The shop it belongs to (the server's, from the role that pushed it).
    pub shop_id: String,
    pub device_id: String,
    pub store_id: Option<String>,
    pub reason: String,
    /// When the till says it made the backup.
    pub created_at: DateTime<Utc>,
    /// When the server stored it, by the server's clock: `latest` is the
    /// newest by this.
    pub received_at: DateTime<Utc>,
    pub app_version: String,
    pub format_version: i32,
    pub snapshot_sha256: String,
    /// Records in all sections.
    pub records: i64,
    /// JSON bytes of all its pages.
    pub bytes: i64,
    pub pages: i32,
}

/// Which backups to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// Only this shop's (for the head office; a shop's role sees only its
    /// own shop whatever this says).
    pub shop: Option<String>,
    pub store: Option<String>,
    pub device: Option<String>,
    /// At most this many, newest first (all when `None`).
    pub limit: Option<i64>,
}

const COLUMNS: &str = "backup_id, device_id, store_id, reason, created_at, received_at, app_version, \
                       format_version, snapshot_sha256, records, bytes, page_count, shop_id";

/// Newest first, by the server's clock.
const NEWEST_FIRST: &str = "received_at DESC, created_at DESC, backup_id DESC";

fn from_row(row: &Row) -> ServerBackup {
    ServerBackup {
        backup_id: row.get(0),
        device_id: row.get(1),
        store_id: row.get(2),
        reason: row.get(3),
        created_at: row.get(4),
        received_at: row.get(5),
        app_version: row.get(6),
        format_version: row.get(7),
        snapshot_sha256: row.get(8),
        records: row.get(9),
        bytes: row.get(10),
        pages: row.get(11),
        shop_id: row.get(12),
    }
}

/// The server's backups that the connected role may read (a shop's role:
/// its own shop's; the head office: all), newest first by the time the
/// server received them.
pub async fn list_backups(remote: &Remote, filter: &ListFilter) -> Result<Vec<ServerBackup>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sonic_backups
          WHERE ($1::text IS NULL OR store_id = $1) AND ($2::text IS NULL OR device_id = $2)
            AND ($4::text IS NULL OR shop_id = $4)
          ORDER BY {NEWEST_FIRST} LIMIT $3"
    );
    let limit = filter.limit.unwrap_or(i64::MAX);
    let rows = remote
        .client()
        .query(&sql, &[&filter.store, &filter.device, &limit, &filter.shop])
        .await
        .map_err(|e| Error::query("list the backups", remote.server(), e))?;
    Ok(rows.iter().map(from_row).collect())
}

/// Finds one backup by its id, a unique prefix of it (8+ characters), or
/// `latest` (the newest matching `filter` that the server received, of the
/// role's own shop: a backup another shop dated in the future is not even
/// visible).
pub async fn find_backup(remote: &Remote, id: &str, filter: &ListFilter) -> Result<ServerBackup> {
    let id = id.trim();
    if id.eq_ignore_ascii_case("latest") {
        let one = ListFilter {
            limit: Some(1),
            ..filter.clone()
        };
        return list_backups(remote, &one)
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotOnServer("(none matches: the server has no backups of this store)".into()));
    }
    let wanted = id.to_ascii_lowercase().replace('-', "");
    if wanted.len() < 8 || !wanted.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Error::NotOnServer(format!(
            "{id:?} (give `latest`, or at least 8 hex characters of the id)"
        )));
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM sonic_backups
          WHERE replace(backup_id::text, '-', '') LIKE $1 || '%' AND ($2::text IS NULL OR shop_id = $2) LIMIT 2"
    );
    let rows = remote
        .client()
        .query(&sql, &[&wanted, &filter.shop])
        .await
        .map_err(|e| Error::query("look the backup up", remote.server(), e))?;
    match rows.len() {
        1 => Ok(from_row(&rows[0])),
        0 => Err(Error::NotOnServer(id.to_string())),
        _ => Err(Error::NotOnServer(format!(
            "{id} (several backups match: give more of the id)"
        ))),
    }
}

/// Pages fetched per query while pulling.
const FETCH_BATCH: usize = 64;

/// A backup pulled from the server and verified.
#[derive(Debug)]
pub struct Pulled {
    pub info: ServerBackup,
    /// The backup as an export file (JSON), in an anonymous temporary file
    /// rewound to its start, ready to be copied where it should be kept.
    pub export: std::fs::File,
    /// The export file's size in bytes.
    pub export_bytes: u64,
    /// The validated document, ready for `sonic_core::restore::restore`.
    pub document: Document,
}

/// Downloads backup `backup_id`, verifies every page hash, every section
/// hash and the snapshot hash, and returns it as an export file and a
/// validated document staged in the system's temporary folder. Nothing is
/// written anywhere else.
pub async fn pull(remote: &Remote, backup_id: Uuid) -> Result<Pulled> {
    pull_into(remote, backup_id, &std::env::temp_dir()).await
}

/// [`pull`], staging the document in `staging_dir` (the data directory).
///
/// Memory is one batch of pages: they are fetched in manifest order,
/// [`FETCH_BATCH`] at a time, each checked against its hash and appended
/// to a temporary export file, which `sonic-core`'s streaming import then
/// reads into its staging database.
pub async fn pull_into(remote: &Remote, backup_id: Uuid, staging_dir: &Path) -> Result<Pulled> {
    let server = remote.server();
    let q = |action: &'static str| move |e| Error::query(action, server, e);
    let sql = format!("SELECT {COLUMNS}, meta::text, manifest::text FROM sonic_backups WHERE backup_id = $1");
    let rows = remote
        .client()
        .query(&sql, &[&backup_id])
        .await
        .map_err(q("read the backup"))?;
    let row = match rows.as_slice() {
        [row] => row,
        [] => return Err(Error::NotOnServer(backup_id.to_string())),
        _ => {
            return Err(Error::NotOnServer(format!(
                "{backup_id} (several shops have a backup with this id: pull it with that shop's role)"
            )))
        }
    };
    let info = from_row(row);
    let meta_json: String = row.get(13);
    let manifest_json: String = row.get(14);
    let corrupt = |detail: String| Error::CorruptBackup { backup_id, detail };
    let manifest: Manifest =
        serde_json::from_str(&manifest_json).map_err(|e| corrupt(format!("its manifest is unreadable ({e})")))?;
    let layout = pages::export_layout(backup_id, &manifest, &meta_json)?;

    let io = |e: std::io::Error| corrupt(format!("its temporary export file failed ({e})"));
    let mut out = BufWriter::new(tempfile::tempfile().map_err(io)?);
    let fetch = remote
        .client()
        .prepare(
            "SELECT hash, body, CASE WHEN body IS NULL THEN records::text END
               FROM sonic_backup_pages WHERE shop_id = $1 AND hash = ANY($2::text[])",
        )
        .await
        .map_err(q("read the pages"))?;
    let mut fetched: HashMap<String, StoredPage> = HashMap::new();
    let mut page_count = 0usize;
    for (at, part) in layout.iter().enumerate() {
        let page = match part {
            Part::Text(text) => {
                out.write_all(text.as_bytes()).map_err(io)?;
                continue;
            }
            Part::Page(page) => page,
        };
        if !fetched.contains_key(&page.hash) {
            // The next batch: this page and those after it, in file order.
            let mut batch: Vec<&str> = Vec::with_capacity(FETCH_BATCH);
            for part in &layout[at..] {
                if let Part::Page(p) = part {
                    if !batch.contains(&p.hash.as_str()) {
                        batch.push(&p.hash);
                        if batch.len() == FETCH_BATCH {
                            break;
                        }
                    }
                }
            }
            fetched = remote
                .client()
                .query(&fetch, &[&info.shop_id, &batch])
                .await
                .map_err(q("read the pages"))?
                .into_iter()
                .map(|r| {
                    let body: Option<String> = r.get(1);
                    let stored = match body {
                        Some(body) => StoredPage::Body(body),
                        None => StoredPage::Legacy(r.get::<_, Option<String>>(2).unwrap_or_default()),
                    };
                    (r.get(0), stored)
                })
                .collect();
        }
        let stored = fetched.get(&page.hash).cloned();
        let records = pages::verified_records(backup_id, page, stored)?;
        if page.index > 0 {
            out.write_all(b",").map_err(io)?;
        }
        out.write_all(records.as_bytes()).map_err(io)?;
        page_count += 1;
    }
    drop(fetched);
    let mut export = out.into_inner().map_err(|e| io(e.into_error()))?;
    let export_bytes = export.stream_position().map_err(io)?;
    export.seek(SeekFrom::Start(0)).map_err(io)?;

    let label = format!("server backup {backup_id}");
    let staging_dir = staging_dir.to_path_buf();
    let reader = export.try_clone().map_err(io)?;
    let document = blocking(move || {
        snapshot::read(reader, &label, &staging_dir).map_err(|e| Error::CorruptBackup {
            backup_id,
            detail: e.to_string(),
        })
    })
    .await?;
    export.seek(SeekFrom::Start(0)).map_err(io)?;
    let digests = document.digests()?;
    let snapshot_sha256 = snapshot::snapshot_sha256(&digests);
    let meta_hash = document.meta.as_ref().map(|m| m.snapshot_sha256.as_str());
    if snapshot_sha256 != info.snapshot_sha256 || meta_hash != Some(info.snapshot_sha256.as_str()) {
        return Err(corrupt(format!(
            "its sections hash to {snapshot_sha256}, but the server lists {}",
            info.snapshot_sha256
        )));
    }
    tracing::info!(backup_id = %backup_id, pages = page_count, "backup pulled and verified");
    Ok(Pulled {
        info,
        export,
        export_bytes,
        document,
    })
}
