//! Reading and writing records of the record tables, and the values of
//! counter, rate and object sections.

use crate::error::Result;
use crate::sections::{SectionKey, Table};
use rusqlite::{params, Connection, OptionalExtension};

/// A record as stored: its id (as text) and canonical JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub id: Option<String>,
    pub body: String,
}

pub(crate) fn count(conn: &Connection, table: Table) -> Result<u64> {
    let sql = format!("SELECT count(*) FROM {}", table.sql_name());
    let n: i64 = conn.prepare_cached(&sql)?.query_row([], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Calls `f` with each record of `table` in the order they were added.
pub(crate) fn for_each_record(
    conn: &Connection,
    table: Table,
    mut f: impl FnMut(Option<&str>, &str) -> Result<()>,
) -> Result<()> {
    let sql = format!("SELECT id, body FROM {} ORDER BY seq", table.sql_name());
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let id = row.get_ref(0)?.as_str_or_null().map_err(rusqlite::Error::from)?;
        let body = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        f(id, body)?;
    }
    Ok(())
}

/// Calls `f` with the `seq` and body of each record of `table` whose `seq`
/// is `from` or more, in order.
pub(crate) fn for_each_record_from(
    conn: &Connection,
    table: Table,
    from: i64,
    f: &mut dyn FnMut(i64, &str) -> Result<()>,
) -> Result<()> {
    let sql = format!(
        "SELECT seq, body FROM {} WHERE seq >= ?1 ORDER BY seq",
        table.sql_name()
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query([from])?;
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let body = row.get_ref(1)?.as_str().map_err(rusqlite::Error::from)?;
        f(seq, body)?;
    }
    Ok(())
}

/// Inserts a record at the end of `table`. The caller holds the transaction.
pub(crate) fn insert_record(conn: &Connection, table: Table, id: Option<&str>, body: &str) -> Result<()> {
    let sql = format!("INSERT INTO {}(id, body) VALUES (?1, ?2)", table.sql_name());
    conn.prepare_cached(&sql)?.execute(params![id, body])?;
    Ok(())
}

/// Serialises `record` canonically and appends it to `table`.
pub(crate) fn append_record<T: serde::Serialize>(
    conn: &Connection,
    table: Table,
    id: Option<&str>,
    record: &T,
) -> Result<()> {
    let value = serde_json::to_value(record).map_err(|e| crate::Error::Invalid(e.to_string()))?;
    insert_record(conn, table, id, &crate::canonical::to_string(&value))
}

/// Empties every record table and every section value. Only ever called
/// inside the transaction that then writes the replacement.
pub(crate) fn clear_all(conn: &Connection) -> Result<()> {
    for table in Table::ALL {
        conn.execute(&format!("DELETE FROM {}", table.sql_name()), [])?;
    }
    conn.execute("DELETE FROM section_values", [])?;
    Ok(())
}

/// The stored JSON of a counter, a rate, or an object section's extra members.
pub(crate) fn section_value(conn: &Connection, key: SectionKey) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT value FROM section_values WHERE key = ?1")?
        .query_row([key.as_str()], |r| r.get(0))
        .optional()?)
}

pub(crate) fn set_section_value(conn: &Connection, key: SectionKey, value: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO section_values(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )?
    .execute([key.as_str(), value])?;
    Ok(())
}
