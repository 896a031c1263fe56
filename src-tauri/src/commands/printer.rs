//! Settings › Printer and printing on the till's receipt printer: the
//! settings (any signed-in user reads them, the screens need the paper
//! width; a manager or the owner changes them), a paper the webview drew,
//! and the manager's "Open drawer".
//!
//! A paper crosses IPC as raw bytes (Tauri 2's raw request body, not a JSON
//! array of numbers): the packed 1-bit rows, with the width and what the
//! print is for in headers.

use serde::Serialize;
use sonic_core::ops::{cash, sale};
use sonic_core::sections::Role;
use tauri::ipc::{InvokeBody, Request};
use tauri::State;

use super::sale::Approval;
use super::{as_user, as_user_or_approver, with_store};
use crate::error::{Code, UiError};
use crate::printer::escpos::{self, Drawer, Raster};
use crate::printer::{transport, Connection, PrinterSettings};
use crate::AppState;

/// The printer settings and the dots across the paper.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PrinterView {
    settings: PrinterSettings,
    dots: usize,
}

fn view(settings: PrinterSettings) -> PrinterView {
    PrinterView {
        dots: settings.dots(),
        settings,
    }
}

#[tauri::command]
pub(crate) async fn printer_settings(state: State<'_, AppState>) -> Result<PrinterView, UiError> {
    as_user(&state, |store, _| PrinterSettings::load(store)).await.map(view)
}

/// Saves Settings › Printer (manager or owner), checked first.
#[tauri::command]
pub(crate) async fn set_printer_settings(
    state: State<'_, AppState>,
    settings: PrinterSettings,
) -> Result<PrinterView, UiError> {
    save_settings(&state, settings).await
}

async fn save_settings(state: &AppState, settings: PrinterSettings) -> Result<PrinterView, UiError> {
    let settings = settings.checked()?;
    let saved = as_user(state, move |store, ctx| {
        ctx.actor.require(Role::Manager, "changing the printer")?;
        settings.save(store)?;
        PrinterSettings::load(store)
    })
    .await?;
    tracing::info!(connection = ?saved.connection, paper = saved.paper_mm, "printer settings saved");
    Ok(view(saved))
}

/// What a printed paper did.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Printed {
    /// Whether the drawer was kicked open with it.
    drawer_opened: bool,
}

fn header<'a>(request: &'a Request<'_>, name: &str) -> Option<&'a str> {
    request.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Prints one paper the webview drew: the body is the rows of a 1-bit
/// picture (`x-sonic-width` dots wide, the configured paper's), most
/// significant bit first, 1 = black. `x-sonic-copies` (1 to 5, default 1)
/// copies; `x-sonic-drawer: invoice:<number>` kicks the drawer when that
/// invoice was paid (partly) in cash, `x-sonic-drawer: cash` for a debt
/// payment just taken. An empty body with a drawer kick only kicks the
/// drawer (a cash sale while printing after a sale is off). Needs someone
/// signed in.
#[tauri::command]
pub(crate) async fn print_paper(state: State<'_, AppState>, request: Request<'_>) -> Result<Printed, UiError> {
    let InvokeBody::Raw(rows) = request.body() else {
        return Err(
            UiError::new(Code::Validation, "a paper to print arrives as bytes, not JSON")
                .with("reason", "paperNotBytes"),
        );
    };
    let width: usize = header(&request, "x-sonic-width")
        .and_then(|w| w.parse().ok())
        .ok_or_else(|| {
            UiError::new(Code::Validation, "the paper's width in dots (x-sonic-width) is missing")
                .with("reason", "paperWidthMissing")
        })?;
    let copies: u8 = match header(&request, "x-sonic-copies") {
        None => 1,
        Some(c) => c.parse().ok().filter(|c| (1..=5).contains(c)).ok_or_else(|| {
            UiError::new(Code::Validation, format!("copies: 1 to 5, not {c:?}"))
                .with("reason", "copiesRange")
                .with("copies", c)
        })?,
    };
    let drawer = header(&request, "x-sonic-drawer").unwrap_or("").to_string();
    // No picture: only the drawer (a cash sale with printing after a sale off).
    let image = if rows.is_empty() {
        None
    } else {
        Some(
            Raster::new(width, rows.clone())
                .map_err(|e| UiError::new(Code::Validation, e.to_string()).with("reason", "paperUnprintable"))?,
        )
    };
    let (settings, kick) = as_user(&state, move |store, _| {
        let settings = PrinterSettings::load(store)?;
        let kick = match drawer.as_str() {
            "" => false,
            "cash" => true,
            other => match other.strip_prefix("invoice:").and_then(|n| n.parse::<u64>().ok()) {
                // Cash tendered opens the drawer; a sale on credit does not.
                Some(number) => {
                    sale::invoice_by_number(store, number)?.is_some_and(|inv| inv.payments.iter().any(|p| p.amount > 0))
                }
                None => {
                    return Err(sonic_core::Error::Invalid(format!(
                        "x-sonic-drawer is invoice:<number> or cash, not {other:?}"
                    )))
                }
            },
        };
        Ok((settings, kick))
    })
    .await?;
    if settings.connection == Connection::None {
        return Err(UiError::new(
            Code::NotFound,
            "no receipt printer is set up; choose one in Settings › Printer",
        )
        .with("reason", "noPrinter"));
    }
    if width != settings.dots() {
        return Err(UiError::new(
            Code::Validation,
            format!(
                "the paper was drawn {width} dots wide but the printer's paper is {} mm ({} dots); print again",
                settings.paper_mm,
                settings.dots()
            ),
        )
        .with("reason", "paperWidthChanged")
        .with("width", width)
        .with("paper", settings.paper_mm)
        .with("dots", settings.dots()));
    }
    let bytes = match &image {
        Some(image) => escpos::job(image, copies, if kick { Drawer::Open } else { Drawer::Closed }),
        None if kick => escpos::drawer_only(),
        None => {
            return Err(
                UiError::new(Code::Validation, "nothing to print: the paper is empty").with("reason", "paperEmpty")
            )
        }
    };
    send(settings.connection, bytes).await?;
    let height = image.as_ref().map_or(0, Raster::height);
    tracing::info!(width, height, copies, drawer = kick, "printed");
    Ok(Printed { drawer_opened: kick })
}

async fn send(connection: Connection, bytes: Vec<u8>) -> Result<(), UiError> {
    tauri::async_runtime::spawn_blocking(move || transport::send(&connection, "Sonic POS", &bytes))
        .await?
        .map_err(|e| {
            tracing::warn!("{e}");
            unreachable_error(&e)
        })
}

/// The printer that did not answer, named as the user set it up (its
/// address, device or name); the system's own words stay in the message.
fn unreachable_error(e: &transport::Unreachable) -> UiError {
    UiError::new(Code::PrinterOffline, e.to_string())
        .with("reason", "printerUnreachable")
        .with("printer", e.target.as_str())
}

/// A manager's "Open drawer": kicks the drawer and logs who and when in
/// Activity (`drawer_open`). Nothing is logged when the printer that drives
/// the drawer cannot be reached.
#[tauri::command]
pub(crate) async fn open_drawer(state: State<'_, AppState>, approval: Option<Approval>) -> Result<(), UiError> {
    kick_drawer(&state, approval).await
}

async fn kick_drawer(state: &AppState, approval: Option<Approval>) -> Result<(), UiError> {
    let settings = as_user_or_approver(state, approval, "approving opening the cash drawer", |store, ctx| {
        ctx.actor.require(Role::Manager, "opening the cash drawer")?;
        PrinterSettings::load(store)
    })
    .await?;
    if settings.connection == Connection::None {
        return Err(UiError::new(
            Code::NotFound,
            "the drawer opens through the receipt printer; set one up in Settings › Printer",
        )
        .with("reason", "drawerNeedsPrinter"));
    }
    send(settings.connection, escpos::drawer_only()).await?;
    let ctx = state.op_ctx()?;
    with_store(state, move |store| cash::drawer_opened(store, &ctx)).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use sonic_core::ops::activity::{self, ActivityFilter};
    use sonic_core::ops::Page;
    use std::io::Read as _;

    fn network(address: String) -> PrinterSettings {
        PrinterSettings {
            connection: Connection::Network { address },
            ..PrinterSettings::default()
        }
    }

    #[test]
    fn only_a_manager_or_the_owner_changes_the_printer_or_opens_the_drawer() {
        let tmp = tempfile::tempdir().unwrap();
        let state = AppState::for_tests(tmp.path());
        state.sign_in_as(Role::Cashier);
        let err = tauri::async_runtime::block_on(save_settings(&state, network("127.0.0.1:9100".into()))).unwrap_err();
        assert_eq!(err.code, Code::Forbidden, "{}", err.message);
        let err = tauri::async_runtime::block_on(kick_drawer(&state, None)).unwrap_err();
        assert_eq!(err.code, Code::Forbidden, "{}", err.message);
    }

    #[test]
    fn open_drawer_kicks_the_drawer_and_logs_who_did_it() {
        let tmp = tempfile::tempdir().unwrap();
        let state = AppState::for_tests(tmp.path());
        state.sign_in_as(Role::Manager);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap().to_string();
        tauri::async_runtime::block_on(save_settings(&state, network(address))).unwrap();
        let printer = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut got = Vec::new();
            conn.read_to_end(&mut got).unwrap();
            got
        });
        tauri::async_runtime::block_on(kick_drawer(&state, None)).unwrap();
        assert_eq!(
            printer.join().unwrap(),
            escpos::drawer_only(),
            "the printer got the kick"
        );
        let store = state.store();
        let store = crate::lock_store(&store);
        let filter = ActivityFilter {
            action: Some("drawer_open".into()),
            text: None,
        };
        let log = activity::list(&store, &filter, Page { offset: 0, limit: 10 }).unwrap();
        assert_eq!(log.len(), 1, "one drawer_open entry");
        assert_eq!(log[0].user.as_deref(), Some("Manager"), "it names who opened it");
        assert!(log[0].at.is_some(), "and when");
    }

    #[test]
    fn a_drawer_behind_a_printer_that_is_off_is_not_logged_as_opened() {
        let tmp = tempfile::tempdir().unwrap();
        let state = AppState::for_tests(tmp.path());
        state.sign_in_as(Role::Owner);
        let address = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .to_string();
        tauri::async_runtime::block_on(save_settings(&state, network(address.clone()))).unwrap();
        let err = tauri::async_runtime::block_on(kick_drawer(&state, None)).unwrap_err();
        assert_eq!(err.code, Code::PrinterOffline, "{}", err.message);
        assert!(err.message.contains("unreachable"), "{}", err.message);
        // The UI words it from the reason and the printer's address, in
        // either language; the system's English reason stays in the message.
        assert_eq!(
            serde_json::to_value(&err).unwrap()["params"],
            serde_json::json!({"reason": "printerUnreachable", "printer": address})
        );
        let store = state.store();
        let store = crate::lock_store(&store);
        let filter = ActivityFilter {
            action: Some("drawer_open".into()),
            text: None,
        };
        assert!(activity::list(&store, &filter, Page { offset: 0, limit: 10 })
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_wrong_printer_setting_crosses_as_its_reason_and_the_value_typed() {
        let tmp = tempfile::tempdir().unwrap();
        let state = AppState::for_tests(tmp.path());
        state.sign_in_as(Role::Owner);
        let err =
            tauri::async_runtime::block_on(save_settings(&state, network(" printer.local:port ".into()))).unwrap_err();
        assert_eq!(err.code, Code::Validation, "{}", err.message);
        assert_eq!(
            serde_json::to_value(&err).unwrap()["params"],
            serde_json::json!({"reason": "printerAddress", "address": "printer.local:port"})
        );
        let mut wide = network("127.0.0.1:9100".into());
        wide.paper_mm = 76;
        let err = tauri::async_runtime::block_on(save_settings(&state, wide)).unwrap_err();
        assert_eq!(
            serde_json::to_value(&err).unwrap()["params"],
            serde_json::json!({"reason": "paperSize", "paper": 76})
        );
    }
}
