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
];

fn correct_cancelled_parts(conn: &Connection) -> Result<()> {
    crate::ops::books::correct(conn, "database upgraded to schema 6").map(drop)
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
