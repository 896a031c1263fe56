//! The shop's business operations. Each public function is ONE SQLite
//! transaction: it checks everything first, writes every record it touches
//! (the invoice, the counter, the stock movements, the logs, the debt), and
//! commits; on any error nothing is written. When it returns `Ok`, the change
//! is on disk.
//!
//! Each operation also has a `*_in(tx, …)` form that runs inside a caller's
//! transaction; [`crate::gen`] uses it to build years of data quickly through
//! the same rules.
//!
//! Who may do what is checked here, in Rust, from the [`Actor`] in the
//! [`OpCtx`]; the UI only hides buttons.

pub mod activity;
pub mod audit;
pub mod books;
pub mod cash;
pub mod catalog;
pub mod counters;
pub mod debt;
pub mod rates;
pub mod receipt;
pub mod report;
pub mod returns;
pub mod sale;
pub mod security;
pub mod service;
pub mod settings;
pub mod stock;
pub mod stores;
pub mod transfer;

use crate::error::{Error, Result};
use crate::sections::{ActivityEntry, Extra, Rate, Record, RecordId, Role, SectionKey, Table, Timestamp};
use crate::store::{self, Store};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};
use std::cell::Cell;

/// A signed-in user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Actor {
    pub user_id: String,
    pub name: String,
    pub role: Role,
}

impl Actor {
    /// Refuses unless this user's role is at least `needs`.
    pub fn require(&self, needs: Role, action: &'static str) -> Result<()> {
        if self.role >= needs {
            Ok(())
        } else {
            Err(Error::Forbidden {
                action,
                needs,
                has: self.role,
                user: self.name.clone(),
            })
        }
    }
}

/// How record ids are made: random (v7 UUIDs) for a real till, a counter for
/// generated data that must be the same on every run.
#[derive(Debug, Default)]
pub enum Ids {
    #[default]
    Random,
    Sequential(Cell<u64>),
}

/// Who does an operation, in which store, and when.
#[derive(Debug)]
pub struct OpCtx {
    pub actor: Actor,
    /// The store this till sells from.
    pub store_id: String,
    pub at: DateTime<Utc>,
    pub ids: Ids,
}

impl OpCtx {
    /// A context for now.
    pub fn now(actor: Actor, store_id: impl Into<String>) -> OpCtx {
        OpCtx {
            actor,
            store_id: store_id.into(),
            at: Utc::now(),
            ids: Ids::Random,
        }
    }

    /// A fresh record id with a readable prefix (`inv-…`).
    pub fn new_id(&self, prefix: &str) -> String {
        match &self.ids {
            Ids::Random => format!("{prefix}-{}", uuid::Uuid::now_v7().simple()),
            Ids::Sequential(n) => {
                n.set(n.get() + 1);
                format!("{prefix}-{}", n.get())
            }
        }
    }

    /// The till's store as a record reference; none before a store exists
    /// (setting up the first user and store).
    pub(crate) fn store_ref(&self) -> Option<RecordId> {
        (!self.store_id.trim().is_empty()).then(|| RecordId::Text(self.store_id.clone()))
    }

    pub(crate) fn timestamp(&self) -> Timestamp {
        Timestamp::Rfc3339(self.at)
    }
}

impl Store {
    /// Runs `f` in one immediate transaction and commits it.
    /// A failed `fsync` stops the store ([`Store::stopped`]).
    pub(crate) fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        self.ensure_running()?;
        let done = (|| {
            let tx = self
                .conn_mut()
                .transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        })();
        done.map_err(|e| self.note_failure(e))
    }
}

/// Loads one record by id, or `NotFound` naming `what`.
pub(crate) fn load<T: Record>(conn: &Connection, table: Table, id: &str, what: &'static str) -> Result<T> {
    find(conn, table, id)?.ok_or_else(|| Error::NotFound {
        what,
        id: id.to_string(),
    })
}

/// Loads one record by id, if it exists.
pub(crate) fn find<T: Record>(conn: &Connection, table: Table, id: &str) -> Result<Option<T>> {
    let sql = format!("SELECT body FROM {} WHERE id = ?1", table.sql_name());
    let body: Option<String> = conn.prepare_cached(&sql)?.query_row([id], |r| r.get(0)).optional()?;
    body.map(|b| parse(&b, table)).transpose()
}

pub(crate) fn parse<T: Record>(body: &str, table: Table) -> Result<T> {
    serde_json::from_str(body).map_err(|e| {
        Error::Invalid(format!(
            "a stored {} record is not readable ({e}); run `sonic-pos-admin check`",
            table.sql_name()
        ))
    })
}

/// Appends a new record (its id must be new).
pub(crate) fn insert<T: Record>(conn: &Connection, table: Table, record: &T) -> Result<()> {
    let id = record.id().map(RecordId::key);
    store::append_record(conn, table, id.as_deref(), record)
}

/// Rewrites an existing record in place (same id, same position).
pub(crate) fn save<T: Record>(conn: &Connection, table: Table, record: &T) -> Result<()> {
    let id = record
        .id()
        .map(RecordId::key)
        .ok_or_else(|| Error::Invalid("a record without id cannot be saved".into()))?;
    let body = crate::canonical::to_string(&serde_json::to_value(record).map_err(|e| Error::Invalid(e.to_string()))?);
    let sql = format!("UPDATE {} SET body = ?1 WHERE id = ?2", table.sql_name());
    let n = conn.prepare_cached(&sql)?.execute([&body, &id])?;
    if n == 1 {
        Ok(())
    } else {
        Err(Error::NotFound { what: "record", id })
    }
}

/// Issues the next number of a counter section.
pub(crate) fn next_number(conn: &Connection, key: SectionKey) -> Result<u64> {
    let now: u64 = store::section_value(conn, key)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let next = now + 1;
    store::set_section_value(conn, key, &next.to_string())?;
    Ok(next)
}

/// The current value of a rate section.
pub(crate) fn current_rate(conn: &Connection, key: SectionKey) -> Result<Rate> {
    let json = store::section_value(conn, key)?.ok_or(Error::RateNotSet { key })?;
    let value: serde_json::Value = serde_json::from_str(&json).map_err(|e| Error::Invalid(e.to_string()))?;
    if value.is_null() {
        return Err(Error::RateNotSet { key });
    }
    Rate::from_json(&value).map_err(Error::Invalid)
}

/// The named parameters of an activity entry (see [`ActivityEntry::params`]):
/// the UI words `activity.text.<action>` with them.
#[derive(Debug, Default)]
pub(crate) struct Params(Extra);

impl Params {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A name, a reason, a code: shown as it is.
    pub(crate) fn text(mut self, name: &str, value: impl std::fmt::Display) -> Self {
        self.0.insert(name.into(), value.to_string().into());
        self
    }

    /// A count or a number (a quantity, an invoice number): shown in the
    /// user's digits.
    pub(crate) fn number(mut self, name: &str, value: impl Into<serde_json::Number>) -> Self {
        self.0.insert(name.into(), serde_json::Value::Number(value.into()));
        self
    }

    /// An amount in minor units (dinars, cents) with its currency.
    pub(crate) fn money(mut self, name: &str, minor: i64, currency: crate::sections::Currency) -> Self {
        self.0.insert(
            name.into(),
            serde_json::json!({ "minor": minor, "currency": currency.code() }),
        );
        self
    }
}

/// Writes an activity log entry: its action and parameters for the UI, and
/// `details`, the same in English, for older readers.
pub(crate) fn log(
    conn: &Connection,
    ctx: &OpCtx,
    action: &str,
    details: String,
    params: Params,
    extra: Extra,
) -> Result<()> {
    let entry = ActivityEntry {
        id: Some(RecordId::Text(ctx.new_id("act"))),
        action: action.to_string(),
        user: Some(ctx.actor.name.clone()),
        details: Some(details),
        params: Some(params.0),
        store_id: ctx.store_ref(),
        at: Some(ctx.timestamp()),
        extra,
    };
    insert(conn, Table::Activity, &entry)
}

/// `qty` must be more than zero.
pub(crate) fn positive(what: &'static str, qty: i64) -> Result<()> {
    if qty > 0 {
        Ok(())
    } else {
        Err(Error::NotPositive { what, found: qty })
    }
}

/// A page of a list: which rows, at most how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Page {
    pub offset: u32,
    pub limit: u32,
}

impl Page {
    pub const FIRST: Page = Page { offset: 0, limit: 50 };

    /// The limit, capped so that no call loads a whole section.
    pub(crate) fn limit(self) -> i64 {
        i64::from(self.limit.clamp(1, 500))
    }
}
