//! The one error type of `sonic-backup`. Every variant says what went wrong
//! and what to do; none ever holds the server password (server addresses are
//! always shown through [`crate::ServerConfig::redacted`]).

use std::fmt;
use uuid::Uuid;

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Something `sonic-backup` could not do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("bad server settings: {0}")]
    Config(String),

    #[error(
        "the backup server {server} cannot be reached ({detail}); backups stay queued and are pushed when it answers"
    )]
    Unreachable { server: String, detail: String },

    #[error("TLS with the backup server {server} failed: {detail}")]
    Tls { server: String, detail: String },

    #[error("the backup server {server} refused the login ({detail}); check the user name and password")]
    Login { server: String, detail: String },

    #[error(
        "the backup server has no Sonic POS schema (or an old one, version {found}); \
         run `sonic-pos-admin server init` as an owner of the database"
    )]
    SchemaMissing { found: i64 },

    #[error(
        "the backup server's schema is version {found}, newer than this Sonic POS knows ({known}); \
         update Sonic POS"
    )]
    SchemaTooNew { found: i64, known: i64 },

    #[error("the backup server refused to {action}: permission denied ({detail})")]
    PermissionDenied { action: &'static str, detail: String },

    #[error("the backup server failed while trying to {action}: {detail}")]
    Server { action: &'static str, detail: String },

    #[error(transparent)]
    Core(#[from] sonic_core::Error),

    #[error("backup {0} is not on the server; `sonic-pos-admin server list` shows what is")]
    NotOnServer(String),

    #[error(
        "page {hash} ({section}{list}, page {index} of the section) of server backup {backup_id} {problem}; \
         nothing was restored"
    )]
    CorruptPage {
        backup_id: Uuid,
        section: String,
        list: ListName,
        index: usize,
        hash: String,
        problem: String,
    },

    #[error("server backup {backup_id} is damaged: {detail}; nothing was restored")]
    CorruptBackup { backup_id: Uuid, detail: String },

    #[error("after pushing backup {backup_id} the server holds {found:?} instead of snapshot hash {expected}; it stays queued")]
    VerifyFailed {
        backup_id: Uuid,
        expected: String,
        found: Option<String>,
    },

    #[error("the local backup {backup_id} cannot be pushed: {detail}")]
    LocalBackup { backup_id: Uuid, detail: String },

    #[error("timed out after {seconds} s waiting for the backup server; backups stay queued")]
    Timeout { seconds: u64 },

    #[error("the background pusher has stopped")]
    PusherStopped,

    #[error("pushing is stopped: {reason}; nothing more is uploaded from this till until it is recovered")]
    Halted { reason: String },
}

/// The name of a record list inside an object section, shown after the
/// section in messages (`sonic_shop_data.items`); empty for a plain list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListName(pub String);

impl fmt::Display for ListName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, ".{}", self.0)
        }
    }
}

impl Error {
    /// A short stable code for the UI and `--json` output.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Config(_) => "Config",
            Error::Unreachable { .. } => "Unreachable",
            Error::Tls { .. } => "Tls",
            Error::Login { .. } => "Login",
            Error::SchemaMissing { .. } => "SchemaMissing",
            Error::SchemaTooNew { .. } => "SchemaTooNew",
            Error::PermissionDenied { .. } => "PermissionDenied",
            Error::Server { .. } => "Server",
            Error::Core(e) => e.code(),
            Error::NotOnServer(_) => "NotFound",
            Error::CorruptPage { .. } | Error::CorruptBackup { .. } => "Corrupt",
            Error::VerifyFailed { .. } => "VerifyFailed",
            Error::LocalBackup { .. } => "LocalBackup",
            Error::Timeout { .. } => "Timeout",
            Error::PusherStopped => "Stopped",
            Error::Halted { .. } => "Halted",
        }
    }

    /// Whether the error is about reaching the server (so the next backup
    /// will not fare better now, and the pusher should back off), rather
    /// than about one backup.
    pub fn is_connection(&self) -> bool {
        matches!(
            self,
            Error::Unreachable { .. } | Error::Tls { .. } | Error::Login { .. } | Error::Timeout { .. }
        )
    }

    /// Classifies an error of a query on an open connection.
    pub(crate) fn query(action: &'static str, server: &str, err: tokio_postgres::Error) -> Error {
        if let Some(db) = err.as_db_error() {
            let detail = db.message().to_string();
            return if *db.code() == tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE {
                Error::PermissionDenied { action, detail }
            } else {
                Error::Server { action, detail }
            };
        }
        // No answer from the server: the connection broke or was closed.
        Error::Unreachable {
            server: server.to_string(),
            detail: format!("{action}: {}", describe(&err)),
        }
    }
}

/// The error and its causes on one line (`tokio_postgres::Error`'s own
/// message often hides the cause, e.g. "error connecting to server").
pub(crate) fn describe(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_corrupt_page_error_names_the_page_and_its_section() {
        let err = Error::CorruptPage {
            backup_id: Uuid::nil(),
            section: "sonic_shop_data".into(),
            list: ListName("items".into()),
            index: 2,
            hash: "ab".repeat(32),
            problem: "does not match its hash".into(),
        };
        let text = err.to_string();
        assert!(text.contains(&"ab".repeat(32)), "{text}");
        assert!(text.contains("sonic_shop_data.items"), "{text}");
        assert!(text.contains("nothing was restored"), "{text}");
        assert_eq!(err.code(), "Corrupt");
    }
}
