//! The backup server as the shell sees it: the background pusher from
//! `sonic-backup` (started when a server is configured), and the status the
//! status bar shows (pending count, last success, last error, online or not).
//!
//! With no server configured, backups still go into the outbox, so they are
//! pushed once a server is set up; the status then says "local only".

use std::time::Duration;

use serde::Serialize;
use sonic_backup::{PushStatus, Pusher, ServerConfig};
use tauri::{AppHandle, Manager as _};

use crate::error::UiError;
use crate::{backup, lock_store, AppState};

/// Event carrying [`ServerStatus`] whenever it changes.
const STATUS_EVENT: &str = "server-status";
/// How often the status is looked at for changes.
const STATUS_EVERY: Duration = Duration::from_secs(1);

/// The backup server this app pushes to, if any.
#[derive(Debug)]
pub(crate) struct Server {
    /// `user@host:port/db`, never with the password.
    name: String,
    pusher: Pusher,
    /// For reading the server's backups (history, restore).
    config: ServerConfig,
}

impl Server {
    /// Starts the background pusher. Must run inside the async runtime.
    /// `held`: it pushes nothing until [`Server::release`] (the integrity
    /// check after start has not run yet), and nothing ever after
    /// [`Server::halt`].
    pub(crate) fn start(data_dir: sonic_core::DataDir, config: ServerConfig, held: bool) -> Server {
        let name = config.redacted();
        tracing::info!(server = %name, held, "pushing backups to the server");
        let options = sonic_backup::PusherOptions::default();
        let pusher = if held {
            Pusher::start_held(data_dir, config.clone(), options)
        } else {
            Pusher::start(data_dir, config.clone(), options)
        };
        Server { name, pusher, config }
    }

    /// The database was found sound: pushing may start.
    pub(crate) fn release(&self) {
        self.pusher.release();
    }

    /// The database was found damaged: nothing more is pushed from it.
    pub(crate) fn halt(&self, problem: &str) {
        self.pusher.halt(&format!("the database is damaged ({problem})"));
    }

    pub(crate) fn config(&self) -> ServerConfig {
        self.config.clone()
    }

    /// A backup was queued: push it now unless the pusher is backing off.
    pub(crate) fn wake(&self) {
        self.pusher.wake();
    }

    /// The close hook's push: at most `wait`, then the rest stays queued.
    pub(crate) async fn push_before_exit(&self, wait: Duration) {
        match self.pusher.push_now(wait).await {
            Ok(pass) if pass.pending == 0 => tracing::info!(pushed = pass.pushed.len(), "all backups on the server"),
            Ok(pass) => tracing::warn!(pending = pass.pending, "some backups stay queued for the next start"),
            Err(err) => tracing::warn!("push before exit failed, backups stay queued for the next start: {err}"),
        }
    }
}

/// What the status bar shows about the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ServerStatus {
    /// False when no server is set up: backups are local only (and queued).
    pub configured: bool,
    pub server: Option<String>,
    /// Backups not yet on the server.
    pub pending: u64,
    /// RFC 3339.
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    /// The server answered on the last attempt (false before any attempt).
    pub online: bool,
}

impl ServerStatus {
    fn from_pusher(name: &str, status: &PushStatus) -> Self {
        ServerStatus {
            configured: true,
            server: Some(name.to_string()),
            pending: status.pending,
            last_success: status.last_success.map(|t| t.to_rfc3339()),
            last_error: status.last_error.clone(),
            online: status.last_attempt.is_some() && status.last_error.is_none(),
        }
    }
}

/// The status now. Without a server, the pending count is the outbox's.
pub(crate) async fn status(state: &AppState) -> Result<ServerStatus, UiError> {
    if let Some(server) = &state.server {
        return Ok(ServerStatus::from_pusher(&server.name, &server.pusher.status()));
    }
    let store = state.store();
    let counts =
        tauri::async_runtime::spawn_blocking(move || sonic_core::outbox::counts(&lock_store(&store))).await??;
    Ok(ServerStatus {
        configured: false,
        server: None,
        pending: counts.pending,
        last_success: counts.last_pushed_at.map(|t| t.to_rfc3339()),
        last_error: None,
        online: false,
    })
}

/// Sends `server-status` to the webview whenever the status changes.
pub(crate) fn watch_status(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut last: Option<ServerStatus> = None;
        loop {
            let state = app.state::<AppState>();
            match status(&state).await {
                Ok(now) if last.as_ref() != Some(&now) => {
                    backup::emit(&app, STATUS_EVENT, &now);
                    last = Some(now);
                }
                Ok(_) => {}
                Err(err) => tracing::warn!("cannot read the server status: {}", err.message),
            }
            tokio::time::sleep(STATUS_EVERY).await;
        }
    });
}
