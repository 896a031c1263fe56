//! The server schema: `sonic_backups` and `sonic_backup_pages`, versioned in
//! `sonic_schema_migrations` and migrated forward, never edited.
//!
//! To change the schema, add a numbered SQL file under `migrations/` and a
//! line to [`MIGRATIONS`]. Migrating needs an owner of the database (a DBA
//! runs `sonic-pos-admin server init`); the tills may connect with a role
//! that can only INSERT and SELECT ([`grant_backup_role`]).

use crate::connect::Remote;
use crate::error::{Error, Result};

/// The migrations, in order; schema version N is reached by running the first N.
const MIGRATIONS: &[&str] = &[include_str!("../migrations/0001_backups.sql")];

/// The server schema version this build reads and writes.
pub const SERVER_SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The tables a backup role may read and append to.
const TABLES: &[&str] = &["sonic_backups", "sonic_backup_pages"];

/// The schema version on the server, 0 when there is no Sonic POS schema.
pub async fn version(remote: &Remote) -> Result<i64> {
    let server = remote.server();
    let row = remote
        .client()
        .query_one("SELECT to_regclass('sonic_schema_migrations') IS NOT NULL", &[])
        .await
        .map_err(|e| Error::query("read the schema version", server, e))?;
    if !row.get::<_, bool>(0) {
        return Ok(0);
    }
    let row = remote
        .client()
        .query_one(
            "SELECT coalesce(max(version), 0)::int8 FROM sonic_schema_migrations",
            &[],
        )
        .await
        .map_err(|e| Error::query("read the schema version", server, e))?;
    Ok(row.get(0))
}

/// `Ok` when the server's schema is the one this build knows.
pub async fn check(remote: &Remote) -> Result<()> {
    let found = version(remote).await?;
    match found {
        v if v == SERVER_SCHEMA_VERSION => Ok(()),
        v if v > SERVER_SCHEMA_VERSION => Err(Error::SchemaTooNew {
            found: v,
            known: SERVER_SCHEMA_VERSION,
        }),
        v => Err(Error::SchemaMissing { found: v }),
    }
}

/// Creates or migrates the schema, returning the version before. Safe to run
/// from several places at once: a transaction-scoped advisory lock serialises
/// migrations.
pub async fn migrate(remote: &mut Remote) -> Result<i64> {
    // A current schema needs no DDL, so a backup role may call this too.
    let current = version(remote).await?;
    if current == SERVER_SCHEMA_VERSION {
        return Ok(current);
    }
    let server = remote.server().to_string();
    let q = |e| Error::query("create the backup tables", &server, e);
    let tx = remote.client_mut().transaction().await.map_err(q)?;
    tx.execute("SELECT pg_advisory_xact_lock(hashtext('sonic_backup_schema'))", &[])
        .await
        .map_err(q)?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS sonic_schema_migrations (
             version    integer PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await
    .map_err(q)?;
    let found: i64 = tx
        .query_one(
            "SELECT coalesce(max(version), 0)::int8 FROM sonic_schema_migrations",
            &[],
        )
        .await
        .map_err(q)?
        .get(0);
    if found > SERVER_SCHEMA_VERSION {
        return Err(Error::SchemaTooNew {
            found,
            known: SERVER_SCHEMA_VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(found).unwrap_or(0)) {
        let version = i32::try_from(i + 1).unwrap_or(i32::MAX);
        tx.batch_execute(sql).await.map_err(q)?;
        tx.execute("INSERT INTO sonic_schema_migrations(version) VALUES ($1)", &[&version])
            .await
            .map_err(q)?;
        tracing::info!(version, "backup server schema migrated");
    }
    tx.commit().await.map_err(q)?;
    Ok(found)
}

/// Creates (if needed) a login role that can only read and append backups:
/// SELECT and INSERT on the two tables, SELECT on the schema version. It
/// cannot UPDATE, DELETE, TRUNCATE or DROP. With `password`, the role's
/// password is set (sent to the server only, never logged).
pub async fn grant_backup_role(remote: &Remote, role: &str, password: Option<&str>) -> Result<()> {
    check_identifier(role)?;
    let server = remote.server();
    let q = |e| Error::query("create the backup role", server, e);
    let client = remote.client();
    let exists = client
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
        .await
        .map_err(q)?
        .is_some();
    let password_clause = password
        .map(|p| format!(" PASSWORD {}", literal(p)))
        .unwrap_or_default();
    if !exists {
        client
            .batch_execute(&format!("CREATE ROLE \"{role}\" LOGIN{password_clause}"))
            .await
            .map_err(q)?;
        tracing::info!(role, "backup role created");
    } else if password.is_some() {
        client
            .batch_execute(&format!("ALTER ROLE \"{role}\" LOGIN{password_clause}"))
            .await
            .map_err(q)?;
    }
    let schema: String = client
        .query_one("SELECT current_schema()", &[])
        .await
        .map_err(q)?
        .get(0);
    let schema = schema.replace('"', "\"\"");
    let tables = TABLES.join(", ");
    client
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA \"{schema}\" TO \"{role}\";
             REVOKE ALL ON {tables}, sonic_schema_migrations FROM \"{role}\";
             GRANT SELECT, INSERT ON {tables} TO \"{role}\";
             GRANT SELECT ON sonic_schema_migrations TO \"{role}\";"
        ))
        .await
        .map_err(q)?;
    Ok(())
}

/// Role names are plain identifiers: no quoting games in SQL we build.
fn check_identifier(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "role name {name:?} must be 1 to 63 of a-z, 0-9 and _, starting with a letter or _"
        )))
    }
}

/// A SQL escape-string literal: the same meaning whatever the server's
/// `standard_conforming_strings`.
fn literal(text: &str) -> String {
    format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_plain_identifiers() {
        assert!(check_identifier("sonic_backup").is_ok());
        assert!(check_identifier("Robert\"; DROP TABLE x; --").is_err());
        assert!(check_identifier("").is_err());
        assert_eq!(literal(r"it's\"), r"E'it''s\\'");
    }
}
