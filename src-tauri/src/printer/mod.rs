//! The till's receipt printer and cash drawer: which printer this
//! installation prints to (`settings`, never in a backup), the ESC/POS
//! bytes of a job (`escpos`), and getting them there (`transport`).
//!
//! The webview draws each paper (receipt, ticket, label) into a 1-bit
//! picture at the printer's dot width, so Arabic is shaped by the browser
//! engine; this module only encodes and sends it. A print runs after what it
//! prints is stored and never undoes it: a printer that is off gives
//! `PrinterOffline`, and the paper prints again from where it is shown.

pub(crate) mod escpos;
pub(crate) mod settings;
pub(crate) mod transport;

pub(crate) use settings::{Connection, PrinterSettings};
