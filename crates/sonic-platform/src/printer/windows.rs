use std::io;

use windows_sys::Win32::Graphics::Printing::{
    ClosePrinter, EndDocPrinter, EndPagePrinter, OpenPrinterW, StartDocPrinterW, StartPagePrinter, WritePrinter,
    DOC_INFO_1W, PRINTER_HANDLE,
};

use super::SpoolError;

fn wide(s: &str) -> Vec<u16> {
    s.encode_utf16().chain(std::iter::once(0)).collect()
}

/// An open printer, closed on drop.
struct Printer(PRINTER_HANDLE);

impl Drop for Printer {
    fn drop(&mut self) {
        // SAFETY: the handle came from a successful OpenPrinterW and is
        // closed exactly once, here.
        unsafe { ClosePrinter(self.0) };
    }
}

pub(super) fn write_raw(printer: &str, document: &str, bytes: &[u8]) -> Result<(), SpoolError> {
    let name = wide(printer);
    let mut handle = PRINTER_HANDLE::default();
    // SAFETY: `name` is a NUL-terminated UTF-16 string that outlives the
    // call, `handle` a writable PRINTER_HANDLE, and no defaults are passed.
    let opened = unsafe { OpenPrinterW(name.as_ptr(), &mut handle, std::ptr::null()) };
    if opened == 0 {
        return Err(SpoolError::Open {
            name: printer.to_string(),
            source: io::Error::last_os_error(),
        });
    }
    let handle = Printer(handle);
    let failed = |step| SpoolError::Job {
        name: printer.to_string(),
        step,
        source: io::Error::last_os_error(),
    };
    let mut doc_name = wide(document);
    let mut raw = wide("RAW");
    let info = DOC_INFO_1W {
        pDocName: doc_name.as_mut_ptr(),
        pOutputFile: std::ptr::null_mut(),
        pDatatype: raw.as_mut_ptr(),
    };
    // SAFETY: the handle is open; `info` points at NUL-terminated strings
    // (`doc_name`, `raw`) that live until the end of this function.
    if unsafe { StartDocPrinterW(handle.0, 1, &info) } == 0 {
        return Err(failed("StartDocPrinter"));
    }
    // SAFETY: a document was started on the open handle.
    if unsafe { StartPagePrinter(handle.0) } == 0 {
        let err = failed("StartPagePrinter");
        // SAFETY: ends the document started above.
        unsafe { EndDocPrinter(handle.0) };
        return Err(err);
    }
    let mut rest = bytes;
    let mut result = Ok(());
    while !rest.is_empty() {
        let chunk = &rest[..rest.len().min(1 << 20)];
        let mut written = 0u32;
        // SAFETY: `chunk` is a readable buffer of the length passed (at most
        // 1 MiB, so it fits a u32) and `written` a writable u32.
        let ok = unsafe { WritePrinter(handle.0, chunk.as_ptr().cast(), chunk.len() as u32, &mut written) };
        if ok == 0 || written == 0 {
            result = Err(failed("WritePrinter"));
            break;
        }
        rest = &rest[written as usize..];
    }
    // SAFETY: the page and the document were started above on this handle.
    let ended = unsafe { EndPagePrinter(handle.0) } != 0;
    // SAFETY: as above.
    let ended = unsafe { EndDocPrinter(handle.0) } != 0 && ended;
    result?;
    if !ended {
        return Err(failed("EndDocPrinter"));
    }
    Ok(())
}
