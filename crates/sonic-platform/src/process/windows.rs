use windows_sys::Win32::Foundation::{
    CloseHandle, GetLastError, ERROR_ACCESS_DENIED, ERROR_INVALID_PARAMETER, STILL_ACTIVE,
};
use windows_sys::Win32::System::ProcessStatus::{K32GetProcessMemoryInfo, PROCESS_MEMORY_COUNTERS};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
};

pub(super) fn process_alive(pid: u32) -> Option<bool> {
    // SAFETY: OpenProcess takes plain values; a null handle is checked below.
    let handle = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if handle.is_null() {
        // SAFETY: reads this thread's last error, set by the failed call above.
        return match unsafe { GetLastError() } {
            // No process has this id (any more).
            ERROR_INVALID_PARAMETER => Some(false),
            // It exists but belongs to someone we may not ask.
            ERROR_ACCESS_DENIED => Some(true),
            _ => None,
        };
    }
    let mut code = 0u32;
    // SAFETY: `handle` is a valid process handle opened above with query
    // rights, and `code` is a valid u32 to write to.
    let asked = unsafe { GetExitCodeProcess(handle, &mut code) };
    // SAFETY: `handle` was opened above and is closed exactly once here.
    unsafe { CloseHandle(handle) };
    (asked != 0).then_some(code == STILL_ACTIVE as u32)
}

pub(super) fn peak_rss_bytes() -> Option<u64> {
    let mut counters = PROCESS_MEMORY_COUNTERS {
        cb: size_of::<PROCESS_MEMORY_COUNTERS>() as u32,
        ..Default::default()
    };
    // SAFETY: GetCurrentProcess returns a pseudo-handle that needs no
    // closing; `counters` is a writable struct of the size passed in `cb`.
    let ok = unsafe { K32GetProcessMemoryInfo(GetCurrentProcess(), &mut counters, counters.cb) };
    (ok != 0).then_some(counters.PeakWorkingSetSize as u64)
}
