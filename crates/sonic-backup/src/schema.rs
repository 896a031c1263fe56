//! The server schema: `sonic_backups` and `sonic_backup_pages`, versioned in
//! `sonic_schema_migrations` and migrated forward, never edited.
//!
//! To change the schema, add a numbered SQL file under `migrations/` and a
//! line to [`MIGRATIONS`]. Migrating needs an owner of the database (a DBA
//! runs `sonic-pos-admin server init`); the tills connect with a role per
//! shop that can only INSERT and SELECT its own shop's rows, the head
//! office with one that reads all ([`grant_role`]).
//!
//! ## Many shops on one server (schema 2)
//! **Row-level security, not a schema per shop.** Every backup and page row
//! has a `shop_id`; `sonic_shop_roles` maps each login role to its shop
//! (or to none: the head office). The column's default and the policies
//! take the shop from `current_user` on the server, so a till cannot claim
//! another shop, and push, list and pull need no shop parameter: `latest`
//! is the own shop's newest by the server's `received_at`. Per-shop schemas
//! would make every migration run N times, the head office query a UNION
//! over N schemas, and a client setting (`search_path`) decide where rows
//! go. Pages are keyed by (shop, hash) and backups by (shop, backup id), so
//! no shop can read, overwrite or pre-empt another's.
//!
//! **The server checks what it stores.** A page's `body` is its canonical
//! JSON text, exactly what its hash covers; a trigger recomputes the hash
//! with `sha256()` and refuses a mismatch, and a stored body never changes.
//! A backup row is refused unless every page of its manifest is stored for
//! its shop. JSONB for the head office is a view (`sonic_backup_pages_json`)
//! rather than a second stored copy.

use crate::connect::Remote;
use crate::error::{Error, Result};

/// The migrations, in order; schema version N is reached by running the first N.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_backups.sql"),
    include_str!("../migrations/0002_shops.sql"),
];

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

/// What a login role may do on the backup server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access<'a> {
    /// Back up one shop: INSERT and SELECT that shop's backups and pages,
    /// nothing of any other shop (row-level security; the shop comes from
    /// the role on the server, never from the client).
    Shop(&'a str),
    /// The head office: SELECT every shop's backups and pages, INSERT nothing.
    HeadOffice,
}

/// The shop that schema 2 adopted the rows of a schema-1 server into, and
/// that an owner's own pushes go to.
pub const DEFAULT_SHOP: &str = "default";

/// Creates (if needed) login role `role` with `access`: a shop's till role
/// (SELECT and INSERT of its own shop's rows) or the head office (SELECT of
/// all). Neither can UPDATE, DELETE, TRUNCATE or DROP. The shop is created
/// if new. A role already mapped to another shop is refused (a typo in the
/// shop id must not move a till's backups). With `password`, the role's
/// password is set as a SCRAM-SHA-256 verifier computed here: the password
/// itself never reaches the server, nor its log when a statement fails.
pub async fn grant_role(remote: &Remote, role: &str, access: Access<'_>, password: Option<&str>) -> Result<()> {
    check_identifier(role)?;
    if let Access::Shop(shop) = access {
        check_shop_id(shop)?;
    }
    let server = remote.server();
    let q = |e| Error::query("create the backup role", server, e);
    let client = remote.client();
    let exists = client
        .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
        .await
        .map_err(q)?
        .is_some();
    if !exists || password.is_some() {
        client
            .batch_execute(&login_role_sql(role, !exists, password)?)
            .await
            .map_err(q)?;
        if !exists {
            tracing::info!(role, "backup role created");
        }
    }
    let shop = match access {
        Access::Shop(shop) => Some(shop),
        Access::HeadOffice => None,
    };
    let mapped: Option<Option<String>> = client
        .query_opt("SELECT shop_id FROM sonic_shop_roles WHERE role = $1", &[&role])
        .await
        .map_err(q)?
        .map(|r| r.get(0));
    match mapped {
        Some(found) if found.as_deref() != shop => {
            return Err(Error::Config(format!(
                "role {role} already {}; give this {} a role of its own",
                found.map_or("reads for the head office".to_string(), |s| format!(
                    "backs up shop {s}"
                )),
                shop.map_or("head office".to_string(), |s| format!("shop ({s})"))
            )))
        }
        Some(_) => {}
        None => {
            if let Some(shop) = shop {
                client
                    .execute(
                        "INSERT INTO sonic_shops (shop_id) VALUES ($1) ON CONFLICT DO NOTHING",
                        &[&shop],
                    )
                    .await
                    .map_err(q)?;
            }
            client
                .execute(
                    "INSERT INTO sonic_shop_roles (role, shop_id) VALUES ($1, $2)",
                    &[&role, &shop],
                )
                .await
                .map_err(q)?;
        }
    }
    let schema: String = client
        .query_one("SELECT current_schema()", &[])
        .await
        .map_err(q)?
        .get(0);
    let schema = schema.replace('"', "\"\"");
    let tables = TABLES.join(", ");
    let rights = match access {
        // COPY goes through a temporary table.
        Access::Shop(_) => format!(
            "GRANT SELECT, INSERT ON {tables} TO \"{role}\";
             GRANT UPDATE (body) ON sonic_backup_pages TO \"{role}\";
             DO $$ BEGIN EXECUTE format('GRANT TEMPORARY ON DATABASE %I TO \"{role}\"', current_database()); END $$;"
        ),
        Access::HeadOffice => format!("GRANT SELECT ON {tables}, sonic_backup_pages_json, sonic_shops TO \"{role}\";"),
    };
    client
        .batch_execute(&format!(
            "GRANT USAGE ON SCHEMA \"{schema}\" TO \"{role}\";
             REVOKE ALL ON {tables}, sonic_backup_pages_json, sonic_shops, sonic_shop_roles, sonic_schema_migrations FROM \"{role}\";
             {rights}
             GRANT SELECT ON sonic_schema_migrations, sonic_shop_roles TO \"{role}\";"
        ))
        .await
        .map_err(q)?;
    Ok(())
}

/// The `CREATE ROLE` (`create`) or `ALTER ROLE` statement for a login role,
/// with the password, if any, as a SCRAM-SHA-256 verifier (a fresh random
/// salt each time): the statement holds no password, so a failing statement
/// that PostgreSQL logs gives nothing away.
pub fn login_role_sql(role: &str, create: bool, password: Option<&str>) -> Result<String> {
    check_identifier(role)?;
    let verb = if create { "CREATE" } else { "ALTER" };
    let password_clause = password
        .map(|p| {
            let verifier = postgres_protocol::password::scram_sha_256(p.as_bytes());
            format!(" PASSWORD {}", literal(&verifier))
        })
        .unwrap_or_default();
    Ok(format!("{verb} ROLE \"{role}\" LOGIN{password_clause}"))
}

/// Shop ids: what `sonic_shops` accepts, checked here for a clear message.
fn check_shop_id(shop: &str) -> Result<()> {
    let mut chars = shop.chars();
    let ok = shop.len() <= 63
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "shop id {shop:?} must be 1 to 63 of A-Z, a-z, 0-9, _, . and -, starting with a letter or digit"
        )))
    }
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

    #[test]
    fn the_role_statement_carries_a_scram_verifier_and_never_the_password() {
        let password = "Tr0ub4dor&3-it's";
        let sql = login_role_sql("shop_a", true, Some(password)).unwrap();
        assert!(!sql.contains(password), "the password must not be in {sql}");
        assert!(!sql.contains("Tr0ub4dor"), "not even a part of it: {sql}");
        assert!(
            sql.starts_with("CREATE ROLE \"shop_a\" LOGIN PASSWORD E'SCRAM-SHA-256$4096:"),
            "{sql}"
        );
        let again = login_role_sql("shop_a", false, Some(password)).unwrap();
        assert!(again.starts_with("ALTER ROLE"), "{again}");
        assert_ne!(sql[6..], again[5..], "each verifier has a fresh salt");
        assert_eq!(
            login_role_sql("shop_a", true, None).unwrap(),
            "CREATE ROLE \"shop_a\" LOGIN"
        );
    }

    #[test]
    fn shop_ids_are_plain() {
        assert!(check_shop_id("shop-1.baghdad_2").is_ok());
        assert!(check_shop_id("").is_err());
        assert!(check_shop_id("-x").is_err());
        assert!(check_shop_id("a b").is_err());
        assert!(check_shop_id(&"a".repeat(64)).is_err());
    }
}
