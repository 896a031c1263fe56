//! The Debian package: installed with `dpkg -i`, started from its installed
//! path for a user with a fresh home (so the default data directory, no
//! `--data-dir`), its window closed (an `on_close` backup appears in that
//! user's data directory), and removed with `dpkg -r`.
//!
//! The package is `$SONIC_POS_DEB`, built by `scripts/package-deb` (which
//! scripts/test runs). Installing needs root (or sudo). Without the variable
//! the test fails, unless SONIC_SKIP_DEB=1 outside CI skips it knowingly.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context as _};
use sonic_e2e::{backup_files, close_until_exit, eventually, window_is_shown, Display};

/// What dpkg calls the package, and where it puts the app.
const PACKAGE: &str = "sonic-pos";
const INSTALLED_BINARY: &str = "/usr/bin/sonic-pos";

fn deb_from_env() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    match var("SONIC_POS_DEB") {
        Some(path) => Some(PathBuf::from(path)),
        None if var("SONIC_SKIP_DEB").is_some_and(|v| v == "1") && var("CI").is_none() => {
            eprintln!("SKIPPED: the .deb install test (SONIC_SKIP_DEB=1)");
            None
        }
        None => panic!(
            "this test needs the Debian package: SONIC_POS_DEB is not set. Build it with \
             `scripts/package-deb` and run `SONIC_POS_DEB=<the .deb it printed> cargo test -p sonic-e2e --test e2e package`, \
             or set SONIC_SKIP_DEB=1 to skip it knowingly"
        ),
    }
}

/// Runs `program args` as root: directly when we are root, else through sudo.
fn as_root(program: &str, args: &[&str]) -> anyhow::Result<std::process::Output> {
    let root = Command::new("id").arg("-u").output()?.stdout.starts_with(b"0\n");
    let mut command = if root {
        Command::new(program)
    } else {
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", program]);
        sudo
    };
    command
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {program} {}", args.join(" ")))
}

fn check(what: &str, out: &std::process::Output) -> anyhow::Result<()> {
    if !out.status.success() {
        bail!(
            "{what} failed ({}):\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(())
}

/// Removes the package when the test ends, passed or not, so that a failed
/// run leaves no Sonic POS installed on the machine.
struct Installed;

impl Installed {
    fn install(deb: &Path) -> anyhow::Result<Installed> {
        let deb = deb.to_str().context("the .deb path is not UTF-8")?;
        let installed = Installed;
        let out = as_root("dpkg", &["-i", deb])?;
        if !out.status.success() {
            // Its dependencies are missing: let apt bring them (and finish
            // configuring the package).
            eprintln!("dpkg -i: {}", String::from_utf8_lossy(&out.stderr));
            check(
                "apt-get install -f",
                &as_root("apt-get", &["install", "-f", "-y", "-q"])?,
            )?;
        }
        Ok(installed)
    }

    fn remove(self) -> anyhow::Result<()> {
        std::mem::forget(self);
        check("dpkg -r", &as_root("dpkg", &["-r", PACKAGE])?)
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let _ = as_root("dpkg", &["-r", PACKAGE]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deb_installs_starts_for_a_new_user_writes_an_on_close_backup_and_removes() -> anyhow::Result<()> {
    let Some(deb) = deb_from_env() else { return Ok(()) };
    assert!(deb.is_file(), "SONIC_POS_DEB={} is not a file", deb.display());

    // The bundler declares the WebKitGTK 4.1 and GTK 3 runtime libraries
    // itself (listing them in tauri.conf.json would name them twice).
    let depends = Command::new("dpkg-deb").arg("-f").arg(&deb).arg("Depends").output()?;
    let depends = String::from_utf8_lossy(&depends.stdout);
    assert!(
        depends.contains("libwebkit2gtk-4.1-0") && depends.contains("libgtk-3-0"),
        "the package depends on the WebKitGTK and GTK runtimes: {depends}"
    );

    let installed = Installed::install(&deb)?;
    let status = Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", PACKAGE])
        .output()?;
    assert_eq!(
        String::from_utf8_lossy(&status.stdout),
        "install ok installed",
        "dpkg has the package installed and configured"
    );
    assert!(
        Path::new(INSTALLED_BINARY).is_file(),
        "the app is at {INSTALLED_BINARY}"
    );
    let files = String::from_utf8(Command::new("dpkg").args(["-L", PACKAGE]).output()?.stdout)?;
    let desktop = files
        .lines()
        .find(|f| f.starts_with("/usr/share/applications/") && f.ends_with(".desktop"))
        .with_context(|| format!("the package has a desktop entry: {files}"))?;
    let entry = std::fs::read_to_string(desktop)?;
    assert!(
        entry.contains("Exec=sonic-pos") && entry.contains("Categories=") && entry.contains("Icon=sonic-pos"),
        "the desktop entry starts the app, with a category and an icon: {entry}"
    );

    // A new user: nothing but a home folder. The app finds its data
    // directory there by itself.
    let home = tempfile::tempdir()?;
    let data_dir = home.path().join(".local/share/sonic-pos");
    let display = Display::start()?;
    let mut app = tokio::process::Command::new(INSTALLED_BINARY)
        .env_clear()
        .env("HOME", home.path())
        .env("PATH", "/usr/bin:/bin")
        .env("DISPLAY", &display.name)
        // As the harness runs the app: Xvfb has no GPU.
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .env("LIBGL_ALWAYS_SOFTWARE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    eventually("the installed app's window", || {
        if let Some(status) = app.try_wait()? {
            bail!("the installed app exited ({status}) before its window opened");
        }
        Ok(window_is_shown(&display, "Sonic POS")?.then_some(()))
    })
    .await?;
    let exit = close_until_exit(&display, "Sonic POS", &mut app).await?;
    let out = app.wait_with_output().await?;
    assert!(
        exit.success(),
        "closing the window ends the app normally, got {exit}; it printed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let backups = backup_files(&data_dir)?;
    assert_eq!(
        backups.iter().filter(|name| name.contains("-on_close-")).count(),
        1,
        "one on_close backup in the user's default data directory {}: {backups:?}",
        data_dir.display()
    );

    installed.remove()?;
    assert!(
        !Path::new(INSTALLED_BINARY).exists(),
        "dpkg -r removed {INSTALLED_BINARY}"
    );
    Ok(())
}
