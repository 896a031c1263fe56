//! The process being asked to stop, or the user's session ending under it.
//!
//! Two kinds of ending reach an app, and they leave different amounts of time:
//! - **Stop requested** (Unix `SIGTERM`/`SIGINT`: `kill`, systemd, Ctrl+C;
//!   Windows Ctrl+C / Ctrl+Break in a console): nobody ends the process for
//!   us, so the app closes the way its window's close button does, at its own
//!   pace, and then exits.
//! - **Session ending** (Windows: log off, shut down, the console window
//!   closed): Windows ends the process shortly whatever it does, so only what
//!   must not be lost is done, within [`DEADLINE`].
//!
//! On Windows a GUI app hears of a session end as a window message, not a
//! console event (those reach only console processes and services), so
//! [`watch`] starts both:
//! - console control events `CTRL_CLOSE`/`CTRL_LOGOFF`/`CTRL_SHUTDOWN`
//!   (through `tokio::signal::windows`);
//! - a hidden top-level window on its own thread with its own message loop.
//!   Not a message-only window: those do not get the `WM_QUERYENDSESSION`
//!   broadcast. On `WM_QUERYENDSESSION` it runs the handler (at most
//!   [`DEADLINE`], with "Saving a backup…" as the shutdown block reason
//!   meanwhile) and answers TRUE; on `WM_ENDSESSION` (ending) it does the same
//!   unless already done. The work must be done at the *query*: on
//!   `WM_ENDSESSION`, tao (the window library under Tauri) runs the app's exit
//!   and then `std::process::exit(0)` from its own window procedure.
//!
//! A session end runs the handler once, however many of these signals
//! arrive; if the session turns out not to end (`WM_ENDSESSION` with FALSE:
//! another app refused), the next one runs it again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as sys;
#[cfg(windows)]
#[allow(unsafe_code)]
mod windows;
#[cfg(windows)]
use windows as sys;

/// How long a session-end handler may take. Windows shows its "this app is
/// preventing shutdown" screen after about 5 s and ends hung apps soon after;
/// 4 s keeps the backup inside that.
pub const DEADLINE: Duration = Duration::from_secs(4);

/// How the process is being ended; see the module doc.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Close as usual, then exit. The handler should start the close and
    /// return; it may be called again if the signal repeats.
    StopRequested,
    /// The OS will end this process shortly. The handler should do only what
    /// must not be lost, within `deadline`; it is not waited for longer.
    SessionEnding { deadline: Duration },
}

/// The app's handler shared by the watching threads.
type Handler = Arc<dyn Fn(Ending) + Send + Sync>;

/// Starts watching for the endings this OS has, for the life of the
/// process, calling `handler` for each. Failing to watch one of them is
/// logged, not returned: the app runs on, it only loses that safety net.
pub fn watch(handler: impl Fn(Ending) + Send + Sync + 'static) {
    sys::watch(Arc::new(Dispatch::new(Arc::new(handler), DEADLINE)));
}

/// Turns what the OS reports into calls of the handler: each stop request
/// passes through; a session end runs once, bounded by the deadline.
struct Dispatch {
    handler: Handler,
    // Unix has stop requests only; session ends come from Windows.
    #[cfg_attr(not(windows), allow(dead_code))]
    deadline: Duration,
    /// A session end has run the handler (and the session has not continued).
    done: AtomicBool,
}

impl Dispatch {
    fn new(handler: Handler, deadline: Duration) -> Dispatch {
        Dispatch {
            handler,
            deadline,
            done: AtomicBool::new(false),
        }
    }

    fn stop_requested(&self) {
        (self.handler)(Ending::StopRequested);
    }

    /// Runs the handler for a session end, unless it has run for this one,
    /// and returns when it has finished or the deadline has passed, whichever
    /// is first. The handler runs on a thread of its own, so a slow one keeps
    /// going (until the OS ends the process) but never holds up the reply
    /// Windows is waiting for.
    #[cfg_attr(not(windows), allow(dead_code))]
    fn session_ending(&self) {
        if self.done.swap(true, Ordering::SeqCst) {
            return;
        }
        let deadline = self.deadline;
        let handler = Arc::clone(&self.handler);
        let (finished, wait) = mpsc::channel::<()>();
        let spawned = std::thread::Builder::new()
            .name("sonic-session-end".into())
            .spawn(move || {
                handler(Ending::SessionEnding { deadline });
                let _ = finished.send(());
            });
        if let Err(err) = spawned {
            tracing::error!("cannot run the session-end handler: {err}");
            return;
        }
        match wait.recv_timeout(deadline) {
            Ok(()) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => tracing::warn!(
                "the session-end handler took longer than {} ms; letting the session end",
                deadline.as_millis()
            ),
            Err(mpsc::RecvTimeoutError::Disconnected) => tracing::error!("the session-end handler panicked"),
        }
    }

    /// The session did not end after all: the next session end runs the
    /// handler again.
    #[cfg_attr(not(windows), allow(dead_code))]
    fn session_continues(&self) {
        self.done.store(false, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::time::Instant;

    /// A dispatch whose handler records each call and sleeps `work` for a session end.
    fn recording(work: Duration, deadline: Duration) -> (Arc<Dispatch>, Arc<Mutex<Vec<Ending>>>) {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&calls);
        let handler: Handler = Arc::new(move |ending| {
            seen.lock().expect("not poisoned").push(ending);
            if matches!(ending, Ending::SessionEnding { .. }) {
                std::thread::sleep(work);
            }
        });
        (Arc::new(Dispatch::new(handler, deadline)), calls)
    }

    #[test]
    fn a_session_end_runs_the_handler_once_with_the_deadline() {
        let deadline = Duration::from_secs(2);
        let (dispatch, calls) = recording(Duration::ZERO, deadline);
        dispatch.session_ending();
        dispatch.session_ending();
        assert_eq!(
            *calls.lock().expect("not poisoned"),
            [Ending::SessionEnding { deadline }],
            "the query and the end of one session write one backup"
        );
    }

    #[test]
    fn a_session_that_continues_runs_the_handler_again_at_the_next_end() {
        let (dispatch, calls) = recording(Duration::ZERO, Duration::from_secs(2));
        dispatch.session_ending();
        dispatch.session_continues();
        dispatch.session_ending();
        assert_eq!(calls.lock().expect("not poisoned").len(), 2);
    }

    #[test]
    fn a_slow_handler_is_not_waited_for_past_the_deadline() {
        let deadline = Duration::from_millis(200);
        let (dispatch, calls) = recording(Duration::from_secs(3), deadline);
        let start = Instant::now();
        dispatch.session_ending();
        let waited = start.elapsed();
        assert!(
            waited >= deadline,
            "waited for the handler up to the deadline: {waited:?}"
        );
        assert!(waited < Duration::from_secs(2), "not for the slow handler: {waited:?}");
        assert_eq!(calls.lock().expect("not poisoned").len(), 1, "the handler was started");
    }

    #[test]
    fn every_stop_request_reaches_the_handler() {
        let (dispatch, calls) = recording(Duration::ZERO, Duration::from_secs(2));
        dispatch.stop_requested();
        dispatch.stop_requested();
        assert_eq!(
            *calls.lock().expect("not poisoned"),
            [Ending::StopRequested, Ending::StopRequested],
            "the close itself ignores a repeat; the dispatch passes each one on"
        );
    }
}
