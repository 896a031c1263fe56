//! File operations whose durability, API or permissions differ per OS.
//!
//! **Private files.** A till's data directory holds PIN hashes and the whole
//! shop: on Unix it is `0700` and every file in it `0600`
//! ([`make_private`], [`create_new_private`]). On Windows these are no-ops
//! by design: the data directory is under the user's local app data folder
//! (`%LOCALAPPDATA%`, see [`crate::paths`]), whose ACL already grants only
//! the user, SYSTEM and Administrators, and files created in it inherit that
//! ACL; there is no group/other mode to take away.

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

/// Moves the file `from` to `to` (which must not exist), for a file that
/// handles of this process may have held open until a moment ago (the
/// recovery moving a damaged database aside once the till's connection
/// is closed).
/// - Unix: `rename(2)`; an open file can be moved.
/// - Windows: SQLite opens its files without `FILE_SHARE_DELETE`, so while
///   any handle is open the move fails with a sharing violation (or access
///   denied). It is tried again every 100 ms for up to `wait` (a backup or
///   push reading the file finishes), then fails saying the file is still
///   open elsewhere.
pub fn move_when_closed(from: &Path, to: &Path, wait: std::time::Duration) -> io::Result<()> {
    sys::move_when_closed(from, to, wait)
}

/// `create_dir_all`, returning only once the new folders' names are on disk,
/// so a power cut cannot take back a folder that files were then synced
/// into (their own `fsync`s do not cover the folder's entry in its parent).
/// - Unix: each folder created is followed by an `fsync` of its parent.
/// - Windows: `create_dir_all` alone; NTFS journals its metadata and refuses
///   to open a folder as a file (see [`durable_rename`]).
pub fn create_dir_all_durable(path: &Path) -> io::Result<()> {
    if path.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(path)?;
    sys::sync_new_folders(path)
}

/// Writes all of `buf` into `file` at `offset`, like
/// `std::os::unix::fs::FileExt::write_all_at`. On Windows the file's cursor
/// moves (`seek_write`); on Unix it does not. Callers that mix this with
/// sequential writes to the same handle should not rely on either.
pub fn write_all_at(file: &File, buf: &[u8], offset: u64) -> io::Result<()> {
    sys::write_all_at(file, buf, offset)
}

/// Creates `path` for writing only if nothing exists at that name, never
/// following a symlink, readable by this user alone: a temporary file that
/// nobody else planted or can read.
/// - Unix: `O_CREAT | O_EXCL | O_NOFOLLOW`, mode `0600`. With `O_EXCL` a
///   symlink at the name already fails (`EEXIST`); `O_NOFOLLOW` says so twice.
/// - Windows: `CREATE_NEW`, which fails when any file, link included, has the
///   name; the ACL is the folder's (module doc).
///
/// A name already taken is [`io::ErrorKind::AlreadyExists`].
pub fn create_new_private(path: &Path) -> io::Result<File> {
    sys::create_new_private(path)
}

/// Makes the data directory `root` private (module doc): `root` and its
/// sub-folders named in `folders` become `0700` and the regular files
/// directly in them `0600`, fixing files written by older versions. Symlinks
/// are neither followed nor changed; other folders are left alone (a data
/// directory set by mistake to a home folder must not rewrite the home).
/// Returns how many entries were changed. No-op on Windows.
pub fn make_private(root: &Path, folders: &[&str]) -> io::Result<usize> {
    let mut changed = 0;
    let mut fix_folder = |dir: &Path| -> io::Result<()> {
        let meta = std::fs::symlink_metadata(dir)?;
        if !meta.is_dir() {
            return Ok(());
        }
        changed += usize::from(sys::restrict(dir, &meta)?);
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let meta = entry.metadata()?; // DirEntry::metadata does not follow symlinks
            if meta.is_file() {
                changed += usize::from(sys::restrict(&entry.path(), &meta)?);
            }
        }
        Ok(())
    };
    fix_folder(root)?;
    for folder in folders {
        match fix_folder(&root.join(folder)) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            other => other?,
        }
    }
    Ok(changed)
}

/// Whether only this user can reach `path` (Unix: no group or other bits;
/// Windows: always true, see the module doc). For tests and checks.
pub fn is_private(path: &Path) -> io::Result<bool> {
    sys::is_private(&std::fs::symlink_metadata(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn create_new_private_never_follows_a_planted_symlink_nor_reuses_a_name() {
        let dir = tempfile::tempdir().expect("temp dir");
        let target = dir.path().join("victim.txt");
        std::fs::write(&target, b"precious").expect("write the victim");
        let planted = dir.path().join(".tmp-1-backup.json");
        if make_symlink(&target, &planted) {
            let err = create_new_private(&planted).expect_err("a symlink at the name is refused");
            assert_eq!(err.kind(), io::ErrorKind::AlreadyExists, "{err}");
            assert_eq!(
                std::fs::read(&target).expect("read"),
                b"precious",
                "the target is untouched"
            );
        }
        let plain = dir.path().join("taken");
        std::fs::write(&plain, b"x").expect("write");
        assert_eq!(
            create_new_private(&plain)
                .expect_err("an existing file is refused")
                .kind(),
            io::ErrorKind::AlreadyExists
        );
        let fresh = dir.path().join("fresh");
        create_new_private(&fresh)
            .and_then(|mut f| f.write_all(b"new"))
            .expect("a new name is created");
        assert!(is_private(&fresh).expect("mode"), "a new file is 0600 on Unix");
    }

    #[test]
    fn make_private_fixes_the_folder_its_files_and_named_sub_folders_only() {
        let tmp = tempfile::tempdir().expect("temp dir");
        let root = tmp.path().join("data");
        std::fs::create_dir_all(root.join("backups")).expect("mkdir");
        std::fs::create_dir_all(root.join("other")).expect("mkdir");
        let files = [root.join("sonic-pos.db"), root.join("backups").join("b.json.zst")];
        for f in &files {
            std::fs::write(f, b"x").expect("write");
        }
        std::fs::write(root.join("other").join("keep"), b"x").expect("write");
        set_open_mode(&root);
        set_open_mode(&root.join("backups"));
        for f in &files {
            set_open_mode(f);
        }
        set_open_mode(&root.join("other").join("keep"));
        let outside = tmp.path().join("outside");
        std::fs::write(&outside, b"x").expect("write");
        set_open_mode(&outside);
        make_symlink(&outside, &root.join("link"));

        make_private(&root, &["backups", "logs"]).expect("fixed");
        assert!(is_private(&root).expect("mode"), "the data folder");
        assert!(is_private(&root.join("backups")).expect("mode"), "backups/");
        for f in &files {
            assert!(is_private(f).expect("mode"), "{}", f.display());
        }
        if cfg!(unix) {
            assert!(
                !is_private(&outside).expect("mode"),
                "a symlink's target outside is not followed"
            );
            assert!(
                !is_private(&root.join("other").join("keep")).expect("mode"),
                "folders not named are left alone"
            );
        }
        assert_eq!(
            make_private(&root, &["backups"]).expect("again"),
            0,
            "nothing left to fix"
        );
    }

    /// A symlink `link` → `target`; false where this user may not make one
    /// (Windows without developer mode).
    /// Plants a symlink; false where the system cannot make one (Windows
    /// without the privilege; Wine 8, which answers success and makes none).
    fn make_symlink(target: &Path, link: &Path) -> bool {
        sys::symlink_for_tests(target, link).is_ok()
            && std::fs::symlink_metadata(link).is_ok_and(|m| m.file_type().is_symlink())
    }

    /// Mode 0644/0755 as older versions left them (no-op on Windows).
    fn set_open_mode(path: &Path) {
        sys::open_up_for_tests(path).expect("chmod");
    }

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
