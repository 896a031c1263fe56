//! The owner's side: rates, users and PINs, shop settings, the activity log
//! and the dashboard.

use chrono::{DateTime, Local, Utc};
use serde::Serialize;
use sonic_core::ops::activity::{self, ActivityFilter};
use sonic_core::ops::rates::{self, RateChange, RateKind};
use sonic_core::ops::report::{self, DayTotals, Totals};
use sonic_core::ops::settings::{self, ShopSettings};
use sonic_core::ops::{debt, security, Page};
use sonic_core::sections::{ActivityEntry, Rate, Role};
use tauri::{AppHandle, State};

use super::{as_user, id_arg, session};
use crate::error::{Code, UiError};
use crate::AppState;

/// Start and end of today on this computer's clock, in UTC.
pub(crate) fn local_today() -> (DateTime<Utc>, DateTime<Utc>) {
    let now = Local::now();
    let start = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(Local).earliest())
        .map_or_else(|| now.with_timezone(&Utc), |t| t.with_timezone(&Utc));
    (start, start + chrono::Duration::days(1))
}

/// The UI names rates after what they are for.
fn rate_kind(kind: &str) -> Result<RateKind, UiError> {
    match kind {
        "iqdPerUsd" => Ok(RateKind::IqdPerUsd),
        "iqdRate" => Ok(RateKind::Transfer),
        other => Err(UiError::new(
            Code::Validation,
            format!("{other:?} is not a rate; the rates are iqdPerUsd (sales) and iqdRate (transfers)"),
        )
        .with("reason", "notARateKind")
        .with("kind", other)),
    }
}

/// Sets a rate (manager or owner), recording old → new in the history.
#[tauri::command]
pub(crate) async fn set_rate(
    app: AppHandle,
    state: State<'_, AppState>,
    kind: String,
    rate: String,
) -> Result<(), UiError> {
    let kind = rate_kind(&kind)?;
    let parsed: Rate = rate.trim().parse().map_err(|e| {
        UiError::new(
            Code::Validation,
            format!("{rate:?} is not a rate ({e}); type dinars per 1 dollar, e.g. 1310 or 1310.5"),
        )
        .with("reason", "notARate")
    })?;
    as_user(&state, move |store, ctx| rates::set_rate(store, ctx, kind, parsed)).await?;
    session::announce(&app, &state).await;
    Ok(())
}

#[tauri::command]
pub(crate) async fn rate_history(
    state: State<'_, AppState>,
    kind: String,
    page: Page,
) -> Result<Vec<RateChange>, UiError> {
    let kind = rate_kind(&kind)?;
    as_user(&state, move |store, _| rates::rate_history(store, kind, page)).await
}

/// A user as the Settings screen lists them (never the PIN hash).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserRow {
    id: String,
    name: String,
    role: Role,
    disabled: bool,
    locked: bool,
}

#[tauri::command]
pub(crate) async fn users(state: State<'_, AppState>) -> Result<Vec<UserRow>, UiError> {
    let now = Utc::now();
    as_user(&state, move |store, _| {
        Ok(security::users(store)?
            .into_iter()
            .map(|u| UserRow {
                id: u.id.key(),
                locked: u.locked_until.is_some_and(|t| t.instant() > now),
                name: u.name,
                role: u.role,
                disabled: u.disabled,
            })
            .collect())
    })
    .await
}

/// Adds a user (owner).
#[tauri::command]
pub(crate) async fn create_user(
    state: State<'_, AppState>,
    name: String,
    role: Role,
    pin: String,
) -> Result<UserRow, UiError> {
    as_user(&state, move |store, ctx| {
        let u = security::create_user(store, ctx, &name, role, &pin)?;
        Ok(UserRow {
            id: u.id.key(),
            name: u.name,
            role: u.role,
            disabled: u.disabled,
            locked: false,
        })
    })
    .await
}

/// Sets a PIN (the owner for anyone, a user for themself); unlocks the user.
#[tauri::command]
pub(crate) async fn set_pin(state: State<'_, AppState>, user_id: String, pin: String) -> Result<(), UiError> {
    id_arg("the user", &user_id)?;
    as_user(&state, move |store, ctx| security::set_pin(store, ctx, &user_id, &pin)).await
}

#[tauri::command]
pub(crate) async fn shop_settings(state: State<'_, AppState>) -> Result<ShopSettings, UiError> {
    as_user(&state, |store, _| settings::shop_settings(store)).await
}

#[tauri::command]
pub(crate) async fn set_shop_settings(
    app: AppHandle,
    state: State<'_, AppState>,
    settings: ShopSettings,
) -> Result<(), UiError> {
    as_user(&state, move |store, ctx| {
        settings::set_shop_settings(store, ctx, &settings)
    })
    .await?;
    session::announce(&app, &state).await;
    Ok(())
}

/// The activity log, filtered, newest first.
#[tauri::command]
pub(crate) async fn activity(
    state: State<'_, AppState>,
    filter: ActivityFilter,
    page: Page,
) -> Result<Vec<ActivityEntry>, UiError> {
    as_user(&state, move |store, _| activity::list(store, &filter, page)).await
}

/// What the dashboard shows.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Dashboard {
    today: Totals,
    open_debts: debt::Balance,
    ready_services: u64,
    days: Vec<DayTotals>,
}

/// Today's totals, open debts, repairs ready for pickup and the last 30
/// days' sales; `utc_offset_minutes` is the screen's time zone.
#[tauri::command]
pub(crate) async fn dashboard(state: State<'_, AppState>, utc_offset_minutes: i32) -> Result<Dashboard, UiError> {
    let (from, to) = local_today();
    as_user(&state, move |store, _| {
        let today = report::report(store, from, to)?;
        let ready = today.services.get("ready").copied().unwrap_or(0);
        Ok(Dashboard {
            open_debts: today.open_debts,
            today: today.totals,
            ready_services: ready,
            days: report::daily(store, Utc::now(), 30, utc_offset_minutes)?,
        })
    })
    .await
}
