//! # sonic-backup
//!
//! Sonic POS backups on a PostgreSQL server: the server schema, cutting a
//! backup into content-addressed pages, pushing the backups queued in the
//! local [outbox](sonic_core::outbox) (by hand or from a background
//! [`Pusher`] with exponential back-off), listing the server's backups and
//! pulling one back as an export file that `sonic-core` restores like a
//! local one.
//!
//! It is **not** the local store, the export format or the restore: those
//! are `sonic-core`'s, and this crate only reads local backup files and hands
//! back documents. It knows nothing of Tauri; the desktop shell calls
//! [`Pusher::start`], [`Pusher::status`], [`Pusher::wake`] and
//! [`Pusher::push_now`].
//!
//! ## Data flow of a push
//! local backup file → [`sonic_core::snapshot::read_file`] (validated, hashes
//! checked) → [`pages::page_document`] (pages + manifest) → one server
//! transaction: upload only the pages the server lacks, then the backup row
//! (`ON CONFLICT DO NOTHING`: a retried backup is stored once) → read the
//! stored snapshot hash back → mark the outbox row pushed.
//!
//! ## Invariants
//! - A backup is marked pushed only after its snapshot hash and all its pages
//!   were read back from the server.
//! - A pulled backup is handed out only after every page hash, every section
//!   hash and the snapshot hash verified.
//! - The server password never appears in logs, errors or output: servers
//!   are shown through [`ServerConfig::redacted`].
//! - The tills need only SELECT and INSERT on the two tables
//!   ([`schema::grant_backup_role`]).

#![forbid(unsafe_code)]

mod connect;
mod error;
pub mod pages;
mod pull;
mod push;
mod pusher;
pub mod schema;

pub use connect::{keep_saved_password, redact_password, Remote, ServerConfig, TlsMode, PASSWORD_SHOWN_AS};
pub use error::{Error, ListName, Result};
pub use pull::{find_backup, list_backups, pull, ListFilter, Pulled, ServerBackup};
pub use push::{push_backup, push_pending, PushPass, PushReport};
pub use pusher::{PushStatus, Pusher, PusherOptions};
