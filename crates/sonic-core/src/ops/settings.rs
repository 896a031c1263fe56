//! Shop-wide settings that belong to the shop's data (so they are in every
//! backup): the IQD rounding step, when a return needs a manager, the receipt
//! header, the lockout policy, the discount a cashier may give alone. They live as the `settings` member of
//! `sonic_shop_data` (kept verbatim by import and export).

use crate::error::{Error, Result};
use crate::money::DEFAULT_IQD_STEP;
use crate::sections::{Role, SectionKey};
use crate::store::{self, Store};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::OpCtx;

/// The shop's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ShopSettings {
    pub shop_name: String,
    pub receipt_header: String,
    /// IQD amounts are rounded to a multiple of this many dinars.
    pub iqd_step: i64,
    /// A return refunding more than this (in IQD) needs a manager's PIN.
    pub return_approval_above_iqd: i64,
    /// Wrong PINs before a user is locked.
    pub max_pin_attempts: u32,
    /// How long a locked user stays locked.
    pub lock_minutes: i64,
    /// A cashier's discounts above this share of a sale (in percent of the
    /// sale before discounts) need a manager's PIN.
    pub discount_approval_above_percent: i64,
}

impl Default for ShopSettings {
    fn default() -> Self {
        ShopSettings {
            shop_name: "Sonic".into(),
            receipt_header: String::new(),
            iqd_step: DEFAULT_IQD_STEP,
            return_approval_above_iqd: 100_000,
            max_pin_attempts: 5,
            lock_minutes: 15,
            discount_approval_above_percent: 20,
        }
    }
}

/// The ranges a shop setting may take, checked when a manager sets them and
/// when a file is imported or restored (SECURITY.md): no setting can turn
/// the lockout off, lock a user for ever, or overflow a computation.
pub mod bounds {
    /// Wrong PINs before a lock: 1 to 10.
    pub const PIN_ATTEMPTS: std::ops::RangeInclusive<u32> = 1..=10;
    /// How long a lock lasts: 1 minute to 1 day.
    pub const LOCK_MINUTES: std::ops::RangeInclusive<i64> = 1..=1440;
    /// The IQD rounding step: 1 to 100,000 dinars.
    pub const IQD_STEP: std::ops::RangeInclusive<i64> = 1..=100_000;
    /// Money amounts in settings: 0 to 2^53 - 1 (what the webview's numbers
    /// hold exactly).
    pub const AMOUNT: std::ops::RangeInclusive<i64> = 0..=crate::MAX_SAFE_INTEGER;
    /// The share of a sale a cashier may discount without a manager: 0 to 100 %.
    pub const DISCOUNT_PERCENT: std::ops::RangeInclusive<i64> = 0..=100;
    /// Shop name and receipt header, in characters.
    pub const TEXT_CHARS: usize = 500;
}

impl ShopSettings {
    /// Checks every member against [`bounds`]; the error names the member
    /// (camelCase, as in the file) and the range.
    pub fn check(&self) -> std::result::Result<(), (&'static str, String)> {
        fn within<T: PartialOrd + std::fmt::Display>(
            name: &'static str,
            value: T,
            range: std::ops::RangeInclusive<T>,
        ) -> std::result::Result<(), (&'static str, String)> {
            if range.contains(&value) {
                Ok(())
            } else {
                Err((
                    name,
                    format!("must be {} to {}, found {value}", range.start(), range.end()),
                ))
            }
        }
        within("maxPinAttempts", self.max_pin_attempts, bounds::PIN_ATTEMPTS)?;
        within("lockMinutes", self.lock_minutes, bounds::LOCK_MINUTES)?;
        within("iqdStep", self.iqd_step, bounds::IQD_STEP)?;
        within("returnApprovalAboveIqd", self.return_approval_above_iqd, bounds::AMOUNT)?;
        within(
            "discountApprovalAbovePercent",
            self.discount_approval_above_percent,
            bounds::DISCOUNT_PERCENT,
        )?;
        for (name, text) in [("shopName", &self.shop_name), ("receiptHeader", &self.receipt_header)] {
            if text.chars().count() > bounds::TEXT_CHARS {
                return Err((name, format!("must be at most {} characters", bounds::TEXT_CHARS)));
            }
        }
        Ok(())
    }

    /// The settings with every number brought into [`bounds`]: what the
    /// till uses when a store holds settings written before the bounds
    /// existed (a restore of an old backup), so none can panic or turn the
    /// lockout off.
    fn bounded(mut self) -> ShopSettings {
        let clamp = |v: i64, r: std::ops::RangeInclusive<i64>| v.clamp(*r.start(), *r.end());
        self.max_pin_attempts = self
            .max_pin_attempts
            .clamp(*bounds::PIN_ATTEMPTS.start(), *bounds::PIN_ATTEMPTS.end());
        self.lock_minutes = clamp(self.lock_minutes, bounds::LOCK_MINUTES);
        self.iqd_step = clamp(self.iqd_step, bounds::IQD_STEP);
        self.return_approval_above_iqd = clamp(self.return_approval_above_iqd, bounds::AMOUNT);
        self.discount_approval_above_percent = clamp(self.discount_approval_above_percent, bounds::DISCOUNT_PERCENT);
        self
    }
}

/// Checks the `settings` member of `sonic_shop_data` as a file holds it:
/// typed (the members this code knows have their types) and in [`bounds`].
/// The error is `(member path, message)`.
pub(crate) fn check_imported(value: &serde_json::Value) -> std::result::Result<(), (String, String)> {
    let settings: ShopSettings = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        (format!("settings.{path}"), e.inner().to_string())
    })?;
    settings
        .check()
        .map_err(|(name, message)| (format!("settings.{name}"), message))
}

const MEMBER: &str = "settings";

pub(crate) fn load(conn: &Connection) -> Result<ShopSettings> {
    let Some(json) = store::section_value(conn, SectionKey::ShopData)? else {
        return Ok(ShopSettings::default());
    };
    let members: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&json).map_err(|e| Error::Invalid(e.to_string()))?;
    match members.get(MEMBER) {
        Some(v) => serde_json::from_value(v.clone())
            .map(ShopSettings::bounded)
            .map_err(|e| Error::Invalid(format!("shop settings: {e}"))),
        None => Ok(ShopSettings::default()),
    }
}

/// The shop's settings.
pub fn shop_settings(store: &Store) -> Result<ShopSettings> {
    load(store.conn())
}

/// Changes the shop's settings (manager or owner).
pub fn set_shop_settings(store: &mut Store, ctx: &OpCtx, settings: &ShopSettings) -> Result<()> {
    ctx.actor.require(Role::Manager, "changing settings")?;
    settings
        .check()
        .map_err(|(name, message)| Error::Invalid(format!("the setting {name} {message}")))?;
    store.write(|tx| {
        let mut members: serde_json::Map<String, serde_json::Value> =
            match store::section_value(tx, SectionKey::ShopData)? {
                Some(json) => serde_json::from_str(&json).map_err(|e| Error::Invalid(e.to_string()))?,
                None => serde_json::Map::new(),
            };
        members.insert(
            MEMBER.into(),
            serde_json::to_value(settings).map_err(|e| Error::Invalid(e.to_string()))?,
        );
        store::set_section_value(
            tx,
            SectionKey::ShopData,
            &crate::canonical::to_string(&serde_json::Value::Object(members)),
        )?;
        super::log(
            tx,
            ctx,
            "settings_change",
            "shop settings changed".into(),
            super::Params::new(),
            Default::default(),
        )
    })
}
