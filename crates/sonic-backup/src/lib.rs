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
//! ## Many shops, one server
//! Each till connects with its shop's role; PostgreSQL's row-level security
//! gives it its own shop's backups and pages only, and takes the shop from
//! the role on the server (the client never names it). A head-office role
//! reads every shop. Pages are keyed by (shop, hash), backups by (shop, id);
//! `latest` is the newest by the server's `received_at`. The server checks
//! every page's hash itself and refuses a backup row whose pages are not all
//! there. Why row-level security rather than a schema per shop, and why the
//! pages are stored as canonical text: [`schema`].
//!
//! ## Data flow of a push
//! local backup file → its page index ([`sonic_core::snapshot::PageIndex`]:
//! the manifest and the page hashes the writer cut, checksummed) → ask the
//! server which hashes it lacks, 2,000 at a time → read only those pages
//! from the file, each checked against its hash, to an anonymous temporary
//! file → batches of about 8 MB, each one transaction of `COPY … FROM STDIN
//! (FORMAT binary)` into a temporary table and `INSERT … SELECT … ON
//! CONFLICT DO NOTHING`
//! (the server checks each hash) → the backup row (`ON CONFLICT DO
//! NOTHING`: a retried backup is stored once; refused unless all its pages
//! are there) → read the stored snapshot hash back → mark the outbox row
//! pushed. Memory is one page and one batch, whatever the shop. A backup
//! without a usable index (older, a crash, damaged, not matching its file)
//! is pushed the long way: [`sonic_core::snapshot::read_file`] (validated,
//! staged) → [`pages::for_each_page`] for the hashes → the same questions →
//! cut again, the lacking pages to the temporary file → the same batches.
//!
//! ## Data flow of a pull
//! the backup row → [`pages::export_layout`] (the export file as text and
//! pages in file order) → pages fetched 64 at a time, each verified byte for
//! byte against its hash, appended to a temporary export file →
//! [`sonic_core::snapshot::read`] (the streaming import into a staging
//! database) → section and snapshot hashes checked.
//!
//! ## Invariants
//! - A backup is marked pushed only after its snapshot hash and all its pages
//!   were read back from the server.
//! - A pulled backup is handed out only after every page hash, every section
//!   hash and the snapshot hash verified.
//! - The server password never appears in logs, errors or output: servers
//!   are shown through [`ServerConfig::redacted`]. A role's password is sent
//!   to the server only as a SCRAM-SHA-256 verifier ([`schema::login_role_sql`]).
//! - The tills need only SELECT and INSERT of their own shop's rows
//!   ([`schema::grant_role`]).

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
pub use pull::{find_backup, list_backups, pull, pull_into, ListFilter, Pulled, ServerBackup};
pub use push::{push_backup, push_file, push_pending, PushPass, PushReport, BATCH_BYTES_ENV};
pub use pusher::{PushStatus, Pusher, PusherOptions};
