use std::ffi::OsStr;
use std::fs::File;
use std::io;
use std::os::windows::ffi::OsStrExt as _;
use std::os::windows::fs::FileExt as _;
use std::path::Path;

use windows_sys::Win32::Storage::FileSystem::{MoveFileExW, MOVEFILE_REPLACE_EXISTING, MOVEFILE_WRITE_THROUGH};

/// `s` as a NUL-terminated UTF-16 string for the wide Win32 calls.
fn wide(s: &OsStr) -> io::Result<Vec<u16>> {
    let mut w: Vec<u16> = s.encode_wide().collect();
    if w.contains(&0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a path may not contain NUL",
        ));
    }
    w.push(0);
    Ok(w)
}

pub(super) fn durable_rename(from: &Path, to: &Path) -> io::Result<()> {
    let from = wide(from.as_os_str())?;
    let to = wide(to.as_os_str())?;
    // SAFETY: both pointers are to NUL-terminated UTF-16 buffers that live
    // until the call returns; MoveFileExW only reads them.
    let moved = unsafe {
        MoveFileExW(
            from.as_ptr(),
            to.as_ptr(),
            MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH,
        )
    };
    if moved == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Nothing to do: NTFS journals folder creation (see `durable_rename`).
pub(super) fn move_when_closed(from: &Path, to: &Path, wait: std::time::Duration) -> io::Result<()> {
    // ERROR_ACCESS_DENIED and ERROR_SHARING_VIOLATION: a handle is open.
    const IN_USE: [i32; 2] = [5, 32];
    let started = std::time::Instant::now();
    loop {
        match std::fs::rename(from, to) {
            Err(e) if e.raw_os_error().is_some_and(|c| IN_USE.contains(&c)) => {
                if started.elapsed() >= wait {
                    return Err(io::Error::new(
                        e.kind(),
                        format!(
                            "{e}: the file is still open in another program (after {} s)",
                            wait.as_secs()
                        ),
                    ));
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            other => return other,
        }
    }
}

pub(super) fn sync_new_folders(_path: &Path) -> io::Result<()> {
    Ok(())
}

pub(super) fn write_all_at(file: &File, mut buf: &[u8], mut offset: u64) -> io::Result<()> {
    while !buf.is_empty() {
        match file.seek_write(buf, offset) {
            Ok(0) => return Err(io::Error::new(io::ErrorKind::WriteZero, "failed to write whole buffer")),
            Ok(n) => {
                buf = &buf[n..];
                offset += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `CREATE_NEW`: fails when the name exists, a symlink included (mod.rs).
pub(super) fn create_new_private(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new().write(true).create_new(true).open(path)
}

/// No-op: the folder's inherited ACL is already private (mod.rs).
pub(super) fn restrict(_path: &Path, _meta: &std::fs::Metadata) -> io::Result<bool> {
    Ok(false)
}

/// Always true: see the module doc in mod.rs.
pub(super) fn is_private(_meta: &std::fs::Metadata) -> io::Result<bool> {
    Ok(true)
}

#[cfg(test)]
pub(super) fn symlink_for_tests(target: &Path, link: &Path) -> io::Result<()> {
    std::os::windows::fs::symlink_file(target, link)
}

#[cfg(test)]
pub(super) fn open_up_for_tests(_path: &Path) -> io::Result<()> {
    Ok(())
}
