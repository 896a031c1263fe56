use std::sync::Arc;

use tokio::signal::unix::{signal, SignalKind};

use super::Dispatch;

/// SIGTERM and SIGINT become stop requests, on a thread of their own with a
/// small runtime for the signal streams. The handler is called outside that
/// runtime, so it may block on the app's.
pub(super) fn watch(dispatch: Arc<Dispatch>) {
    let spawned = std::thread::Builder::new().name("sonic-signals".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(rt) => rt,
            Err(err) => {
                tracing::warn!("cannot watch for SIGTERM/SIGINT ({err}); a kill will skip the close");
                return;
            }
        };
        let signals = runtime.block_on(async { (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) });
        let (mut term, mut int) = match signals {
            (Ok(term), Ok(int)) => (term, int),
            (Err(err), _) | (_, Err(err)) => {
                tracing::warn!("cannot watch for SIGTERM/SIGINT ({err}); a kill will skip the close");
                return;
            }
        };
        loop {
            let name = runtime.block_on(async {
                tokio::select! {
                    _ = term.recv() => "SIGTERM",
                    _ = int.recv() => "SIGINT",
                }
            });
            tracing::info!("{name}: closing");
            dispatch.stop_requested();
        }
    });
    if let Err(err) = spawned {
        tracing::warn!("cannot watch for SIGTERM/SIGINT ({err}); a kill will skip the close");
    }
}
