//! Talking to the app's window as the window manager would. Xvfb runs no
//! window manager, so the tests send the close request themselves: the
//! `WM_DELETE_WINDOW` client message that a click on the title bar's close
//! button sends. GTK turns it into a close request, which is exactly the
//! path the app's close hook guards.

use anyhow::{bail, Context as _};
use x11rb::connection::Connection as _;
use x11rb::protocol::xproto::{AtomEnum, ClientMessageEvent, ConnectionExt as _, EventMask, Window};
use x11rb::rust_connection::RustConnection;

use crate::display::Display;

struct Atoms {
    wm_protocols: u32,
    wm_delete_window: u32,
    net_wm_name: u32,
    utf8_string: u32,
}

/// A connection to the display, the atoms the window lookups use, and the root window.
fn connect(display: &Display) -> anyhow::Result<(RustConnection, Atoms, Window)> {
    let (conn, screen) =
        x11rb::connect(Some(&display.name)).with_context(|| format!("connecting to X display {}", display.name))?;
    let root = conn
        .setup()
        .roots
        .get(screen)
        .context("the X display has no screen")?
        .root;
    let atom = |name: &[u8]| -> anyhow::Result<u32> { Ok(conn.intern_atom(false, name)?.reply()?.atom) };
    let atoms = Atoms {
        wm_protocols: atom(b"WM_PROTOCOLS")?,
        wm_delete_window: atom(b"WM_DELETE_WINDOW")?,
        net_wm_name: atom(b"_NET_WM_NAME")?,
        utf8_string: atom(b"UTF8_STRING")?,
    };
    Ok((conn, atoms, root))
}

/// Asks the top-level window titled `title` to close.
pub(crate) fn request_close(display: &Display, title: &str) -> anyhow::Result<()> {
    let (conn, atoms, root) = connect(display)?;
    let windows = find_titled(&conn, &atoms, root, title)?;
    if windows.is_empty() {
        bail!("no window titled {title:?} on display {}", display.name);
    }
    for window in windows {
        let event = ClientMessageEvent::new(
            32,
            window,
            atoms.wm_protocols,
            [atoms.wm_delete_window, x11rb::CURRENT_TIME, 0, 0, 0],
        );
        conn.send_event(false, window, EventMask::NO_EVENT, event)?;
    }
    conn.flush()?;
    Ok(())
}

/// Whether a top-level window titled `title` (one that takes close requests) is there.
pub(crate) fn is_shown(display: &Display, title: &str) -> anyhow::Result<bool> {
    let (conn, atoms, root) = connect(display)?;
    Ok(!find_titled(&conn, &atoms, root, title)?.is_empty())
}

/// Whether a top-level window titled `title` is on the screen now (mapped:
/// a dialog that was answered may stay as an unmapped window).
pub(crate) fn is_viewable(display: &Display, title: &str) -> anyhow::Result<bool> {
    let (conn, atoms, root) = connect(display)?;
    Ok(!find_viewable(&conn, &atoms, root, title)?.is_empty())
}

fn find_viewable(conn: &RustConnection, atoms: &Atoms, root: Window, title: &str) -> anyhow::Result<Vec<Window>> {
    use x11rb::protocol::xproto::MapState;
    let mut viewable = Vec::new();
    for window in find_titled(conn, atoms, root, title)? {
        if conn.get_window_attributes(window)?.reply()?.map_state == MapState::VIEWABLE {
            viewable.push(window);
        }
    }
    Ok(viewable)
}

fn find_titled(conn: &RustConnection, atoms: &Atoms, root: Window, title: &str) -> anyhow::Result<Vec<Window>> {
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(window) = stack.pop() {
        if window_title(conn, atoms, window)?.as_deref() == Some(title) && accepts_delete(conn, atoms, window)? {
            found.push(window);
        }
        stack.extend(conn.query_tree(window)?.reply()?.children);
    }
    Ok(found)
}

fn window_title(conn: &RustConnection, atoms: &Atoms, window: Window) -> anyhow::Result<Option<String>> {
    let utf8 = conn
        .get_property(false, window, atoms.net_wm_name, atoms.utf8_string, 0, 256)?
        .reply()?;
    if !utf8.value.is_empty() {
        return Ok(Some(String::from_utf8_lossy(&utf8.value).into_owned()));
    }
    let latin1 = conn
        .get_property(false, window, AtomEnum::WM_NAME, AtomEnum::STRING, 0, 256)?
        .reply()?;
    Ok((!latin1.value.is_empty()).then(|| String::from_utf8_lossy(&latin1.value).into_owned()))
}

fn accepts_delete(conn: &RustConnection, atoms: &Atoms, window: Window) -> anyhow::Result<bool> {
    let protocols = conn
        .get_property(false, window, atoms.wm_protocols, AtomEnum::ATOM, 0, 32)?
        .reply()?;
    Ok(protocols
        .value32()
        .is_some_and(|mut atoms_iter| atoms_iter.any(|a| a == atoms.wm_delete_window)))
}

/// Saves a PNG of the top-level window titled `title` (menu bar included),
/// as it is on the X display.
pub(crate) fn capture(display: &Display, title: &str, path: &std::path::Path) -> anyhow::Result<()> {
    let (conn, atoms, root) = connect(display)?;
    let window = *find_titled(&conn, &atoms, root, title)?
        .first()
        .with_context(|| format!("no window titled {title:?} to capture"))?;
    capture_window(&conn, window, path)
}

/// Saves a PNG of the whole screen of `display`: what a user would see,
/// dialogs included.
pub(crate) fn capture_screen(display: &Display, path: &std::path::Path) -> anyhow::Result<()> {
    let (conn, _, root) = connect(display)?;
    capture_window(&conn, root, path)
}

fn capture_window(conn: &RustConnection, window: Window, path: &std::path::Path) -> anyhow::Result<()> {
    use x11rb::protocol::xproto::ImageFormat;

    let geometry = conn.get_geometry(window)?.reply()?;
    let (width, height) = (geometry.width, geometry.height);
    let image = conn
        .get_image(ImageFormat::Z_PIXMAP, window, 0, 0, width, height, u32::MAX)?
        .reply()?;
    if image.depth != 24 || image.data.len() != usize::from(width) * usize::from(height) * 4 {
        bail!(
            "unexpected X image format (depth {}, {} bytes); run Xvfb with a 24-bit screen",
            image.depth,
            image.data.len()
        );
    }
    // 24-bit Z pixmaps come as little-endian BGRX.
    let rgb: Vec<u8> = image
        .data
        .chunks_exact(4)
        .flat_map(|px| [px[2], px[1], px[0]])
        .collect();
    let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), u32::from(width), u32::from(height));
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header()?.write_image_data(&rgb)?;
    Ok(())
}

/// One thing to type with [`type_keys`].
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    /// Ctrl and a letter, e.g. `Ctrl('l')`.
    Ctrl(char),
    /// Printable ASCII, each character with Shift where the keyboard needs it
    /// (capitals, `_`, `~`, …).
    Text(&'a str),
    /// The Return key.
    Return,
}

const XK_RETURN: u32 = 0xff0d;
const XK_SHIFT_L: u32 = 0xffe1;
const XK_CONTROL_L: u32 = 0xffe3;

/// The X keyboard's mapping: which key gives a keysym, and whether Shift is
/// held for it.
struct Keyboard {
    min: u8,
    per: usize,
    keysyms: Vec<u32>,
}

impl Keyboard {
    fn read(conn: &RustConnection) -> anyhow::Result<Keyboard> {
        let setup = conn.setup();
        let (min, max) = (setup.min_keycode, setup.max_keycode);
        let mapping = conn.get_keyboard_mapping(min, max - min + 1)?.reply()?;
        Ok(Keyboard {
            min,
            per: usize::from(mapping.keysyms_per_keycode).max(1),
            keysyms: mapping.keysyms,
        })
    }

    /// The key that gives `keysym`: unshifted (the key's first column) if
    /// some key does, else with Shift (its second column).
    fn key(&self, keysym: u32) -> anyhow::Result<(u8, bool)> {
        for (column, shift) in [(0, false), (1, true)] {
            let found = self
                .keysyms
                .chunks(self.per)
                .position(|syms| syms.get(column) == Some(&keysym))
                .and_then(|i| u8::try_from(i).ok());
            if let Some(i) = found {
                return Ok((self.min + i, shift));
            }
        }
        bail!("no key on the X keyboard gives keysym {keysym:#x}")
    }
}

/// The keysym of a printable ASCII character: Latin-1 keysyms are the
/// characters' own codes.
fn keysym_of(c: char) -> anyhow::Result<u32> {
    if c == ' ' || c.is_ascii_graphic() {
        Ok(u32::from(c))
    } else {
        bail!("{c:?} cannot be typed: only printable ASCII is on the test keyboard")
    }
}

/// Types `keys` into the top-level window titled `title` through the XTEST
/// extension: real X key events, which GTK routes to the window's
/// accelerators (the native menu's shortcuts) and to native dialogs such as
/// the file chooser. WebDriver's own key actions go straight into the page
/// and never reach either.
pub(crate) fn type_keys(display: &Display, title: &str, keys: &[Key<'_>]) -> anyhow::Result<()> {
    use x11rb::protocol::xproto::InputFocus;
    use x11rb::protocol::xtest::ConnectionExt as _;

    const KEY_PRESS: u8 = 2;
    const KEY_RELEASE: u8 = 3;

    let (conn, atoms, root) = connect(display)?;
    let window = *find_viewable(&conn, &atoms, root, title)?
        .first()
        .with_context(|| format!("no window titled {title:?} on the screen to type into"))?;

    // No window manager runs on Xvfb to give the window the focus.
    conn.set_input_focus(InputFocus::PARENT, window, x11rb::CURRENT_TIME)?;

    let keyboard = Keyboard::read(&conn)?;
    let (control, _) = keyboard.key(XK_CONTROL_L)?;
    let (shift, _) = keyboard.key(XK_SHIFT_L)?;
    // (key, with this modifier held)
    let mut strokes: Vec<(u8, Option<u8>)> = Vec::new();
    for key in keys {
        match *key {
            Key::Ctrl(letter) => {
                let (code, _) = keyboard.key(keysym_of(letter.to_ascii_lowercase())?)?;
                strokes.push((code, Some(control)));
            }
            Key::Text(text) => {
                for c in text.chars() {
                    let (code, shifted) = keyboard.key(keysym_of(c)?)?;
                    strokes.push((code, shifted.then_some(shift)));
                }
            }
            Key::Return => strokes.push((keyboard.key(XK_RETURN)?.0, None)),
        }
    }
    let fake = |kind: u8, code: u8| conn.xtest_fake_input(kind, code, x11rb::CURRENT_TIME, root, 0, 0, 0);
    for (code, modifier) in strokes {
        if let Some(m) = modifier {
            fake(KEY_PRESS, m)?;
        }
        fake(KEY_PRESS, code)?;
        fake(KEY_RELEASE, code)?;
        if let Some(m) = modifier {
            fake(KEY_RELEASE, m)?;
        }
    }
    // A round trip, so the events are processed before we return.
    conn.get_input_focus()?.reply()?;
    Ok(())
}

/// Whether a window manager runs on the display (it sets the root's
/// `_NET_SUPPORTING_WM_CHECK` once it manages windows).
pub(crate) fn wm_running(display: &Display) -> anyhow::Result<bool> {
    let (conn, _, root) = connect(display)?;
    let check = conn.intern_atom(false, b"_NET_SUPPORTING_WM_CHECK")?.reply()?.atom;
    let value = conn.get_property(false, root, check, AtomEnum::WINDOW, 0, 1)?.reply()?;
    Ok(value.value32().is_some_and(|mut v| v.next().is_some()))
}

/// Whether the window manager shows the top-level window titled `title`
/// maximized (`_NET_WM_STATE` holds both maximized states).
pub(crate) fn is_maximized(display: &Display, title: &str) -> anyhow::Result<bool> {
    let (conn, atoms, root) = connect(display)?;
    let atom = |name: &[u8]| -> anyhow::Result<u32> { Ok(conn.intern_atom(false, name)?.reply()?.atom) };
    let state = atom(b"_NET_WM_STATE")?;
    let wanted = [
        atom(b"_NET_WM_STATE_MAXIMIZED_VERT")?,
        atom(b"_NET_WM_STATE_MAXIMIZED_HORZ")?,
    ];
    let windows = find_viewable(&conn, &atoms, root, title)?;
    let window = *windows
        .first()
        .with_context(|| format!("no window titled {title:?} on display {}", display.name))?;
    let value = conn
        .get_property(false, window, state, AtomEnum::ATOM, 0, 32)?
        .reply()?;
    let held: Vec<u32> = value.value32().map(Iterator::collect).unwrap_or_default();
    Ok(wanted.iter().all(|w| held.contains(w)))
}
