//! `tauri-driver`: the WebDriver server the tests talk to. It starts
//! `WebKitWebDriver`, which starts the app with WebKit's automation on.

use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use crate::display::{which, Display};

const WEBKIT_WEBDRIVER: &str = "/usr/bin/WebKitWebDriver";

#[derive(Debug)]
pub struct TauriDriver {
    port: u16,
    native_port: u16,
    child: Child,
    log: tempfile::NamedTempFile,
}

impl TauriDriver {
    pub fn start(display: &Display) -> anyhow::Result<TauriDriver> {
        let binary = which("tauri-driver").context(
            "tauri-driver is not installed; run `bash scripts/e2e-deps.sh` \
             (it runs `cargo install tauri-driver --locked`)",
        )?;
        let native = native_driver()?;
        let port = free_port()?;
        let native_port = free_port()?;
        let log = tempfile::NamedTempFile::new().context("creating a log file for tauri-driver")?;
        let child = Command::new(&binary)
            .args(["--port", &port.to_string(), "--native-port", &native_port.to_string()])
            .arg("--native-driver")
            .arg(&native)
            .env("DISPLAY", &display.name)
            // Software rendering: Xvfb has no GPU, and WebKit's DMA-BUF
            // renderer fails on it with a blank window.
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .env("LIBGL_ALWAYS_SOFTWARE", "1")
            .env("SONIC_LOG", "info,sonic_pos_app=debug")
            .stdin(Stdio::null())
            .stdout(log.reopen()?)
            .stderr(log.reopen()?)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        Ok(TauriDriver {
            port,
            native_port,
            child,
            log,
        })
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Waits until both tauri-driver and the WebKitWebDriver behind it
    /// accept connections: tauri-driver listens first, and a session
    /// requested before WebKitWebDriver is up fails with a connect error.
    pub async fn wait_until_listening(&self, patience: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + patience;
        for (who, port) in [("tauri-driver", self.port), ("WebKitWebDriver", self.native_port)] {
            let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
            while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
                if Instant::now() > deadline {
                    bail!(
                        "{who} did not listen on {addr} within {patience:?}: {}",
                        self.log_tail()
                    );
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Ok(())
    }

    /// The last lines tauri-driver (and WebKitWebDriver, and the app) printed.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log.path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for TauriDriver {
    fn drop(&mut self) {
        // SIGTERM, not SIGKILL: tauri-driver then stops WebKitWebDriver too.
        let stopped = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !stopped {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

fn native_driver() -> anyhow::Result<PathBuf> {
    if Path::new(WEBKIT_WEBDRIVER).is_file() {
        return Ok(PathBuf::from(WEBKIT_WEBDRIVER));
    }
    which("WebKitWebDriver")
        .context("WebKitWebDriver is not installed; run `bash scripts/e2e-deps.sh` (Debian package webkit2gtk-driver)")
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).context("finding a free local port")?;
    Ok(listener.local_addr()?.port())
}
