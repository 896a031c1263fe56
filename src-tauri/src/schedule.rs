//! Scheduled backups: every interval, a `scheduled` backup is written if the
//! data changed since the newest backup (of any reason), so an idle till
//! does not fill the disk with identical backups.

use std::time::Duration;

use tauri::{AppHandle, Manager as _};

use crate::commands::with_reader;
use crate::{backup, AppState};

/// Starts the schedule; `every` of zero turns it off.
pub(crate) fn start(app: &AppHandle, every: Duration) {
    if every.is_zero() {
        tracing::info!("scheduled backups are off");
        return;
    }
    tracing::info!(every_secs = every.as_secs(), "scheduled backups when data changed");
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ticks.tick().await; // the first tick is immediate: wait one interval
        loop {
            ticks.tick().await;
            let state = app.state::<AppState>();
            if state.closing.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            match changed_since_last_backup(&state).await {
                Ok(true) => {
                    // backup::run logs and reports a failure itself.
                    let _ = backup::run(&app, sonic_core::backup::reason::SCHEDULED).await;
                }
                Ok(false) => tracing::debug!("scheduled backup skipped: nothing changed since the last backup"),
                Err(err) => tracing::warn!("scheduled backup check failed: {err}"),
            }
        }
    });
}

/// True when the store's snapshot hash differs from the newest backup's, or
/// there is no backup yet.
async fn changed_since_last_backup(state: &AppState) -> anyhow::Result<bool> {
    // Through a reader of its own: hashing the whole store never holds the till.
    let changed = with_reader(state, |reader| {
        let newest = sonic_core::backup::list_backups(reader)?.into_iter().next();
        let now = sonic_core::snapshot::snapshot_sha256(&sonic_core::snapshot::store_digests(reader)?);
        Ok(newest.is_none_or(|b| b.snapshot_sha256 != now))
    })
    .await
    .map_err(|e| anyhow::anyhow!(e.message))?;
    Ok(changed)
}
