//! Sending a job's bytes to a printer through the operating system's
//! spooler, untouched (RAW): the only way to reach a receipt printer that
//! Windows owns by name (a USB thermal printer installed with its driver).
//! A network printer (host:port) or a device file (`/dev/usb/lp0`, a serial
//! port) needs no spooler: the caller writes to those itself.
//!
//! - Windows: `OpenPrinterW`, `StartDocPrinterW` with the `"RAW"` data
//!   type, `StartPagePrinter`, `WritePrinter` until all is written, then
//!   the page, the document and the printer are closed.
//! - Elsewhere: [`SpoolError::Unsupported`] (CUPS queues are reached as a
//!   device file or over the network instead).

#[cfg(not(windows))]
mod unix;
#[cfg(not(windows))]
use unix as sys;
#[cfg(windows)]
#[allow(unsafe_code)]
mod windows;
#[cfg(windows)]
use windows as sys;

/// Why the spooler refused a job.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("printing to a printer by name goes through the Windows spooler; on this system give the printer's address (host:port) or its device file instead")]
    Unsupported,
    #[error("the printer name is empty or contains a NUL character")]
    BadName,
    #[error("the Windows spooler has no printer named {name:?} (or it cannot be opened): {source}")]
    Open { name: String, source: std::io::Error },
    #[error("the Windows spooler refused the print job for {name:?} at {step}: {source}")]
    Job {
        name: String,
        step: &'static str,
        source: std::io::Error,
    },
}

/// Sends `bytes` to the printer the spooler knows as `printer`, as one RAW
/// document named `document` (what the print queue shows).
pub fn write_raw(printer: &str, document: &str, bytes: &[u8]) -> Result<(), SpoolError> {
    if printer.trim().is_empty() || printer.contains('\0') || document.contains('\0') {
        return Err(SpoolError::BadName);
    }
    sys::write_raw(printer, document, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_or_nul_printer_name_is_refused_before_the_spooler() {
        assert!(matches!(write_raw("  ", "t", b"x"), Err(SpoolError::BadName)));
        assert!(matches!(write_raw("a\0b", "t", b"x"), Err(SpoolError::BadName)));
    }

    #[cfg(not(windows))]
    #[test]
    fn without_a_spooler_the_error_says_what_to_give_instead() {
        let err = write_raw("POS-80", "receipt", b"x").unwrap_err();
        assert!(err.to_string().contains("host:port"), "{err}");
    }

    /// Wine's spooler has no such printer: the error names it.
    #[cfg(windows)]
    #[test]
    fn an_unknown_printer_name_is_named_in_the_error() {
        let err = write_raw("No Such Printer 4711", "receipt", b"x").unwrap_err();
        assert!(err.to_string().contains("No Such Printer 4711"), "{err}");
    }
}
