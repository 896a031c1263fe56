//! Users, PINs and lockout. Argon2 is slow in a debug build, so each test
//! signs in as few times as it can.

mod common;

use chrono::Duration;
use common::{actor, Shop, OWNER_PIN};
use sonic_core::ops::security;
use sonic_core::ops::settings::{self, ShopSettings};
use sonic_core::sections::{Role, SectionKey};
use sonic_core::Error;

#[test]
fn the_right_pin_signs_in_with_the_users_role() {
    let mut shop = Shop::new();
    let me = security::sign_in(&mut shop.store, "Owner", OWNER_PIN, shop.t0).unwrap();
    assert_eq!(me, shop.owner);
    assert_eq!(me.role, Role::Owner);
}

#[test]
fn a_wrong_pin_counts_down_the_attempts_and_the_count_is_kept() {
    let mut shop = Shop::new();
    let ctx = shop.ctx();
    let user = security::create_user(&mut shop.store, &ctx, "Sara", Role::Cashier, "1111").unwrap();
    let id = user.id.key();
    for (n, left) in [(1u32, 4u32), (2, 3)] {
        let before = shop.digests();
        let err = security::sign_in(&mut shop.store, "Sara", "9999", shop.t0).unwrap_err();
        assert!(
            matches!(&err, Error::WrongPin { attempts_left, .. } if *attempts_left == left),
            "attempt {n}: {err:?}"
        );
        let after = shop.digests();
        let changed: Vec<_> = after.keys().filter(|k| before[k] != after[k]).copied().collect();
        assert_eq!(
            changed,
            vec![SectionKey::SecurityState],
            "a wrong PIN writes only the attempt count"
        );
        let stored = security::user(&shop.store, &id).unwrap().unwrap();
        assert_eq!(
            stored.failed_attempts, n,
            "the count is on disk although the sign-in failed"
        );
        assert_eq!(stored.locked_until, None);
    }
    // The right PIN resets the count.
    security::sign_in(&mut shop.store, "Sara", "1111", shop.t0).unwrap();
    assert_eq!(security::user(&shop.store, &id).unwrap().unwrap().failed_attempts, 0);
}

#[test]
fn five_wrong_pins_lock_the_user_until_the_lock_time_has_passed() {
    let mut shop = Shop::new();
    let t0 = shop.t0;
    for left in [4u32, 3, 2, 1] {
        let err = security::sign_in(&mut shop.store, "Owner", "0000", t0).unwrap_err();
        assert!(
            matches!(&err, Error::WrongPin { attempts_left, .. } if *attempts_left == left),
            "{err:?}"
        );
    }
    let err = security::sign_in(&mut shop.store, "Owner", "0000", t0).unwrap_err();
    let until = match err {
        Error::Locked { until, .. } => until,
        other => panic!("the fifth wrong PIN locks, got {other:?}"),
    };
    assert_eq!(until, t0 + Duration::minutes(15), "the default lock time");
    assert_eq!(shop.activity("user_locked").len(), 1, "the lock is logged");

    // Locked: even the right PIN is refused, and nothing is written.
    let before = shop.digests();
    let err = security::sign_in(&mut shop.store, "Owner", OWNER_PIN, t0 + Duration::minutes(14)).unwrap_err();
    assert!(matches!(err, Error::Locked { .. }), "{err:?}");
    assert_eq!(shop.digests(), before, "a sign-in refused for a lock writes nothing");

    // After the lock time the right PIN works and clears the lock.
    let me = security::sign_in(&mut shop.store, "Owner", OWNER_PIN, until).unwrap();
    assert_eq!(me.role, Role::Owner);
    let stored = security::user(&shop.store, &me.user_id).unwrap().unwrap();
    assert_eq!((stored.failed_attempts, stored.locked_until), (0, None));
}

#[test]
fn after_a_lock_expires_a_user_gets_a_full_set_of_attempts_again() {
    let mut shop = Shop::new();
    let ctx = shop.ctx();
    let mut s = settings::shop_settings(&shop.store).unwrap();
    s.max_pin_attempts = 2;
    s.lock_minutes = 1;
    settings::set_shop_settings(&mut shop.store, &ctx, &s).unwrap();
    let t0 = shop.t0;
    security::sign_in(&mut shop.store, "Owner", "0000", t0).unwrap_err();
    let err = security::sign_in(&mut shop.store, "Owner", "0000", t0).unwrap_err();
    assert!(
        matches!(err, Error::Locked { .. }),
        "the shop's attempt count is used: {err:?}"
    );
    let later = t0 + Duration::minutes(2);
    let err = security::sign_in(&mut shop.store, "Owner", "0000", later).unwrap_err();
    assert!(matches!(err, Error::WrongPin { attempts_left: 1, .. }), "{err:?}");
}

#[test]
fn a_second_bootstrap_is_refused() {
    let mut shop = Shop::new();
    let err = shop.refused(|s| security::bootstrap_owner(s, "Mallory", "123456"));
    assert_eq!(err.code(), "Conflict");
}

#[test]
fn only_the_owner_adds_users_and_pins_are_checked_and_never_stored_plain() {
    let mut shop = Shop::new();
    let manager = actor("Omar", Role::Manager);
    let ctx = shop.ctx_as(&manager, &shop.main.clone());
    let err = shop.refused(|s| security::create_user(s, &ctx, "Sara", Role::Cashier, "1111"));
    assert!(matches!(err, Error::Forbidden { has: Role::Manager, .. }), "{err:?}");

    let ctx = shop.ctx();
    for pin in ["12", "123456789", "12a4", ""] {
        let err = shop.refused(|s| security::create_user(s, &ctx, "Sara", Role::Cashier, pin));
        assert_eq!(err.code(), "Validation", "PIN {pin:?}");
    }
    security::create_user(&mut shop.store, &ctx, "Sara", Role::Cashier, "271828").unwrap();
    let err = shop.refused(|s| security::create_user(s, &ctx, " Sara ", Role::Manager, "111111"));
    assert_eq!(err.code(), "Conflict", "names are unique");

    let text = serde_json::to_string(&shop.export()).unwrap();
    assert!(!text.contains("271828"), "the PIN must not be in the data");
    assert!(text.contains("$argon2id$"), "PINs are Argon2id hashes");
    assert!(
        security::users(&shop.store)
            .unwrap()
            .iter()
            .all(|u| u.pin_hash.is_none()),
        "the user list carries no hashes"
    );
}

#[test]
fn an_approval_needs_a_managers_pin() {
    let mut shop = Shop::new();
    let ctx = shop.ctx();
    security::create_user(&mut shop.store, &ctx, "Sara", Role::Cashier, "1111").unwrap();
    let err = security::approve(&mut shop.store, "Sara", "1111", shop.t0, "approving a return").unwrap_err();
    assert!(matches!(err, Error::Forbidden { has: Role::Cashier, .. }), "{err:?}");
    let ok = security::approve(&mut shop.store, "Owner", OWNER_PIN, shop.t0, "approving a return").unwrap();
    assert_eq!(ok.role, Role::Owner);
}

#[test]
fn an_unknown_user_is_refused_without_a_write() {
    let mut shop = Shop::new();
    let t0 = shop.t0;
    let err = shop.refused(|s| security::sign_in(s, "Nobody", "1234", t0));
    assert!(matches!(err, Error::NotFound { what: "user", .. }), "{err:?}");
}

#[test]
fn a_cashier_cannot_change_settings_and_bad_settings_are_refused() {
    let mut shop = Shop::new();
    let cashier = actor("Sara", Role::Cashier);
    let ctx = shop.ctx_as(&cashier, &shop.main.clone());
    let err = shop.refused(|s| settings::set_shop_settings(s, &ctx, &ShopSettings::default()));
    assert!(matches!(err, Error::Forbidden { .. }), "{err:?}");
    let ctx = shop.ctx();
    let bad = ShopSettings {
        iqd_step: 0,
        ..ShopSettings::default()
    };
    let err = shop.refused(|s| settings::set_shop_settings(s, &ctx, &bad));
    assert_eq!(err.code(), "Validation");
    let custom = ShopSettings {
        iqd_step: 500,
        return_approval_above_iqd: 5,
        ..ShopSettings::default()
    };
    settings::set_shop_settings(&mut shop.store, &ctx, &custom).unwrap();
    assert_eq!(settings::shop_settings(&shop.store).unwrap(), custom);
}

#[test]
fn lockout_settings_outside_their_ranges_are_refused_and_nothing_changes() {
    let mut shop = Shop::new();
    let ctx = shop.ctx();
    let good = settings::shop_settings(&shop.store).unwrap();
    for (what, change) in [
        (
            "attempts 0",
            ShopSettings {
                max_pin_attempts: 0,
                ..good.clone()
            },
        ),
        (
            "attempts u32::MAX",
            ShopSettings {
                max_pin_attempts: u32::MAX,
                ..good.clone()
            },
        ),
        (
            "a lock of i64::MAX minutes",
            ShopSettings {
                lock_minutes: i64::MAX,
                ..good.clone()
            },
        ),
        (
            "a lock of 0 minutes",
            ShopSettings {
                lock_minutes: 0,
                ..good.clone()
            },
        ),
        (
            "a return threshold above 2^53",
            ShopSettings {
                return_approval_above_iqd: i64::MAX,
                ..good.clone()
            },
        ),
    ] {
        let err = shop.refused(|s| settings::set_shop_settings(s, &ctx, &change));
        assert_eq!(err.code(), "Validation", "{what}: {err}");
    }
    // The largest lock allowed still locks, without a panic.
    let longest = ShopSettings {
        max_pin_attempts: 1,
        lock_minutes: 1440,
        ..good
    };
    settings::set_shop_settings(&mut shop.store, &ctx, &longest).unwrap();
    let err = security::sign_in(&mut shop.store, "Owner", "0000", shop.t0).unwrap_err();
    assert!(matches!(err, Error::Locked { .. }), "{err:?}");
}

#[test]
fn a_hash_made_at_the_old_cost_is_made_again_at_the_next_sign_in() {
    use argon2::password_hash::{PasswordHasher as _, SaltString};
    // A store whose owner's PIN was hashed with argon2's default cost, as
    // before this version: imported from a file.
    let old = argon2::Argon2::default()
        .hash_password(
            OWNER_PIN.as_bytes(),
            &SaltString::encode_b64(b"sixteen byte slt").unwrap(),
        )
        .unwrap()
        .to_string();
    assert!(old.contains("m=19456,t=2,p=1"), "{old}");
    let file = serde_json::json!({
        "sonic_security_state": {"users": [{"id": "user-1", "name": "Owner", "role": "owner", "pinHash": old}]},
    });
    let tmp = tempfile::tempdir().unwrap();
    let doc = sonic_core::snapshot::read(&serde_json::to_vec(&file).unwrap()[..], "old.json", tmp.path()).unwrap();
    let mut store = sonic_core::Store::open(&sonic_core::DataDir::at(tmp.path())).unwrap();
    sonic_core::restore::import(&mut store, &doc, sonic_core::restore::ImportMode::IntoEmpty, "old").unwrap();
    let at = chrono::Utc::now();
    security::sign_in(&mut store, "Owner", OWNER_PIN, at).expect("the old hash still checks");
    let user = security::user(&store, "user-1").unwrap().unwrap();
    let new = user.pin_hash.unwrap();
    assert!(new.starts_with("$argon2id$v=19$m=65536,t=4,p=1$"), "upgraded: {new}");
    security::sign_in(&mut store, "Owner", OWNER_PIN, at).expect("and the new one checks");
    assert!(security::check_pin_hash(&new).is_ok());
    let absurd = "$argon2id$v=19$m=4294967295,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
    assert!(security::check_pin_hash(absurd).unwrap_err().contains("m=4294967295"));
}

#[test]
fn a_new_managers_or_owners_pin_has_at_least_six_digits() {
    let mut shop = Shop::new();
    let ctx = shop.ctx();
    for role in [Role::Manager, Role::Owner] {
        let err = shop.refused(|s| security::create_user(s, &ctx, "Mona", role, "1234"));
        assert_eq!(err.code(), "Validation", "{role}: {err}");
        assert!(err.to_string().contains("6 to 12"), "{err}");
    }
    let cashier =
        security::create_user(&mut shop.store, &ctx, "Sara", Role::Cashier, "1234").expect("a cashier's 4 digits");
    let owner_id = shop.owner.user_id.clone();
    let err = shop.refused(|s| security::set_pin(s, &ctx, &owner_id, "4321"));
    assert_eq!(err.code(), "Validation", "the owner's own new PIN: {err}");
    security::set_pin(&mut shop.store, &ctx, &cashier.id.key(), "8765").expect("a cashier's new 4 digits");
    let tmp = tempfile::tempdir().unwrap();
    let mut fresh = sonic_core::Store::open(&sonic_core::DataDir::at(tmp.path())).unwrap();
    let err = security::bootstrap_owner(&mut fresh, "Owner", "1234").unwrap_err();
    assert_eq!(err.code(), "Validation", "the first owner too: {err}");
}
