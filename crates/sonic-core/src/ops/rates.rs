//! The two exchange rates and their history. A change is recorded in the
//! activity log (who, when, old, new), which is where the history is read from.

use super::{current_rate, log, OpCtx, Page, Params};
use crate::error::{Error, Result};
use crate::sections::{Extra, Rate, Role, SectionKey};
use crate::store::{self, Store};
use chrono::{DateTime, Utc};
use rusqlite::Connection;
use serde::Serialize;

/// Which rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateKind {
    /// `sonic_iqd_per_usd`: IQD per 1 USD for sales and returns.
    IqdPerUsd,
    /// `sonic_iqd_rate`: the rate used by money transfers.
    Transfer,
}

impl RateKind {
    pub fn key(self) -> SectionKey {
        match self {
            RateKind::IqdPerUsd => SectionKey::IqdPerUsd,
            RateKind::Transfer => SectionKey::IqdRate,
        }
    }
}

/// One change of a rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RateChange {
    pub key: String,
    pub old: Option<String>,
    pub new: String,
    pub by: Option<String>,
    pub at: Option<DateTime<Utc>>,
}

/// The current rate, if set.
pub fn rate(store: &Store, kind: RateKind) -> Result<Option<Rate>> {
    match current_rate(store.conn(), kind.key()) {
        Ok(r) => Ok(Some(r)),
        Err(Error::RateNotSet { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Sets a rate (manager or owner), recording the change.
pub fn set_rate(store: &mut Store, ctx: &OpCtx, kind: RateKind, rate: Rate) -> Result<()> {
    ctx.actor.require(Role::Manager, "changing a rate")?;
    store.write(|tx| set_rate_in(tx, ctx, kind, rate))
}

pub(crate) fn set_rate_in(tx: &Connection, ctx: &OpCtx, kind: RateKind, rate: Rate) -> Result<()> {
    let key = kind.key();
    let old = current_rate(tx, key).ok();
    if old == Some(rate) {
        return Ok(());
    }
    store::set_section_value(tx, key, &serde_json::Value::String(rate.to_string()).to_string())?;
    let mut extra = Extra::new();
    extra.insert("key".into(), key.as_str().into());
    extra.insert("old".into(), old.map(|r| r.to_string()).into());
    extra.insert("new".into(), rate.to_string().into());
    let from = old.map_or("unset".to_string(), |r| r.to_string());
    let params = Params::new()
        .text("rate", key.as_str())
        .text("old", old.map(|r| r.to_string()).unwrap_or_default())
        .text("new", rate);
    log(tx, ctx, "rate_change", format!("{key}: {from} → {rate}"), params, extra)
}

/// The changes of a rate, newest first.
pub fn rate_history(store: &Store, kind: RateKind, page: Page) -> Result<Vec<RateChange>> {
    let mut stmt = store.conn().prepare_cached(
        "SELECT body FROM activity WHERE action = 'rate_change' AND json_extract(body, '$.key') = ?1
         ORDER BY seq DESC LIMIT ?2 OFFSET ?3",
    )?;
    let rows = stmt.query_map(rusqlite::params![kind.key().as_str(), page.limit(), page.offset], |r| {
        r.get::<_, String>(0)
    })?;
    let mut out = Vec::new();
    for body in rows {
        let v: serde_json::Value = serde_json::from_str(&body?).map_err(|e| Error::Invalid(e.to_string()))?;
        out.push(RateChange {
            key: kind.key().as_str().to_string(),
            old: v["old"].as_str().map(str::to_string),
            new: v["new"].as_str().unwrap_or_default().to_string(),
            by: v["user"].as_str().map(str::to_string),
            at: serde_json::from_value::<crate::sections::Timestamp>(v["at"].clone())
                .ok()
                .map(|t| t.instant()),
        });
    }
    Ok(out)
}
