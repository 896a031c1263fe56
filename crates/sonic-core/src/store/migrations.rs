//! Forward-only schema migrations, keyed by `PRAGMA user_version`.
//!
//! To change the schema, add a numbered SQL file under `migrations/` and a
//! line to [`MIGRATIONS`]. Never edit a migration that has shipped.

use crate::error::{Error, Result};
use rusqlite::Connection;

/// One migration: SQL, or a step in Rust for what SQL cannot say (adding
/// correcting records with their ids and an activity entry).
enum Step {
    Sql(&'static str),
    Code(fn(&Connection) -> Result<()>),
}

/// The migrations, in order; schema version N is reached by running the first N.
const MIGRATIONS: &[Step] = &[
    Step::Sql(include_str!("../../migrations/0001_init.sql")),
    Step::Sql(include_str!("../../migrations/0002_outbox.sql")),
    Step::Sql(include_str!("../../migrations/0003_domain.sql")),
    Step::Sql(include_str!("../../migrations/0004_search_fold.sql")),
    Step::Sql(include_str!("../../migrations/0005_stock_levels.sql")),
    // 0006: the parts of cancelled repairs back in the store they came from.
    Step::Code(correct_cancelled_parts),
    // 0007: bodies in the canonical JSON of `crate::canonical` (format 2).
    Step::Code(recanonicalize),
    // 0008: change marks, so a backup reads only what changed
    // (`super::change_marks`).
    Step::Code(super::change_marks::install),
];

fn correct_cancelled_parts(conn: &Connection) -> Result<()> {
    crate::ops::books::correct(conn, "database upgraded to schema 6").map(drop)
}

/// Rewrites every stored body (and kept member of `sonic_shop_data`) whose
/// text is not [`crate::canonical`]'s: before schema 7 they were written by
/// the serde_json of the build, and 1.0.154 signs a positive exponent
/// (`1e+16`, canonical `1e16`).
/// The values stay the same; only their text changes, so the next backup
/// (format 2) verifies wherever it is read.
fn recanonicalize(conn: &Connection) -> Result<()> {
    use crate::sections::{SectionKey, Table};
    let mut rewritten = 0usize;
    for table in Table::ALL {
        let name = table.sql_name();
        let mut changed = Vec::new();
        {
            // Only a digit followed by `.`, `e` or `E` can be a non-integer number.
            let mut stmt = conn.prepare(&format!("SELECT seq, body FROM {name} WHERE body GLOB '*[0-9][.eE]*'"))?;
            let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (seq, body) = row?;
                let Ok(value) = serde_json::from_str::<serde_json::Value>(&body) else {
                    continue;
                };
                if crate::canonical::has_float(&value) {
                    let text = crate::canonical::to_string(&value);
                    if text != body {
                        changed.push((seq, text));
                    }
                }
            }
        }
        for (seq, text) in &changed {
            conn.execute(
                &format!("UPDATE {name} SET body = ?1 WHERE seq = ?2"),
                rusqlite::params![text, seq],
            )?;
        }
        rewritten += changed.len();
    }
    if let Some(json) = super::records::section_value(conn, SectionKey::ShopData)? {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(&json) {
            let text = crate::canonical::to_string(&value);
            if text != json {
                super::records::set_section_value(conn, SectionKey::ShopData, &text)?;
            }
        }
    }
    if rewritten > 0 {
        tracing::info!(rewritten, "record bodies rewritten in canonical JSON");
    }
    Ok(())
}

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            known: SCHEMA_VERSION,
        });
    }
    for (i, step) in MIGRATIONS.iter().enumerate().skip(usize::try_from(found).unwrap_or(0)) {
        let version = i as i64 + 1;
        let tx = conn.transaction()?;
        match step {
            Step::Sql(sql) => tx.execute_batch(sql)?,
            Step::Code(f) => f(&tx)?,
        }
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "database schema migrated");
    }
    if found < SCHEMA_VERSION {
        // A migration may have rebuilt a table (which fires no trigger):
        // nothing is known to be unchanged since the last backup.
        super::change_marks::new_epochs(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrating_twice_is_a_no_op_and_a_newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, SCHEMA_VERSION);
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        assert!(matches!(migrate(&mut conn), Err(Error::SchemaTooNew { .. })));
    }
}
