//! One Sonic POS per data directory.
//!
//! Two apps writing one store would each take backups of a store the other is
//! changing, and the close hook of one would run under the other's feet. The
//! first instance holds an exclusive advisory lock on
//! `<data dir>/sonic-pos.lock` for its whole life; the operating system drops
//! the lock when the process ends, even on a crash, so a stale lock file is
//! harmless. Another data directory (another shop, a test) is independent.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::path::Path;

use anyhow::{bail, Context as _};
use fs4::fs_std::FileExt as _;

/// Held while the app runs; dropping it releases the data directory.
#[derive(Debug)]
pub(crate) struct InstanceLock {
    _file: File,
}

impl InstanceLock {
    pub(crate) fn acquire(data_dir: &Path) -> anyhow::Result<InstanceLock> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
        let path = data_dir.join("sonic-pos.lock");
        let mut file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        let locked = file
            .try_lock_exclusive()
            .with_context(|| format!("cannot lock {}", path.display()))?;
        if !locked {
            bail!(
                "Sonic POS is already running with the data directory {}; \
                 switch to that window (or close it) instead of starting a second one",
                data_dir.display()
            );
        }
        // The pid is for a person looking at the directory; the lock is what counts.
        file.set_len(0)
            .and_then(|()| writeln!(file, "{}", std::process::id()))
            .with_context(|| format!("cannot write {}", path.display()))?;
        Ok(InstanceLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_instance_on_the_same_data_dir_is_refused() {
        let dir = tempfile::tempdir().expect("temp dir");
        let first = InstanceLock::acquire(dir.path()).expect("first instance locks");
        let second = InstanceLock::acquire(dir.path()).expect_err("second instance must be refused");
        assert!(second.to_string().contains("already running"), "says why: {second:#}");
        drop(first);
        InstanceLock::acquire(dir.path()).expect("the lock is free again once the first instance ends");
    }
}
