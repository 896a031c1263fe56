use std::collections::HashMap;
use std::io;
use std::sync::{mpsc, Arc, Mutex, PoisonError};

use windows_sys::Win32::Foundation::{
    GetLastError, SetLastError, ERROR_CLASS_ALREADY_EXISTS, HWND, LPARAM, LRESULT, WPARAM,
};
use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
use windows_sys::Win32::System::Shutdown::{ShutdownBlockReasonCreate, ShutdownBlockReasonDestroy};
use windows_sys::Win32::UI::WindowsAndMessaging::{
    CreateWindowExW, DefWindowProcW, DispatchMessageW, GetMessageW, RegisterClassW, TranslateMessage, MSG,
    WM_ENDSESSION, WM_QUERYENDSESSION, WNDCLASSW, WS_OVERLAPPED,
};

use super::Dispatch;

/// What Windows shows beside the app while the backup holds up the log-off.
const BLOCK_REASON: &str = "Saving a backup…";
const CLASS_NAME: &str = "SonicPosSessionEnd";

pub(super) fn watch(dispatch: Arc<Dispatch>) {
    watch_console(Arc::clone(&dispatch));
    if let Err(err) = spawn_window(dispatch) {
        tracing::warn!("cannot watch for the end of the Windows session ({err}); a log-off will skip the close backup");
    }
}

/// Console control events, for a Sonic POS started from a console (and for
/// the console window being closed). Ctrl+C and Ctrl+Break are stop
/// requests, as SIGINT is on Unix.
fn watch_console(dispatch: Arc<Dispatch>) {
    use tokio::signal::windows::{ctrl_break, ctrl_c, ctrl_close, ctrl_logoff, ctrl_shutdown};

    let spawned = std::thread::Builder::new()
        .name("sonic-console-events".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(err) => {
                    tracing::warn!("cannot watch console events ({err})");
                    return;
                }
            };
            let streams = runtime.block_on(async {
                Ok::<_, io::Error>((
                    ctrl_c()?,
                    ctrl_break()?,
                    ctrl_close()?,
                    ctrl_logoff()?,
                    ctrl_shutdown()?,
                ))
            });
            let (mut c, mut brk, mut close, mut logoff, mut shutdown) = match streams {
                Ok(s) => s,
                Err(err) => {
                    tracing::warn!("cannot watch console events ({err})");
                    return;
                }
            };
            loop {
                // `true`: the session (or the console) is ending.
                let (name, ending) = runtime.block_on(async {
                    tokio::select! {
                        _ = c.recv() => ("Ctrl+C", false),
                        _ = brk.recv() => ("Ctrl+Break", false),
                        _ = close.recv() => ("console closed", true),
                        _ = logoff.recv() => ("log-off", true),
                        _ = shutdown.recv() => ("shutdown", true),
                    }
                });
                tracing::info!("{name}: closing");
                // Tokio's console handler keeps the process alive (it does not
                // return) for these events until Windows ends it, so the
                // handler gets its deadline.
                if ending {
                    dispatch.session_ending();
                } else {
                    dispatch.stop_requested();
                }
            }
        });
    if let Err(err) = spawned {
        tracing::warn!("cannot watch console events ({err})");
    }
}

/// The dispatch of each session-end window, by window handle (as an
/// integer: a raw handle is not `Send`). The window procedure is a plain
/// function and finds its dispatch here.
static WINDOWS: Mutex<Option<HashMap<isize, Arc<Dispatch>>>> = Mutex::new(None);

fn dispatch_for(hwnd: HWND) -> Option<Arc<Dispatch>> {
    let windows = WINDOWS.lock().unwrap_or_else(PoisonError::into_inner);
    windows.as_ref()?.get(&(hwnd as isize)).cloned()
}

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// Creates the hidden top-level window on a thread of its own, which then
/// runs the window's message loop for the life of the process. Returns the
/// window's handle (as an integer) once the window exists.
pub(super) fn spawn_window(dispatch: Arc<Dispatch>) -> io::Result<isize> {
    let (created, wait) = mpsc::channel::<io::Result<isize>>();
    std::thread::Builder::new()
        .name("sonic-session-window".into())
        .spawn(move || {
            let hwnd = match create_window() {
                Ok(hwnd) => hwnd,
                Err(err) => {
                    let _ = created.send(Err(err));
                    return;
                }
            };
            WINDOWS
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert_with(HashMap::new)
                .insert(hwnd as isize, dispatch);
            let _ = created.send(Ok(hwnd as isize));
            run_message_loop();
        })?;
    wait.recv()
        .map_err(|_| io::Error::other("the session-end window thread ended early"))?
}

fn create_window() -> io::Result<HWND> {
    let class_name = wide(CLASS_NAME);
    // SAFETY: a null module name asks for this executable's own handle.
    let instance = unsafe { GetModuleHandleW(std::ptr::null()) };
    let class = WNDCLASSW {
        lpfnWndProc: Some(window_proc),
        hInstance: instance,
        lpszClassName: class_name.as_ptr(),
        ..WNDCLASSW::default()
    };
    // SAFETY: `class` is fully initialised and its strings outlive the call
    // (Windows copies the class name).
    if unsafe { RegisterClassW(&class) } == 0 {
        // SAFETY: reads this thread's last error, set by RegisterClassW.
        let err = unsafe { GetLastError() };
        // A second watcher in this process (the tests) reuses the class.
        if err != ERROR_CLASS_ALREADY_EXISTS {
            return Err(io::Error::from_raw_os_error(err as i32));
        }
    }
    let title = wide("Sonic POS session end");
    // SAFETY: clears this thread's last error, so a failure that sets none
    // (Wine without a display) is not reported as RegisterClassW's.
    unsafe { SetLastError(0) };
    // SAFETY: the class is registered above and both strings are
    // NUL-terminated and live until the call returns. No parent (a null
    // handle, not HWND_MESSAGE): a top-level window, which is what receives
    // WM_QUERYENDSESSION. Without WS_VISIBLE it is never shown.
    let hwnd = unsafe {
        CreateWindowExW(
            0,
            class_name.as_ptr(),
            title.as_ptr(),
            WS_OVERLAPPED,
            0,
            0,
            0,
            0,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            instance,
            std::ptr::null(),
        )
    };
    if hwnd.is_null() {
        // SAFETY: reads this thread's last error, set by CreateWindowExW or not at all.
        return Err(match unsafe { GetLastError() } {
            0 => io::Error::other("the window system refused to create a window (under Wine: no display)"),
            err => io::Error::from_raw_os_error(err as i32),
        });
    }
    Ok(hwnd)
}

fn run_message_loop() {
    let mut msg = MSG::default();
    // SAFETY: `msg` is a valid MSG to fill; a null window handle reads every
    // message of this thread, which owns the window. GetMessageW returns 0 on
    // WM_QUIT and -1 on error, both of which end the loop.
    while unsafe { GetMessageW(&mut msg, std::ptr::null_mut(), 0, 0) } > 0 {
        // SAFETY: `msg` was just filled by GetMessageW.
        unsafe {
            TranslateMessage(&msg);
            DispatchMessageW(&msg);
        }
    }
}

/// Runs the handler (once per session end, at most the deadline) while
/// Windows shows why this app holds up the log-off.
fn session_ending(hwnd: HWND, dispatch: &Dispatch) {
    let reason = wide(BLOCK_REASON);
    // SAFETY: `hwnd` is our window and this is its thread (the window
    // procedure runs there); `reason` is NUL-terminated and outlives the call.
    let blocked = unsafe { ShutdownBlockReasonCreate(hwnd, reason.as_ptr()) } != 0;
    dispatch.session_ending();
    if blocked {
        // SAFETY: as above; undoes the reason set just before.
        unsafe { ShutdownBlockReasonDestroy(hwnd) };
    }
}

extern "system" fn window_proc(hwnd: HWND, msg: u32, wparam: WPARAM, lparam: LPARAM) -> LRESULT {
    match msg {
        WM_QUERYENDSESSION => {
            if let Some(dispatch) = dispatch_for(hwnd) {
                session_ending(hwnd, &dispatch);
            }
            // TRUE: the session may end; the backup has been given its time.
            1
        }
        WM_ENDSESSION => {
            if let Some(dispatch) = dispatch_for(hwnd) {
                if wparam != 0 {
                    session_ending(hwnd, &dispatch);
                } else {
                    dispatch.session_continues();
                }
            }
            0
        }
        // SAFETY: every other message gets the default handling, with the
        // arguments Windows passed us.
        _ => unsafe { DefWindowProcW(hwnd, msg, wparam, lparam) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session_end::Ending;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};
    use windows_sys::Win32::UI::WindowsAndMessaging::{
        GetAncestor, GetDesktopWindow, IsWindowVisible, SendMessageW, ENDSESSION_LOGOFF, GA_PARENT,
    };

    /// A session-end window whose handler counts its calls and takes `work`.
    fn window(work: Duration, deadline: Duration) -> (HWND, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&calls);
        let handler = Arc::new(move |ending: Ending| {
            assert_eq!(ending, Ending::SessionEnding { deadline });
            counted.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(work);
        });
        let hwnd = spawn_window(Arc::new(Dispatch::new(handler, deadline))).expect("the window is created");
        (hwnd as HWND, calls)
    }

    fn send(hwnd: HWND, msg: u32, wparam: WPARAM) -> LRESULT {
        // SAFETY: `hwnd` is a live window of this process; the message
        // carries plain integers.
        unsafe { SendMessageW(hwnd, msg, wparam, ENDSESSION_LOGOFF as LPARAM) }
    }

    #[test]
    fn the_window_is_hidden_and_top_level_so_it_gets_the_broadcast() {
        let (hwnd, _) = window(Duration::ZERO, Duration::from_secs(2));
        // SAFETY: plain queries about a live window of this process.
        let (visible, parent, desktop) =
            unsafe { (IsWindowVisible(hwnd), GetAncestor(hwnd, GA_PARENT), GetDesktopWindow()) };
        assert_eq!(visible, 0, "never shown");
        assert_eq!(parent, desktop, "a top-level window, not a message-only one");
    }

    #[test]
    fn query_end_session_runs_the_handler_once_and_answers_true() {
        let (hwnd, calls) = window(Duration::from_millis(50), Duration::from_secs(2));
        assert_eq!(send(hwnd, WM_QUERYENDSESSION, 0), 1, "the session may end");
        assert_eq!(calls.load(Ordering::SeqCst), 1, "the handler ran at the query");
        assert_eq!(send(hwnd, WM_ENDSESSION, 1), 0);
        assert_eq!(calls.load(Ordering::SeqCst), 1, "not a second time at the end");
    }

    #[test]
    fn end_session_runs_the_handler_if_the_query_did_not() {
        let (hwnd, calls) = window(Duration::ZERO, Duration::from_secs(2));
        assert_eq!(send(hwnd, WM_ENDSESSION, 1), 0);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_cancelled_session_end_runs_the_handler_again_next_time() {
        let (hwnd, calls) = window(Duration::ZERO, Duration::from_secs(2));
        assert_eq!(send(hwnd, WM_QUERYENDSESSION, 0), 1);
        assert_eq!(
            send(hwnd, WM_ENDSESSION, 0),
            0,
            "another app refused: the session goes on"
        );
        assert_eq!(send(hwnd, WM_QUERYENDSESSION, 0), 1);
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_slow_handler_does_not_hold_the_reply_past_the_deadline() {
        let deadline = Duration::from_millis(300);
        let (hwnd, calls) = window(Duration::from_secs(5), deadline);
        let start = Instant::now();
        let reply = send(hwnd, WM_QUERYENDSESSION, 0);
        let waited = start.elapsed();
        assert_eq!(reply, 1, "the session may end");
        assert!(waited >= deadline, "the handler was given the deadline: {waited:?}");
        assert!(waited < Duration::from_secs(2), "but not more: {waited:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
