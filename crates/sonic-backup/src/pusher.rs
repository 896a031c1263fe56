//! The background pusher the app runs: drains the outbox whenever there is
//! something to push, backs off exponentially (1 s, 2 s, 4 s … 5 min) while
//! the server cannot be reached, and keeps a status for the UI.
//!
//! Only one pass runs at a time, whether started by the loop or by
//! [`Pusher::push_now`] (the close hook's bounded push).
//!
//! A pusher can start *held* ([`Pusher::start_held`]): it pushes nothing
//! until [`Pusher::release`] (the app's integrity check after start found
//! the database sound), and after [`Pusher::halt`] (it found damage) it
//! never pushes again: no backup is read from a damaged store's outbox.

use crate::connect::ServerConfig;
use crate::error::{Error, Result};
use crate::push::{self, blocking, PushPass};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sonic_core::{outbox, DataDir, Store};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{watch, Notify};

/// Whether passes may run.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Gate {
    /// Not yet: waiting for [`Pusher::release`].
    Held,
    Open,
    /// Never again, and why.
    Halted(String),
}

/// Timing of the background pusher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PusherOptions {
    /// First wait after a failure; doubled after each further failure.
    pub min_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// How often to look for new backups when nobody calls [`Pusher::wake`].
    pub idle_check: Duration,
}

impl Default for PusherOptions {
    fn default() -> Self {
        PusherOptions {
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
            idle_check: Duration::from_secs(60),
        }
    }
}

/// What the UI shows about pushing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PushStatus {
    /// Backups not yet on the server.
    pub pending: u64,
    /// When a pass last ended with everything pushed.
    pub last_success: Option<DateTime<Utc>>,
    /// The last error, cleared by the next success. Never holds a password.
    pub last_error: Option<String>,
    /// The error's stable code (`Unreachable`, `Login`, …).
    pub last_error_code: Option<String>,
    pub last_attempt: Option<DateTime<Utc>>,
    /// Failed passes in a row (the back-off grows with it).
    pub failures_in_a_row: u32,
    /// When the next attempt is due while backing off.
    pub next_attempt: Option<DateTime<Utc>>,
}

struct Shared {
    data_dir: DataDir,
    config: ServerConfig,
    status: Mutex<PushStatus>,
    wake: Notify,
    stop: Notify,
    gate: watch::Sender<Gate>,
    /// One pass at a time.
    pass: tokio::sync::Mutex<()>,
}

/// The background pusher. Dropping it stops the loop.
#[derive(Debug)]
pub struct Pusher {
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("data_dir", &self.data_dir)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Drop for Pusher {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Pusher {
    /// Starts pushing the outbox of `data_dir` to `config`'s server in the
    /// background, on the current tokio runtime. The first pass starts at once.
    pub fn start(data_dir: DataDir, config: ServerConfig, options: PusherOptions) -> Pusher {
        Pusher::start_gated(data_dir, config, options, Gate::Open)
    }

    /// [`Pusher::start`], but pushing nothing (the loop's passes and
    /// [`Pusher::push_now`] wait) until [`Pusher::release`].
    pub fn start_held(data_dir: DataDir, config: ServerConfig, options: PusherOptions) -> Pusher {
        Pusher::start_gated(data_dir, config, options, Gate::Held)
    }

    fn start_gated(data_dir: DataDir, config: ServerConfig, options: PusherOptions, gate: Gate) -> Pusher {
        let pending = Store::open(&data_dir)
            .and_then(|s| outbox::counts(&s))
            .map(|c| c.pending)
            .unwrap_or(0);
        let shared = Arc::new(Shared {
            data_dir,
            config,
            status: Mutex::new(PushStatus {
                pending,
                ..PushStatus::default()
            }),
            wake: Notify::new(),
            stop: Notify::new(),
            gate: watch::Sender::new(gate),
            pass: tokio::sync::Mutex::new(()),
        });
        let task = tokio::spawn(run(shared.clone(), options));
        Pusher { shared, task }
    }

    /// The status now.
    pub fn status(&self) -> PushStatus {
        lock(&self.shared.status).clone()
    }

    /// Tells the pusher a new backup was queued: it pushes now unless it is
    /// backing off from a failure.
    pub fn wake(&self) {
        self.shared.wake.notify_one();
    }

    /// Pushes now, waiting at most `wait` (e.g. when the app closes). On
    /// timeout the backups stay queued for the next start.
    pub async fn push_now(&self, wait: Duration) -> Result<PushPass> {
        match tokio::time::timeout(wait, pass(&self.shared)).await {
            Ok(result) => result,
            Err(_) => {
                let err = Error::Timeout {
                    seconds: wait.as_secs(),
                };
                note_failure(&self.shared, &err, None);
                Err(err)
            }
        }
    }

    /// Lets a held pusher push (a halted one stays halted).
    pub fn release(&self) {
        self.shared.gate.send_if_modified(|gate| {
            let held = *gate == Gate::Held;
            if held {
                *gate = Gate::Open;
            }
            held
        });
    }

    /// Stops all pushing for good, saying why: the background loop ends (a
    /// pass under way is abandoned, what it had not confirmed stays queued),
    /// and [`Pusher::push_now`] refuses with [`Error::Halted`] without
    /// reading the store.
    pub fn halt(&self, reason: &str) {
        self.shared.gate.send_replace(Gate::Halted(reason.to_string()));
        self.task.abort();
        let err = Error::Halted {
            reason: reason.to_string(),
        };
        note_failure(&self.shared, &err, None);
        tracing::warn!("{err}");
    }

    /// Whether [`Pusher::halt`] was called.
    pub fn halted(&self) -> bool {
        matches!(*self.shared.gate.borrow(), Gate::Halted(_))
    }

    /// Stops the background loop (a pass under way is abandoned; what it had
    /// not confirmed stays queued).
    pub async fn stop(self) {
        self.shared.stop.notify_one();
        self.task.abort();
    }
}

async fn run(shared: Arc<Shared>, options: PusherOptions) {
    let mut backoff = options.min_backoff;
    loop {
        let wait = match pass(&shared).await {
            Err(Error::Halted { .. }) => return,
            Ok(p) if p.failed.is_empty() => {
                backoff = options.min_backoff;
                None
            }
            // A backup of its own is broken, or the server is not answering:
            // trying again at once will not help.
            _ => {
                let wait = backoff;
                backoff = (backoff * 2).min(options.max_backoff);
                lock(&shared.status).next_attempt = chrono::Duration::from_std(wait).ok().map(|d| Utc::now() + d);
                Some(wait)
            }
        };
        match wait {
            Some(wait) => {
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shared.stop.notified() => return,
                }
            }
            None => {
                tokio::select! {
                    _ = tokio::time::sleep(options.idle_check) => {}
                    _ = shared.wake.notified() => {}
                    _ = shared.stop.notified() => return,
                }
            }
        }
    }
}

/// One pass over the outbox, with the status updated.
async fn pass(shared: &Shared) -> Result<PushPass> {
    open_gate(shared).await?;
    let _one_at_a_time = shared.pass.lock().await;
    // Halted while waiting for the pass before.
    open_gate(shared).await?;
    lock(&shared.status).last_attempt = Some(Utc::now());
    let result = push::push_pending(&shared.config, &shared.data_dir).await;
    let dir = shared.data_dir.clone();
    let pending = blocking(move || Ok(outbox::counts(&Store::open(&dir)?)?.pending))
        .await
        .ok();
    match &result {
        Ok(p) if p.failed.is_empty() => {
            let mut status = lock(&shared.status);
            status.last_success = Some(Utc::now());
            status.last_error = None;
            status.last_error_code = None;
            status.failures_in_a_row = 0;
            status.next_attempt = None;
            if let Some(n) = pending {
                status.pending = n;
            }
        }
        Ok(p) => {
            let text = p
                .failed
                .last()
                .map(|(id, e)| format!("backup {id}: {e}"))
                .unwrap_or_default();
            let mut status = lock(&shared.status);
            status.last_error = Some(text);
            status.last_error_code = Some("LocalBackup".into());
            status.failures_in_a_row += 1;
            if let Some(n) = pending {
                status.pending = n;
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "push failed; backups stay queued");
            note_failure(shared, e, pending);
        }
    }
    result
}

/// Waits while the pusher is held; `Err(Halted)` once it is halted.
async fn open_gate(shared: &Shared) -> Result<()> {
    let mut gate = shared.gate.subscribe();
    loop {
        match &*gate.borrow_and_update() {
            Gate::Open => return Ok(()),
            Gate::Halted(reason) => return Err(Error::Halted { reason: reason.clone() }),
            Gate::Held => {}
        }
        if gate.changed().await.is_err() {
            return Err(Error::PusherStopped);
        }
    }
}

fn note_failure(shared: &Shared, err: &Error, pending: Option<u64>) {
    let mut status = lock(&shared.status);
    status.last_error = Some(err.to_string());
    status.last_error_code = Some(err.code().to_string());
    status.failures_in_a_row += 1;
    if let Some(n) = pending {
        status.pending = n;
    }
}

/// The status lock is only held to copy or set fields, so a poisoned lock
/// (a panic elsewhere) still holds a usable status.
fn lock(m: &Mutex<PushStatus>) -> std::sync::MutexGuard<'_, PushStatus> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
