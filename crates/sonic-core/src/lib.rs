//! # sonic-core
//!
//! The heart of Sonic POS: the 16 data sections, the local SQLite store that
//! keeps them, consistent snapshots, the export/import format and local
//! backup files. It knows nothing of Tauri or PostgreSQL; the desktop shell
//! and the admin CLI are thin layers over it, and `sonic-backup` pushes the
//! snapshots it makes to a server.
//!
//! ## Invariants
//! - Every change to the sections is one SQLite transaction; when a call
//!   returns `Ok`, the change is on disk (WAL, `synchronous=FULL`).
//! - A file is validated completely before anything is written; a refused
//!   file leaves the store exactly as it was.
//! - Records keep fields this code does not know: import then export loses
//!   nothing.
//! - Money is integer minor units (IQD dinars, USD cents); rates are decimals.
//!
//! ## Map
//! - [`sections`]: the 16 keys and their typed records.
//! - [`store`]: opening the database, migrations, record tables.
//! - [`snapshot`]: the export format, reading and writing it.
//! - [`backup`]: local compressed backup files and their retention.
//! - [`outbox`]: the queue of backups waiting to reach the backup server.
//! - [`pages`]: how a backup is cut into content-addressed pages for the server.
//! - [`restore`]: preview and replace-all from a file or a backup.
//! - [`legacy`]: whole-section reads and merged writes for the old HTML POS.
//! - [`gen`]: deterministic shop data for tests and benchmarks.

#![forbid(unsafe_code)]

pub mod backup;
pub mod canonical;
pub mod error;
pub mod gen;
mod identity;
pub mod legacy;
pub mod money;
pub mod ops;
pub mod outbox;
pub mod page_store;
pub mod pages;
pub mod recovery;
pub mod restore;
pub mod sections;
pub mod snapshot;
pub mod store;

pub use error::{Error, Param, Problem, Refusal, Rejection, Result};

/// 2^53 - 1, the largest whole number the webview's JavaScript numbers hold
/// exactly: the bound on counters and numbers a file may bring in.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;
pub use sections::SectionKey;
pub use store::{DataDir, Readable, Reader, SectionCounts, Store};

/// This build's version, as written in `_meta.appVersion`.
pub const APP_VERSION: &str = env!("CARGO_PKG_VERSION");
