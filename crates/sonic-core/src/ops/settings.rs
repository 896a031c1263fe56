//! Shop-wide settings that belong to the shop's data (so they are in every
//! backup): the IQD rounding step, when a return needs a manager, the receipt
//! header, the lockout policy. They live as the `settings` member of
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
        }
    }
}

const MEMBER: &str = "settings";

pub(crate) fn load(conn: &Connection) -> Result<ShopSettings> {
    let Some(json) = store::section_value(conn, SectionKey::ShopData)? else {
        return Ok(ShopSettings::default());
    };
    let members: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&json).map_err(|e| Error::Invalid(e.to_string()))?;
    match members.get(MEMBER) {
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| Error::Invalid(format!("shop settings: {e}"))),
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
    if settings.iqd_step < 1 {
        return Err(Error::Invalid(format!(
            "the IQD rounding step must be 1 or more, found {}",
            settings.iqd_step
        )));
    }
    if settings.max_pin_attempts < 1 || settings.lock_minutes < 1 {
        return Err(Error::Invalid("PIN attempts and lock minutes must be 1 or more".into()));
    }
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
            &serde_json::Value::Object(members).to_string(),
        )?;
        super::log(
            tx,
            ctx,
            "settings_change",
            "shop settings changed".into(),
            Default::default(),
        )
    })
}
