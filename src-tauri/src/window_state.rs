//! The till's window: maximized on the first start, then where and how big
//! it was when it was last closed. Kept per installation in
//! `<data dir>/window-state.json` (never in a backup: another till's screen
//! is not this one's), written atomically at each close.
//!
//! A saved place that is on no monitor now (a second screen unplugged, a
//! smaller screen) is not used: the window opens at the configured centre,
//! no bigger than the monitor it opens on.

use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager as _, PhysicalPosition, PhysicalSize, WebviewWindow};

use sonic_core::DataDir;

/// The main window's label (tauri.conf.json).
const MAIN: &str = "main";

/// How much of the window must lie on a monitor for its place to be used:
/// enough of its top to grab it by the title bar.
const VISIBLE_W: i64 = 120;
const VISIBLE_H: i64 = 40;

/// The window as it was closed, in physical pixels. `x`, `y`, `width` and
/// `height` are the normal (not maximized) place and inner size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Saved {
    pub maximized: bool,
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

/// A monitor's area: x, y, width, height.
pub(crate) type Area = (i32, i32, u32, u32);

fn file(dir: &DataDir) -> std::path::PathBuf {
    dir.root().join("window-state.json")
}

/// What was saved, or `None` (the first start, or a file that cannot be
/// read, which is logged and treated as a first start).
pub(crate) fn load(dir: &DataDir) -> Option<Saved> {
    let path = file(dir);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(file = %path.display(), "the window's place cannot be read: {e}");
            return None;
        }
    };
    match serde_json::from_slice::<Saved>(&bytes) {
        Ok(saved) if saved.width > 0 && saved.height > 0 => Some(saved),
        Ok(_) | Err(_) => {
            tracing::warn!(file = %path.display(), "the window's place is not readable: ignored");
            None
        }
    }
}

/// Where the window goes: `None` to leave it at the configured centre (the
/// saved place is on no monitor now), else the saved place. The size is
/// the saved one, no bigger than the monitor that shows it (or the first).
pub(crate) fn placement(saved: &Saved, monitors: &[Area]) -> (Option<(i32, i32)>, (u32, u32)) {
    let overlap = |m: &Area| {
        let (mx, my, mw, mh) = (i64::from(m.0), i64::from(m.1), i64::from(m.2), i64::from(m.3));
        let (x, y) = (i64::from(saved.x), i64::from(saved.y));
        let w = (x + i64::from(saved.width)).min(mx + mw) - x.max(mx);
        // Only the window's top counts: the title bar must be reachable.
        let h = (y + VISIBLE_H).min(my + mh) - y.max(my);
        w >= VISIBLE_W.min(i64::from(saved.width)) && h >= VISIBLE_H.min(i64::from(saved.height))
    };
    let on = monitors.iter().find(|m| overlap(m));
    let fit = |m: Option<&Area>| match m {
        Some(&(_, _, mw, mh)) => (saved.width.min(mw), saved.height.min(mh)),
        None => (saved.width, saved.height),
    };
    match on {
        Some(m) => (Some((saved.x, saved.y)), fit(Some(m))),
        None => (None, fit(monitors.first())),
    }
}

fn monitors(window: &WebviewWindow) -> Vec<Area> {
    window
        .available_monitors()
        .unwrap_or_default()
        .iter()
        .map(|m| {
            let area = m.work_area();
            (area.position.x, area.position.y, area.size.width, area.size.height)
        })
        .collect()
}

/// At start: the main window maximized the first time, else as it was.
/// Failures are logged; the window stays as configured.
pub(crate) fn restore(app: &AppHandle, dir: &DataDir) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    let result = match load(dir) {
        None => {
            tracing::info!("first start on this computer: the window opens maximized");
            window.maximize()
        }
        Some(saved) => {
            let (place, (width, height)) = placement(&saved, &monitors(&window));
            tracing::info!(?saved, ?place, "the window opens as it was closed");
            let sized = window.set_size(PhysicalSize::new(width, height));
            let placed = match place {
                Some((x, y)) => window.set_position(PhysicalPosition::new(x, y)),
                None => window.center(),
            };
            let maximized = if saved.maximized { window.maximize() } else { Ok(()) };
            sized.and(placed).and(maximized)
        }
    };
    if let Err(e) = result {
        tracing::warn!("the window's size and place could not be set: {e}");
    }
}

/// At close: saves the main window's place. Maximized, the normal place
/// saved before is kept (a maximized window's geometry is the screen's);
/// minimized, nothing changes.
pub(crate) fn save(app: &AppHandle, dir: &DataDir) {
    let Some(window) = app.get_webview_window(MAIN) else {
        return;
    };
    if window.is_minimized().unwrap_or(false) {
        return;
    }
    let maximized = window.is_maximized().unwrap_or(false);
    let saved = if maximized {
        let before = load(dir);
        match before {
            Some(before) => Saved {
                maximized: true,
                ..before
            },
            None => match (window.outer_position(), window.inner_size()) {
                (Ok(p), Ok(s)) => Saved {
                    maximized: true,
                    x: p.x,
                    y: p.y,
                    width: s.width,
                    height: s.height,
                },
                _ => return,
            },
        }
    } else {
        match (window.outer_position(), window.inner_size()) {
            (Ok(p), Ok(s)) => Saved {
                maximized: false,
                x: p.x,
                y: p.y,
                width: s.width,
                height: s.height,
            },
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!("the window's place cannot be read: {e}");
                return;
            }
        }
    };
    let path = file(dir);
    let written = sonic_core::backup::write_atomically(&path, |out| {
        serde_json::to_writer(&mut *out, &saved).map_err(|e| sonic_core::Error::Invalid(e.to_string()))
    });
    match written {
        Ok(()) => tracing::info!(?saved, "the window's place saved"),
        Err(e) => tracing::warn!(file = %path.display(), "the window's place cannot be saved: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCREEN: Area = (0, 0, 1920, 1080);
    const RIGHT: Area = (1920, 0, 1280, 1024);

    fn at(x: i32, y: i32, width: u32, height: u32) -> Saved {
        Saved {
            maximized: false,
            x,
            y,
            width,
            height,
        }
    }

    #[test]
    fn a_place_on_a_monitor_is_used_as_saved() {
        assert_eq!(
            placement(&at(100, 50, 1200, 700), &[SCREEN]),
            (Some((100, 50)), (1200, 700))
        );
        assert_eq!(
            placement(&at(2000, 10, 1000, 800), &[SCREEN, RIGHT]),
            (Some((2000, 10)), (1000, 800))
        );
    }

    #[test]
    fn a_place_on_an_unplugged_monitor_falls_back_to_the_centre_of_the_first() {
        // The second screen is gone: the window was on it.
        assert_eq!(placement(&at(2000, 10, 1000, 800), &[SCREEN]), (None, (1000, 800)));
        // Above the screen, title bar out of reach.
        assert_eq!(placement(&at(100, -500, 800, 400), &[SCREEN]), (None, (800, 400)));
    }

    #[test]
    fn a_window_bigger_than_its_monitor_is_made_to_fit() {
        assert_eq!(
            placement(&at(1920, 0, 2560, 1440), &[SCREEN, RIGHT]),
            (Some((1920, 0)), (1280, 1024))
        );
        assert_eq!(placement(&at(5000, 0, 2560, 1440), &[SCREEN]), (None, (1920, 1080)));
    }

    #[test]
    fn a_missing_or_unreadable_file_is_a_first_start() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = DataDir::at(tmp.path());
        assert_eq!(load(&dir), None);
        std::fs::write(file(&dir), b"{not json").expect("write");
        assert_eq!(load(&dir), None);
        std::fs::write(file(&dir), br#"{"maximized":false,"x":1,"y":2,"width":0,"height":5}"#).expect("write");
        assert_eq!(load(&dir), None, "a zero size is not a place");
        let saved = at(10, 20, 1100, 650);
        std::fs::write(file(&dir), serde_json::to_vec(&saved).expect("json")).expect("write");
        assert_eq!(load(&dir), Some(saved));
    }
}
