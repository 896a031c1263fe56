//! Settings › Printer: saved on this computer as the `printer` installation
//! setting (JSON), like the backup settings: a restore of another till's
//! backup does not move this till to another printer.

use serde::{Deserialize, Serialize};
use sonic_core::Store;

use crate::error::{Code, UiError};

const KEY: &str = "printer";

/// Where the printer is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub(crate) enum Connection {
    /// No receipt printer: papers go through the system's print dialog.
    #[default]
    None,
    /// ESC/POS over TCP, `host:port` (9100 when no port is given).
    Network { address: String },
    /// A device file: `/dev/usb/lp0`, a serial port (`/dev/ttyUSB0`, `COM3`).
    Device { path: String },
    /// A printer installed in Windows, by name, through the spooler (RAW).
    Spooler { name: String },
}

/// What Settings › Printer shows and saves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PrinterSettings {
    pub connection: Connection,
    /// 58 or 80.
    pub paper_mm: u16,
    /// Copies of each sale receipt, 1 to 5.
    pub copies: u8,
    /// Print the receipt as soon as a sale is stored.
    pub auto_print: bool,
}

impl Default for PrinterSettings {
    fn default() -> Self {
        PrinterSettings {
            connection: Connection::None,
            paper_mm: 80,
            copies: 1,
            auto_print: true,
        }
    }
}

/// The network printers' usual port (raw TCP, "JetDirect").
pub(crate) const DEFAULT_PORT: u16 = 9100;

impl PrinterSettings {
    /// The dots across the paper at 8 dots per mm: 384 on 58 mm, 576 on 80 mm.
    pub(crate) fn dots(&self) -> usize {
        if self.paper_mm == 58 {
            384
        } else {
            576
        }
    }

    /// What this computer saved, or the defaults (no printer).
    pub(crate) fn load(store: &Store) -> sonic_core::Result<PrinterSettings> {
        Ok(store
            .setting(KEY)?
            .and_then(|json| match serde_json::from_str(&json) {
                Ok(s) => Some(s),
                Err(err) => {
                    tracing::warn!("the saved printer settings cannot be read ({err}); printing through the dialog");
                    None
                }
            })
            .unwrap_or_default())
    }

    pub(crate) fn save(&self, store: &Store) -> sonic_core::Result<()> {
        let json = serde_json::to_string(self).map_err(|e| sonic_core::Error::Invalid(e.to_string()))?;
        store.set_setting(KEY, &json)
    }

    /// Checks the form and tidies it (trimmed, the default port added).
    /// The error names the field.
    pub(crate) fn checked(mut self) -> Result<PrinterSettings, UiError> {
        let invalid = |message: String| UiError::new(Code::Validation, message);
        if !matches!(self.paper_mm, 58 | 80) {
            return Err(invalid(format!("the paper is 58 or 80 mm wide, not {}", self.paper_mm))
                .with("reason", "paperSize")
                .with("paper", self.paper_mm));
        }
        if !(1..=5).contains(&self.copies) {
            return Err(invalid(format!("copies: 1 to 5, not {}", self.copies))
                .with("reason", "copiesRange")
                .with("copies", self.copies));
        }
        self.connection = match self.connection {
            Connection::None => Connection::None,
            Connection::Network { address } => Connection::Network {
                address: network_address(&address).map_err(|message| {
                    invalid(message)
                        .with("reason", "printerAddress")
                        .with("address", address.trim())
                })?,
            },
            Connection::Device { path } => {
                let path = path.trim().to_string();
                if path.is_empty() {
                    return Err(invalid("give the printer's device, e.g. /dev/usb/lp0 or COM3".into())
                        .with("reason", "printerDevice"));
                }
                Connection::Device { path }
            }
            Connection::Spooler { name } => {
                let name = name.trim().to_string();
                if name.is_empty() || name.contains('\0') {
                    return Err(
                        invalid("give the printer's name as Windows lists it in Printers & scanners".into())
                            .with("reason", "printerName"),
                    );
                }
                Connection::Spooler { name }
            }
        };
        Ok(self)
    }
}

/// `host:port`, `host` (port 9100) or `[v6]:port`, with a port that is a number.
fn network_address(typed: &str) -> Result<String, String> {
    let typed = typed.trim();
    let bad = || format!("{typed:?} is not a printer address; give host:port, e.g. 192.168.1.50:9100");
    if typed.is_empty() || typed.contains(char::is_whitespace) || typed.contains('/') {
        return Err(bad());
    }
    // A bare IPv6 address has several colons and no brackets.
    let (host, port) = match typed.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') || host.ends_with(']') => (host, Some(port)),
        _ => (typed, None),
    };
    if host.is_empty() {
        return Err(bad());
    }
    let port = match port {
        Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(bad)?,
        None => DEFAULT_PORT,
    };
    Ok(format!("{host}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(connection: Connection) -> PrinterSettings {
        PrinterSettings {
            connection,
            ..PrinterSettings::default()
        }
    }

    #[test]
    fn a_network_address_gets_the_usual_port_and_a_bad_one_is_named() {
        let ok = |a: &str| {
            with(Connection::Network { address: a.into() })
                .checked()
                .map(|s| s.connection)
        };
        assert_eq!(
            ok(" 192.168.1.50 "),
            Ok(Connection::Network {
                address: "192.168.1.50:9100".into()
            })
        );
        assert_eq!(
            ok("printer.local:9101"),
            Ok(Connection::Network {
                address: "printer.local:9101".into()
            })
        );
        assert_eq!(
            ok("[::1]:9100"),
            Ok(Connection::Network {
                address: "[::1]:9100".into()
            })
        );
        for bad in ["", "host:port", "host:0", "host:70000", "a b:9100", ":9100"] {
            let err = ok(bad).unwrap_err();
            assert!(err.message.contains("host:port"), "{bad:?}: {err}");
            assert_eq!(err.params["reason"], "printerAddress");
            assert_eq!(err.params["address"], bad.trim());
        }
    }

    #[test]
    fn paper_and_copies_are_checked_and_the_dots_follow_the_paper() {
        let mut s = PrinterSettings::default();
        assert_eq!(s.dots(), 576);
        s.paper_mm = 58;
        assert_eq!(s.dots(), 384);
        s.paper_mm = 76;
        let err = s.clone().checked().unwrap_err();
        assert!(err.message.contains("58 or 80"), "{err}");
        assert_eq!(
            (&err.params["reason"], &err.params["paper"]),
            (&"paperSize".into(), &76.into())
        );
        s.paper_mm = 58;
        s.copies = 0;
        let err = s.checked().unwrap_err();
        assert!(err.message.contains("copies"), "{err}");
        assert_eq!(
            (&err.params["reason"], &err.params["copies"]),
            (&"copiesRange".into(), &0.into())
        );
        assert!(with(Connection::Device { path: " ".into() }).checked().is_err());
        assert!(with(Connection::Spooler { name: "".into() }).checked().is_err());
    }

    #[test]
    fn saved_settings_come_back_and_nothing_saved_means_no_printer() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&sonic_core::DataDir::at(dir.path())).unwrap();
        assert_eq!(PrinterSettings::load(&store).unwrap(), PrinterSettings::default());
        let s = PrinterSettings {
            connection: Connection::Device {
                path: "/dev/usb/lp0".into(),
            },
            paper_mm: 58,
            copies: 2,
            auto_print: false,
        };
        s.save(&store).unwrap();
        assert_eq!(PrinterSettings::load(&store).unwrap(), s);
    }
}
