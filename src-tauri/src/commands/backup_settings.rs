//! The backup part of Settings: the server, the schedule, how long closing
//! waits for the server, and how many local backups to keep. Saved as
//! installation settings (never in a backup: they belong to this computer).
//! The command line and environment (`--server`, `--backup-interval`,
//! `--close-push-wait`) win over what is saved; the server, the schedule
//! and the close wait take effect at the next start, the retention at once.

use serde::{Deserialize, Serialize};
use sonic_core::backup::Retention;
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
    /// libpq URL or key=value string; empty for none. The password belongs
    /// in PGPASSWORD or ~/.pgpass, not here.
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
            server: saved.server.clone().unwrap_or_default(),
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

#[tauri::command]
pub(crate) async fn backup_settings(state: State<'_, AppState>) -> Result<BackupSettingsView, UiError> {
    let (saved, retention) = as_user(&state, |store, _| Ok((Saved::load(store)?, store.retention()?))).await?;
    Ok(view(&state, &saved, retention))
}

/// Saves the backup settings (owner). Checked before anything is saved.
#[tauri::command]
pub(crate) async fn set_backup_settings(
    state: State<'_, AppState>,
    settings: BackupSettings,
) -> Result<BackupSettingsView, UiError> {
    let server = settings.server.trim().to_string();
    if !server.is_empty() {
        sonic_backup::ServerConfig::parse(&server).map_err(|e| {
            UiError::new(
                Code::Validation,
                format!("the server {server:?} is not a PostgreSQL connection string ({e}); e.g. postgresql://sonic@head-office/sonic"),
            )
        })?;
    }
    if settings.interval_minutes > 24 * 60 {
        return Err(UiError::new(
            Code::Validation,
            "scheduled backups run at least once a day: give 0 (off) to 1440 minutes",
        ));
    }
    if settings.close_wait_seconds > 120 {
        return Err(UiError::new(
            Code::Validation,
            "closing waits at most 120 seconds for the server; the backup stays queued anyway",
        ));
    }
    let retention = Retention {
        keep_last: settings.keep_last,
        keep_daily_days: settings.keep_daily_days,
    };
    let (saved, retention) = as_user(&state, move |store, ctx| {
        ctx.actor.require(Role::Owner, "changing the backup settings")?;
        store.set_retention(retention)?;
        store.set_setting(SERVER, &server)?;
        store.set_setting(INTERVAL, &(settings.interval_minutes * 60).to_string())?;
        store.set_setting(CLOSE_WAIT, &settings.close_wait_seconds.to_string())?;
        Ok((Saved::load(store)?, store.retention()?))
    })
    .await?;
    tracing::info!("backup settings saved (server, schedule and close wait apply from the next start)");
    Ok(view(&state, &saved, retention))
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServerTest {
    server: String,
    /// Backups the server holds (all devices).
    backups: usize,
}

/// Connects to `server` (or the running one when empty) and lists its
/// backups: proves the address, the login and the schema.
#[tauri::command]
pub(crate) async fn test_server(state: State<'_, AppState>, server: String) -> Result<ServerTest, UiError> {
    state.op_ctx()?;
    let config = if server.trim().is_empty() {
        state
            .server_config()
            .ok_or_else(|| UiError::new(Code::NotFound, "no backup server is set up; type its address first"))?
    } else {
        sonic_backup::ServerConfig::parse(server.trim())
            .map_err(|e| UiError::new(Code::Validation, format!("not a PostgreSQL connection string: {e}")))?
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
}
