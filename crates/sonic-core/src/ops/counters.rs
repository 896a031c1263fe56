//! Numbers of repair tickets and money transfers. The 16 section keys are
//! fixed (the old POS's), and neither kind has a counter section of its own,
//! so their counters are the `counters` member of `sonic_shop_data`
//! (`{"services": 12, "transfers": 40}`: the last number issued), kept in
//! every backup and restored with the records they count. A number is taken
//! in the transaction that writes its record: unique and gapless, never
//! reused, whatever was removed or restored.
//!
//! A database or a file from before the counter (numbers were `count + 1`)
//! has no member yet: the first number is then one past the highest number
//! stored.

use crate::error::{Error, Result};
use crate::sections::{SectionKey, Table};
use crate::store;
use rusqlite::Connection;
use serde_json::{Map, Value};

const MEMBER: &str = "counters";

/// A kind of record numbered from a counter in `sonic_shop_data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    Services,
    Transfers,
}

impl Counted {
    pub const ALL: [Counted; 2] = [Counted::Services, Counted::Transfers];

    /// The counter's name in the `counters` member.
    pub fn name(self) -> &'static str {
        match self {
            Counted::Services => "services",
            Counted::Transfers => "transfers",
        }
    }

    pub fn table(self) -> Table {
        match self {
            Counted::Services => Table::Services,
            Counted::Transfers => Table::Transfers,
        }
    }
}

fn shop_data(conn: &Connection) -> Result<Map<String, Value>> {
    match store::section_value(conn, SectionKey::ShopData)? {
        Some(json) => serde_json::from_str(&json).map_err(|e| Error::Invalid(format!("sonic_shop_data: {e}"))),
        None => Ok(Map::new()),
    }
}

/// The last number issued, if the counter exists.
pub fn current(conn: &Connection, kind: Counted) -> Result<Option<u64>> {
    Ok(shop_data(conn)?
        .get(MEMBER)
        .and_then(|c| c.get(kind.name()))
        .and_then(Value::as_u64))
}

/// The highest number a record of this kind holds.
fn highest(conn: &Connection, kind: Counted) -> Result<u64> {
    let sql = format!(
        "SELECT max(json_extract(body, '$.number')) FROM {} WHERE json_type(body, '$.number') = 'integer'",
        kind.table().sql_name()
    );
    let max: Option<i64> = conn.query_row(&sql, [], |r| r.get(0))?;
    Ok(max.and_then(|n| u64::try_from(n).ok()).unwrap_or(0))
}

/// Issues the next number of `kind`, inside the caller's transaction.
pub(crate) fn next(conn: &Connection, kind: Counted) -> Result<u64> {
    let mut members = shop_data(conn)?;
    let last = match members
        .get(MEMBER)
        .and_then(|c| c.get(kind.name()))
        .and_then(Value::as_u64)
    {
        Some(n) => n,
        None => highest(conn, kind)?,
    };
    let next = last + 1;
    let counters = members.entry(MEMBER).or_insert_with(|| Value::Object(Map::new()));
    if !counters.is_object() {
        *counters = Value::Object(Map::new());
    }
    if let Value::Object(c) = counters {
        c.insert(kind.name().into(), next.into());
    }
    store::set_section_value(
        conn,
        SectionKey::ShopData,
        &crate::canonical::to_string(&Value::Object(members)),
    )?;
    Ok(next)
}
