//! Users, roles and PINs. PINs are hashed with Argon2 and never stored or
//! logged in plain; after too many wrong PINs a user is locked for a while.

use super::{find, insert, load, log, save, Actor, OpCtx};
use crate::error::{Error, Result};
use crate::sections::{Extra, RecordId, Role, Table, Timestamp, User};
use crate::store::{self, Store};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension};

/// Hashes a PIN (4 to 8 digits) with Argon2id and a random salt.
pub fn hash_pin(pin: &str) -> Result<String> {
    check_pin(pin)?;
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes()).map_err(|e| Error::Invalid(e.to_string()))?;
    hash_with_salt(pin, &salt)
}

pub(crate) fn hash_with_salt(pin: &str, salt: &SaltString) -> Result<String> {
    argon2::Argon2::default()
        .hash_password(pin.as_bytes(), salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Invalid(format!("could not hash the PIN: {e}")))
}

fn check_pin(pin: &str) -> Result<()> {
    if (4..=8).contains(&pin.len()) && pin.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Error::Invalid("a PIN is 4 to 8 digits".into()))
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
    let hash = hash_pin(pin)?;
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
        return Err(Error::Invalid("a user needs a name".into()));
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
    let hash = hash_pin(pin)?;
    store.write(|tx| create_user_in(tx, ctx, name, role, hash))
}

pub(crate) fn create_user_in(tx: &Connection, ctx: &OpCtx, name: &str, role: Role, pin_hash: String) -> Result<User> {
    if user_by_name(tx, name.trim())?.is_some() {
        return Err(Error::Conflict(format!("a user named {name:?} exists already")));
    }
    let user = new_user(name, role, pin_hash, ctx.new_id("user"))?;
    insert(tx, Table::Users, &user)?;
    log(
        tx,
        ctx,
        "user_create",
        format!("user {} added as {role}", user.name),
        Extra::new(),
    )?;
    Ok(user)
}

/// Sets a user's PIN and unlocks them (owner, or the user themself).
pub fn set_pin(store: &mut Store, ctx: &OpCtx, user_id: &str, pin: &str) -> Result<()> {
    if ctx.actor.user_id != user_id {
        ctx.actor.require(Role::Owner, "changing another user's PIN")?;
    }
    let hash = hash_pin(pin)?;
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
    let ok = match &user.pin_hash {
        Some(hash) => {
            let parsed = PasswordHash::new(hash).map_err(|e| Error::Invalid(format!("stored PIN hash: {e}")))?;
            argon2::Argon2::default()
                .verify_password(pin.as_bytes(), &parsed)
                .is_ok()
        }
        None => false,
    };
    // The attempt is recorded in its own transaction, whatever the outcome.
    let outcome: Result<Actor> = store.write(|tx| {
        let mut user: User = load(tx, Table::Users, &user.id.key(), "user")?;
        if ok {
            if user.failed_attempts != 0 || user.locked_until.is_some() {
                user.failed_attempts = 0;
                user.locked_until = None;
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
