//! The process that serves a `sonic-faultfs` mount for a test (Linux only):
//! `faultfs-server BACKING MOUNTPOINT`, commanded through its stdin/stdout
//! by `sonic_faultfs::FaultFs`.

#[cfg(target_os = "linux")]
fn main() {
    std::process::exit(sonic_faultfs::serve());
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("faultfs-server needs Linux (FUSE)");
    std::process::exit(2);
}
