//! The shared fixture of the `ops_*` integration tests: a real store in a
//! temporary directory with a bootstrapped owner, two store locations (one
//! that refuses negative stock, one that allows it), the sale rate set, and
//! helpers to add items and customers and to compare snapshots.

#![allow(dead_code)] // each test binary uses its own part of the fixture

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Value;
use sonic_core::ops::catalog::{self, CustomerInput, ItemInput};
use sonic_core::ops::rates::{self, RateKind};
use sonic_core::ops::stock;
use sonic_core::ops::stores::{self, StoreInput};
use sonic_core::ops::{security, Actor, Ids, OpCtx};
use sonic_core::sections::{Currency, Rate, Role};
use sonic_core::snapshot::{self, ExportInfo, SectionDigest};
use sonic_core::{DataDir, Error, SectionKey, Store};
use std::collections::BTreeMap;
use std::str::FromStr;

/// The owner's PIN in every fixture.
pub const OWNER_PIN: &str = "654321";
/// `sonic_iqd_per_usd` of the fixture.
pub const RATE: &str = "1310";

pub type Digests = BTreeMap<SectionKey, SectionDigest>;

pub struct Shop {
    pub store: Store,
    pub owner: Actor,
    /// Store location that refuses to sell below zero.
    pub main: String,
    /// Store location whose `allow_negative_stock` is set.
    pub lenient: String,
    /// The fixture's clock: every context is at this instant unless told.
    pub t0: DateTime<Utc>,
    // Dropped last: the directory must outlive the open database.
    pub tmp: tempfile::TempDir,
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0)
        .single()
        .expect("a valid date")
}

pub fn rate(s: &str) -> Rate {
    Rate::from_str(s).expect("a valid rate")
}

/// An actor that exists only in memory: role checks are made from the
/// `Actor`, so tests of refusals need no user record (and no slow hashing).
pub fn actor(name: &str, role: Role) -> Actor {
    Actor {
        user_id: format!("user-{name}"),
        name: name.to_string(),
        role,
    }
}

impl Shop {
    /// Owner, two stores, the sale rate set to [`RATE`].
    pub fn new() -> Shop {
        let mut shop = Shop::without_rate();
        let ctx = shop.ctx();
        rates::set_rate(&mut shop.store, &ctx, RateKind::IqdPerUsd, rate(RATE)).expect("the owner sets the rate");
        shop
    }

    /// Owner and two stores, no rate set yet.
    pub fn without_rate() -> Shop {
        let tmp = tempfile::tempdir().expect("a temporary directory");
        let mut store = Store::open(&DataDir::at(tmp.path())).expect("a store opens in a temporary directory");
        let owner = security::bootstrap_owner(&mut store, "Owner", OWNER_PIN).expect("the first user is the owner");
        let ctx = OpCtx {
            actor: owner.clone(),
            store_id: String::new(),
            at: t0(),
            ids: Ids::Random,
        };
        let main = stores::create_store(
            &mut store,
            &ctx,
            &StoreInput {
                name: "Main".into(),
                address: None,
                phone: None,
                allow_negative_stock: false,
            },
        )
        .expect("the owner adds a store");
        let lenient = stores::create_store(
            &mut store,
            &ctx,
            &StoreInput {
                name: "Kiosk".into(),
                address: None,
                phone: None,
                allow_negative_stock: true,
            },
        )
        .expect("the owner adds a second store");
        Shop {
            store,
            owner,
            main: main.id.key(),
            lenient: lenient.id.key(),
            t0: t0(),
            tmp,
        }
    }

    /// The owner, selling in the main store, at `t0`.
    pub fn ctx(&self) -> OpCtx {
        self.ctx_as(&self.owner, &self.main)
    }

    pub fn ctx_as(&self, actor: &Actor, store_id: &str) -> OpCtx {
        OpCtx {
            actor: actor.clone(),
            store_id: store_id.to_string(),
            at: self.t0,
            ids: Ids::Random,
        }
    }

    /// The owner at `t0 + minutes`.
    pub fn ctx_later(&self, minutes: i64) -> OpCtx {
        let mut ctx = self.ctx();
        ctx.at = self.t0 + Duration::minutes(minutes);
        ctx
    }

    pub fn item_with(
        &mut self,
        name: &str,
        barcode: Option<&str>,
        currency: Currency,
        price: i64,
        cost: i64,
    ) -> String {
        let ctx = self.ctx();
        catalog::create_item(
            &mut self.store,
            &ctx,
            &ItemInput {
                name: name.into(),
                barcode: barcode.map(str::to_string),
                category: None,
                currency,
                price,
                cost,
            },
        )
        .expect("the owner adds an item")
        .id
        .key()
    }

    /// An item with `qty` received into the main store.
    pub fn stocked(&mut self, name: &str, currency: Currency, price: i64, cost: i64, qty: i64) -> String {
        let id = self.item_with(name, None, currency, price, cost);
        self.receive(&id, qty);
        id
    }

    pub fn receive(&mut self, item_id: &str, qty: i64) {
        self.receive_in(item_id, &self.main.clone(), qty);
    }

    pub fn receive_in(&mut self, item_id: &str, store_id: &str, qty: i64) {
        let ctx = self.ctx_as(&self.owner.clone(), store_id);
        stock::receive(&mut self.store, &ctx, item_id, qty, 0).expect("the owner receives stock");
    }

    pub fn customer(&mut self, name: &str, credit_limit: Option<i64>) -> String {
        let ctx = self.ctx();
        catalog::create_customer(
            &mut self.store,
            &ctx,
            &CustomerInput {
                name: name.into(),
                phone: None,
                credit_limit,
            },
        )
        .expect("the owner adds a customer")
        .id
        .key()
    }

    pub fn level(&self, item_id: &str) -> i64 {
        stock::level(&self.store, item_id, &self.main).expect("the level reads")
    }

    pub fn digests(&self) -> Digests {
        snapshot::store_digests(&self.store).expect("the digests read")
    }

    /// Runs `op`, which must fail, and checks that it changed nothing.
    pub fn refused<T: std::fmt::Debug>(&mut self, op: impl FnOnce(&mut Store) -> Result<T, Error>) -> Error {
        let before = self.digests();
        let err = op(&mut self.store).expect_err("the operation must be refused");
        assert_eq!(
            self.digests(),
            before,
            "a refused operation ({err}) must change nothing"
        );
        err
    }

    /// The 16 sections as the export file has them.
    pub fn export(&self) -> serde_json::Map<String, Value> {
        let mut out = Vec::new();
        snapshot::export(
            &self.store,
            &ExportInfo {
                reason: "test".into(),
                backup_id: None,
            },
            &mut out,
        )
        .expect("the store exports");
        let mut v: serde_json::Map<String, Value> = serde_json::from_slice(&out).expect("an export is JSON");
        v.remove("_meta");
        v
    }

    /// The records of a list section of the export.
    pub fn records(&self, key: &str) -> Vec<Value> {
        records_of(&self.export(), key)
    }

    /// The activity entries with this action.
    pub fn activity(&self, action: &str) -> Vec<Value> {
        self.records("sonic_activity_data")
            .into_iter()
            .filter(|a| a["action"] == action)
            .collect()
    }
}

pub fn records_of(export: &serde_json::Map<String, Value>, key: &str) -> Vec<Value> {
    export[key].as_array().cloned().unwrap_or_default()
}

/// The error's code, for compact assertions with the error in the message.
pub fn code(err: &Error) -> &'static str {
    err.code()
}
