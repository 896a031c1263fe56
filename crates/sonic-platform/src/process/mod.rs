//! Facts about processes that each OS reports its own way.

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as sys;
#[cfg(windows)]
#[allow(unsafe_code)]
mod windows;
#[cfg(windows)]
use windows as sys;

/// Whether the process `pid` is still running; `None` when this OS cannot
/// tell cheaply (Unix without `/proc`, e.g. macOS), so the caller falls back
/// to another rule.
///
/// - Linux: `/proc/<pid>` exists.
/// - Windows: `OpenProcess` succeeds and `GetExitCodeProcess` says
///   `STILL_ACTIVE` (a process that is there but closed to us counts as alive).
pub fn process_alive(pid: u32) -> Option<bool> {
    sys::process_alive(pid)
}

/// The peak resident memory of this process so far, in bytes; `None` where
/// the OS does not report it without `libc` (macOS, the BSDs).
///
/// - Linux: `VmHWM` of `/proc/self/status`.
/// - Windows: `PeakWorkingSetSize` of `GetProcessMemoryInfo`.
pub fn peak_rss_bytes() -> Option<u64> {
    sys::peak_rss_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A process that has certainly ended: a child (this test binary, running
    /// no test) that was waited for.
    fn ended_child_pid() -> u32 {
        let exe = std::env::current_exe().expect("the test binary's path");
        let mut child = std::process::Command::new(exe)
            .args(["--exact", "no test has this name", "--quiet"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn a child");
        let pid = child.id();
        child.wait().expect("the child ends");
        pid
    }

    #[cfg(any(target_os = "linux", windows))]
    #[test]
    fn this_process_is_alive_and_an_ended_one_is_not() {
        assert_eq!(process_alive(std::process::id()), Some(true), "this process is alive");
        let pid = ended_child_pid();
        assert_eq!(process_alive(pid), Some(false), "the child {pid} has ended");
        assert_eq!(process_alive(u32::MAX), Some(false), "no process has the pid u32::MAX");
    }

    #[cfg(any(target_os = "linux", windows))]
    #[test]
    fn peak_memory_grows_by_what_was_touched() {
        const GROWTH: u64 = 64 << 20;
        let before = peak_rss_bytes().expect("the peak is known on this OS");
        assert!(before > 0);
        // The earlier peak may have been set by memory since freed, so touch
        // more than all of it: the new peak is then at least this block.
        let size = usize::try_from(before + GROWTH).expect("fits in memory");
        // Filling with a non-zero byte touches every page.
        let block = std::hint::black_box(vec![0x5au8; size]);
        let after = peak_rss_bytes().expect("the peak is known on this OS");
        assert_eq!(block[size - 1], 0x5a);
        drop(block);
        // Linux keeps per-thread memory counters that it folds in lazily, so
        // the figure can lag by a few pages: allow 1 MiB of it.
        let slack = 1 << 20;
        assert!(
            after + slack >= before + GROWTH,
            "the peak grows by at least the {GROWTH} bytes touched beyond it: {before} -> {after}"
        );
    }
}
