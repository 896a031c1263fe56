//! Pushing backups: one backup in one server transaction, and the outbox
//! drained oldest first.

use crate::connect::{Remote, ServerConfig};
use crate::error::{Error, Result};
use crate::pages;
use crate::schema;
use serde::Serialize;
use sonic_core::page_store::{self, PageStore, StoredBackup};
use sonic_core::pages::{Manifest, Page};
use sonic_core::snapshot::{Document, Meta, PageIndex};
use sonic_core::{outbox, DataDir, Store};
use std::collections::{BTreeMap, HashSet};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::Type;
use uuid::Uuid;

/// Page hashes asked about per query ("which of these do you lack?").
const ASK_BATCH: usize = 2000;

/// Page bytes uploaded per batch: one `COPY` into a temporary table and one
/// `INSERT … SELECT`, committed together, so a cut connection loses at most
/// one batch and the next push goes on from there.
const BATCH_BYTES: u64 = 8 << 20;

/// Overrides [`BATCH_BYTES`] (tests cut a push between many small batches;
/// also a knob for a slow line). Ignored unless it is a positive number.
pub const BATCH_BYTES_ENV: &str = "SONIC_PUSH_BATCH_BYTES";

fn batch_bytes() -> u64 {
    std::env::var(BATCH_BYTES_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(BATCH_BYTES)
}

/// The shop of the connected role, as the server sees it (the owner's own
/// pushes go to `default`).
pub(crate) const OWN_SHOP: &str = "(SELECT coalesce(sonic_current_shop(), 'default'))";

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
    /// Records read from the backup file: all of them when it was read and
    /// validated whole, only those of the pages the server lacked when its
    /// page index was used.
    pub records_read: u64,
}

/// Where a push takes its pages from.
enum Source<'a> {
    /// A backup read and validated whole: the pages are cut from its staging.
    Staged(&'a Document),
    /// A backup file and its page index: the hashes come from the index, and
    /// only the pages the server lacks are read from the file.
    Indexed { file: &'a Path, index: &'a PageIndex },
    /// A manifest backup: the hashes come from its manifest, and the pages
    /// the server lacks straight from the local page store, each checked
    /// against its hash; the shop is not paged again.
    Stored {
        backups: &'a Path,
        stored: &'a StoredBackup,
    },
}

/// What a push sends besides the pages, however they were found.
struct Plan<'a> {
    meta: &'a Meta,
    backup_id: Uuid,
    manifest: Manifest,
    /// Every distinct page hash, in order.
    hashes: Vec<String>,
    /// Pages, repeats included, and their JSON bytes (the backup row's figures).
    page_count: usize,
    bytes: i64,
}

/// Pushes the local backup `file` (the backup `backup_id`), as the outbox
/// does. With its page index ([`PageIndex`]) only the pages the server
/// lacks are read from the file; without one (an older backup, a crash
/// between the two files), or with one that is damaged or does not match
/// the file, the whole file is read and validated ([`push_backup`]).
pub async fn push_file(remote: &mut Remote, file: &Path, backup_id: Uuid) -> Result<PushReport> {
    if page_store::is_manifest(file) {
        return push_stored(remote, file, backup_id).await;
    }
    let path = file.to_path_buf();
    let index = blocking(move || Ok(PageIndex::read(&path, backup_id))).await?;
    match index {
        Ok(index) => match push_indexed(remote, file, &index).await {
            Err(Error::LocalBackup { detail, .. }) => {
                tracing::warn!(%backup_id, %detail, "the page index does not match the backup: reading it whole");
            }
            done => return done,
        },
        Err(e) => tracing::info!(%backup_id, reason = %e, "no usable page index: reading the backup whole"),
    }
    let doc = read_backup(backup_id, file.to_path_buf()).await?;
    push_backup(remote, &doc).await
}

/// Pushes a manifest backup: the manifest says which pages it is made of,
/// and only those the server lacks are read, from the local page store.
async fn push_stored(remote: &mut Remote, file: &Path, backup_id: Uuid) -> Result<PushReport> {
    let path = file.to_path_buf();
    let local = move |e: sonic_core::Error| Error::LocalBackup {
        backup_id,
        detail: e.to_string(),
    };
    let stored = blocking(move || StoredBackup::read(&path).map_err(local)).await?;
    if stored.backup_id != backup_id {
        return Err(Error::LocalBackup {
            backup_id,
            detail: format!("its manifest is of backup {}", stored.backup_id),
        });
    }
    let mut seen = HashSet::new();
    let hashes: Vec<String> = stored
        .manifest
        .page_hashes()
        .filter(|h| seen.insert(h.as_str()))
        .cloned()
        .collect();
    let plan = Plan {
        meta: &stored.meta,
        backup_id,
        manifest: stored.manifest.clone(),
        hashes,
        page_count: stored.manifest.page_hashes().count(),
        bytes: i64::try_from(stored.page_bytes).unwrap_or(i64::MAX),
    };
    let backups = file.parent().unwrap_or(Path::new("."));
    push_plan(
        remote,
        plan,
        Source::Stored {
            backups,
            stored: &stored,
        },
    )
    .await
}

/// Pushes a backup through its page index: no page is read from the file
/// but those the server lacks, each checked against its hash.
async fn push_indexed(remote: &mut Remote, file: &Path, index: &PageIndex) -> Result<PushReport> {
    let meta = &index.meta;
    let in_meta = |(key, entry): (&String, &pages::SectionEntry)| {
        meta.sections
            .get(key)
            .is_some_and(|d| d.sha256 == entry.sha256 && d.records == entry.records)
    };
    if index.manifest.sections.len() != meta.sections.len() || !index.manifest.sections.iter().all(in_meta) {
        return Err(Error::LocalBackup {
            backup_id: index.backup_id,
            detail: "its page index's manifest does not match its _meta".into(),
        });
    }
    let mut seen = HashSet::new();
    let hashes = index
        .pages
        .iter()
        .filter(|p| seen.insert(p.hash.as_str()))
        .map(|p| p.hash.clone())
        .collect();
    let bytes = index.pages.iter().map(|p| p.json_len() as i64).sum();
    let plan = Plan {
        meta,
        backup_id: index.backup_id,
        manifest: index.manifest.clone(),
        hashes,
        page_count: index.pages.len(),
        bytes,
    };
    push_plan(remote, plan, Source::Indexed { file, index }).await
}

/// Pushes one backup (a validated document with `_meta` and a backup id),
/// uploading only the pages the server lacks, then reads the stored
/// snapshot hash back. Pushing a backup the server already has changes
/// nothing and reports `already_on_server`.
///
/// Memory is one batch: the pages are cut twice from the document's
/// staging database, once for their hashes (the manifest) and once for the
/// content of those the server lacks, which goes through an anonymous
/// temporary file into batches of `COPY … FROM STDIN (FORMAT binary)`.
/// A local backup file is pushed faster with [`push_file`].
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
    // The manifest and every distinct page hash, in order; no content kept.
    let mut seen = HashSet::new();
    let mut hashes: Vec<String> = Vec::new();
    let mut page_count = 0usize;
    let mut bytes: i64 = 0;
    let manifest = pages::for_each_page(doc, meta, |page| {
        page_count += 1;
        bytes += page.json.len() as i64;
        if seen.insert(page.hash.clone()) {
            hashes.push(page.hash);
        }
        Ok::<(), Error>(())
    })?;
    drop(seen);
    let plan = Plan {
        meta,
        backup_id,
        manifest,
        hashes,
        page_count,
        bytes,
    };
    push_plan(remote, plan, Source::Staged(doc)).await
}

/// The push itself: which pages the server lacks, those from `source`, the
/// backup row, the read-back.
async fn push_plan(remote: &mut Remote, plan: Plan<'_>, source: Source<'_>) -> Result<PushReport> {
    let Plan {
        meta,
        backup_id,
        manifest,
        hashes,
        page_count,
        bytes,
    } = plan;
    let server = remote.server().to_string();
    let q = |action: &'static str| {
        let server = server.clone();
        move |e| Error::query(action, &server, e)
    };
    let mut report = PushReport {
        backup_id,
        pages_total: hashes.len(),
        records_read: match source {
            Source::Staged(_) => meta.sections.values().map(|d| d.records).sum(),
            Source::Indexed { .. } | Source::Stored { .. } => 0,
        },
        ..PushReport::default()
    };

    let client = remote.client();
    let existing = client
        .query_opt(
            &format!("SELECT snapshot_sha256 FROM sonic_backups WHERE shop_id = {OWN_SHOP} AND backup_id = $1"),
            &[&backup_id],
        )
        .await
        .map_err(q("look the backup up"))?;
    if let Some(row) = existing {
        let stored: String = row.get(0);
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

    // Which pages the server lacks. A page counts as there only with its
    // body, which the server checked against its hash when it was stored
    // (a schema-1 page without one is sent again, and checked then).
    let ask = client
        .prepare(&format!(
            "SELECT hash FROM sonic_backup_pages
              WHERE shop_id = {OWN_SHOP} AND hash = ANY($1::text[]) AND body IS NOT NULL"
        ))
        .await
        .map_err(q("prepare the page lookup"))?;
    let mut missing: HashSet<String> = HashSet::new();
    for batch in hashes.chunks(ASK_BATCH) {
        let have: HashSet<String> = client
            .query(&ask, &[&batch])
            .await
            .map_err(q("list the pages it has"))?
            .into_iter()
            .map(|r| r.get(0))
            .collect();
        missing.extend(batch.iter().filter(|h| !have.contains(*h)).cloned());
    }

    if !missing.is_empty() {
        let (spool, batches) = spool_missing(&source, missing, &mut report)?;
        upload(remote, spool, &batches, &q).await?;
    }

    let manifest_json = serde_json::to_string(&manifest).map_err(|e| invalid(e.to_string()))?;
    let meta_json = serde_json::to_string(meta).map_err(|e| invalid(e.to_string()))?;
    let records: i64 = meta.sections.values().map(|d| d.records as i64).sum();
    let page_count = clamp_i32(page_count);
    let format_version = i32::try_from(meta.format_version).unwrap_or(i32::MAX);
    // The server refuses the row unless every page of the manifest is
    // stored for this shop, and sets `received_at` itself.
    remote
        .client()
        .execute(
            "INSERT INTO sonic_backups (backup_id, device_id, store_id, reason, created_at, app_version,
                                        format_version, snapshot_sha256, records, bytes, page_count, meta, manifest)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::text::jsonb, $13::text::jsonb)
             ON CONFLICT (shop_id, backup_id) DO NOTHING",
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
                &manifest_json,
            ],
        )
        .await
        .map_err(q("store the backup"))?;
    verify(remote, backup_id, &meta.snapshot_sha256, &hashes).await?;
    tracing::info!(
        backup_id = %backup_id,
        pages_uploaded = report.pages_uploaded,
        pages_total = report.pages_total,
        records_read = report.records_read,
        "backup pushed"
    );
    Ok(report)
}

/// Writes the pages in `missing` (each once) from `source` to an anonymous
/// temporary file, counting them in `report`. Returns the file, rewound, and
/// the number of pages in each upload batch. Through a page index, a page
/// that does not match its hash is [`Error::LocalBackup`]: nothing has been
/// uploaded yet, and the backup can still be read whole.
fn spool_missing(
    source: &Source<'_>,
    mut missing: HashSet<String>,
    report: &mut PushReport,
) -> Result<(std::fs::File, Vec<usize>)> {
    let file = tempfile::tempfile().map_err(spool_io)?;
    let mut spool = Spool {
        out: BufWriter::new(file),
        batches: vec![0],
        batch_bytes: 0,
        limit: batch_bytes(),
    };
    match source {
        Source::Staged(doc) => {
            let meta = doc
                .meta
                .as_ref()
                .ok_or_else(|| invalid("the backup has no _meta".into()))?;
            pages::for_each_page(doc, meta, |page| {
                if missing.remove(&page.hash) {
                    spool.add(&page, report)?;
                }
                Ok::<(), Error>(())
            })?;
        }
        Source::Indexed { file, index } => {
            let mut written = Ok(());
            let read = index.read_pages(
                file,
                |span| missing.remove(&span.hash),
                |page| {
                    // Keep a spool failure apart from a page that does not match.
                    written = spool.add(&page, report);
                    written
                        .as_ref()
                        .map_err(|_| sonic_core::Error::Invalid("the spool failed".into()))
                        .copied()
                },
            );
            written?;
            report.records_read += read.map_err(|e| Error::LocalBackup {
                backup_id: index.backup_id,
                detail: e.to_string(),
            })?;
        }
        Source::Stored { backups, stored } => {
            let pages = PageStore::of(backups);
            let mut json = Vec::new();
            for (section, entry) in &stored.manifest.sections {
                let named = std::iter::once(("", &entry.pages)).chain(entry.lists.iter().map(|(n, h)| (n.as_str(), h)));
                for (list, hashes) in named {
                    for hash in hashes {
                        if !missing.remove(hash) {
                            continue;
                        }
                        let local = |e: sonic_core::Error| Error::LocalBackup {
                            backup_id: stored.backup_id,
                            detail: e.to_string(),
                        };
                        let key = sonic_core::SectionKey::from_key(section);
                        let name = key.and_then(|k| sonic_core::pages::list_name(k, list));
                        let (Some(key), Some(list)) = (key, name) else {
                            return Err(local(sonic_core::Error::Invalid(format!(
                                "its manifest names no list {section}/{list}"
                            ))));
                        };
                        pages.read_page(section, list, hash, &mut json).map_err(local)?;
                        let text = String::from_utf8(std::mem::take(&mut json))
                            .map_err(|_| local(sonic_core::Error::Invalid(format!("page {hash} is not text"))))?;
                        let page = Page {
                            hash: hash.clone(),
                            section: key,
                            list,
                            records: page_store::count_records(&text),
                            json: text,
                        };
                        report.records_read += page.records as u64;
                        spool.add(&page, report)?;
                    }
                }
            }
        }
    }
    let Spool { out, batches, .. } = spool;
    let mut file = out.into_inner().map_err(|e| spool_io(e.into_error()))?;
    file.seek(SeekFrom::Start(0)).map_err(spool_io)?;
    Ok((file, batches))
}

fn spool_io(e: std::io::Error) -> Error {
    invalid(format!("the push's temporary file failed: {e}"))
}

/// The pages to upload, in a temporary file, cut into batches of about
/// [`BATCH_BYTES`].
struct Spool {
    out: BufWriter<std::fs::File>,
    /// Pages per batch.
    batches: Vec<usize>,
    batch_bytes: u64,
    /// Bytes per batch ([`batch_bytes`]).
    limit: u64,
}

impl Spool {
    fn add(&mut self, page: &Page, report: &mut PushReport) -> Result<()> {
        let out = &mut self.out;
        let records = u32::try_from(page.records).unwrap_or(u32::MAX);
        let len = u32::try_from(page.json.len()).map_err(|_| invalid(format!("page {} is over 4 GiB", page.hash)))?;
        out.write_all(page.hash.as_bytes()).map_err(spool_io)?;
        out.write_all(&[page.section.as_str().len() as u8, page.list.len() as u8])
            .map_err(spool_io)?;
        out.write_all(page.section.as_str().as_bytes()).map_err(spool_io)?;
        out.write_all(page.list.as_bytes()).map_err(spool_io)?;
        out.write_all(&records.to_le_bytes()).map_err(spool_io)?;
        out.write_all(&len.to_le_bytes()).map_err(spool_io)?;
        out.write_all(page.json.as_bytes()).map_err(spool_io)?;
        report.pages_uploaded += 1;
        report.bytes_uploaded += page.json.len() as u64;
        *report
            .uploaded_by_section
            .entry(page.section.as_str().to_string())
            .or_default() += 1;
        if self.batch_bytes > 0 && self.batch_bytes + page.json.len() as u64 > self.limit {
            self.batches.push(0);
            self.batch_bytes = 0;
        }
        self.batch_bytes += page.json.len() as u64;
        if let Some(n) = self.batches.last_mut() {
            *n += 1;
        }
        Ok(())
    }
}

/// One spooled page, read back.
struct Spooled {
    hash: String,
    section: String,
    list: String,
    records: i32,
    body: String,
}

fn read_spooled(input: &mut impl Read) -> std::io::Result<Spooled> {
    let mut hash = [0u8; 64];
    input.read_exact(&mut hash)?;
    let mut lens = [0u8; 2];
    input.read_exact(&mut lens)?;
    let section = read_text(input, usize::from(lens[0]))?;
    let list = read_text(input, usize::from(lens[1]))?;
    let mut n = [0u8; 4];
    input.read_exact(&mut n)?;
    let records = i32::try_from(u32::from_le_bytes(n)).unwrap_or(i32::MAX);
    input.read_exact(&mut n)?;
    let body = read_text(input, u32::from_le_bytes(n) as usize)?;
    Ok(Spooled {
        hash: String::from_utf8_lossy(&hash).into_owned(),
        section,
        list,
        records,
        body,
    })
}

fn read_text(input: &mut impl Read, n: usize) -> std::io::Result<String> {
    let mut buf = vec![0u8; n];
    input.read_exact(&mut buf)?;
    String::from_utf8(buf).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Uploads the spooled pages, one transaction per batch: `COPY` into a
/// temporary table, then `INSERT … SELECT` (the server checks each page's
/// hash; a page some earlier, cut push already stored is left as it is,
/// and a schema-1 page gets its body).
async fn upload<F>(
    remote: &mut Remote,
    spool: std::fs::File,
    batches: &[usize],
    q: &impl Fn(&'static str) -> F,
) -> Result<()>
where
    F: FnOnce(tokio_postgres::Error) -> Error,
{
    let io = |e: std::io::Error| invalid(format!("the push's temporary file failed: {e}"));
    let mut input = BufReader::with_capacity(256 * 1024, spool);
    remote
        .client()
        .batch_execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS sonic_page_upload
                 (hash text, section text, list text, record_count int4, body text) ON COMMIT DELETE ROWS",
        )
        .await
        .map_err(q("prepare the page upload"))?;
    let types = [Type::TEXT, Type::TEXT, Type::TEXT, Type::INT4, Type::TEXT];
    for &count in batches {
        let tx = remote.client_mut().transaction().await.map_err(q("start the upload"))?;
        let sink = tx
            .copy_in("COPY sonic_page_upload (hash, section, list, record_count, body) FROM STDIN (FORMAT binary)")
            .await
            .map_err(q("store the pages"))?;
        let writer = BinaryCopyInWriter::new(sink, &types);
        let mut writer = std::pin::pin!(writer);
        for _ in 0..count {
            let page = read_spooled(&mut input).map_err(io)?;
            writer
                .as_mut()
                .write(&[&page.hash, &page.section, &page.list, &page.records, &page.body])
                .await
                .map_err(q("store the pages"))?;
        }
        writer.finish().await.map_err(q("store the pages"))?;
        tx.execute(
            "INSERT INTO sonic_backup_pages (hash, section, list, record_count, body)
             SELECT hash, section, list, record_count, body FROM sonic_page_upload
             ON CONFLICT (shop_id, hash) DO UPDATE SET body = EXCLUDED.body
              WHERE sonic_backup_pages.body IS NULL",
            &[],
        )
        .await
        .map_err(q("store the pages"))?;
        tx.commit().await.map_err(q("commit the pages"))?;
    }
    Ok(())
}

/// Reads back the stored snapshot hash and checks that every page is there.
async fn verify(remote: &Remote, backup_id: Uuid, expected: &str, hashes: &[String]) -> Result<()> {
    let row = remote
        .client()
        .query_opt(
            &format!(
                "SELECT b.snapshot_sha256,
                        (SELECT count(*) FROM sonic_backup_pages p
                          WHERE p.shop_id = b.shop_id AND p.hash = ANY($2::text[]) AND p.body IS NOT NULL)
                   FROM sonic_backups b WHERE b.shop_id = {OWN_SHOP} AND b.backup_id = $1"
            ),
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
        let outcome = match entry.file {
            Some(file) => push_file(&mut remote, &file, id).await,
            None => Err(Error::LocalBackup {
                backup_id: id,
                detail: "it is no longer listed in this data directory".into(),
            }),
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
