//! One Sonic POS per data directory.
//!
//! Two apps writing one store would each take backups of a store the other is
//! changing, and the close hook of one would run under the other's feet. The
//! first instance holds an exclusive advisory lock on
//! `<data dir>/sonic-pos.lock` for its whole life; the operating system drops
//! the lock when the process ends, even on a crash, so a stale lock file is
//! harmless. Another data directory (another shop, a test) is independent.
//!
//! A second launch does not just stop: it asks the first, over the Unix
//! socket `<data dir>/sonic-pos.sock`, to bring its window to the front,
//! and says so. (Only the lock holder binds the socket, so a stale socket
//! file is simply replaced.)

use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{bail, Context as _};
use fs4::fs_std::FileExt as _;

/// Held while the app runs; dropping it releases the data directory.
#[derive(Debug)]
pub(crate) struct InstanceLock {
    _file: File,
}

impl InstanceLock {
    pub(crate) fn acquire(data_dir: &Path) -> anyhow::Result<InstanceLock> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let path = data_dir.join("sonic-pos.lock");
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        let locked = file
            .try_lock_exclusive()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        if !locked {
            if ask_first_to_focus(data_dir) {
                bail!(
                    "Sonic POS is already running with the data directory {}; its window was brought to the front",
                    data_dir.display()
                );
            }
            bail!(
                "Sonic POS is already running with the data directory {}; \
                 switch to that window (or close it) instead of starting a second one",
                data_dir.display()
            );
        }
        // The pid is for a person looking at the directory; the lock is what counts.
        file.set_len(0)
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .with_context(|| format!("cannot write {}", path.display()))?;
        listen_for_focus(data_dir);
        Ok(InstanceLock { _file: file })
    }
}

/// What to do when a second launch asks for the window (set once the app exists).
type FocusAction = Box<dyn Fn(&Path) + Send + Sync>;
static ON_FOCUS: OnceLock<FocusAction> = OnceLock::new();

/// Sets what a second launch's request does (bring the window to the front).
/// The action gets the data directory whose second launch asked.
pub(crate) fn on_focus_request(action: impl Fn(&Path) + Send + Sync + 'static) {
    let _ = ON_FOCUS.set(Box::new(action));
}

/// Makes a second launch's request show, unminimize and focus the main window.
pub(crate) fn bring_forward_on_request<R: tauri::Runtime>(app: &tauri::AppHandle<R>) {
    use tauri::Manager as _;
    let app = app.clone();
    on_focus_request(move |_| {
        if let Some(window) = app.get_webview_window("main") {
            let shown = window
                .unminimize()
                .and_then(|()| window.show())
                .and_then(|()| window.set_focus());
            if let Err(err) = shown {
                tracing::warn!("could not bring the window to the front: {err}");
            }
        }
    });
}

fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join("sonic-pos.sock")
}

/// Serves focus requests for the life of the process (a thread; the socket
/// file is removed with the data directory or replaced by the next holder).
fn listen_for_focus(data_dir: &Path) {
    let path = socket_path(data_dir);
    let _ = std::fs::remove_file(&path);
    let listener = match UnixListener::bind(&path) {
        Ok(l) => l,
        Err(err) => {
            tracing::warn!(
                "a second launch cannot reach this one ({}: {err}); it will only be refused",
                path.display()
            );
            return;
        }
    };
    let data_dir = data_dir.to_path_buf();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut line = String::new();
            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
            if BufReader::new(&stream).read_line(&mut line).is_ok() && line.trim() == "focus" {
                tracing::info!("a second launch asked for this window: bringing it to the front");
                if let Some(action) = ON_FOCUS.get() {
                    action(&data_dir);
                }
                let _ = (&stream).write_all(b"ok\n");
            }
        }
    });
}

/// Asks the running instance to bring its window forward; true if it answered.
fn ask_first_to_focus(data_dir: &Path) -> bool {
    let Ok(mut stream) = UnixStream::connect(socket_path(data_dir)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(3)));
    if stream.write_all(b"focus\n").is_err() {
        return false;
    }
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer).is_ok() && answer.trim() == "ok"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_instance_on_the_same_data_dir_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = InstanceLock::acquire(dir.path()).expect("first instance locks");
        let second = InstanceLock::acquire(dir.path()).expect_err("second instance must be refused");
        assert!(second.to_string().contains("already running"), "says why: {second:#}");
        drop(first);
        InstanceLock::acquire(dir.path()).expect("the lock is free again once the first instance ends");
    }

    #[test]
    fn a_second_launch_asks_the_first_to_come_forward() {
        // Other tests in this process launch twice too: count only this directory's requests.
        static ASKED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());
        on_focus_request(|dir| ASKED.lock().expect("not poisoned").push(dir.to_path_buf()));
        let dir = tempfile::tempdir().expect("temp dir");
        let _first = InstanceLock::acquire(dir.path()).expect("first instance locks");
        let second = InstanceLock::acquire(dir.path()).expect_err("second instance must be refused");
        assert!(second.to_string().contains("brought to the front"), "{second:#}");
        let asked = ASKED.lock().expect("not poisoned");
        assert_eq!(asked.iter().filter(|d| d.as_path() == dir.path()).count(), 1);
    }
}
