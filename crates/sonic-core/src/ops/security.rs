//! Users, roles and PINs. PINs are hashed with Argon2 and never stored or
//! logged in plain; after too many wrong PINs a user is locked for a while.

use super::{find, insert, load, log, save, Actor, OpCtx, Params};
use crate::error::{Error, Param, Refusal, Result};
use crate::sections::{Extra, RecordId, Role, Table, Timestamp, User};
use crate::store::{self, Store};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension};

/// The Argon2id cost of a PIN hash: 64 MiB, 4 passes, 1 lane. A 4-digit
/// PIN has only 10^4 values, so the cost of one guess is what protects a
/// stolen backup: measured ~0.29 s per hash on the 2-core build machine
/// (scripts: SECURITY.md), against ~0.045 s for argon2's default (19 MiB,
/// 2 passes). Hashes made with other parameters are redone at the user's
/// next sign-in.
const PIN_M_KIB: u32 = 64 * 1024;
const PIN_T: u32 = 4;
const PIN_P: u32 = 1;

/// The most a stored hash may ask for (a file can carry any PHC string):
/// beyond these, checking one PIN could take the till's memory or minutes.
pub const MAX_HASH_M_KIB: u32 = 256 * 1024;
pub const MAX_HASH_T: u32 = 16;
pub const MAX_HASH_P: u32 = 8;

fn hasher() -> argon2::Argon2<'static> {
    let params = argon2::Params::new(PIN_M_KIB, PIN_T, PIN_P, None)
        .expect("the PIN hash parameters are constants within argon2's limits");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// Hashes the PIN of a user of `role` with Argon2id and a random salt
/// (see [`check_pin`] for the lengths).
pub fn hash_pin(pin: &str, role: Role) -> Result<String> {
    check_pin(pin, role)?;
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes()).map_err(|e| Error::Invalid(e.to_string()))?;
    hash_with_salt(pin, &salt)
}

pub(crate) fn hash_with_salt(pin: &str, salt: &SaltString) -> Result<String> {
    hasher()
        .hash_password(pin.as_bytes(), salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Invalid(format!("could not hash the PIN: {e}")))
}

/// Checks a stored PIN hash: an Argon2 PHC string whose parameters are
/// within [`MAX_HASH_M_KIB`], [`MAX_HASH_T`] and [`MAX_HASH_P`]. Used when
/// a file is imported or restored and before a PIN is checked.
pub fn check_pin_hash(hash: &str) -> std::result::Result<(), String> {
    let parsed = PasswordHash::new(hash).map_err(|e| format!("is not an Argon2 hash ({e})"))?;
    if !matches!(parsed.algorithm.as_str(), "argon2id" | "argon2i" | "argon2d") {
        return Err(format!("is a {} hash; only Argon2 is accepted", parsed.algorithm));
    }
    let params = argon2::Params::try_from(&parsed).map_err(|e| format!("has unusable Argon2 parameters ({e})"))?;
    if params.m_cost() > MAX_HASH_M_KIB || params.t_cost() > MAX_HASH_T || params.p_cost() > MAX_HASH_P {
        return Err(format!(
            "asks for m={} KiB, t={}, p={}: at most m={MAX_HASH_M_KIB}, t={MAX_HASH_T}, p={MAX_HASH_P}",
            params.m_cost(),
            params.t_cost(),
            params.p_cost()
        ));
    }
    Ok(())
}

/// Whether a hash was made with other parameters than new hashes are.
fn needs_rehash(hash: &PasswordHash<'_>) -> bool {
    let current = argon2::Params::try_from(hash)
        .map(|p| (p.m_cost(), p.t_cost(), p.p_cost()) != (PIN_M_KIB, PIN_T, PIN_P))
        .unwrap_or(true);
    current || hash.algorithm.as_str() != "argon2id"
}

/// A new PIN: digits only; a cashier's 4 to 8 of them, a manager's or an
/// owner's 6 to 12. A stolen backup's hashes are attacked offline, where
/// only the number of possible PINs times the cost of a guess counts: 10^6
/// PINs at ~0.3 s is ~3.5 days of one core per manager, against ~50 min for
/// 10^4. Existing shorter PINs keep working until they are changed.
fn check_pin(pin: &str, role: Role) -> Result<()> {
    let lengths = if role >= Role::Manager { 6..=12 } else { 4..=8 };
    if lengths.contains(&pin.len()) && pin.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Refusal::invalid(
            "pinLength",
            format!("a {role}'s PIN is {} to {} digits", lengths.start(), lengths.end()),
        )
        .with("min", Param::Count(*lengths.start() as i64))
        .with("max", Param::Count(*lengths.end() as i64))
        .into())
    }
}

fn user_by_name(conn: &Connection, name: &str) -> Result<Option<User>> {
    let body: Option<String> = conn
        .prepare_cached("SELECT body FROM users WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    body.map(|b| super::parse(&b, Table::Users)).transpose()
}

fn actor(user: &User) -> Actor {
    Actor {
        user_id: user.id.key(),
        name: user.name.clone(),
        role: user.role,
    }
}

/// Makes the first user, an owner, on a new installation. Refused once any
/// user exists.
pub fn bootstrap_owner(store: &mut Store, name: &str, pin: &str) -> Result<Actor> {
    let hash = hash_pin(pin, Role::Owner)?;
    store.write(|tx| {
        if store::records_in(tx, Table::Users)? > 0 {
            return Err(Error::Conflict(
                "users exist already; the owner adds users in Settings".into(),
            ));
        }
        let user = new_user(name, Role::Owner, hash, "user-1".into())?;
        insert(tx, Table::Users, &user)?;
        Ok(actor(&user))
    })
}

fn new_user(name: &str, role: Role, pin_hash: String, id: String) -> Result<User> {
    if name.trim().is_empty() {
        return Err(Refusal::invalid("needsName", "a user needs a name").into());
    }
    Ok(User {
        id: RecordId::Text(id),
        name: name.trim().to_string(),
        role,
        pin_hash: Some(pin_hash),
        failed_attempts: 0,
        locked_until: None,
        disabled: false,
        extra: Extra::new(),
    })
}

/// Adds a user (owner only; an owner can add managers and cashiers and owners).
pub fn create_user(store: &mut Store, ctx: &OpCtx, name: &str, role: Role, pin: &str) -> Result<User> {
    ctx.actor.require(Role::Owner, "adding users")?;
    let hash = hash_pin(pin, role)?;
    store.write(|tx| create_user_in(tx, ctx, name, role, hash))
}

pub(crate) fn create_user_in(tx: &Connection, ctx: &OpCtx, name: &str, role: Role, pin_hash: String) -> Result<User> {
    if user_by_name(tx, name.trim())?.is_some() {
        return Err(
            Refusal::conflict("userExists", format!("a user named {name:?} exists already"))
                .text("user", name.trim())
                .into(),
        );
    }
    let user = new_user(name, role, pin_hash, ctx.new_id("user"))?;
    insert(tx, Table::Users, &user)?;
    log(
        tx,
        ctx,
        "user_create",
        format!("user {} added as {role}", user.name),
        Params::new().text("name", &user.name).text("role", role),
        Extra::new(),
    )?;
    Ok(user)
}

/// Sets a user's PIN and unlocks them (owner, or the user themself).
pub fn set_pin(store: &mut Store, ctx: &OpCtx, user_id: &str, pin: &str) -> Result<()> {
    if ctx.actor.user_id != user_id {
        ctx.actor.require(Role::Owner, "changing another user's PIN")?;
    }
    let role = find::<User>(store.conn(), Table::Users, user_id)?
        .ok_or_else(|| Error::NotFound {
            what: "user",
            id: user_id.to_string(),
        })?
        .role;
    let hash = hash_pin(pin, role)?;
    store.write(|tx| {
        let mut user: User = load(tx, Table::Users, user_id, "user")?;
        user.pin_hash = Some(hash);
        user.failed_attempts = 0;
        user.locked_until = None;
        save(tx, Table::Users, &user)?;
        log(
            tx,
            ctx,
            "pin_change",
            format!("PIN of {} changed", user.name),
            Params::new().text("name", &user.name),
            Extra::new(),
        )
    })
}

/// Checks a user's PIN at `at` and returns them as an actor. A wrong PIN is
/// counted (and the count is kept even though the sign-in fails); too many
/// lock the user for the shop's lock time.
pub fn sign_in(store: &mut Store, name: &str, pin: &str, at: DateTime<Utc>) -> Result<Actor> {
    let settings = super::settings::load(store.conn())?;
    let user = user_by_name(store.conn(), name)?.ok_or_else(|| Error::NotFound {
        what: "user",
        id: name.to_string(),
    })?;
    if user.disabled {
        return Err(Error::Forbidden {
            action: "signing in",
            needs: Role::Owner,
            has: user.role,
            user: user.name,
        });
    }
    if let Some(until) = user.locked_until.map(Timestamp::instant) {
        if until > at {
            return Err(Error::Locked { user: user.name, until });
        }
    }
    let mut rehash = false;
    let ok = match &user.pin_hash {
        Some(hash) => {
            check_pin_hash(hash).map_err(|problem| {
                Error::Invalid(format!(
                    "the stored PIN of {} {problem}; an owner sets a new PIN in Settings",
                    user.name
                ))
            })?;
            let parsed = PasswordHash::new(hash).map_err(|e| Error::Invalid(format!("stored PIN hash: {e}")))?;
            rehash = needs_rehash(&parsed);
            // The hash's own algorithm and parameters (bounded above).
            argon2::Argon2::default()
                .verify_password(pin.as_bytes(), &parsed)
                .is_ok()
        }
        None => false,
    };
    // A right PIN under an older, cheaper hash: hashed again at today's cost
    // (outside the write transaction: it takes a while).
    let new_hash = if ok && rehash {
        Some(hash_with_salt(
            pin,
            &SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes()).map_err(|e| Error::Invalid(e.to_string()))?,
        )?)
    } else {
        None
    };
    // The attempt is recorded in its own transaction, whatever the outcome.
    let outcome: Result<Actor> = store.write(|tx| {
        let mut user: User = load(tx, Table::Users, &user.id.key(), "user")?;
        if ok {
            if user.failed_attempts != 0 || user.locked_until.is_some() || new_hash.is_some() {
                user.failed_attempts = 0;
                user.locked_until = None;
                if let Some(hash) = new_hash {
                    user.pin_hash = Some(hash);
                }
                save(tx, Table::Users, &user)?;
            }
            return Ok(Ok(actor(&user)));
        }
        user.failed_attempts += 1;
        let left = settings.max_pin_attempts.saturating_sub(user.failed_attempts);
        if left > 0 {
            save(tx, Table::Users, &user)?;
            return Ok(Err(Error::WrongPin {
                user: user.name.clone(),
                attempts_left: left,
            }));
        }
        // settings::load keeps lock_minutes within its bounds (at most a day).
        let until = at + Duration::minutes(settings.lock_minutes);
        user.locked_until = Some(Timestamp::Rfc3339(until));
        user.failed_attempts = 0;
        save(tx, Table::Users, &user)?;
        let ctx = OpCtx {
            actor: actor(&user),
            store_id: String::new(),
            at,
            ids: Default::default(),
        };
        log(
            tx,
            &ctx,
            "user_locked",
            format!("{} locked after wrong PINs", user.name),
            Params::new().text("name", &user.name),
            Extra::new(),
        )?;
        Ok(Err(Error::Locked {
            user: user.name.clone(),
            until,
        }))
    })?;
    outcome
}

/// A manager's (or owner's) approval for one action: their PIN, checked.
pub fn approve(store: &mut Store, name: &str, pin: &str, at: DateTime<Utc>, action: &'static str) -> Result<Actor> {
    let approver = sign_in(store, name, pin, at)?;
    approver.require(Role::Manager, action)?;
    Ok(approver)
}

/// The users, without their PIN hashes.
pub fn users(store: &Store) -> Result<Vec<User>> {
    let mut out = Vec::new();
    store::for_each_record(store.conn(), Table::Users, |_, body| {
        let mut u: User = super::parse(body, Table::Users)?;
        u.pin_hash = None;
        out.push(u);
        Ok(())
    })?;
    Ok(out)
}

/// Finds a user by id.
pub fn user(store: &Store, id: &str) -> Result<Option<User>> {
    find(store.conn(), Table::Users, id)
}
