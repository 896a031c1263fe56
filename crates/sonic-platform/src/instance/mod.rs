//! One Sonic POS per data directory, and the second-launch hand-over.
//!
//! Two apps writing one store would each take backups of a store the other is
//! changing, and the close hook of one would run under the other's feet. The
//! first instance holds an exclusive lock on `<data dir>/sonic-pos.lock` for
//! its whole life (`fs4`: `flock` on Unix, `LockFileEx` on Windows); the OS
//! drops the lock when the process ends, even on a crash, so a stale lock file
//! is harmless. Another data directory (another shop, a test) is independent.
//!
//! A second launch does not just stop: it asks the first, over a local
//! socket, to bring its window to the front, and says so. The socket is
//! - Unix: the socket file `<data dir>/sonic-pos.sock`;
//! - Windows: the named pipe `\\.\pipe\sonic-pos-<hash>`, where `<hash>` is
//!   taken from the data directory's canonical path (named pipes live in one
//!   machine-wide namespace, so two data directories must never share one).
//!
//! Only the lock holder creates the socket, so a stale socket file is simply
//! replaced; the listener stops when the lock is dropped.
//!
//! Why not `tauri-plugin-single-instance`: it makes one instance *per app*,
//! but the rule here is one instance *per data directory* (a second shop, a
//! test, a restore drill run beside the real till with `--data-dir`); it
//! would also put the lock in the shell instead of next to the data it
//! protects, and its Linux side needs a D-Bus session bus, which a kiosk
//! till or a test under Xvfb may not have. The lock file and a local socket
//! need nothing but the data directory.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::Duration;

use fs4::fs_std::FileExt as _;
use interprocess::local_socket::prelude::*;
use interprocess::local_socket::{ListenerOptions, Name};

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as sys;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as sys;

/// Why this process may not use the data directory.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Another Sonic POS holds the data directory and brought its window forward.
    #[error(
        "Sonic POS is already running with the data directory {}; its window was brought to the front",
        data_dir.display()
    )]
    AlreadyRunningBroughtForward { data_dir: PathBuf },
    /// Another Sonic POS holds the data directory and did not answer.
    #[error(
        "Sonic POS is already running with the data directory {}; \
         switch to that window (or close it) instead of starting a second one",
        data_dir.display()
    )]
    AlreadyRunning { data_dir: PathBuf },
    /// The data directory or its lock file could not be used.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Held while the app runs; dropping it releases the data directory and stops
/// answering second launches.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
    handover: Option<Handover>,
}

impl InstanceLock {
    /// Takes the data directory (creating it if needed) for this process, or
    /// refuses because another process has it, after asking that one to bring
    /// its window forward.
    pub fn acquire(data_dir: &Path) -> Result<InstanceLock, Error> {
        let io = |action, path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { action, path, source }
        };
        std::fs::create_dir_all(data_dir).map_err(io("create the data directory", data_dir))?;
        let path = data_dir.join("sonic-pos.lock");
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io("open the lock file", &path))?;
        let locked = file.try_lock_exclusive().map_err(io("lock", &path))?;
        if !locked {
            let data_dir = data_dir.to_path_buf();
            return Err(if ask_first_to_focus(&data_dir) {
                Error::AlreadyRunningBroughtForward { data_dir }
            } else {
                Error::AlreadyRunning { data_dir }
            });
        }
        // The pid is for a person looking at the directory; the lock is what counts.
        file.set_len(0)
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .map_err(io("write", &path))?;
        let handover = Handover::listen(data_dir);
        Ok(InstanceLock { _file: file, handover })
    }
}

impl Drop for InstanceLock {
    fn drop(&mut self) {
        if let Some(handover) = self.handover.take() {
            handover.stop();
        }
    }
}

/// What to do when a second launch asks for the window (set once the app exists).
type FocusAction = Box<dyn Fn(&Path) + Send + Sync>;
static ON_FOCUS: OnceLock<FocusAction> = OnceLock::new();

/// Sets what a second launch's request does (bring the window to the front),
/// once per process. The action gets the data directory whose second launch
/// asked.
pub fn on_focus_request(action: impl Fn(&Path) + Send + Sync + 'static) {
    if ON_FOCUS.set(Box::new(action)).is_err() {
        tracing::warn!("the focus action was already set; keeping the first");
    }
}

/// The line a second launch sends, and the first one's answer.
const ASK: &str = "focus";
const ANSWER: &str = "ok";

/// How long a second launch waits for the first to answer.
const ANSWER_WAIT: Duration = Duration::from_secs(3);

/// The listening side of the hand-over: a thread accepting on the socket.
#[derive(Debug)]
struct Handover {
    data_dir: PathBuf,
    stop: Arc<AtomicBool>,
    /// Disconnected once the listener thread has dropped the socket.
    stopped: mpsc::Receiver<()>,
}

impl Handover {
    /// Serves focus requests on a thread until [`Handover::stop`]. `None`
    /// (with a warning) if the socket cannot be made: a second launch will
    /// then only be refused.
    fn listen(data_dir: &Path) -> Option<Handover> {
        let listener = sys::socket_name(data_dir).and_then(|name| {
            ListenerOptions::new()
                .name(name)
                .try_overwrite(true)
                .max_spin_time(Duration::from_secs(1))
                .create_sync()
        });
        let listener = match listener {
            Ok(l) => l,
            Err(err) => {
                tracing::warn!(
                    "a second launch cannot reach this one ({}: {err}); it will only be refused",
                    data_dir.display()
                );
                return None;
            }
        };
        let stop = Arc::new(AtomicBool::new(false));
        let (done, stopped) = mpsc::channel::<()>();
        let dir = data_dir.to_path_buf();
        let stop_flag = Arc::clone(&stop);
        let spawned = std::thread::Builder::new()
            .name("sonic-instance-handover".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if stop_flag.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(conn) = conn else { continue };
                    let dir = dir.clone();
                    // One thread per request: a caller that connects and says
                    // nothing (named pipes have no read timeout) blocks only itself.
                    let _ = std::thread::Builder::new()
                        .name("sonic-instance-request".into())
                        .spawn(move || answer(&conn, &dir));
                }
                // On Unix this removes the socket file: do it before saying so.
                drop(listener);
                drop(done);
            });
        if let Err(err) = spawned {
            tracing::warn!("cannot start the second-launch listener: {err}");
            return None;
        }
        Some(Handover {
            data_dir: data_dir.to_path_buf(),
            stop,
            stopped,
        })
    }

    /// Stops the listener: sets the flag, wakes its `accept` with a
    /// connection of our own, and waits (briefly) until the thread has
    /// dropped the socket, so that the next holder's socket, made right
    /// after, is not removed by this one's clean-up.
    fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Ok(name) = sys::socket_name(&self.data_dir) {
            let _ = LocalSocketStream::connect(name);
        }
        let _ = self.stopped.recv_timeout(Duration::from_secs(1));
    }
}

/// Reads one request and, if it is a focus request, runs the focus action.
fn answer(conn: &LocalSocketStream, data_dir: &Path) {
    let _ = conn.set_recv_timeout(Some(Duration::from_secs(2)));
    let mut line = String::new();
    if BufReader::new(conn).read_line(&mut line).is_ok() && line.trim() == ASK {
        tracing::info!("a second launch asked for this window: bringing it to the front");
        if let Some(action) = ON_FOCUS.get() {
            action(data_dir);
        }
        let mut conn = conn;
        let _ = conn.write_all(format!("{ANSWER}\n").as_bytes());
    }
}

/// Asks the running instance to bring its window forward; true if it
/// answered within [`ANSWER_WAIT`]. The exchange runs on its own thread so a
/// first instance that accepts but never answers cannot hang this launch.
fn ask_first_to_focus(data_dir: &Path) -> bool {
    let Ok(name) = sys::socket_name(data_dir) else {
        return false;
    };
    let name: Name<'static> = name.into_owned();
    let (tx, rx) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("sonic-instance-ask".into())
        .spawn(move || {
            let exchange = || -> io::Result<bool> {
                let mut conn = LocalSocketStream::connect(name)?;
                conn.write_all(format!("{ASK}\n").as_bytes())?;
                let mut reply = String::new();
                BufReader::new(&conn).read_line(&mut reply)?;
                Ok(reply.trim() == ANSWER)
            };
            let _ = tx.send(exchange().unwrap_or(false));
        });
    spawned.is_ok() && rx.recv_timeout(ANSWER_WAIT).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_instance_on_the_same_data_dir_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = InstanceLock::acquire(dir.path()).expect("first instance locks");
        let second = InstanceLock::acquire(dir.path()).expect_err("second instance must be refused");
        assert!(second.to_string().contains("already running"), "says why: {second}");
        drop(first);
        let third = InstanceLock::acquire(dir.path()).expect("the lock is free again once the first instance ends");
        assert!(third.handover.is_some(), "the new holder answers second launches again");
    }

    #[test]
    fn another_data_dir_is_independent() {
        let one = tempfile::tempdir().expect("temp dir");
        let two = tempfile::tempdir().expect("temp dir");
        let _first = InstanceLock::acquire(one.path()).expect("first data dir");
        let _second = InstanceLock::acquire(two.path()).expect("a second data dir is not blocked by the first");
        assert_ne!(
            sys::socket_name(one.path()).expect("name").into_owned(),
            sys::socket_name(two.path()).expect("name").into_owned(),
            "two data directories never share a hand-over socket"
        );
    }

    #[test]
    fn a_second_launch_asks_the_first_to_come_forward() {
        // Other tests in this process launch twice too: count only this directory's requests.
        static ASKED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
        on_focus_request(|dir| ASKED.lock().expect("not poisoned").push(dir.to_path_buf()));
        let dir = tempfile::tempdir().expect("temp dir");
        let _first = InstanceLock::acquire(dir.path()).expect("first instance locks");
        let second = InstanceLock::acquire(dir.path()).expect_err("second instance must be refused");
        assert!(
            matches!(second, Error::AlreadyRunningBroughtForward { .. }),
            "the first instance answered: {second}"
        );
        assert!(second.to_string().contains("brought to the front"), "{second}");
        let asked = ASKED.lock().expect("not poisoned");
        assert_eq!(asked.iter().filter(|d| d.as_path() == dir.path()).count(), 1);
    }
}
