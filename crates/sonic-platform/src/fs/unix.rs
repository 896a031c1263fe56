use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

pub(super) fn durable_rename(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::rename(from, to)?;
    let parent = match to.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

/// `fsync` of the parents of `path` up to the first one that existed before
/// (its entry for the first new folder is what must reach the disk).
/// Without knowing which were new, every ancestor is synced up to the root
/// of the file system: a handful of folders, once per folder created.
pub(super) fn move_when_closed(from: &Path, to: &Path, _wait: std::time::Duration) -> io::Result<()> {
    std::fs::rename(from, to)
}

pub(super) fn sync_new_folders(path: &Path) -> io::Result<()> {
    let mut dir = path;
    while let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        File::open(parent)?.sync_all()?;
        dir = parent;
    }
    Ok(())
}

pub(super) fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    file.write_all_at(buf, offset)
}

pub(super) fn create_new_private(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// `0700` for a folder, `0600` for a file; true when it changed.
pub(super) fn restrict(path: &Path, meta: &std::fs::Metadata) -> io::Result<bool> {
    let mode = meta.permissions().mode() & 0o7777;
    let wanted = if meta.is_dir() { 0o700 } else { mode & 0o600 };
    if mode == wanted {
        return Ok(false);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted))?;
    Ok(true)
}

pub(super) fn is_private(meta: &std::fs::Metadata) -> io::Result<bool> {
    Ok(meta.permissions().mode() & 0o077 == 0)
}

#[cfg(test)]
pub(super) fn symlink_for_tests(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(test)]
pub(super) fn open_up_for_tests(path: &Path) -> io::Result<()> {
    let mode = if path.is_dir() { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}
