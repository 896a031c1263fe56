//! Pushing backups: one backup in one server transaction, and the outbox
//! drained oldest first.

use crate::connect::{Remote, ServerConfig};
use crate::error::{Error, Result};
use crate::pages::{self, Page};
use crate::schema;
use serde::Serialize;
use sonic_core::snapshot::Document;
use sonic_core::{outbox, DataDir, Store};
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use uuid::Uuid;

/// Pages are sent in batches of about this many bytes (one statement each).
const BATCH_BYTES: usize = 2 << 20;

/// What pushing one backup did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushReport {
    pub backup_id: Uuid,
    /// The server had this backup already (a retry after a cut connection).
    pub already_on_server: bool,
    /// Pages the backup is made of (distinct).
    pub pages_total: usize,
    /// Pages that were new to the server and were uploaded.
    pub pages_uploaded: usize,
    /// JSON bytes of the uploaded pages.
    pub bytes_uploaded: u64,
    /// Uploaded pages per section key; sections that uploaded nothing are absent.
    pub uploaded_by_section: BTreeMap<String, usize>,
}

/// Pushes one backup (a validated document with `_meta` and a backup id),
/// uploading only the pages the server lacks, in one transaction, then reads
/// the stored snapshot hash back. Pushing a backup the server already has
/// changes nothing and reports `already_on_server`.
pub async fn push_backup(remote: &mut Remote, doc: &Document) -> Result<PushReport> {
    let meta = doc.meta.as_ref().ok_or_else(|| {
        Error::Core(sonic_core::Error::Invalid(
            "only Sonic POS backups (with _meta) can be pushed".into(),
        ))
    })?;
    let backup_id = meta.backup_id.ok_or_else(|| {
        Error::Core(sonic_core::Error::Invalid(
            "the file has no backup id: only backups can be pushed, not exports".into(),
        ))
    })?;
    let paged = pages::page_document(doc, meta)?;
    let server = remote.server().to_string();
    let q = |action: &'static str| {
        let server = server.clone();
        move |e| Error::query(action, &server, e)
    };

    let mut report = PushReport {
        backup_id,
        ..PushReport::default()
    };
    let mut seen = HashSet::new();
    let unique: Vec<&Page> = paged.pages.iter().filter(|p| seen.insert(p.hash.as_str())).collect();
    report.pages_total = unique.len();
    let hashes: Vec<&str> = unique.iter().map(|p| p.hash.as_str()).collect();

    let tx = remote.client_mut().transaction().await.map_err(q("start the upload"))?;
    let existing = tx
        .query_opt(
            "SELECT snapshot_sha256 FROM sonic_backups WHERE backup_id = $1",
            &[&backup_id],
        )
        .await
        .map_err(q("look the backup up"))?;
    if let Some(row) = existing {
        let stored: String = row.get(0);
        drop(tx);
        if stored != meta.snapshot_sha256 {
            return Err(Error::VerifyFailed {
                backup_id,
                expected: meta.snapshot_sha256.clone(),
                found: Some(stored),
            });
        }
        report.already_on_server = true;
        verify(remote, backup_id, &meta.snapshot_sha256, &hashes).await?;
        return Ok(report);
    }

    let have: HashSet<String> = tx
        .query(
            "SELECT hash FROM sonic_backup_pages WHERE hash = ANY($1::text[])",
            &[&hashes],
        )
        .await
        .map_err(q("list the pages it has"))?
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    let missing: Vec<&Page> = unique.into_iter().filter(|p| !have.contains(&p.hash)).collect();
    let insert = tx
        .prepare(
            "INSERT INTO sonic_backup_pages (hash, section, list, record_count, bytes, records)
             SELECT h, s, l, n, b, r::jsonb
               FROM unnest($1::text[], $2::text[], $3::text[], $4::int4[], $5::int4[], $6::text[]) AS t(h, s, l, n, b, r)
             ON CONFLICT (hash) DO NOTHING",
        )
        .await
        .map_err(q("prepare the page upload"))?;
    for batch in batches(&missing) {
        let h: Vec<&str> = batch.iter().map(|p| p.hash.as_str()).collect();
        let s: Vec<&str> = batch.iter().map(|p| p.section.as_str()).collect();
        let l: Vec<&str> = batch.iter().map(|p| p.list).collect();
        let n: Vec<i32> = batch.iter().map(|p| clamp_i32(p.records)).collect();
        let b: Vec<i32> = batch.iter().map(|p| clamp_i32(p.json.len())).collect();
        let r: Vec<&str> = batch.iter().map(|p| p.json.as_str()).collect();
        tx.execute(&insert, &[&h, &s, &l, &n, &b, &r])
            .await
            .map_err(q("store the pages"))?;
    }
    for page in &missing {
        report.pages_uploaded += 1;
        report.bytes_uploaded += page.json.len() as u64;
        *report
            .uploaded_by_section
            .entry(page.section.as_str().to_string())
            .or_default() += 1;
    }

    let manifest = serde_json::to_string(&paged.manifest).map_err(|e| invalid(e.to_string()))?;
    let meta_json = serde_json::to_string(meta).map_err(|e| invalid(e.to_string()))?;
    let records: i64 = meta.sections.values().map(|d| d.records as i64).sum();
    let bytes: i64 = paged.pages.iter().map(|p| p.json.len() as i64).sum();
    let page_count = clamp_i32(paged.pages.len());
    let format_version = i32::try_from(meta.format_version).unwrap_or(i32::MAX);
    tx.execute(
        "INSERT INTO sonic_backups (backup_id, device_id, store_id, reason, created_at, app_version,
                                    format_version, snapshot_sha256, records, bytes, page_count, meta, manifest)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text::jsonb, $13::text::jsonb)
         ON CONFLICT (backup_id) DO NOTHING",
        &[
            &backup_id,
            &meta.device_id,
            &meta.store_id,
            &meta.reason,
            &meta.created_at,
            &meta.app_version,
            &format_version,
            &meta.snapshot_sha256,
            &records,
            &bytes,
            &page_count,
            &meta_json,
            &manifest,
        ],
    )
    .await
    .map_err(q("store the backup"))?;
    tx.commit().await.map_err(q("commit the backup"))?;
    verify(remote, backup_id, &meta.snapshot_sha256, &hashes).await?;
    tracing::info!(
        backup_id = %backup_id,
        pages_uploaded = report.pages_uploaded,
        pages_total = report.pages_total,
        "backup pushed"
    );
    Ok(report)
}

/// Reads back the stored snapshot hash and checks that every page is there.
async fn verify(remote: &Remote, backup_id: Uuid, expected: &str, hashes: &[&str]) -> Result<()> {
    let row = remote
        .client()
        .query_opt(
            "SELECT b.snapshot_sha256,
                    (SELECT count(*) FROM sonic_backup_pages WHERE hash = ANY($2::text[]))
               FROM sonic_backups b WHERE b.backup_id = $1",
            &[&backup_id, &hashes],
        )
        .await
        .map_err(|e| Error::query("read the backup back", remote.server(), e))?;
    let (found, pages): (Option<String>, i64) = match row {
        Some(r) => (Some(r.get(0)), r.get(1)),
        None => (None, 0),
    };
    if found.as_deref() != Some(expected) || pages != hashes.len() as i64 {
        return Err(Error::VerifyFailed {
            backup_id,
            expected: expected.to_string(),
            found,
        });
    }
    Ok(())
}

fn batches<'a>(pages: &'a [&'a Page]) -> Vec<&'a [&'a Page]> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut size = 0;
    for (i, page) in pages.iter().enumerate() {
        if i > start && size + page.json.len() > BATCH_BYTES {
            out.push(&pages[start..i]);
            start = i;
            size = 0;
        }
        size += page.json.len();
    }
    if start < pages.len() {
        out.push(&pages[start..]);
    }
    out
}

fn clamp_i32(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn invalid(detail: String) -> Error {
    Error::Core(sonic_core::Error::Invalid(detail))
}

/// What one pass over the outbox did.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushPass {
    /// Backups now on the server, oldest first.
    pub pushed: Vec<PushReport>,
    /// Backups that failed for a reason of their own (they stay queued).
    pub failed: Vec<(Uuid, String)>,
    /// Backups still queued after the pass.
    pub pending: u64,
}

/// Pushes every pending backup of the outbox in `data_dir`, oldest first,
/// marking each pushed or failed. Without pending backups the server is not
/// contacted. A connection problem stops the pass and is returned (the
/// backups stay queued); a problem with one backup is recorded and the pass
/// goes on.
pub async fn push_pending(config: &ServerConfig, data_dir: &DataDir) -> Result<PushPass> {
    let dir = data_dir.clone();
    let queue = blocking(move || {
        let store = Store::open(&dir)?;
        Ok(outbox::pending(&store, 10_000)?)
    })
    .await?;
    let mut pass = PushPass::default();
    if queue.is_empty() {
        return Ok(pass);
    }
    let first = queue[0].backup_id;
    let mut remote = match connect_checked(config).await {
        Ok(r) => r,
        Err(e) => {
            record(data_dir, first, Err(&e)).await?;
            return Err(e);
        }
    };
    for entry in queue {
        let id = entry.backup_id;
        let doc = match entry.file {
            Some(file) => read_backup(id, file).await,
            None => Err(Error::LocalBackup {
                backup_id: id,
                detail: "it is no longer listed in this data directory".into(),
            }),
        };
        let outcome = match doc {
            Ok(doc) => push_backup(&mut remote, &doc).await,
            Err(e) => Err(e),
        };
        match outcome {
            Ok(report) => {
                record(data_dir, id, Ok(())).await?;
                pass.pushed.push(report);
            }
            Err(e) => {
                record(data_dir, id, Err(&e)).await?;
                if e.is_connection() {
                    return Err(e);
                }
                tracing::warn!(backup_id = %id, error = %e, "backup not pushed");
                pass.failed.push((id, e.to_string()));
            }
        }
    }
    let dir = data_dir.clone();
    pass.pending = blocking(move || Ok(outbox::counts(&Store::open(&dir)?)?.pending)).await?;
    Ok(pass)
}

/// Connects and checks the server's schema version.
pub(crate) async fn connect_checked(config: &ServerConfig) -> Result<Remote> {
    let remote = config.connect().await?;
    schema::check(&remote).await?;
    Ok(remote)
}

async fn read_backup(backup_id: Uuid, file: PathBuf) -> Result<Document> {
    blocking(move || {
        sonic_core::snapshot::read_file(&file).map_err(|e| Error::LocalBackup {
            backup_id,
            detail: e.to_string(),
        })
    })
    .await
}

/// Marks a backup pushed (`Ok`) or failed with the error's text.
async fn record(data_dir: &DataDir, backup_id: Uuid, outcome: Result<(), &Error>) -> Result<()> {
    let dir = data_dir.clone();
    let error = outcome.err().map(ToString::to_string);
    blocking(move || {
        let store = Store::open(&dir)?;
        match error {
            None => outbox::mark_pushed(&store, backup_id)?,
            Some(text) => outbox::mark_failed(&store, backup_id, &text)?,
        }
        Ok(())
    })
    .await
}

/// Runs SQLite and file work off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| invalid(format!("a background task failed: {e}")))?
}
