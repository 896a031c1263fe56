//! Sonic POS's platform layer: everything the operating system does
//! differently on Unix and on Windows, behind one API.
//!
//! What lives here:
//! - [`fs`]: a rename that is on disk when it returns ([`fs::durable_rename`])
//!   and writing a file at an offset ([`fs::write_all_at`]).
//! - [`paths`]: where the data directory is by default.
//! - [`instance`]: one Sonic POS per data directory, and the hand-over that
//!   brings the running one forward when a second is launched.
//! - [`session_end`]: the process being asked to stop (SIGTERM, SIGINT) or the
//!   Windows session ending (log off, shut down, console closed).
//! - [`process`]: whether a process is alive, this process's peak memory.
//! - [`printer`]: a receipt printer's bytes through the Windows spooler (RAW).
//!
//! What it is not: it knows nothing of the store, backups or Tauri; callers
//! pass in what should happen (a closure) and this crate decides *how* the
//! operating system is asked.
//!
//! **The rule:** code outside this crate does not write `#[cfg(unix)]` /
//! `#[cfg(windows)]` or reach for `std::os::*`; it calls a function here.
//! A module whose code differs per OS keeps it in `unix.rs` / `windows.rs`
//! beside a `mod.rs` that holds the shared API, the docs and the tests, the
//! way the Tauri plugins split `desktop.rs` / `mobile.rs` (`paths` needs no
//! split: the `directories` crate does it).
//!
//! **Unsafe:** the workspace denies `unsafe_code`; only the Windows FFI
//! modules (`*/windows.rs`) allow it, and each `unsafe` block there says why
//! it is sound in a `// SAFETY:` comment.

pub mod fs;
pub mod instance;
pub mod paths;
pub mod printer;
pub mod process;
pub mod session_end;
