//! Listing the server's backups and pulling one back, verified.

use crate::connect::Remote;
use crate::error::{Error, Result};
use crate::pages::{self, Manifest};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sonic_core::snapshot::{self, Document};
use std::collections::HashMap;
use tokio_postgres::Row;
use uuid::Uuid;

/// A backup as the server lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServerBackup {
    pub backup_id: Uuid,
    pub device_id: String,
    pub store_id: Option<String>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
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
    pub store: Option<String>,
    pub device: Option<String>,
    /// At most this many, newest first (all when `None`).
    pub limit: Option<i64>,
}

const COLUMNS: &str = "backup_id, device_id, store_id, reason, created_at, received_at, app_version, \
                       format_version, snapshot_sha256, records, bytes, page_count";

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
    }
}

/// The server's backups, newest first.
pub async fn list_backups(remote: &Remote, filter: &ListFilter) -> Result<Vec<ServerBackup>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sonic_backups
          WHERE ($1::text IS NULL OR store_id = $1) AND ($2::text IS NULL OR device_id = $2)
          ORDER BY created_at DESC, backup_id DESC LIMIT $3"
    );
    let limit = filter.limit.unwrap_or(i64::MAX);
    let rows = remote
        .client()
        .query(&sql, &[&filter.store, &filter.device, &limit])
        .await
        .map_err(|e| Error::query("list the backups", remote.server(), e))?;
    Ok(rows.iter().map(from_row).collect())
}

/// Finds one backup by its id, a unique prefix of it (8+ characters), or
/// `latest` (the newest matching `filter`).
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
    let sql =
        format!("SELECT {COLUMNS} FROM sonic_backups WHERE replace(backup_id::text, '-', '') LIKE $1 || '%' LIMIT 2");
    let rows = remote
        .client()
        .query(&sql, &[&wanted])
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

/// A backup pulled from the server and verified.
#[derive(Debug)]
pub struct Pulled {
    pub info: ServerBackup,
    /// The backup as an export file (JSON), ready to be written to disk.
    pub export: Vec<u8>,
    /// The validated document, ready for `sonic_core::restore::restore`.
    pub document: Document,
}

/// Downloads backup `backup_id`, verifies every page hash, every section
/// hash and the snapshot hash, and returns it as an export file and a
/// validated document. Nothing is written anywhere.
pub async fn pull(remote: &Remote, backup_id: Uuid) -> Result<Pulled> {
    let server = remote.server();
    let q = |action: &'static str| move |e| Error::query(action, server, e);
    let sql = format!("SELECT {COLUMNS}, meta::text, manifest::text FROM sonic_backups WHERE backup_id = $1");
    let row = remote
        .client()
        .query_opt(&sql, &[&backup_id])
        .await
        .map_err(q("read the backup"))?
        .ok_or_else(|| Error::NotOnServer(backup_id.to_string()))?;
    let info = from_row(&row);
    let meta_json: String = row.get(12);
    let manifest_json: String = row.get(13);
    let corrupt = |detail: String| Error::CorruptBackup { backup_id, detail };
    let manifest: Manifest =
        serde_json::from_str(&manifest_json).map_err(|e| corrupt(format!("its manifest is unreadable ({e})")))?;

    let mut hashes: Vec<&str> = manifest.page_hashes().map(String::as_str).collect();
    hashes.sort_unstable();
    hashes.dedup();
    let rows = remote
        .client()
        .query(
            "SELECT hash, records::text FROM sonic_backup_pages WHERE hash = ANY($1::text[])",
            &[&hashes],
        )
        .await
        .map_err(q("read the pages"))?;
    let pages: HashMap<String, String> = rows.into_iter().map(|r| (r.get(0), r.get(1))).collect();

    let export = pages::rebuild_export(backup_id, &manifest, &meta_json, &pages)?;
    let label = format!("server backup {backup_id}");
    let document = snapshot::parse_bytes(&export, &label).map_err(|e| corrupt(e.to_string()))?;
    let digests = document.digests()?;
    let snapshot_sha256 = snapshot::snapshot_sha256(&digests);
    let meta_hash = document.meta.as_ref().map(|m| m.snapshot_sha256.as_str());
    if snapshot_sha256 != info.snapshot_sha256 || meta_hash != Some(info.snapshot_sha256.as_str()) {
        return Err(corrupt(format!(
            "its sections hash to {snapshot_sha256}, but the server lists {}",
            info.snapshot_sha256
        )));
    }
    tracing::info!(backup_id = %backup_id, pages = hashes.len(), "backup pulled and verified");
    Ok(Pulled { info, export, document })
}
