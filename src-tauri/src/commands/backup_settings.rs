//! The backup part of Settings: the server, the schedule, how long closing
//! waits for the server, and how many local backups to keep. Saved as
//! installation settings (never in a backup: they belong to this computer).
//! The command line and environment (`--server`, `--backup-interval`,
//! `--close-push-wait`) win over what is saved; the server, the schedule
//! and the close wait take effect at the next start, the retention at once.
//!
//! **Who:** only the owner sees, tests or changes these settings: the server
//! string is the shop's key to its backups (all of them, PIN hashes
//! included), and testing a typed server is a way to send a login to any
//! address. A manager runs the shop without it (SECURITY.md).
//!
//! **The password:** a server typed here is read by
//! [`sonic_backup::ServerConfig::parse_typed`], which takes nothing from the
//! environment (never the `PGPASSWORD` the app was started with). A password
//! typed into the string is saved with it on this computer, and every reply
//! shows it as `********` ([`sonic_backup::redact_password`]); a string
//! saved or tested back with `********` keeps the saved password.

use serde::{Deserialize, Serialize};
use sonic_core::backup::Retention;
use sonic_core::ops::OpCtx;
use sonic_core::sections::Role;
use sonic_core::Store;
use tauri::State;

use super::as_user;
use crate::error::{Code, UiError};
use crate::AppState;

const SERVER: &str = "backup.server";
const INTERVAL: &str = "backup.interval_seconds";
const CLOSE_WAIT: &str = "backup.close_wait_seconds";
/// Defaults when neither the command line nor Settings says.
const DEFAULT_INTERVAL: u64 = 1800;
const DEFAULT_CLOSE_WAIT: u64 = 5;

/// What Settings saved on this computer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Saved {
    server: Option<String>,
    interval_secs: Option<u64>,
    close_wait_secs: Option<u64>,
}

impl Saved {
    pub(crate) fn load(store: &Store) -> sonic_core::Result<Saved> {
        let number = |key| -> sonic_core::Result<Option<u64>> { Ok(store.setting(key)?.and_then(|v| v.parse().ok())) };
        Ok(Saved {
            server: store.setting(SERVER)?.filter(|s| !s.trim().is_empty()),
            interval_secs: number(INTERVAL)?,
            close_wait_secs: number(CLOSE_WAIT)?,
        })
    }
}

/// Which settings the command line (or environment) set for this run.
#[derive(Debug, Clone, Copy, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FromFlags {
    pub server: bool,
    pub interval: bool,
    pub close_wait: bool,
}

/// The settings this run uses.
#[derive(Debug, Clone)]
pub(crate) struct Effective {
    pub server: Option<String>,
    pub interval_secs: u64,
    pub close_wait_secs: u64,
    pub from_flags: FromFlags,
}

impl Effective {
    pub(crate) fn resolve(
        saved: &Saved,
        server: &Option<String>,
        interval: Option<u64>,
        close_wait: Option<u64>,
    ) -> Effective {
        Effective {
            server: server.clone().or_else(|| saved.server.clone()),
            interval_secs: interval.or(saved.interval_secs).unwrap_or(DEFAULT_INTERVAL),
            close_wait_secs: close_wait.or(saved.close_wait_secs).unwrap_or(DEFAULT_CLOSE_WAIT),
            from_flags: FromFlags {
                server: server.is_some(),
                interval: interval.is_some(),
                close_wait: close_wait.is_some(),
            },
        }
    }
}

/// The backup settings as the Settings screen shows and saves them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct BackupSettings {
    /// libpq URL or key=value string; empty for none. In replies its
    /// password (if any) is `********`.
    pub server: String,
    /// Minutes between scheduled backups (0: off).
    pub interval_minutes: u64,
    pub close_wait_seconds: u64,
    pub keep_last: usize,
    pub keep_daily_days: u32,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BackupSettingsView {
    /// What is saved on this computer.
    saved: BackupSettings,
    /// What this run uses (the command line wins over what is saved).
    running: BackupSettings,
    from_flags: FromFlags,
}

fn view(state: &AppState, saved: &Saved, retention: Retention) -> BackupSettingsView {
    let running = &state.backup_settings;
    BackupSettingsView {
        saved: BackupSettings {
            server: saved
                .server
                .as_deref()
                .map(sonic_backup::redact_password)
                .unwrap_or_default(),
            interval_minutes: saved.interval_secs.unwrap_or(DEFAULT_INTERVAL) / 60,
            close_wait_seconds: saved.close_wait_secs.unwrap_or(DEFAULT_CLOSE_WAIT),
            keep_last: retention.keep_last,
            keep_daily_days: retention.keep_daily_days,
        },
        running: BackupSettings {
            server: state.server_config().map(|c| c.redacted()).unwrap_or_default(),
            interval_minutes: running.interval_secs / 60,
            close_wait_seconds: running.close_wait_secs,
            keep_last: retention.keep_last,
            keep_daily_days: retention.keep_daily_days,
        },
        from_flags: running.from_flags,
    }
}

/// The owner only (module doc: "Who").
fn owner_only(ctx: &OpCtx, action: &'static str) -> sonic_core::Result<()> {
    ctx.actor.require(Role::Owner, action)
}

/// A server typed into the form, with `********` standing for the saved
/// password, read without the environment. Errors show the string redacted.
fn typed_server(typed: &str, saved: Option<&str>) -> Result<(String, sonic_backup::ServerConfig), UiError> {
    let server = match saved {
        Some(saved) => sonic_backup::keep_saved_password(typed, saved),
        None => typed.to_string(),
    };
    let config = sonic_backup::ServerConfig::parse_typed(&server).map_err(|e| {
        let shown = sonic_backup::redact_password(typed);
        UiError::new(
            Code::Validation,
            format!(
                "the server {shown:?} is not a PostgreSQL connection string ({e}); e.g. postgresql://sonic@head-office/sonic?sslmode=verify-full"
            ),
        )
        .with("reason", "notAServer")
        .with("server", shown)
    })?;
    Ok((server, config))
}

#[tauri::command]
pub(crate) async fn backup_settings(state: State<'_, AppState>) -> Result<BackupSettingsView, UiError> {
    settings_view(&state).await
}

async fn settings_view(state: &AppState) -> Result<BackupSettingsView, UiError> {
    let (saved, retention) = as_user(state, |store, ctx| {
        owner_only(ctx, "seeing the backup settings")?;
        Ok((Saved::load(store)?, store.retention()?))
    })
    .await?;
    Ok(view(state, &saved, retention))
}

/// Saves the backup settings (owner). Checked before anything is saved.
#[tauri::command]
pub(crate) async fn set_backup_settings(
    state: State<'_, AppState>,
    settings: BackupSettings,
) -> Result<BackupSettingsView, UiError> {
    save_settings(&state, settings).await
}

async fn save_settings(state: &AppState, settings: BackupSettings) -> Result<BackupSettingsView, UiError> {
    let typed = settings.server.trim().to_string();
    if settings.interval_minutes > 24 * 60 {
        return Err(UiError::new(
            Code::Validation,
            format!(
                "scheduled backups run at least once a day: give 0 (off) to 1440 minutes, not {}",
                settings.interval_minutes
            ),
        )
        .with("reason", "intervalTooLong")
        .with("minutes", settings.interval_minutes)
        .with("max", 24 * 60));
    }
    if settings.close_wait_seconds > 120 {
        return Err(UiError::new(
            Code::Validation,
            format!(
                "closing waits at most 120 seconds for the server, not {}; the backup stays queued anyway",
                settings.close_wait_seconds
            ),
        )
        .with("reason", "closeWaitTooLong")
        .with("seconds", settings.close_wait_seconds)
        .with("max", 120));
    }
    let retention = Retention {
        keep_last: settings.keep_last,
        keep_daily_days: settings.keep_daily_days,
    };
    let (saved, retention) = as_user(state, move |store, ctx| {
        owner_only(ctx, "changing the backup settings")?;
        let server = if typed.is_empty() {
            String::new()
        } else {
            let saved = Saved::load(store)?.server;
            typed_server(&typed, saved.as_deref())
                .map_err(|e| sonic_core::Error::Invalid(e.message))?
                .0
        };
        store.set_retention(retention)?;
        store.set_setting(SERVER, &server)?;
        store.set_setting(INTERVAL, &(settings.interval_minutes * 60).to_string())?;
        store.set_setting(CLOSE_WAIT, &settings.close_wait_seconds.to_string())?;
        Ok((Saved::load(store)?, store.retention()?))
    })
    .await?;
    tracing::info!("backup settings saved (server, schedule and close wait apply from the next start)");
    Ok(view(state, &saved, retention))
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServerTest {
    server: String,
    /// Backups the server holds (all devices).
    backups: usize,
}

/// Connects to `server` (or the running one when empty) and lists its
/// backups: proves the address, the login and the schema. Owner only.
#[tauri::command]
pub(crate) async fn test_server(state: State<'_, AppState>, server: String) -> Result<ServerTest, UiError> {
    test_typed_server(&state, server).await
}

async fn test_typed_server(state: &AppState, server: String) -> Result<ServerTest, UiError> {
    let saved = as_user(state, |store, ctx| {
        owner_only(ctx, "testing the backup server")?;
        Ok(Saved::load(store)?.server)
    })
    .await?;
    let config = if server.trim().is_empty() {
        state.server_config().ok_or_else(|| {
            UiError::new(Code::NotFound, "no backup server is set up; type its address first")
                .with("reason", "serverNotTyped")
        })?
    } else {
        typed_server(server.trim(), saved.as_deref())?.1
    };
    let remote = config.connect().await?;
    let list = sonic_backup::list_backups(&remote, &sonic_backup::ListFilter::default()).await?;
    Ok(ServerTest {
        server: config.redacted(),
        backups: list.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_wins_over_saved_settings_which_win_over_defaults() {
        let none = Effective::resolve(&Saved::default(), &None, None, None);
        assert_eq!((none.server, none.interval_secs, none.close_wait_secs), (None, 1800, 5));
        let saved = Saved {
            server: Some("host=office".into()),
            interval_secs: Some(600),
            close_wait_secs: Some(9),
        };
        let from_saved = Effective::resolve(&saved, &None, None, None);
        assert_eq!(from_saved.server.as_deref(), Some("host=office"));
        assert_eq!((from_saved.interval_secs, from_saved.close_wait_secs), (600, 9));
        assert!(!from_saved.from_flags.server && !from_saved.from_flags.interval);
        let flags = Effective::resolve(&saved, &Some("host=flag".into()), Some(0), Some(1));
        assert_eq!(flags.server.as_deref(), Some("host=flag"));
        assert_eq!((flags.interval_secs, flags.close_wait_secs), (0, 1));
        assert!(flags.from_flags.server && flags.from_flags.interval && flags.from_flags.close_wait);
    }

    fn form(server: &str) -> BackupSettings {
        BackupSettings {
            server: server.into(),
            interval_minutes: 30,
            close_wait_seconds: 5,
            keep_last: 10,
            keep_daily_days: 7,
        }
    }

    #[test]
    fn only_the_owner_sees_tests_or_changes_the_backup_server() {
        let tmp = tempfile::tempdir().unwrap();
        let state = AppState::for_tests(tmp.path());
        for role in [Role::Cashier, Role::Manager] {
            state.sign_in_as(role);
            let err = tauri::async_runtime::block_on(test_typed_server(&state, "host=attacker.example user=x".into()))
                .unwrap_err();
            assert_eq!(err.code, Code::Forbidden, "{role:?} testing a server: {}", err.message);
            let err = tauri::async_runtime::block_on(settings_view(&state)).unwrap_err();
            assert_eq!(err.code, Code::Forbidden, "{role:?} reading the settings");
            let err = tauri::async_runtime::block_on(save_settings(&state, form("host=attacker.example user=x")))
                .unwrap_err();
            assert_eq!(err.code, Code::Forbidden, "{role:?} saving a server");
        }
        state.sign_in_as(Role::Owner);
        tauri::async_runtime::block_on(settings_view(&state)).expect("the owner reads them");
    }

    #[test]
    fn the_saved_password_never_comes_back_and_saving_it_back_keeps_it() {
        let tmp = tempfile::tempdir().unwrap();
        let state = AppState::for_tests(tmp.path());
        state.sign_in_as(Role::Owner);
        let typed = "postgresql://shop:Pw-Typed-9@office.example/sonic?sslmode=verify-full";
        let reply = tauri::async_runtime::block_on(save_settings(&state, form(typed))).unwrap();
        let json = serde_json::to_string(&reply).unwrap();
        assert!(!json.contains("Pw-Typed-9"), "the reply shows no password: {json}");
        assert_eq!(
            reply.saved.server,
            "postgresql://shop:********@office.example/sonic?sslmode=verify-full"
        );
        let json = serde_json::to_string(&tauri::async_runtime::block_on(settings_view(&state)).unwrap()).unwrap();
        assert!(!json.contains("Pw-Typed-9"), "nor does reading the settings: {json}");
        // The form saved back as shown keeps the password.
        tauri::async_runtime::block_on(save_settings(&state, form(&reply.saved.server))).unwrap();
        let stored = Saved::load(&crate::lock_store(&state.store())).unwrap().server;
        assert_eq!(stored.as_deref(), Some(typed));
        // An invalid string is refused without echoing its password.
        let err =
            tauri::async_runtime::block_on(save_settings(&state, form("host=h port=nope user=u password=Pw-Bad-1")))
                .unwrap_err();
        assert!(!err.message.contains("Pw-Bad-1"), "{}", err.message);
    }

    /// A wrong value crosses as its reason and the values the UI words it
    /// with; a typed password never does.
    #[test]
    fn a_wrong_backup_setting_crosses_as_its_reason_and_values() {
        let tmp = tempfile::tempdir().unwrap();
        let state = AppState::for_tests(tmp.path());
        state.sign_in_as(Role::Owner);
        let mut often = form("");
        often.interval_minutes = 2000;
        let err = tauri::async_runtime::block_on(save_settings(&state, often)).unwrap_err();
        assert_eq!(err.code, Code::Validation, "{}", err.message);
        assert_eq!(
            serde_json::to_value(&err).unwrap()["params"],
            serde_json::json!({"reason": "intervalTooLong", "minutes": 2000, "max": 1440})
        );
        let mut patient = form("");
        patient.close_wait_seconds = 121;
        let err = tauri::async_runtime::block_on(save_settings(&state, patient)).unwrap_err();
        assert_eq!(
            serde_json::to_value(&err).unwrap()["params"],
            serde_json::json!({"reason": "closeWaitTooLong", "seconds": 121, "max": 120})
        );
        let err = typed_server("postgresql://shop:Pw-Typed-9@office.example:notaport/sonic", None).unwrap_err();
        assert_eq!(err.code, Code::Validation, "{}", err.message);
        assert_eq!(err.params["reason"], "notAServer");
        let shown = err.params["server"].as_str().unwrap();
        assert!(
            shown.contains("office.example") && !shown.contains("Pw-Typed-9"),
            "{shown}"
        );
    }
}
