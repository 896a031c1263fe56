//! File operations whose durability or API differs per OS.

use std::fs::File;
use std::io;
use std::path::Path;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as sys;
#[cfg(windows)]
#[allow(unsafe_code)]
mod windows;
#[cfg(windows)]
use windows as sys;

/// Renames `from` to `to`, replacing `to` if it exists, and returns only once
/// the rename itself is on disk, so a power cut after the call cannot bring
/// back the old `to` (or no `to` at all).
///
/// The caller flushes the file's *data* first (`File::sync_all` before the
/// rename); this makes the *name* durable:
/// - Unix: `rename(2)`, then `fsync` of the parent folder, which is where the
///   entry lives.
/// - Windows: `MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)`.
///   Windows refuses to open a folder as a file (Access denied), so the Unix
///   way cannot work there; it is also not needed: NTFS journals its metadata,
///   and `MOVEFILE_WRITE_THROUGH` makes the call return only once the move has
///   been flushed to disk.
pub fn durable_rename(from: &Path, to: &Path) -> io::Result<()> {
    sys::durable_rename(from, to)
}

/// Writes all of `buf` into `file` at `offset`, like
/// `std::os::unix::fs::FileExt::write_all_at`. On Windows the file's cursor
/// moves (`seek_write`); on Unix it does not. Callers that mix this with
/// sequential writes to the same handle should not rely on either.
pub fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    sys::write_all_at(file, buf, offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn durable_rename_replaces_an_existing_file_and_the_source_is_gone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let from = dir.path().join("new.tmp");
        let to = dir.path().join("backup.json");
        std::fs::write(&to, b"old").expect("write the old file");
        std::fs::write(&from, b"new").expect("write the new file");
        durable_rename(&from, &to).expect("rename over an existing file");
        assert_eq!(
            std::fs::read(&to).expect("read"),
            b"new",
            "the target has the new content"
        );
        assert!(!from.exists(), "the source name is gone");
    }

    #[test]
    fn durable_rename_to_a_new_name_works_and_a_missing_source_is_an_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let from = dir.path().join("a");
        let to = dir.path().join("b");
        std::fs::write(&from, b"x").expect("write");
        durable_rename(&from, &to).expect("rename to a new name");
        assert!(to.exists() && !from.exists());
        let err = durable_rename(&from, &to).expect_err("the source no longer exists");
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
        assert_eq!(
            std::fs::read(&to).expect("read"),
            b"x",
            "a failed rename leaves the target alone"
        );
    }

    #[test]
    fn write_all_at_writes_at_the_offset_and_leaves_the_rest() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f");
        File::create(&path)
            .and_then(|mut f| f.write_all(b"0123456789"))
            .expect("write");
        let file = std::fs::OpenOptions::new().write(true).open(&path).expect("open");
        write_all_at(&file, b"ab", 3).expect("write in range");
        write_all_at(&file, b"XYZ", 9).expect("write past the end grows the file");
        drop(file);
        assert_eq!(std::fs::read(&path).expect("read"), b"012ab5678XYZ");
    }
}
