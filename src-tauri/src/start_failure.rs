//! A start-up that fails is shown in a native message box: what went wrong
//! and what to do, besides the log and stderr. A till started from the Start
//! menu or a desktop icon has no terminal, so stderr alone says nothing.
//!
//! The box is `rfd`'s blocking message dialog: Win32's `MessageBoxW`,
//! macOS's `NSAlert`, and on Linux GTK (linked for the webview anyway; not
//! the xdg portal, a D-Bus service a till may lack). It shows before any
//! Tauri app exists, so it cannot be the dialog plugin. On Linux it is only
//! opened when a display answers: rfd's GTK thread waits for ever when GTK
//! cannot start, and a till started over SSH must still exit.

use std::path::Path;

/// The window title of the box (what the end-to-end test looks for).
pub(crate) const TITLE: &str = "Sonic POS could not start";

/// What the box says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Notice {
    /// One sentence: what went wrong, in the cashier's words.
    pub(crate) headline: String,
    /// What to do about it.
    pub(crate) todo: String,
    /// The error as the log has it (for whoever looks after the till).
    pub(crate) detail: String,
    /// The log file, when there is one.
    pub(crate) log: Option<String>,
}

impl Notice {
    /// The notice for a start-up that failed with `err`; `log` is the log
    /// file the details went to.
    pub(crate) fn of(err: &anyhow::Error, log: Option<&Path>) -> Notice {
        let (headline, todo) = advice(err);
        Notice {
            headline: headline.to_string(),
            todo: todo.to_string(),
            detail: format!("{err:#}"),
            log: log.map(|path| path.display().to_string()),
        }
    }

    /// The text under the title.
    pub(crate) fn body(&self) -> String {
        let mut text = format!(
            "{}\n\nWhat to do: {}\n\nWhat happened: {}",
            self.headline, self.todo, self.detail
        );
        if let Some(log) = &self.log {
            text.push_str(&format!("\n\nThe log file: {log}"));
        }
        text
    }
}

/// What went wrong and what to do, from the first cause in the chain that
/// says more than "it failed".
fn advice(err: &anyhow::Error) -> (&'static str, &'static str) {
    use sonic_core::Error as Core;

    for cause in err.chain() {
        if let Some(core) = cause.downcast_ref::<Core>() {
            match core {
                Core::SchemaTooNew { .. } => {
                    return (
                        "The data folder was written by a newer version of Sonic POS.",
                        "Install that newer version again; the data is kept as it is. \
                         Do not use this older version with it.",
                    )
                }
                Core::DiskFull { .. } => {
                    return (
                        "The disk is full.",
                        "Free some space on the disk (old files, the recycle bin), then start Sonic POS again. \
                         Nothing was changed.",
                    )
                }
                Core::NoDataDir => {
                    return (
                        "Sonic POS could not find a folder for its data.",
                        "Start it with --data-dir and a folder, or set SONIC_DATA_DIR.",
                    )
                }
                Core::Sqlite(_) | Core::Io { .. } | Core::Damaged { .. } => {
                    return (
                        "The database in the data folder could not be opened.",
                        "Check that the data folder exists and that this user may write to it, and that no other \
                         program (a copy or backup tool) holds it open, then start Sonic POS again. If it still \
                         fails, restore the newest backup into a new data folder (README, \"How to restore\").",
                    )
                }
                _ => {}
            }
        }
    }
    // The data-directory lock's refusal is matched by its words ("already
    // running", fixed in the lock's error and in the end-to-end test): the
    // shell does not see the lock's error type. Whether the first window came
    // forward is in the detail below.
    if err.chain().any(|cause| cause.to_string().contains("already running")) {
        return (
            "Sonic POS is already running with this data folder.",
            "Use the Sonic POS window that is already open, or close it before starting Sonic POS again.",
        );
    }
    (
        "Sonic POS stopped before its window opened.",
        "Start it again. If it stops again, give the log file below to whoever looks after this till.",
    )
}

/// Shows `notice` and returns when it is closed; does nothing where no
/// display answers (the log and stderr have it all).
pub(crate) fn show(notice: &Notice) {
    if !display_answers() {
        tracing::warn!("no display answers: the start-up failure is only in the log and on stderr");
        return;
    }
    // GTK's C strings end at a NUL; an error text never has one, but rfd
    // would panic on it.
    let body = notice.body().replace('\0', " ");
    rfd::MessageDialog::new()
        .set_level(rfd::MessageLevel::Error)
        .set_title(TITLE)
        .set_description(body)
        .set_buttons(rfd::MessageButtons::Ok)
        .show();
}

/// Whether a display server answers (Wayland's socket, X11's socket or TCP
/// port), so that GTK can start.
#[cfg(target_os = "linux")]
fn display_answers() -> bool {
    display_answers_in(|name| std::env::var_os(name))
}

/// [`display_answers`] with the environment given by `env`.
#[cfg(target_os = "linux")]
fn display_answers_in(env: impl Fn(&str) -> Option<std::ffi::OsString>) -> bool {
    use std::os::unix::net::UnixStream;
    use std::path::PathBuf;

    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    if let Some(wayland) = var("WAYLAND_DISPLAY") {
        let socket = match var("XDG_RUNTIME_DIR") {
            Some(dir) if !Path::new(&wayland).is_absolute() => PathBuf::from(dir).join(&wayland),
            _ => PathBuf::from(&wayland),
        };
        if UnixStream::connect(socket).is_ok() {
            return true;
        }
    }
    let Some(display) = var("DISPLAY") else { return false };
    let Some((host, number)) = x11_display(&display.to_string_lossy()) else {
        return false;
    };
    if host.is_empty() || host == "unix" {
        UnixStream::connect(format!("/tmp/.X11-unix/X{number}")).is_ok()
    } else {
        use std::net::{TcpStream, ToSocketAddrs as _};
        let Ok(addrs) = (host.as_str(), 6000 + number).to_socket_addrs() else {
            return false;
        };
        addrs
            .into_iter()
            .any(|addr| TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(2)).is_ok())
    }
}

/// Other systems always have their own message box.
#[cfg(not(target_os = "linux"))]
fn display_answers() -> bool {
    true
}

/// `host:number[.screen]` of an X11 `DISPLAY`.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn x11_display(display: &str) -> Option<(String, u16)> {
    let (host, rest) = display.rsplit_once(':')?;
    let number = rest.split('.').next()?.parse().ok()?;
    Some((host.to_string(), number))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn notice(err: anyhow::Error) -> Notice {
        Notice::of(&err, Some(Path::new("/data/logs/sonic-pos.log")))
    }

    #[test]
    fn a_second_launch_says_the_app_is_already_running_and_to_use_its_window() {
        let err = anyhow::anyhow!(
            "Sonic POS is already running with the data directory /data; its window was brought to the front"
        );
        let n = notice(err);
        assert_eq!(n.headline, "Sonic POS is already running with this data folder.");
        assert!(n.todo.contains("window that is already open"), "{n:?}");
        let body = n.body();
        assert!(body.contains("What to do: Use the Sonic POS window"), "{body}");
        assert!(
            body.contains("/data; its window was brought to the front"),
            "the error itself is shown: {body}"
        );
        assert!(body.contains("The log file: /data/logs/sonic-pos.log"), "{body}");
    }

    #[test]
    fn a_database_that_cannot_be_opened_is_named_with_the_way_back_through_a_backup() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let err = anyhow::Error::from(sonic_core::Error::Io {
            action: "opening",
            path: "/data/sonic-pos.db".into(),
            source: io,
        })
        .context("opening the store");
        let n = notice(err);
        assert_eq!(n.headline, "The database in the data folder could not be opened.");
        assert!(n.todo.contains("How to restore"), "{n:?}");
        assert!(
            n.detail.contains("opening the store") && n.detail.contains("/data/sonic-pos.db: permission denied"),
            "the whole chain is in the detail: {}",
            n.detail
        );
    }

    #[test]
    fn a_database_from_a_newer_version_says_to_install_that_version() {
        let n = notice(sonic_core::Error::SchemaTooNew { found: 9, known: 5 }.into());
        assert_eq!(
            n.headline,
            "The data folder was written by a newer version of Sonic POS."
        );
        assert!(n.todo.starts_with("Install that newer version"), "{n:?}");
    }

    #[test]
    fn a_full_disk_says_to_free_space() {
        let n = notice(sonic_core::Error::DiskFull { path: "/data".into() }.into());
        assert_eq!(n.headline, "The disk is full.");
    }

    #[test]
    fn anything_else_still_says_what_to_do_and_where_the_log_is() {
        let n = Notice::of(&anyhow::anyhow!("could not start the window system"), None);
        assert_eq!(n.headline, "Sonic POS stopped before its window opened.");
        assert!(n.body().contains("What happened: could not start the window system"));
        assert!(!n.body().contains("The log file"), "no log line without a log file");
    }

    #[test]
    fn x11_display_names_are_read_like_xlib_does() {
        assert_eq!(x11_display(":0"), Some((String::new(), 0)));
        assert_eq!(x11_display(":141.0"), Some((String::new(), 141)));
        assert_eq!(x11_display("localhost:10.0"), Some(("localhost".to_string(), 10)));
        assert_eq!(x11_display("nonsense"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn no_display_means_no_box_and_no_wait() {
        let env = |display: Option<&str>| {
            let display = display.map(std::ffi::OsString::from);
            move |name: &str| (name == "DISPLAY").then(|| display.clone()).flatten()
        };
        assert!(!display_answers_in(env(None)), "no DISPLAY, no WAYLAND_DISPLAY");
        assert!(!display_answers_in(env(Some(":65000"))), "an X display nobody serves");
        assert!(!display_answers_in(env(Some("garbage"))), "a DISPLAY that is not one");
    }
}
