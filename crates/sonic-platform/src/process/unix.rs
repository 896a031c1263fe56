#[cfg(target_os = "linux")]
pub(super) fn process_alive(pid: u32) -> Option<bool> {
    use std::path::Path;
    // Without /proc mounted (a container, a chroot) nothing can be said.
    if !Path::new("/proc/self").exists() {
        return None;
    }
    Some(Path::new("/proc").join(pid.to_string()).exists())
}

#[cfg(not(target_os = "linux"))]
pub(super) fn process_alive(_pid: u32) -> Option<bool> {
    None
}

#[cfg(target_os = "linux")]
pub(super) fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .strip_suffix("kB")?
        .trim()
        .parse()
        .ok()?;
    kib.checked_mul(1024)
}

#[cfg(not(target_os = "linux"))]
pub(super) fn peak_rss_bytes() -> Option<u64> {
    None
}
