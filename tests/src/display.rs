//! The X display the app runs on: a private Xvfb per app, so tests can run
//! side by side and a stuck app dies with its display; or the caller's
//! `$DISPLAY` when `SONIC_E2E_USE_DISPLAY=1` (to watch a test run).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

/// Display numbers are tried from here; each process starts at its own
/// offset so parallel test binaries rarely collide (a collision is retried).
const FIRST_DISPLAY: u32 = 140;
static NEXT: AtomicU32 = AtomicU32::new(0);

#[derive(Debug)]
pub struct Display {
    /// `:141`
    pub name: String,
    xvfb: Option<Child>,
}

impl Display {
    pub fn start() -> anyhow::Result<Display> {
        if std::env::var_os("SONIC_E2E_USE_DISPLAY").is_some() {
            let name = std::env::var("DISPLAY")
                .context("SONIC_E2E_USE_DISPLAY is set but DISPLAY is not; unset one of them")?;
            return Ok(Display { name, xvfb: None });
        }
        let xvfb = which("Xvfb").context(
            "Xvfb is not installed; run `bash scripts/e2e-deps.sh` (Debian package xvfb), \
             or set SONIC_E2E_USE_DISPLAY=1 to use the current $DISPLAY",
        )?;
        let base = FIRST_DISPLAY + (std::process::id() % 400) * 8;
        for _ in 0..32 {
            let n = base + NEXT.fetch_add(1, Ordering::SeqCst);
            if display_in_use(n) {
                continue;
            }
            let mut child = Command::new(&xvfb)
                .arg(format!(":{n}"))
                .args(["-screen", "0", "1366x768x24", "-nolisten", "tcp", "-noreset"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .with_context(|| format!("starting {}", xvfb.display()))?;
            let socket = format!("/tmp/.X11-unix/X{n}");
            let deadline = Instant::now() + Duration::from_secs(15);
            loop {
                if Path::new(&socket).exists() {
                    return Ok(Display {
                        name: format!(":{n}"),
                        xvfb: Some(child),
                    });
                }
                if child.try_wait()?.is_some() {
                    break; // display taken by someone else: try the next number
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    bail!("Xvfb :{n} did not come up within 15 s");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        bail!("no free X display number found from :{base}; are many Xvfb left running? (`pgrep -a Xvfb`)")
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(child) = &mut self.xvfb {
            // SIGTERM lets Xvfb remove its lock file and socket; SIGKILL
            // would leave them behind in /tmp.
            let stopped = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .is_ok_and(|s| s.success());
            if !stopped {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

/// Whether display `:n` belongs to a running X server. A lock file whose
/// process is gone is stale: Xvfb takes such a display over by itself.
fn display_in_use(n: u32) -> bool {
    let Ok(lock) = std::fs::read_to_string(format!("/tmp/.X{n}-lock")) else {
        return false;
    };
    match lock.trim().parse::<u32>() {
        Ok(pid) => Path::new(&format!("/proc/{pid}")).exists(),
        Err(_) => true,
    }
}

/// The full path of `program` on `$PATH` (or in ~/.cargo/bin, where
/// `cargo install` puts tauri-driver).
pub(crate) fn which(program: &str) -> Option<std::path::PathBuf> {
    let mut dirs: Vec<std::path::PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".cargo/bin"));
    }
    dirs.into_iter().map(|d| d.join(program)).find(|p| p.is_file())
}
