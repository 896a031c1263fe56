//! The one error shape that crosses to the webview:
//! `{"code": "…", "message": "…", "params": {…}}`.
//!
//! The front end switches on `code` (a closed set, [`Code`]). Where the
//! error carries `params` (named values: counts, amounts as
//! `{"minor", "currency"}`, names, times), the UI words it from its own
//! text in the user's language; otherwise it shows `message`, which says in
//! English what went wrong and what to do next (and goes to the log). It
//! never matches on message text.

use serde::Serialize;

/// What kind of failure this is, for the UI to choose how to show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Code {
    /// The input was refused; the message names the field.
    Validation,
    /// What was asked for does not exist.
    NotFound,
    /// The disk is full; nothing was changed.
    DiskFull,
    /// The database or a file could not be read or written.
    Storage,
    /// The disk failed to save a change: the till takes no more sales
    /// until Sonic POS is restarted (the message says so).
    Stopped,
    /// The database is damaged; restore a backup.
    Damaged,
    /// The data was written by a newer Sonic POS.
    SchemaTooNew,
    /// A file (backup, export) was refused; nothing was changed.
    Rejected,
    /// The operation would replace existing data.
    NotEmpty,
    /// Something in the shell itself failed (a worker thread, an event).
    Internal,
    /// Not enough stock in the store for a sale, transfer or part.
    InsufficientStock,
    /// More returned than was sold.
    OverReturn,
    /// The PIN was wrong; the message says how many tries are left.
    WrongPin,
    /// Too many wrong PINs: the user is locked for a while.
    Locked,
    /// The signed-in user's role may not do this.
    Forbidden,
    /// A manager's PIN must approve this (e.g. a large return).
    ApprovalNeeded,
    /// The customer would owe more than their credit limit.
    CreditLimit,
    /// A needed rate (IQD per USD) is not set.
    RateNotSet,
    /// Another item has this barcode.
    DuplicateBarcode,
    /// The change conflicts with what is stored (a name in use, set-up done).
    Conflict,
    /// Nobody is signed in on this till.
    SignInNeeded,
    /// The backup server could not be reached.
    Offline,
    /// The receipt printer could not be reached (off, no paper, unplugged);
    /// what it printed for is stored all the same.
    PrinterOffline,
}

/// An error as the webview receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{message}")]
pub struct UiError {
    pub code: Code,
    pub message: String,
    /// Named values the UI words the error with (none: it shows `message`).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub params: serde_json::Map<String, serde_json::Value>,
}

impl UiError {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        UiError {
            code,
            message: message.into(),
            params: serde_json::Map::new(),
        }
    }

    /// Adds a named value for the UI's wording.
    pub fn with(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.params.insert(name.into(), value.into());
        self
    }
}

/// Dinars as an error parameter.
fn iqd(minor: i64) -> serde_json::Value {
    serde_json::json!({ "minor": minor, "currency": "IQD" })
}

/// The values of a core error the UI words it with.
fn params_of(err: &sonic_core::Error, ui: UiError) -> UiError {
    use sonic_core::Error as E;
    match err {
        E::WrongPin { user, attempts_left } => ui.with("user", user.as_str()).with("left", *attempts_left),
        E::Locked { user, until } => ui.with("user", user.as_str()).with("until", until.to_rfc3339()),
        E::InsufficientStock {
            item,
            store,
            have,
            want,
        } => ui
            .with("item", item.as_str())
            .with("store", store.as_str())
            .with("have", *have)
            .with("want", *want),
        E::OverReturn {
            item,
            sold,
            returned,
            want,
        } => ui
            .with("item", item.as_str())
            .with("sold", *sold)
            .with("returned", *returned)
            .with("want", *want),
        E::Forbidden { needs, user, .. } => ui.with("needs", needs.to_string()).with("user", user.as_str()),
        E::CreditLimit {
            customer,
            limit,
            owed,
            would_owe,
        } => ui
            .with("customer", customer.as_str())
            .with("limit", iqd(*limit))
            .with("owed", iqd(*owed))
            .with("wouldOwe", iqd(*would_owe)),
        E::DuplicateBarcode { barcode, item } => ui.with("barcode", barcode.as_str()).with("item", item.as_str()),
        E::Refused(r) => r.params.iter().fold(ui.with("reason", r.reason), |ui, (name, value)| {
            ui.with(name, value.to_json())
        }),
        // The id is left out: it means nothing to a cashier (the log keeps it).
        E::NotFound { what, .. } => ui.with("reason", "notFound").with("what", *what),
        E::Damaged { path, .. } => ui
            .with("reason", "databaseDamaged")
            .with("path", path.display().to_string()),
        E::NotPositive { what, found } => ui
            .with("reason", "notPositive")
            .with("what", *what)
            .with("found", *found),
        _ => ui,
    }
}

impl From<sonic_core::Error> for UiError {
    fn from(err: sonic_core::Error) -> Self {
        let code = match err.code() {
            "Validation" => Code::Validation,
            "NotFound" | "Ambiguous" => Code::NotFound,
            "DiskFull" => Code::DiskFull,
            "Stopped" => Code::Stopped,
            "Damaged" => Code::Damaged,
            "SchemaTooNew" => Code::SchemaTooNew,
            "Rejected" => Code::Rejected,
            "NotEmpty" => Code::NotEmpty,
            "InsufficientStock" => Code::InsufficientStock,
            "OverReturn" => Code::OverReturn,
            "WrongPin" => Code::WrongPin,
            "Locked" => Code::Locked,
            "Forbidden" => Code::Forbidden,
            "ApprovalRequired" => Code::ApprovalNeeded,
            "CreditLimit" => Code::CreditLimit,
            "RateNotSet" => Code::RateNotSet,
            "DuplicateBarcode" => Code::DuplicateBarcode,
            "Conflict" => Code::Conflict,
            _ => Code::Storage,
        };
        params_of(&err, UiError::new(code, err.to_string()))
    }
}

impl From<sonic_backup::Error> for UiError {
    fn from(err: sonic_backup::Error) -> Self {
        let code = if err.is_connection() {
            Code::Offline
        } else {
            match err.code() {
                "NotFound" => Code::NotFound,
                "Ambiguous" => Code::NotFound,
                _ => Code::Rejected,
            }
        };
        UiError::new(code, err.to_string())
    }
}

impl From<tauri::Error> for UiError {
    fn from(err: tauri::Error) -> Self {
        UiError::new(Code::Internal, format!("{err}; restart Sonic POS and try again")).with("reason", "shellFailed")
    }
}

impl From<tokio::task::JoinError> for UiError {
    fn from(err: tokio::task::JoinError) -> Self {
        // A panic inside a blocking task: the store's transaction rolled back,
        // so nothing half-written is left behind.
        UiError::new(
            Code::Internal,
            format!("the operation stopped unexpectedly ({err}); nothing was changed, try again"),
        )
        .with("reason", "stoppedUnexpectedly")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A refusal crosses as its reason and values: names, amounts with
    /// their currency, statuses by name; never the record's id.
    #[test]
    fn refusals_cross_as_reason_and_values_without_ids() {
        use sonic_core::sections::{Currency, ServiceStatus};
        use sonic_core::{Param, Refusal};
        let err: UiError = sonic_core::Error::from(
            Refusal::conflict("statusChange", "ticket svc-01a2 is WaitingForParts")
                .with("ticket", Param::Count(7))
                .with("status", Param::Status(ServiceStatus::WaitingForParts))
                .money("due", 2500, Currency::Usd),
        )
        .into();
        assert_eq!(err.code, Code::Conflict);
        assert_eq!(
            serde_json::to_value(&err).expect("UiError serialises")["params"],
            json!({"reason": "statusChange", "ticket": 7, "status": {"status": "waiting_for_parts"},
                   "due": {"minor": 2500, "currency": "USD"}})
        );
        let missing: UiError = sonic_core::Error::NotFound {
            what: "item",
            id: "item-12".into(),
        }
        .into();
        let params = serde_json::to_string(&missing.params).expect("params serialise");
        assert!(!params.contains("item-12"), "no id in the params: {params}");
    }

    #[test]
    fn errors_cross_to_the_webview_as_code_and_message() {
        let err = UiError::new(Code::Validation, "quantity must be more than zero");
        assert_eq!(
            serde_json::to_value(&err).expect("UiError serialises"),
            json!({"code": "Validation", "message": "quantity must be more than zero"})
        );
    }

    #[test]
    fn core_errors_carry_their_values_as_named_params() {
        let err: UiError = sonic_core::Error::WrongPin {
            user: "Mona".into(),
            attempts_left: 2,
        }
        .into();
        assert_eq!(
            serde_json::to_value(&err).expect("UiError serialises")["params"],
            json!({"user": "Mona", "left": 2})
        );
    }

    #[test]
    fn core_errors_keep_their_message_and_get_a_stable_code() {
        let err: UiError = sonic_core::Error::BackupNotFound("0193".into()).into();
        assert_eq!(err.code, Code::NotFound);
        assert!(
            err.message.contains("0193"),
            "the message names the missing backup: {}",
            err.message
        );
        let full: UiError =
            sonic_core::Error::io("writing", "/d/x", std::io::Error::from(std::io::ErrorKind::StorageFull)).into();
        assert_eq!(full.code, Code::DiskFull);
        let stopped: UiError = sonic_core::Error::Stopped {
            detail: "disk I/O error".into(),
        }
        .into();
        assert_eq!(stopped.code, Code::Stopped);
        assert!(stopped.message.contains("restarted"), "{}", stopped.message);
    }
}

#[cfg(test)]
mod codes_have_text {
    use super::Code;

    /// No wildcard: a new code does not compile until it is listed below.
    fn _listed(code: Code) {
        match code {
            Code::Validation
            | Code::NotFound
            | Code::DiskFull
            | Code::Stopped
            | Code::Storage
            | Code::Damaged
            | Code::SchemaTooNew
            | Code::Rejected
            | Code::NotEmpty
            | Code::Internal
            | Code::InsufficientStock
            | Code::OverReturn
            | Code::WrongPin
            | Code::Locked
            | Code::Forbidden
            | Code::ApprovalNeeded
            | Code::CreditLimit
            | Code::RateNotSet
            | Code::DuplicateBarcode
            | Code::Conflict
            | Code::SignInNeeded
            | Code::Offline
            | Code::PrinterOffline => {}
        }
    }

    /// Every reason a refusal names (the first argument of
    /// `Refusal::invalid` and the like in sonic-core's operations, a
    /// `reason` param here) and every
    /// repair status has words in both languages: a missing one would show
    /// the bare heading instead of what went wrong.
    #[test]
    fn every_refusal_reason_and_status_is_translated() {
        let root = format!("{}/..", env!("CARGO_MANIFEST_DIR"));
        let openers = [
            concat!("Refusal::", "invalid("),
            concat!("Refusal::", "conflict("),
            concat!("ticket_", "refusal("),
            concat!("with(\"", "reason\", "),
        ];
        let mut reasons = std::collections::BTreeSet::new();
        let mut files = Vec::new();
        for dir in [
            "crates/sonic-core/src/ops",
            "src-tauri/src",
            "src-tauri/src/commands",
            "src-tauri/src/printer",
        ] {
            for entry in std::fs::read_dir(format!("{root}/{dir}")).expect("a source folder") {
                let path = entry.expect("an entry").path();
                if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        for path in files {
            let text = std::fs::read_to_string(&path).expect("a source file");
            for opener in openers {
                for (at, _) in text.match_indices(opener) {
                    let rest = text[at + opener.len()..].trim_start();
                    if let Some(literal) = rest.strip_prefix('"') {
                        let end = literal.find('"').expect("a closed literal");
                        reasons.insert(literal[..end].to_string());
                    }
                }
            }
        }
        assert!(reasons.len() > 20, "the reasons were found: {reasons:?}");
        let statuses = [
            "received",
            "diagnosing",
            "waiting_for_parts",
            "ready",
            "delivered",
            "cancelled",
        ];
        for lang in ["en", "ar"] {
            let path = format!("{root}/ui/i18n/{lang}.json");
            let text: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("translation file")).expect("json");
            let keys = reasons
                .iter()
                .map(|r| format!("error.reason.{r}"))
                .chain(statuses.iter().map(|s| format!("error.status.{s}")));
            for key in keys {
                assert!(
                    text.get(&key).and_then(|v| v.as_str()).is_some_and(|s| !s.is_empty()),
                    "{path} has no {key}"
                );
            }
        }
    }

    /// Every code the webview can receive has a heading in both languages
    /// (the screens show `error.<code>`; a missing one shows the raw key).
    #[test]
    fn every_error_code_is_translated() {
        let all = [
            Code::Validation,
            Code::NotFound,
            Code::DiskFull,
            Code::Stopped,
            Code::Storage,
            Code::Damaged,
            Code::SchemaTooNew,
            Code::Rejected,
            Code::NotEmpty,
            Code::Internal,
            Code::InsufficientStock,
            Code::OverReturn,
            Code::WrongPin,
            Code::Locked,
            Code::Forbidden,
            Code::ApprovalNeeded,
            Code::CreditLimit,
            Code::RateNotSet,
            Code::DuplicateBarcode,
            Code::Conflict,
            Code::SignInNeeded,
            Code::Offline,
            Code::PrinterOffline,
        ];
        for lang in ["en", "ar"] {
            let path = format!("{}/../ui/i18n/{lang}.json", env!("CARGO_MANIFEST_DIR"));
            let text: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).expect("translation file")).expect("json");
            for code in all {
                let name = serde_json::to_value(code).expect("code serialises");
                let key = format!("error.{}", name.as_str().expect("a string"));
                assert!(
                    text.get(&key).and_then(|v| v.as_str()).is_some_and(|s| !s.is_empty()),
                    "{path} has no {key}"
                );
            }
        }
    }
}
