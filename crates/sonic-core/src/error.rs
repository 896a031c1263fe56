//! The one error type of `sonic-core`. Every variant names what went wrong
//! and, where there is one, what to do next.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Result with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Something `sonic-core` could not do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no data directory could be found for this user; pass --data-dir or set SONIC_DATA_DIR")]
    NoDataDir,

    #[error("{action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },

    #[error("the disk is full while writing {path}; free some space and try again (nothing was changed)")]
    DiskFull { path: PathBuf },

    #[error("database error: {0}")]
    Sqlite(rusqlite::Error),

    #[error(
        "the disk failed to save the last change ({detail}); to keep the shop's data safe Sonic POS takes no \
         more sales until it is restarted. After the restart check the last invoice: that sale may or may not \
         have been saved"
    )]
    Stopped { detail: String },

    #[error(
        "the database {path} is damaged ({detail}); restore the newest good backup \
         (`sonic-pos-admin backups`, then `sonic-pos-admin restore ID`) into a fresh data directory"
    )]
    Damaged { path: PathBuf, detail: String },

    #[error(
        "the database was written by a newer Sonic POS (schema version {found}; this version knows up to {known}); \
         install the newer Sonic POS"
    )]
    SchemaTooNew { found: i64, known: i64 },

    #[error(transparent)]
    Rejected(#[from] Rejection),

    #[error("no backup {0}; `sonic-pos-admin backups` lists the backups of this data directory")]
    BackupNotFound(String),

    #[error("backup page {hash} ({file}) {detail}: the backups that need it cannot be restored; use an older one")]
    DamagedPage {
        hash: String,
        file: PathBuf,
        detail: String,
    },

    #[error("backup id {prefix} matches {count} backups; give more of the id")]
    AmbiguousBackup { prefix: String, count: usize },

    #[error(
        "the store already holds data ({records} records); importing would replace it. \
         Use `restore` (it keeps a safety backup first) or pass --replace"
    )]
    StoreNotEmpty { records: u64 },

    #[error("the store is not empty ({records} records); `gen` fills only an empty data directory")]
    GenNeedsEmptyStore { records: u64 },

    #[error("{0}")]
    Invalid(String),

    #[error("no {what} with id {id}")]
    NotFound { what: &'static str, id: String },

    #[error("not enough stock of {item} in store {store}: {have} in stock, {want} wanted")]
    InsufficientStock {
        item: String,
        store: String,
        have: i64,
        want: i64,
    },

    #[error("cannot return {want} of {item}: {sold} sold on this invoice, {returned} already returned")]
    OverReturn {
        item: String,
        sold: i64,
        returned: i64,
        want: i64,
    },

    #[error("wrong PIN for {user}; {attempts_left} attempts left before the account is locked")]
    WrongPin { user: String, attempts_left: u32 },

    #[error(
        "{user} is locked after too many wrong PINs until {until}; a manager or the owner can wait or reset the PIN"
    )]
    Locked {
        user: String,
        until: chrono::DateTime<chrono::Utc>,
    },

    #[error("{action} needs a {needs} (or higher); {user} is a {has}. Ask a {needs} to enter their PIN")]
    Forbidden {
        action: &'static str,
        needs: crate::sections::Role,
        has: crate::sections::Role,
        user: String,
    },

    #[error("{action} needs a manager's approval (manager PIN)")]
    ApprovalRequired { action: &'static str },

    #[error(
        "credit limit of {customer} is {limit} IQD; they owe {owed} IQD and this would make {would_owe} IQD. \
         Take more payment now or raise the limit"
    )]
    CreditLimit {
        customer: String,
        limit: i64,
        owed: i64,
        would_owe: i64,
    },

    #[error("{what} must be more than zero, found {found}")]
    NotPositive { what: &'static str, found: i64 },

    #[error("the {key} rate is not set; set it in Settings → Rates first")]
    RateNotSet { key: crate::sections::SectionKey },

    /// `item` is the other item's name.
    #[error("barcode {barcode} is already used by item {item}")]
    DuplicateBarcode { barcode: String, item: String },

    #[error("{0}")]
    Conflict(String),

    /// A refusal with its reason and values as data, for the UI to word in
    /// the user's language; the English text is for logs and the CLI.
    #[error("{}", .0.message)]
    Refused(Box<Refusal>),
}

/// A refusal the UI words from its own text (`error.reason.<reason>`):
/// names, never internal ids; amounts with their currency; statuses by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `Validation`, `Conflict` or `NotFound`: how the UI heads it.
    pub code: &'static str,
    /// Which rule refused it (`debtSettled`, `statusChange`, …).
    pub reason: &'static str,
    /// Named values, in order.
    pub params: Vec<(&'static str, Param)>,
    /// The same in English, for logs and the admin tool.
    pub message: String,
}

/// One value of a [`Refusal`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Param {
    /// A name as the user typed it (an item, a customer, a user).
    Text(String),
    /// A count or a number the UI formats in the user's digits.
    Count(i64),
    /// An amount in the currency's minor unit.
    Money {
        minor: i64,
        currency: crate::sections::Currency,
    },
    /// An instant, shown as a local date.
    Date(chrono::DateTime<chrono::Utc>),
    /// A repair ticket's status, worded by the UI.
    Status(crate::sections::ServiceStatus),
}

impl Param {
    /// The value as the UI receives it: a string or number, or an object
    /// saying how to word it (`{minor, currency}`, `{date}`, `{status}`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Param::Text(s) => json!(s),
            Param::Count(n) => json!(n),
            Param::Money { minor, currency } => json!({ "minor": minor, "currency": currency.code() }),
            Param::Date(t) => json!({ "date": t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true) }),
            Param::Status(s) => json!({ "status": s }),
        }
    }
}

impl Refusal {
    /// A refusal of input (`Validation`).
    pub fn invalid(reason: &'static str, message: impl Into<String>) -> Refusal {
        Refusal::new("Validation", reason, message)
    }

    /// A refusal because of what is stored (`Conflict`).
    pub fn conflict(reason: &'static str, message: impl Into<String>) -> Refusal {
        Refusal::new("Conflict", reason, message)
    }

    fn new(code: &'static str, reason: &'static str, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            reason,
            params: Vec::new(),
            message: message.into(),
        }
    }

    /// Adds a named value.
    pub fn with(mut self, name: &'static str, value: Param) -> Refusal {
        self.params.push((name, value));
        self
    }

    /// Adds an amount.
    pub fn money(self, name: &'static str, minor: i64, currency: crate::sections::Currency) -> Refusal {
        self.with(name, Param::Money { minor, currency })
    }

    /// Adds a name.
    pub fn text(self, name: &'static str, value: impl Into<String>) -> Refusal {
        self.with(name, Param::Text(value.into()))
    }
}

impl From<Refusal> for Error {
    fn from(r: Refusal) -> Error {
        Error::Refused(Box::new(r))
    }
}

impl Error {
    /// Wraps an I/O error with what was being done and where, spotting a full
    /// disk so that it gets its own message.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Error {
        let path = path.into();
        if is_disk_full(&source) {
            Error::DiskFull { path }
        } else {
            Error::Io { action, path, source }
        }
    }

    /// A short stable code for the error, for the UI and `--json` output.
    pub fn code(&self) -> &'static str {
        match self {
            Error::NoDataDir => "NoDataDir",
            Error::Io { .. } => "Io",
            Error::DiskFull { .. } => "DiskFull",
            Error::Sqlite(_) => "Database",
            Error::Stopped { .. } => "Stopped",
            Error::Damaged { .. } => "Damaged",
            Error::SchemaTooNew { .. } => "SchemaTooNew",
            Error::Rejected(_) => "Rejected",
            Error::BackupNotFound(_) => "NotFound",
            Error::AmbiguousBackup { .. } => "Ambiguous",
            Error::DamagedPage { .. } => "Validation",
            Error::StoreNotEmpty { .. } | Error::GenNeedsEmptyStore { .. } => "NotEmpty",
            Error::Invalid(_) | Error::NotPositive { .. } => "Validation",
            Error::NotFound { .. } => "NotFound",
            Error::InsufficientStock { .. } => "InsufficientStock",
            Error::OverReturn { .. } => "OverReturn",
            Error::WrongPin { .. } => "WrongPin",
            Error::Locked { .. } => "Locked",
            Error::Forbidden { .. } => "Forbidden",
            Error::ApprovalRequired { .. } => "ApprovalRequired",
            Error::CreditLimit { .. } => "CreditLimit",
            Error::RateNotSet { .. } => "RateNotSet",
            Error::DuplicateBarcode { .. } => "DuplicateBarcode",
            Error::Conflict(_) => "Conflict",
            Error::Refused(r) => r.code,
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(err: rusqlite::Error) -> Error {
        if is_sqlite_full(&err) {
            Error::DiskFull {
                path: PathBuf::from("the database (sonic-pos.db)"),
            }
        } else {
            Error::Sqlite(err)
        }
    }
}

/// By kind, never by raw number: std maps each OS's codes to the kinds
/// (ENOSPC and EDQUOT on Unix; ERROR_DISK_FULL, ERROR_HANDLE_DISK_FULL and
/// ERROR_DISK_QUOTA_EXCEEDED on Windows), while the numbers mean other things
/// elsewhere (28 is ERROR_OUT_OF_PAPER on Windows). EFBIG, the RLIMIT_FSIZE
/// case on Linux, is FileTooLarge.
fn is_disk_full(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge
    )
}

fn is_sqlite_full(err: &rusqlite::Error) -> bool {
    matches!(err.sqlite_error_code(), Some(rusqlite::ErrorCode::DiskFull))
}

/// Where a problem in a backup or export file is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The section key (`sonic_invoices`), or `_meta`, or empty for the file itself.
    pub key: String,
    /// The record's position in its list, with the list's name inside an
    /// object section (`items[3]`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record: Option<String>,
    /// The record's id, where it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The field inside the record (`lines[0].qty`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            return f.write_str(&self.message);
        }
        f.write_str(&self.key)?;
        if let Some(record) = &self.record {
            write!(f, " record {record}")?;
        }
        if let Some(id) = &self.id {
            write!(f, " (id {id})")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, " {}", self.message)
    }
}

/// A file that was refused, with every problem found in it (up to a limit).
/// Nothing was written.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    pub source: String,
    pub problems: Vec<Problem>,
}

impl std::error::Error for Rejection {}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{} was refused, nothing was changed ({n} problem{}):",
            self.source,
            if n == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_gets_its_own_error() {
        let err = Error::io("writing", "/x/y", io::Error::from(io::ErrorKind::StorageFull));
        assert!(matches!(err, Error::DiskFull { .. }));
        assert_eq!(err.code(), "DiskFull");
        assert!(err.to_string().contains("free some space"));
    }

    #[test]
    fn each_systems_own_disk_full_code_is_recognised() {
        // ENOSPC on Unix; ERROR_DISK_FULL (112) on Windows.
        let raw = if cfg!(windows) { 112 } else { 28 };
        let err = Error::io("writing", "/x/y", io::Error::from_raw_os_error(raw));
        assert!(matches!(err, Error::DiskFull { .. }), "{err:?}");
        // 28 is ERROR_OUT_OF_PAPER on Windows: not a full disk there.
        if cfg!(windows) {
            let paper = Error::io("writing", "/x/y", io::Error::from_raw_os_error(28));
            assert!(!matches!(paper, Error::DiskFull { .. }), "{paper:?}");
        }
    }

    #[test]
    fn problems_name_key_record_id_and_field() {
        let p = Problem {
            key: "sonic_invoices".into(),
            record: Some("12".into()),
            id: Some("\"inv-9\"".into()),
            field: Some("lines[0].qty".into()),
            message: "must be more than zero, found -2 (negative)".into(),
        };
        assert_eq!(
            p.to_string(),
            "sonic_invoices record 12 (id \"inv-9\"): field `lines[0].qty` must be more than zero, found -2 (negative)"
        );
    }
}
