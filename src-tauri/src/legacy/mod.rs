//! Legacy mode: the shop's old HTML POS (`home.html` + `shared.js`) runs
//! unchanged in a window of its own, on Sonic POS's store and backups.
//!
//! - **Where it comes from.** The owner sets the old POS's folder in
//!   Settings › Old POS (a setting of this installation) or starts with
//!   `--legacy DIR`. The window (label [`LABEL`]) loads `home.html` (or
//!   `index.html`) from that folder through the custom protocol [`SCHEME`],
//!   never `file://`. Only files inside the folder are served (no `..`, no
//!   symlink out of it); every answer carries [`CSP`]: the page's own
//!   scripts and styles (inline too, as such pages need), nothing from the
//!   network. Navigation out of the protocol is refused.
//! - **What it may call.** No Tauri command: capabilities/legacy.json grants
//!   the window nothing, so `invoke` is refused for every command of the
//!   app. The bridge below is the page's only way in, and the protocol
//!   answers only requests of this window.
//! - **The localStorage bridge** (`bridge.js`, an initialization script run
//!   before the page's scripts): `GET /__sonic__/state` gives the 16
//!   sections as `localStorage` kept them, once, before the page starts;
//!   `POST /__sonic__/write` stores one section's new value through
//!   [`sonic_core::legacy::write_section`] (validated like an import of that
//!   section, merged with what other paths stored since, one transaction).
//!   Both are synchronous requests, so writes are ordered and each
//!   `setItem` returns once its value is stored or refused. The three
//!   counters are read fresh at each `getItem` (`GET /__sonic__/read`), so
//!   the page never issues a number the Sale screen issued meanwhile. A refused value
//!   is logged and answered with the stored value, which the bridge puts
//!   back and shows the message in a banner. `sonic_security_state` is read
//!   only: users and PINs are managed in Settings › Users.
//! - **`api/*.php`.** `POST api/backup.php` is Backup Now ([`crate::backup::run`],
//!   the menu's backup, pushed when a server is set), answered with the JSON
//!   the old page expects; any other `api/*.php` is answered "not available
//!   in Sonic POS" and logged.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use serde::Deserialize;
use serde_json::{json, Value};
use sonic_core::legacy::Seen;
use sonic_core::sections::SectionKind;
use sonic_core::SectionKey;
use tauri::http::{header, Request, Response, StatusCode};
use tauri::{AppHandle, Manager as _, UriSchemeContext, UriSchemeResponder, WebviewUrl, WebviewWindowBuilder};

use crate::error::{Code, UiError};
use crate::{lock_store, AppState};

/// The custom protocol the old POS is served from.
pub(crate) const SCHEME: &str = "sonic-legacy";
/// The label of the old POS's window (capabilities/legacy.json).
pub(crate) const LABEL: &str = "legacy";
/// The installation setting that holds the old POS's folder.
pub(crate) const SETTING: &str = "legacy_pos_folder";

/// Every answer's Content-Security-Policy: the page's own files, inline
/// scripts and styles (old pages use `onclick="…"` and `<style>`), images
/// as data URLs; no network, no plugins, no frames from elsewhere.
pub(crate) const CSP: &str = "default-src 'self'; script-src 'self' 'unsafe-inline'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; \
     connect-src 'self'; media-src 'self'; object-src 'none'; base-uri 'self'; \
     form-action 'self'; frame-src 'self'; worker-src 'none'";

const BRIDGE_JS: &str = include_str!("bridge.js");

/// What legacy mode keeps: the folder the window serves and what the page
/// has seen of each section since it loaded.
#[derive(Debug, Default)]
pub(crate) struct Legacy {
    /// From `--legacy DIR`; otherwise the setting is read when the window opens.
    flag: Option<PathBuf>,
    serving: Mutex<Option<PathBuf>>,
    page: Mutex<Page>,
}

#[derive(Debug, Default)]
struct Page {
    /// Changes at every load of the page, so a write from before a reload
    /// is not merged against the new load's copy.
    session: String,
    seen: HashMap<SectionKey, Seen>,
}

impl Legacy {
    pub(crate) fn new(flag: Option<PathBuf>) -> Legacy {
        Legacy {
            flag,
            ..Legacy::default()
        }
    }

    /// Whether the app was started with `--legacy DIR`.
    pub(crate) fn opened_by_flag(&self) -> bool {
        self.flag.is_some()
    }
}

/// Checks a folder the owner gives: it exists and holds `home.html` or
/// `index.html`. Returns the page to open.
pub(crate) fn entry_page(folder: &Path) -> Result<&'static str, UiError> {
    if !folder.is_absolute() {
        return Err(UiError::new(
            Code::Validation,
            format!(
                "{} is not a full path; give the old POS's folder from the drive or /",
                folder.display()
            ),
        ));
    }
    if !folder.is_dir() {
        return Err(UiError::new(
            Code::NotFound,
            format!(
                "the old POS folder {} does not exist or is not a folder",
                folder.display()
            ),
        ));
    }
    ["home.html", "index.html"]
        .into_iter()
        .find(|page| folder.join(page).is_file())
        .ok_or_else(|| {
            UiError::new(
                Code::NotFound,
                format!("the folder {} has no home.html or index.html", folder.display()),
            )
        })
}

/// The folder to serve: `--legacy DIR`, else the one saved in Settings.
fn folder(app: &AppHandle) -> Result<PathBuf, UiError> {
    let legacy = app.state::<Legacy>();
    if let Some(dir) = &legacy.flag {
        return Ok(dir.clone());
    }
    let state = app.state::<AppState>();
    let saved = lock_store(&state.store()).setting(SETTING)?;
    saved
        .filter(|s| !s.trim().is_empty())
        .map(PathBuf::from)
        .ok_or_else(|| {
            UiError::new(
                Code::NotFound,
                "no old POS folder is set; the owner sets it in Settings › Old POS",
            )
        })
}

/// The protocol's origin, as the webview spells it on this platform.
fn origin() -> String {
    // Tauri's own rule (UriSchemeContext docs): Windows and Android reach a
    // custom protocol as http://<scheme>.localhost.
    if cfg!(any(windows, target_os = "android")) {
        format!("http://{SCHEME}.localhost")
    } else {
        format!("{SCHEME}://localhost")
    }
}

/// Opens the old POS's window, or brings it forward when it is open.
pub(crate) fn open(app: &AppHandle) -> Result<(), UiError> {
    if let Some(window) = app.get_webview_window(LABEL) {
        let _ = window.unminimize();
        window.set_focus()?;
        return Ok(());
    }
    let dir = folder(app)?;
    let page = entry_page(&dir)?;
    let dir = dir.canonicalize().map_err(|e| {
        UiError::new(
            Code::Storage,
            format!("cannot open the old POS folder {}: {e}", dir.display()),
        )
    })?;
    *app.state::<Legacy>().serving.lock().unwrap_or_else(|p| p.into_inner()) = Some(dir.clone());
    let url: tauri::Url = format!("{}/{page}", origin())
        .parse()
        .map_err(|e| UiError::new(Code::Internal, format!("the old POS's address: {e}")))?;
    tracing::info!(folder = %dir.display(), "opening the old POS (legacy mode)");
    let allowed = origin();
    WebviewWindowBuilder::new(app, LABEL, WebviewUrl::CustomProtocol(url))
        .title("Sonic POS — old POS")
        .inner_size(1280.0, 800.0)
        .initialization_script(BRIDGE_JS)
        .on_navigation(move |url| {
            let ok = url.as_str().starts_with(&allowed);
            if !ok {
                tracing::warn!(%url, "the old POS tried to leave its folder; refused");
            }
            ok
        })
        .build()?;
    Ok(())
}

/// Event sent to the main window when the menu's Open old POS fails; payload [`UiError`].
pub(crate) const FAILED: &str = "legacy-failed";

/// The menu's Open old POS: anyone signed in. A failure (nobody signed in,
/// no folder set) reaches the main window as a [`FAILED`] event.
pub(crate) fn open_from_menu(app: &AppHandle) {
    let result = app.state::<AppState>().op_ctx().map(drop).and_then(|()| open(app));
    if let Err(err) = result {
        tracing::warn!("Open old POS: {}", err.message);
        crate::backup::emit(app, FAILED, err);
    }
}

/// The custom protocol's handler (registered in lib.rs).
pub(crate) fn handle(ctx: UriSchemeContext<'_, tauri::Wry>, request: Request<Vec<u8>>, responder: UriSchemeResponder) {
    let app = ctx.app_handle().clone();
    if ctx.webview_label() != LABEL {
        tracing::warn!(
            webview = ctx.webview_label(),
            "a window other than the old POS's asked its protocol; refused"
        );
        responder.respond(answer(StatusCode::FORBIDDEN, "text/plain", b"not this window".to_vec()));
        return;
    }
    let path = decode(request.uri().path());
    let method = request.method().clone();
    tauri::async_runtime::spawn(async move {
        let response = match (method.as_str(), path.as_str()) {
            ("GET", "/__sonic__/state") => state(&app).await,
            ("POST", "/__sonic__/write") => write(&app, request.into_body()).await,
            ("GET", "/__sonic__/read") => read_counter(&app, request.uri().query().unwrap_or_default()).await,
            (_, p) if p.starts_with("/api/") && p.ends_with(".php") => api(&app, method.as_str(), p).await,
            ("GET" | "HEAD", p) => file(&app, p),
            (m, p) => {
                tracing::warn!(method = m, path = p, "old POS request not served");
                answer(StatusCode::METHOD_NOT_ALLOWED, "text/plain", b"not served".to_vec())
            }
        };
        responder.respond(response);
    });
}

fn answer(status: StatusCode, content_type: &str, body: Vec<u8>) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header("Content-Security-Policy", CSP)
        .header(header::CACHE_CONTROL, "no-store")
        .body(body)
        .unwrap_or_else(|_| Response::new(Vec::new()))
}

fn json_answer(status: StatusCode, value: &Value) -> Response<Vec<u8>> {
    answer(status, "application/json", value.to_string().into_bytes())
}

/// `GET /__sonic__/state`: the 16 sections, and a new session.
async fn state(app: &AppHandle) -> Response<Vec<u8>> {
    let state = app.state::<AppState>();
    let read = crate::commands::with_reader(&state, |reader| {
        SectionKey::ALL
            .into_iter()
            .map(|key| sonic_core::legacy::read_section(reader, key).map(|(text, seen)| (key, text, seen)))
            .collect::<sonic_core::Result<Vec<_>>>()
    })
    .await;
    match read {
        Ok(sections) => {
            let session = uuid::Uuid::new_v4().simple().to_string();
            let mut values = serde_json::Map::new();
            let mut seen = HashMap::new();
            for (key, text, s) in sections {
                values.insert(key.as_str().to_string(), text.map_or(Value::Null, Value::String));
                seen.insert(key, s);
            }
            *app.state::<Legacy>().page.lock().unwrap_or_else(|p| p.into_inner()) = Page {
                session: session.clone(),
                seen,
            };
            tracing::info!("the old POS loaded the store's 16 sections");
            let fresh: Vec<&str> = SectionKey::ALL
                .into_iter()
                .filter(|k| k.kind() == SectionKind::Counter)
                .map(SectionKey::as_str)
                .collect();
            json_answer(
                StatusCode::OK,
                &json!({ "session": session, "sections": values, "fresh": fresh }),
            )
        }
        Err(err) => {
            tracing::error!("the old POS could not load the sections: {}", err.message);
            json_answer(StatusCode::INTERNAL_SERVER_ERROR, &json!({ "message": err.message }))
        }
    }
}

/// `GET /__sonic__/read?key=sonic_invoice_counter`: a counter as stored now.
async fn read_counter(app: &AppHandle, query: &str) -> Response<Vec<u8>> {
    let key = query
        .strip_prefix("key=")
        .and_then(SectionKey::from_key)
        .filter(|k| k.kind() == SectionKind::Counter);
    let Some(key) = key else {
        return json_answer(
            StatusCode::BAD_REQUEST,
            &json!({ "message": "only a counter is read alone" }),
        );
    };
    let state = app.state::<AppState>();
    match crate::commands::with_reader(&state, move |reader| sonic_core::legacy::read_section(reader, key)).await {
        Ok((text, _)) => json_answer(StatusCode::OK, &json!({ "value": text })),
        Err(err) => json_answer(StatusCode::INTERNAL_SERVER_ERROR, &json!({ "message": err.message })),
    }
}

#[derive(Deserialize)]
struct WriteRequest {
    session: Option<String>,
    key: String,
    value: Option<String>,
}

/// `POST /__sonic__/write`: one section's new value.
async fn write(app: &AppHandle, body: Vec<u8>) -> Response<Vec<u8>> {
    let request: WriteRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return json_answer(
                StatusCode::BAD_REQUEST,
                &json!({ "message": format!("not a write request ({e})") }),
            )
        }
    };
    let Some(key) = SectionKey::from_key(&request.key) else {
        return json_answer(
            StatusCode::BAD_REQUEST,
            &json!({ "message": format!("{} is not one of the 16 sections", request.key) }),
        );
    };
    let app2 = app.clone();
    let result = tauri::async_runtime::spawn_blocking(move || write_blocking(&app2, key, request)).await;
    match result {
        Ok(response) => response,
        Err(e) => json_answer(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({ "message": format!("the write stopped: {e}") }),
        ),
    }
}

fn write_blocking(app: &AppHandle, key: SectionKey, request: WriteRequest) -> Response<Vec<u8>> {
    let legacy = app.state::<Legacy>();
    let state = app.state::<AppState>();
    // Held across the write: writes of the page are applied one at a time,
    // each against what the page had seen after the one before.
    let mut page = legacy.page.lock().unwrap_or_else(|p| p.into_inner());
    let store = state.store();
    let mut store = lock_store(&store);
    let refused = if request.session.as_deref() != Some(page.session.as_str()) || page.session.is_empty() {
        Some("the page was reloaded or Sonic POS restarted since it read its data; reload the page".to_string())
    } else if key == SectionKey::SecurityState {
        Some(format!(
            "{key} (users and PINs) cannot be changed from the old POS; manage users in Sonic POS, Settings › Users"
        ))
    } else {
        let seen = page.seen.get(&key).cloned().unwrap_or_default();
        match sonic_core::legacy::write_section(&mut store, key, request.value.as_deref(), &seen) {
            Ok(written) => {
                tracing::info!(
                    section = %key,
                    added = written.added,
                    updated = written.updated,
                    removed = written.removed,
                    "the old POS wrote a section"
                );
                page.seen.insert(key, written.seen);
                None
            }
            Err(err) => Some(err.to_string()),
        }
    };
    let Some(message) = refused else {
        return json_answer(StatusCode::OK, &json!({ "ok": true }));
    };
    tracing::warn!(section = %key, "the old POS's value was refused and not stored: {message}");
    // The page's copy goes back to what is stored, and so does what it has seen.
    match sonic_core::legacy::read_section(&*store, key) {
        Ok((text, seen)) => {
            page.seen.insert(key, seen);
            json_answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                &json!({ "message": message, "value": text }),
            )
        }
        Err(err) => json_answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            &json!({ "message": format!("{message}; reading the stored value failed too: {err}") }),
        ),
    }
}

/// `api/*.php`: backup.php is Backup Now, the rest is not available.
async fn api(app: &AppHandle, method: &str, path: &str) -> Response<Vec<u8>> {
    if path == "/api/backup.php" && method == "POST" {
        return match crate::backup::run(app, sonic_core::backup::reason::MANUAL).await {
            Ok(backup) => {
                tracing::info!(id = %backup.id, "the old POS's Backup Now wrote a backup");
                json_answer(
                    StatusCode::OK,
                    &json!({
                        "success": true,
                        "backup_id": backup.id,
                        "id": backup.id,
                        "message": format!("Backup saved by Sonic POS (id {})", backup.id),
                    }),
                )
            }
            Err(err) => json_answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                &json!({ "success": false, "message": format!("Backup failed: {}", err.message) }),
            ),
        };
    }
    tracing::warn!(
        method,
        path,
        "the old POS called a server script that Sonic POS does not have"
    );
    json_answer(
        StatusCode::NOT_IMPLEMENTED,
        &json!({
            "success": false,
            "message": format!("{} is not available in Sonic POS", path.trim_start_matches('/')),
        }),
    )
}

/// A file of the old POS's folder.
fn file(app: &AppHandle, path: &str) -> Response<Vec<u8>> {
    let not_found = || answer(StatusCode::NOT_FOUND, "text/plain", b"not found".to_vec());
    let Some(root) = app
        .state::<Legacy>()
        .serving
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
    else {
        return not_found();
    };
    let relative = Path::new(path.trim_start_matches('/'));
    if relative.components().any(|c| !matches!(c, Component::Normal(_))) {
        tracing::warn!(path, "the old POS asked for a path outside its folder; refused");
        return not_found();
    }
    let Ok(full) = root.join(relative).canonicalize() else {
        return not_found();
    };
    if !full.starts_with(&root) || !full.is_file() {
        tracing::warn!(path, "the old POS asked for a file outside its folder; refused");
        return not_found();
    }
    match std::fs::read(&full) {
        Ok(bytes) => answer(StatusCode::OK, content_type(&full), bytes),
        Err(e) => {
            tracing::warn!(path = %full.display(), "reading an old POS file: {e}");
            not_found()
        }
    }
}

fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("svg") => "image/svg+xml",
        Some("ico") => "image/x-icon",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("ttf") => "font/ttf",
        _ => "application/octet-stream",
    }
}

/// Percent-decodes a URL path (`%20` → space); bad escapes stay as they are.
fn decode(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| char::from(b).to_digit(16);
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(u8::try_from(hi * 16 + lo).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_decoded_and_a_bad_escape_is_kept() {
        assert_eq!(decode("/my%20pos/home.html"), "/my pos/home.html");
        assert_eq!(decode("/%D8%B3.js"), "/س.js");
        assert_eq!(decode("/a%2"), "/a%2");
        assert_eq!(decode("/a%zz"), "/a%zz");
    }

    #[test]
    fn a_folder_needs_a_home_page() {
        let tmp = tempfile::tempdir().unwrap();
        let err = entry_page(tmp.path()).unwrap_err();
        assert_eq!(err.code, Code::NotFound);
        assert!(err.message.contains("home.html"), "{}", err.message);
        std::fs::write(tmp.path().join("index.html"), "<p>").unwrap();
        assert_eq!(entry_page(tmp.path()).unwrap(), "index.html");
        std::fs::write(tmp.path().join("home.html"), "<p>").unwrap();
        assert_eq!(entry_page(tmp.path()).unwrap(), "home.html");
        assert_eq!(entry_page(Path::new("relative")).unwrap_err().code, Code::Validation);
    }

    #[test]
    fn the_policy_allows_nothing_from_the_network() {
        for part in ["default-src 'self'", "connect-src 'self'", "object-src 'none'"] {
            assert!(CSP.contains(part), "{part}");
        }
        assert!(!CSP.contains("http"), "no remote origin in {CSP}");
    }
}
