//! Harness for the end-to-end tests: starts the real, already built
//! `sonic-pos` binary in a real WebKitGTK webview and drives it through
//! WebDriver, the way a cashier would use it.
//!
//! The chain is: this test → `tauri-driver` (WebDriver proxy) →
//! `WebKitWebDriver` → `sonic-pos --data-dir <temp dir>`, on an X display
//! (a private `Xvfb` per app, or `$DISPLAY` when `SONIC_E2E_USE_DISPLAY=1`).
//!
//! What it does not do: build the app. Cargo cannot build another package's
//! binary for a test, so run `cargo build -p sonic-pos` first; a missing
//! binary or tool fails the test with the command that fixes it.

pub mod barcode;
mod display;
mod driver;
pub mod printer;
pub mod screen;
pub mod shop;
mod window;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

pub use display::Display;
pub use driver::TauriDriver;
pub use window::Key;

/// How long a test waits for something the app should do by itself (a
/// screen to appear, a backup to be written). Generous: two cores shared
/// with a compiler make WebKit slow to start.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The window title of the message box that a start-up failure shows
/// (src-tauri/src/start_failure.rs).
pub const START_FAILED: &str = "Sonic POS could not start";

/// The title of File › Export…'s save dialog (src-tauri/src/export.rs).
pub const EXPORT_CHOOSER: &str = "Export the shop";

/// The window title of the file chooser that the Backup screen's "Choose a
/// file…" opens (src-tauri/src/commands/restore.rs).
pub const RESTORE_CHOOSER: &str = "Restore from a file";

/// The `sonic-pos` binary under test: `$SONIC_POS_APP`, else the one beside
/// this test binary's target directory, else under `$CARGO_TARGET_DIR` (or
/// `~/.cache/sonic-pos/target`).
pub fn app_binary() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("SONIC_POS_APP") {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Ok(path);
        }
        bail!(
            "SONIC_POS_APP={} is not a file; unset it or point it at a built sonic-pos",
            path.display()
        );
    }
    let mut candidates = Vec::new();
    // A test runs as <target>/<profile>/deps/e2e-<hash>, a bin of this crate
    // as <target>/<profile>/screenshot; the app is <target>/<profile>/sonic-pos.
    if let Ok(exe) = std::env::current_exe() {
        for dir in exe.ancestors().skip(1).take(2) {
            candidates.push(dir.join("sonic-pos"));
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
            home.join(".cache/sonic-pos/target")
        });
    candidates.push(target.join("debug/sonic-pos"));
    candidates.push(target.join("release/sonic-pos"));
    let binary = candidates.iter().find(|p| p.is_file()).cloned().with_context(|| {
        format!(
            "the Sonic POS app binary is not built (looked at {}); build it first with \
                 `cargo build -p sonic-pos` (same CARGO_TARGET_DIR as the tests), or set SONIC_POS_APP",
            candidates
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    refuse_stale(&binary)?;
    Ok(binary)
}

/// Fails when the app's own sources (src-tauri, ui) changed after the binary
/// was built: the tests would otherwise pass or fail on yesterday's app.
fn refuse_stale(binary: &Path) -> anyhow::Result<()> {
    let built = std::fs::metadata(binary)?.modified()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut stack = vec![
        root.join("src-tauri/src"),
        root.join("src-tauri/capabilities"),
        root.join("ui"),
    ];
    stack.push(root.join("src-tauri/tauri.conf.json"));
    while let Some(path) = stack.pop() {
        let Ok(meta) = std::fs::metadata(&path) else { continue };
        if meta.is_dir() {
            for entry in std::fs::read_dir(&path)? {
                stack.push(entry?.path());
            }
        } else if meta.modified()? > built {
            bail!(
                "{} is older than {}; rebuild the app with `cargo build -p sonic-pos` before the end-to-end tests",
                binary.display(),
                path.display()
            );
        }
    }
    Ok(())
}

/// One running Sonic POS under WebDriver, with its own data directory.
///
/// Dropping it ends the WebDriver session's processes (tauri-driver, and the
/// private Xvfb, which takes the app with it); call [`App::quit`] to end the
/// session politely first.
#[derive(Debug)]
pub struct App {
    pub client: Client,
    pub data_dir: PathBuf,
    pub display: Display,
    /// From asking WebDriver to start the app to its first screen ready
    /// (`body[data-ready]`): the app's start, as a user sees it.
    pub start_to_ready: Duration,
    // Field order is drop order: the driver goes before the display.
    _driver: TauriDriver,
    _wm: Option<WindowManager>,
}

/// openbox on a test's display (Debian package openbox, scripts/e2e-deps.sh).
#[derive(Debug)]
struct WindowManager(std::process::Child);

impl WindowManager {
    async fn start(display: &Display) -> anyhow::Result<WindowManager> {
        let child = std::process::Command::new("openbox")
            .arg("--sm-disable")
            .env("DISPLAY", &display.name)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("starting openbox (bash scripts/e2e-deps.sh installs it)")?;
        let wm = WindowManager(child);
        eventually("openbox managing the display", || {
            Ok(window::wm_running(display)?.then_some(()))
        })
        .await?;
        Ok(wm)
    }
}

impl Drop for WindowManager {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl App {
    /// Starts the app on `data_dir` and waits until its first screen is ready.
    pub async fn launch(data_dir: &Path) -> anyhow::Result<App> {
        App::launch_with(data_dir, &[]).await
    }

    /// Starts the app on `data_dir` with more command-line arguments.
    pub async fn launch_with(data_dir: &Path, extra_args: &[&str]) -> anyhow::Result<App> {
        App::start(data_dir, extra_args, false).await
    }

    /// Starts the app on `data_dir` on a display with a window manager
    /// (openbox), for what only a window manager does: maximizing, placing.
    pub async fn launch_managed(data_dir: &Path) -> anyhow::Result<App> {
        App::start(data_dir, &[], true).await
    }

    async fn start(data_dir: &Path, extra_args: &[&str], managed: bool) -> anyhow::Result<App> {
        let binary = app_binary()?;
        let mut args = vec![json!("--data-dir"), json!(data_dir)];
        args.extend(extra_args.iter().map(|a| json!(a)));
        let display = Display::start()?;
        let wm = if managed {
            Some(WindowManager::start(&display).await?)
        } else {
            None
        };
        let driver = TauriDriver::start(&display)?;
        driver.wait_until_listening(PATIENCE).await?;

        let mut caps = serde_json::Map::new();
        caps.insert("tauri:options".into(), json!({ "application": binary, "args": args }));
        let url = driver.url();
        let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
        let asked = Instant::now();
        let connect = builder.capabilities(caps).connect(&url);
        // An app that exits at start (a data directory from a newer build,
        // a lock held) leaves WebKitWebDriver waiting for it for ever.
        let client = match tokio::time::timeout(PATIENCE, connect).await {
            Ok(connected) => connected.with_context(|| {
                format!(
                    "WebDriver could not start {} (tauri-driver log: {})",
                    binary.display(),
                    driver.log_tail()
                )
            })?,
            Err(_) => bail!(
                "{} did not start within {PATIENCE:?}; tauri-driver and the app printed:\n{}",
                binary.display(),
                driver.log_tail()
            ),
        };
        let mut app = App {
            client,
            data_dir: data_dir.to_path_buf(),
            display,
            start_to_ready: Duration::ZERO,
            _driver: driver,
            _wm: wm,
        };
        app.wait_for_ready().await?;
        app.start_to_ready = asked.elapsed();
        Ok(app)
    }

    async fn wait_for_ready(&self) -> anyhow::Result<()> {
        screen::css(self, "body[data-ready='true']")
            .await
            .context("the app's window opened but its screen never became ready (body[data-ready])")?;
        Ok(())
    }

    /// Waits for the element with `data-testid="<id>"` and returns it.
    pub async fn testid(&self, id: &str) -> anyhow::Result<Element> {
        screen::css(self, &format!("[data-testid='{id}']")).await
    }

    /// Signs in through the sign-in form (the app shows it at start when the
    /// shop is set up); waits until the Sale screen is there.
    pub async fn sign_in(&self, name: &str, pin: &str) -> anyhow::Result<()> {
        self.testid("sign-in-form").await?;
        screen::choose(self, "sign-in-name", name)
            .await
            .with_context(|| format!("the sign-in list has no user {name:?}"))?;
        self.testid("sign-in-pin").await?.send_keys(pin).await?;
        self.testid("sign-in-submit").await?.click().await?;
        screen::css(self, "body[data-signed-in='true'] main[data-screen='sale']")
            .await
            .with_context(|| format!("signing in as {name} did not reach the Sale screen"))?;
        Ok(())
    }

    /// Sets up a new shop through the first-run form (owner `Owner`, PIN
    /// 1234, store `Main`, rate 1310) and waits for the Sale screen.
    pub async fn set_up_shop(&self) -> anyhow::Result<()> {
        self.testid("setup-form").await?;
        self.testid("setup-owner").await?.send_keys(shop::OWNER.0).await?;
        self.testid("setup-pin").await?.send_keys(shop::OWNER.1).await?;
        self.testid("setup-store").await?.send_keys("Main").await?;
        self.testid("setup-rate").await?.send_keys(shop::RATE).await?;
        self.testid("setup-submit").await?.click().await?;
        screen::css(self, "body[data-signed-in='true'] main[data-screen='sale']")
            .await
            .context("the first-run set-up did not reach the Sale screen")?;
        Ok(())
    }

    /// Opens a screen from the side bar (`sale`, `backup`, …) and waits for it.
    pub async fn open(&self, screen: &str) -> anyhow::Result<()> {
        self.testid(&format!("nav-{screen}")).await?.click().await?;
        screen::css(self, &format!("main[data-screen='{screen}']"))
            .await
            .with_context(|| format!("the {screen} screen did not open"))?;
        Ok(())
    }

    /// Types into the `data-testid` field after clearing it.
    pub async fn fill(&self, id: &str, text: &str) -> anyhow::Result<()> {
        let input = self.testid(id).await?;
        input.clear().await?;
        // WebDriver refuses to "type" nothing; clearing was the whole job.
        if !text.is_empty() {
            input.send_keys(text).await?;
        }
        Ok(())
    }

    /// Clicks the `data-testid` element.
    pub async fn click(&self, id: &str) -> anyhow::Result<()> {
        self.testid(id).await?.click().await?;
        Ok(())
    }

    /// Waits until the text of `data-testid="<id>"` satisfies `ok`, and returns it.
    pub async fn wait_for_text(&self, id: &str, ok: impl Fn(&str) -> bool) -> anyhow::Result<String> {
        screen::css_text(self, &format!("[data-testid='{id}']"), ok).await
    }

    /// Runs `invoke(command, args)` in the webview, as page script would,
    /// and returns `Ok(value)` or `Err(error as the webview saw it)`.
    pub async fn invoke(&self, command: &str, args: Value) -> anyhow::Result<Result<Value, Value>> {
        const SCRIPT: &str = r#"
            const [command, args, done] = arguments;
            window.__TAURI__.core.invoke(command, args).then(
                (value) => done({ ok: value === undefined ? null : value }),
                (error) => done({ err: typeof error === 'string' ? error : (error ?? null) }),
            );
        "#;
        let out = self
            .client
            .execute_async(SCRIPT, vec![json!(command), args])
            .await
            .with_context(|| format!("running invoke('{command}') in the webview"))?;
        match (out.get("ok"), out.get("err")) {
            (Some(v), _) => Ok(Ok(v.clone())),
            (_, Some(e)) => Ok(Err(e.clone())),
            _ => bail!("invoke('{command}') gave neither a value nor an error: {out}"),
        }
    }

    /// Whether the window manager shows the app's window maximized (on a
    /// display started by [`App::launch_managed`]).
    pub fn is_maximized(&self) -> anyhow::Result<bool> {
        window::is_maximized(&self.display, "Sonic POS")
    }

    /// Closes the main window the way a user does (the window manager's
    /// close button: `WM_DELETE_WINDOW`), not through WebDriver, which would
    /// only destroy the webview.
    pub fn close_window(&self) -> anyhow::Result<()> {
        window::request_close(&self.display, "Sonic POS")
    }

    /// Presses Ctrl+`key` on the X keyboard with the app's window focused,
    /// as a cashier would: GTK hands it to the native menu's accelerators.
    pub fn press_ctrl(&self, key: char) -> anyhow::Result<()> {
        window::type_keys(&self.display, "Sonic POS", &[Key::Ctrl(key)])
    }

    /// Answers the native file chooser titled `title` (GTK's, opened by the
    /// app) with `path`, as a user who types a path does: Ctrl+L for the
    /// location field, Ctrl+A to replace what it holds, the path, Return.
    /// Typed again every few seconds while the chooser is still open (GTK
    /// under Xvfb now and then drops the first keys sent to a window that
    /// has just appeared). `path` must be printable ASCII.
    pub async fn answer_file_chooser(&self, title: &str, path: &Path) -> anyhow::Result<()> {
        const AGAIN_AFTER: Duration = Duration::from_secs(5);
        let path = path
            .to_str()
            .with_context(|| format!("{} is not UTF-8", path.display()))?;
        eventually(&format!("the file chooser {title:?}"), || {
            Ok(window::is_viewable(&self.display, title)?.then_some(()))
        })
        .await?;
        let deadline = Instant::now() + PATIENCE;
        loop {
            // Answered: GTK unmaps the chooser (and may keep the window).
            if !window::is_viewable(&self.display, title)? {
                return Ok(());
            }
            window::type_keys(
                &self.display,
                title,
                &[Key::Ctrl('l'), Key::Ctrl('a'), Key::Text(path), Key::Return],
            )?;
            let typed_at = Instant::now();
            while Instant::now() < typed_at + AGAIN_AFTER {
                tokio::time::sleep(Duration::from_millis(200)).await;
                if !window::is_viewable(&self.display, title)? {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                let shot = std::env::temp_dir().join("sonic-e2e-file-chooser.png");
                let saved = match window::capture_screen(&self.display, &shot) {
                    Ok(()) => format!("it looks like {}", shot.display()),
                    Err(e) => format!("no picture of it: {e:#}"),
                };
                bail!("the file chooser {title:?} did not take {path} within {PATIENCE:?}; {saved}");
            }
        }
    }

    /// Presses Ctrl+`key` until `done` says its effect is there, again
    /// every few seconds like a cashier whose first press went unnoticed
    /// (GTK under Xvfb now and then drops the first event right after
    /// start-up, as with the close button).
    pub async fn press_ctrl_until(
        &self,
        key: char,
        what: &str,
        mut done: impl FnMut() -> anyhow::Result<bool>,
    ) -> anyhow::Result<()> {
        const AGAIN_AFTER: Duration = Duration::from_secs(3);
        let deadline = Instant::now() + PATIENCE;
        let mut next_press = Instant::now();
        loop {
            if Instant::now() >= next_press {
                self.press_ctrl(key)?;
                next_press = Instant::now() + AGAIN_AFTER;
            }
            if done()? {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "Ctrl+{key} never led to {what} within {PATIENCE:?}; the app's log ends:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Saves a PNG of the app's window, menu bar included.
    pub fn screenshot(&self, path: &Path) -> anyhow::Result<()> {
        window::capture(&self.display, "Sonic POS", path)
    }

    /// Closes the window and waits until the app has exited (its
    /// data-directory lock is free), clicking the close button again every
    /// few seconds while it has not: under Xvfb, with no window manager, a
    /// close request sent in the first moments after start-up is now and
    /// then dropped by GTK. Returns how many close requests were sent; the
    /// app must treat the extra ones as the same close.
    pub async fn close_window_and_wait_for_exit(&self) -> anyhow::Result<u32> {
        const AGAIN_AFTER: Duration = Duration::from_secs(3);
        let lock = self.data_dir.join("sonic-pos.lock");
        let deadline = Instant::now() + PATIENCE;
        let mut sent = 0;
        let mut next_close = Instant::now();
        loop {
            if lock_is_free(&lock)? {
                return Ok(sent);
            }
            if Instant::now() >= next_close {
                // Once the app is closing, its window may already be gone.
                if self.close_window().is_ok() {
                    sent += 1;
                }
                next_close = Instant::now() + AGAIN_AFTER;
            }
            if Instant::now() > deadline {
                bail!(
                    "the app did not exit within {PATIENCE:?} after {sent} close request(s); its log ends:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until the app has exited (its data-directory lock is free).
    pub async fn wait_for_exit(&self) -> anyhow::Result<()> {
        let lock = self.data_dir.join("sonic-pos.lock");
        let deadline = Instant::now() + PATIENCE;
        loop {
            if lock_is_free(&lock)? {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the app did not exit within {PATIENCE:?} after it was asked to close; its log ends:\n{}",
                    self.log_tail()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The last lines of the app's own log, `<data dir>/logs/sonic-pos.log`.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.data_dir.join("logs/sonic-pos.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Ends the WebDriver session (which closes the app) and its helpers.
    pub async fn quit(self) -> anyhow::Result<()> {
        // After the app exited by itself the session is already gone, and
        // closing it fails; that is fine.
        let _ = self.client.close().await;
        Ok(())
    }
}

fn lock_is_free(path: &Path) -> anyhow::Result<bool> {
    use fs4::fs_std::FileExt as _;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let free = file
        .try_lock_exclusive()
        .with_context(|| format!("locking {}", path.display()))?;
    Ok(free)
}

/// The backup files in `<data dir>/backups`, by file name (temporary files
/// of a backup being written are not counted).
pub fn backup_files(data_dir: &Path) -> anyhow::Result<Vec<String>> {
    let dir = data_dir.join("backups");
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).with_context(|| format!("listing {}", dir.display()))? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if (name.ends_with(".manifest.zst") || name.ends_with(".json.zst")) && !name.starts_with('.') {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Waits until `probe` returns `Some`, polling; fails after [`PATIENCE`] with `what`.
pub async fn eventually<T>(what: &str, mut probe: impl FnMut() -> anyhow::Result<Option<T>>) -> anyhow::Result<T> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(found) = probe()? {
            return Ok(found);
        }
        if Instant::now() > deadline {
            bail!("timed out after {PATIENCE:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Sends the close request (`WM_DELETE_WINDOW`) to the top-level window
/// titled `title` on `display` until `child` exits, again every few seconds
/// (GTK under Xvfb now and then drops a close request sent right after a
/// window appears), and returns how it exited. For an app started without
/// WebDriver: an installed package, or a launch that stops at a message box.
pub async fn close_until_exit(
    display: &Display,
    title: &str,
    child: &mut tokio::process::Child,
) -> anyhow::Result<std::process::ExitStatus> {
    const AGAIN_AFTER: Duration = Duration::from_secs(3);
    let deadline = Instant::now() + PATIENCE;
    let mut next_close = Instant::now();
    let mut sent = 0;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() >= next_close {
            // Until the window is there (and once it is gone) there is nothing to close.
            if window::request_close(display, title).is_ok() {
                sent += 1;
            }
            next_close = Instant::now() + AGAIN_AFTER;
        }
        if Instant::now() > deadline {
            bail!("the process did not exit within {PATIENCE:?}; {sent} close request(s) sent to a window titled {title:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Whether a top-level window titled `title` is on `display` now.
pub fn window_is_shown(display: &Display, title: &str) -> anyhow::Result<bool> {
    window::is_shown(display, title)
}
