//! First run, sign-in and the till's store. Who is signed in lives only in
//! this process (a restart asks for the PIN again); which store this till
//! sells from and the UI language are installation settings (never in a
//! backup, so restoring another store's backup does not move the till).

use serde::{Deserialize, Serialize};
use sonic_core::ops::rates::{self, RateKind};
use sonic_core::ops::settings::{self, ShopSettings};
use sonic_core::ops::stores::{self, StoreInput};
use sonic_core::ops::{security, Actor, OpCtx};
use sonic_core::sections::{Rate, Role, StoreLocation};
use sonic_core::Store;
use tauri::{AppHandle, State};

use super::with_store;
use crate::error::{Code, UiError};
use crate::{backup, AppState};

/// Installation setting: the id of the store this till sells from.
const TILL_STORE: &str = "till.store_id";
/// Installation setting: `en` or `ar`.
pub(crate) const LANGUAGE: &str = "ui.language";

/// The file beside the database that keeps the UI language for the windows
/// that cannot read the database (recovery).
const LANGUAGE_FILE: &str = "language";

/// Writes the UI language beside the database. A failure is logged: the
/// recovery window then shows English.
pub(crate) fn remember_language(dir: &sonic_core::DataDir, language: &str) {
    let path = dir.root().join(LANGUAGE_FILE);
    if std::fs::read_to_string(&path).is_ok_and(|saved| saved == language) {
        return;
    }
    if let Err(err) = std::fs::write(&path, language) {
        tracing::warn!("could not keep the language in {}: {err}", path.display());
    }
}

/// The UI language kept beside the database, if any.
pub(crate) fn remembered_language(dir: &sonic_core::DataDir) -> Option<String> {
    let text = std::fs::read_to_string(dir.root().join(LANGUAGE_FILE)).ok()?;
    let code = text.trim();
    matches!(code, "en" | "ar").then(|| code.to_string())
}
/// Installation setting: the name of who signed in last on this till, which
/// the sign-in form preselects (nobody before the first sign-in).
const LAST_USER: &str = "till.last_user";
/// Event sent when the session changed (sign-in, store, rate); payload [`SessionDto`].
pub(crate) const CHANGED: &str = "session-changed";

/// Who is signed in on this till, and where.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    pub actor: Actor,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserBrief {
    id: String,
    name: String,
    role: Role,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Rates {
    iqd_per_usd: Option<String>,
    iqd_rate: Option<String>,
}

/// What the frame needs to draw itself.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SessionDto {
    setup_needed: bool,
    user: Option<UserBrief>,
    store: Option<StoreLocation>,
    stores: Vec<StoreLocation>,
    rates: Rates,
    settings: ShopSettings,
    language: String,
    last_user: Option<String>,
}

impl AppState {
    /// The operation context for the signed-in user in the till's store.
    pub(crate) fn op_ctx(&self) -> Result<OpCtx, UiError> {
        let signed_in = self.signed_in().ok_or_else(|| {
            UiError::new(
                Code::SignInNeeded,
                "nobody is signed in on this till; sign in with your name and PIN",
            )
            .with("reason", "signInFirst")
        })?;
        let store_id = self.till_store.lock().map(|s| s.clone()).unwrap_or_default();
        Ok(OpCtx::now(signed_in.actor, store_id))
    }

    pub(crate) fn signed_in(&self) -> Option<SignedIn> {
        self.session.lock().ok().and_then(|s| s.clone())
    }

    fn set_signed_in(&self, who: Option<SignedIn>) {
        if let Ok(mut s) = self.session.lock() {
            *s = who;
        }
    }

    fn set_till_store(&self, id: String) {
        if let Ok(mut s) = self.till_store.lock() {
            *s = id;
        }
    }
}

/// The till's store: the one set for this installation if it still exists
/// and is open, else the first open store.
pub(crate) fn till_store(store: &Store) -> sonic_core::Result<Option<StoreLocation>> {
    let all = stores::stores(store)?;
    let chosen = store.setting(TILL_STORE)?;
    let open = |s: &&StoreLocation| !s.archived;
    Ok(all
        .iter()
        .filter(open)
        .find(|s| Some(s.id.key()) == chosen)
        .or_else(|| all.iter().find(open))
        .cloned())
}

fn session_of(store: &Store, who: Option<&SignedIn>) -> sonic_core::Result<SessionDto> {
    let setup_needed = security::users(store)?.is_empty();
    let stores = stores::stores(store)?;
    let rate = |kind| rates::rate(store, kind).map(|r| r.map(|r: Rate| r.to_string()));
    Ok(SessionDto {
        setup_needed,
        user: who.map(|w| UserBrief {
            id: w.actor.user_id.clone(),
            name: w.actor.name.clone(),
            role: w.actor.role,
        }),
        store: till_store(store)?,
        stores,
        rates: Rates {
            iqd_per_usd: rate(RateKind::IqdPerUsd)?,
            iqd_rate: rate(RateKind::Transfer)?,
        },
        settings: settings::shop_settings(store)?,
        language: store.setting(LANGUAGE)?.unwrap_or_else(|| "en".into()),
        last_user: store.setting(LAST_USER)?,
    })
}

/// Builds the session as it is now and keeps the till's store in step.
pub(crate) async fn current(state: &AppState) -> Result<SessionDto, UiError> {
    let who = state.signed_in();
    let session = with_store(state, move |store| session_of(store, who.as_ref())).await?;
    state.set_till_store(session.store.as_ref().map(|s| s.id.key()).unwrap_or_default());
    Ok(session)
}

/// Tells the frame the session changed (a rate, a store, a sign-in).
pub(crate) async fn announce(app: &AppHandle, state: &AppState) {
    match current(state).await {
        Ok(session) => backup::emit(app, CHANGED, session),
        Err(err) => tracing::warn!("could not read the session: {}", err.message),
    }
}

#[tauri::command]
pub(crate) async fn session(state: State<'_, AppState>) -> Result<SessionDto, UiError> {
    current(&state).await
}

/// The first run's form.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SetupInput {
    owner_name: String,
    pin: String,
    store_name: String,
    #[serde(default)]
    iqd_per_usd: Option<String>,
}

/// Sets up a new shop: the owner, the first store, the dollar rate; signs
/// the owner in. Refused once any user exists.
#[tauri::command]
pub(crate) async fn setup_shop(state: State<'_, AppState>, input: SetupInput) -> Result<SessionDto, UiError> {
    let rate = match input.iqd_per_usd.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(text) => Some(text.parse::<Rate>().map_err(|e| {
            UiError::new(
                Code::Validation,
                format!("the dollar rate {text:?} is not a rate ({e}); type IQD per 1 USD, e.g. 1310"),
            )
            .with("reason", "notARate")
        })?),
        None => None,
    };
    if input.store_name.trim().is_empty() {
        return Err(UiError::new(Code::Validation, "the first store needs a name").with("reason", "needsName"));
    }
    let actor = with_store(&state, move |store| {
        let owner = security::bootstrap_owner(store, &input.owner_name, &input.pin)?;
        let ctx = OpCtx::now(owner.clone(), "");
        let first = stores::create_store(
            store,
            &ctx,
            &StoreInput {
                name: input.store_name.clone(),
                address: None,
                phone: None,
                allow_negative_stock: false,
            },
        )?;
        store.set_setting(TILL_STORE, &first.id.key())?;
        if let Some(rate) = rate {
            rates::set_rate(
                store,
                &OpCtx::now(owner.clone(), first.id.key()),
                RateKind::IqdPerUsd,
                rate,
            )?;
        }
        Ok(owner)
    })
    .await?;
    tracing::info!(owner = %actor.name, "shop set up");
    state.set_signed_in(Some(SignedIn { actor }));
    current(&state).await
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct UserName {
    name: String,
    role: Role,
}

/// Who can sign in (names and roles only).
#[tauri::command]
pub(crate) async fn user_names(state: State<'_, AppState>) -> Result<Vec<UserName>, UiError> {
    let users = with_store(&state, |store| security::users(store)).await?;
    Ok(users
        .into_iter()
        .filter(|u| !u.disabled)
        .map(|u| UserName {
            name: u.name,
            role: u.role,
        })
        .collect())
}

#[tauri::command]
pub(crate) async fn sign_in(state: State<'_, AppState>, name: String, pin: String) -> Result<SessionDto, UiError> {
    let actor = with_store(&state, move |store| {
        let actor = security::sign_in(store, &name, &pin, chrono::Utc::now())?;
        store.set_setting(LAST_USER, &actor.name)?;
        Ok(actor)
    })
    .await?;
    tracing::info!(user = %actor.name, "signed in");
    state.set_signed_in(Some(SignedIn { actor }));
    current(&state).await
}

#[tauri::command]
pub(crate) async fn sign_out(state: State<'_, AppState>) -> Result<SessionDto, UiError> {
    state.set_signed_in(None);
    current(&state).await
}

/// Makes this till sell from another store (manager or owner).
#[tauri::command]
pub(crate) async fn switch_store(state: State<'_, AppState>, store_id: String) -> Result<SessionDto, UiError> {
    super::id_arg("the store", &store_id)?;
    let ctx = state.op_ctx()?;
    ctx.actor
        .require(Role::Manager, "changing the till's store")
        .map_err(UiError::from)?;
    with_store(&state, move |store| {
        let found = stores::stores(store)?
            .into_iter()
            .find(|s| s.id.key() == store_id && !s.archived);
        match found {
            Some(s) => store.set_setting(TILL_STORE, &s.id.key()),
            None => Err(sonic_core::Error::NotFound {
                what: "store",
                id: store_id,
            }),
        }
    })
    .await?;
    current(&state).await
}

/// Saves the UI language and puts the native menu into it.
#[tauri::command]
pub(crate) async fn set_language(app: AppHandle, state: State<'_, AppState>, language: String) -> Result<(), UiError> {
    if !matches!(language.as_str(), "en" | "ar") {
        return Err(UiError::new(
            Code::Validation,
            format!("the language {language:?} is not available; choose en or ar"),
        )
        .with("reason", "languageUnavailable")
        .with("language", language));
    }
    let saved = language.clone();
    super::as_user(&state, move |store, _| store.set_setting(LANGUAGE, &saved)).await?;
    remember_language(&state.data_dir(), &language);
    crate::menu::relabel(&app, crate::menu::Language::of(Some(&language)))?;
    // Read back from the native menu itself: the log says what it shows.
    tracing::info!(language, labels = ?crate::menu::labels(&app)?, "menu relabelled");
    Ok(())
}
