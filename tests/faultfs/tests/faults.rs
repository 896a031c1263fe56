//! Each fault of the file system does what it says, seen through ordinary
//! std::fs calls on the mount.
#![cfg(target_os = "linux")]

use sonic_faultfs::{fuse_available, FaultFs};
use std::fs::{self, File, OpenOptions};
use std::io::{ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::Path;

struct Mounted {
    fs: FaultFs,
    backing: tempfile::TempDir,
    _mnt: tempfile::TempDir,
}

fn mount() -> Option<Mounted> {
    if !fuse_available() {
        return None;
    }
    let backing = tempfile::tempdir().expect("backing");
    let mnt = tempfile::tempdir().expect("mount point");
    let fs = FaultFs::mount(backing.path(), mnt.path()).expect("mount");
    Some(Mounted { fs, backing, _mnt: mnt })
}

fn sync_dir(path: &Path) {
    File::open(path).expect("open dir").sync_all().expect("fsync dir");
}

fn read(path: &Path) -> Option<Vec<u8>> {
    match fs::read(path) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => panic!("reading {}: {e}", path.display()),
    }
}

#[test]
fn a_power_cut_keeps_synced_data_and_drops_the_rest() {
    let Some(mut m) = mount() else { return };
    let root = m.fs.path().to_path_buf();
    let a = root.join("a");
    let mut f = File::create(&a).unwrap();
    f.write_all(b"synced").unwrap();
    f.sync_all().unwrap();
    sync_dir(&root);
    f.write_all(b" and not synced").unwrap();
    // Before the cut the program reads back what it wrote.
    assert_eq!(read(&a).unwrap(), b"synced and not synced");
    // Overwrite the synced part too: the overwrite is lost as well.
    f.seek(SeekFrom::Start(0)).unwrap();
    f.write_all(b"SYNCED").unwrap();
    drop(f);
    m.fs.control().cut_power_now();
    assert!(m.fs.control().is_dead());
    m.fs.restart().unwrap();
    assert_eq!(read(&a).unwrap(), b"synced", "only the fsynced bytes survive");
}

#[test]
fn after_the_cut_every_call_fails_until_restart() {
    let Some(mut m) = mount() else { return };
    let root = m.fs.path().to_path_buf();
    let a = root.join("a");
    let mut f = File::create(&a).unwrap();
    m.fs.control().cut_power_now();
    let err = f.write_all(b"x").and_then(|()| f.sync_all()).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(5), "EIO: {err}");
    assert_eq!(fs::metadata(&a).unwrap_err().raw_os_error(), Some(5));
    drop(f);
    m.fs.restart().unwrap();
    assert!(
        read(&a).is_none(),
        "a created file whose folder was never synced is gone"
    );
    fs::write(root.join("b"), b"after").unwrap();
    assert_eq!(read(&root.join("b")).unwrap(), b"after");
}

#[test]
fn a_new_file_needs_its_folder_synced() {
    let Some(mut m) = mount() else { return };
    let root = m.fs.path().to_path_buf();
    fs::create_dir(root.join("d")).unwrap();
    sync_dir(&root);
    let d = root.join("d");
    for (name, dir_sync) in [("kept", true), ("lost", false)] {
        let mut f = File::create(d.join(name)).unwrap();
        f.write_all(name.as_bytes()).unwrap();
        f.sync_all().unwrap();
        if dir_sync {
            sync_dir(&d);
        }
    }
    m.fs.restart().unwrap();
    assert_eq!(read(&d.join("kept")).unwrap(), b"kept");
    assert!(
        read(&d.join("lost")).is_none(),
        "a file fsynced but not its folder entry"
    );
}

#[test]
fn a_rename_needs_its_folder_synced() {
    let Some(mut m) = mount() else { return };
    let root = m.fs.path().to_path_buf();
    fs::write(root.join("old"), b"1").unwrap();
    File::open(root.join("old")).unwrap().sync_all().unwrap();
    sync_dir(&root);
    // tmp + fsync + rename, without the folder fsync: the rename is lost.
    fs::write(root.join("new.tmp"), b"2").unwrap();
    File::open(root.join("new.tmp")).unwrap().sync_all().unwrap();
    fs::rename(root.join("new.tmp"), root.join("old")).unwrap();
    assert_eq!(read(&root.join("old")).unwrap(), b"2");
    m.fs.restart().unwrap();
    assert_eq!(read(&root.join("old")).unwrap(), b"1", "the unsynced rename is undone");
    assert!(read(&root.join("new.tmp")).is_none());
    // With the folder fsync it stays.
    fs::write(root.join("new.tmp"), b"3").unwrap();
    File::open(root.join("new.tmp")).unwrap().sync_all().unwrap();
    fs::rename(root.join("new.tmp"), root.join("old")).unwrap();
    sync_dir(&root);
    m.fs.restart().unwrap();
    assert_eq!(read(&root.join("old")).unwrap(), b"3");
    // An unlink not synced comes back.
    fs::remove_file(root.join("old")).unwrap();
    m.fs.restart().unwrap();
    assert_eq!(read(&root.join("old")).unwrap(), b"3");
}

#[test]
fn a_failed_fsync_loses_its_data_even_after_a_later_fsync_succeeds() {
    let Some(mut m) = mount() else { return };
    let root = m.fs.path().to_path_buf();
    let a = root.join("a");
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&a)
        .unwrap();
    f.write_all(&[b'A'; 8192]).unwrap();
    f.sync_all().unwrap();
    sync_dir(&root);
    let control = m.fs.control();
    control.fail_fsync_at(1);
    f.seek(SeekFrom::Start(0)).unwrap();
    f.write_all(&[b'B'; 4096]).unwrap();
    let err = f.sync_all().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(5), "EIO: {err}");
    // Reads still return the data that never reached the platter.
    let mut now = Vec::new();
    File::open(&a).unwrap().read_to_end(&mut now).unwrap();
    assert_eq!(&now[..4096], &[b'B'; 4096][..]);
    // A later write to another block, and an fsync that succeeds.
    f.seek(SeekFrom::Start(4096)).unwrap();
    f.write_all(&[b'C'; 4096]).unwrap();
    f.sync_all().unwrap();
    drop(f);
    assert_eq!(control.counters().fsyncs, 3);
    m.fs.restart().unwrap();
    let after = read(&a).unwrap();
    assert_eq!(after.len(), 8192);
    assert_eq!(
        &after[..4096],
        &[b'A'; 4096][..],
        "the failed fsync's block never got written"
    );
    assert_eq!(&after[4096..], &[b'C'; 4096][..], "the later fsync's block did");
}

#[test]
fn eio_at_the_nth_write() {
    let Some(m) = mount() else { return };
    let root = m.fs.path().to_path_buf();
    let mut f = File::create(root.join("a")).unwrap();
    m.fs.control().fail_write_at(3);
    f.write_all(b"1").unwrap();
    f.write_all(b"2").unwrap();
    let err = f.write_all(b"3").unwrap_err();
    assert_eq!(err.raw_os_error(), Some(5), "EIO: {err}");
    f.write_all(b"4").unwrap();
    drop(f);
    assert_eq!(read(&root.join("a")).unwrap(), b"124", "the failed write wrote nothing");
}

#[test]
fn enospc_from_the_nth_write_until_space_returns() {
    let Some(m) = mount() else { return };
    let root = m.fs.path().to_path_buf();
    let control = m.fs.control();
    let mut f = File::create(root.join("a")).unwrap();
    control.disk_full_at(2);
    f.write_all(b"1").unwrap();
    assert!(!control.is_full());
    for _ in 0..3 {
        let err = f.write_all(b"2").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StorageFull, "{err}");
    }
    assert!(control.is_full());
    assert_eq!(File::create(root.join("b")).unwrap_err().kind(), ErrorKind::StorageFull);
    control.space_returns();
    f.write_all(b"3").unwrap();
    File::create(root.join("b")).unwrap();
    drop(f);
    assert_eq!(read(&root.join("a")).unwrap(), b"13");
}

#[test]
fn a_cut_at_the_nth_change_and_the_backing_folder_keeps_the_durable_state() {
    let Some(mut m) = mount() else { return };
    let root = m.fs.path().to_path_buf();
    let control = m.fs.control();
    let mut f = File::create(root.join("a")).unwrap();
    sync_dir(&root);
    control.cut_power_after(3);
    f.write_all(b"1").unwrap(); // change 1
    f.sync_all().unwrap(); // change 2
    let err = f.write_all(b"2").unwrap_err(); // change 3: the power goes
    assert_eq!(err.raw_os_error(), Some(5));
    assert!(control.is_dead());
    drop(f);
    m.fs.restart().unwrap();
    assert_eq!(read(&root.join("a")).unwrap(), b"1");
    fs::create_dir(root.join("sub")).unwrap();
    fs::write(root.join("sub/x"), b"x").unwrap();
    File::open(root.join("sub/x")).unwrap().sync_all().unwrap();
    sync_dir(&root.join("sub"));
    sync_dir(&root);
    let backing = m.backing.path().to_path_buf();
    m.fs.unmount().unwrap();
    assert_eq!(fs::read(backing.join("a")).unwrap(), b"1");
    assert_eq!(fs::read(backing.join("sub/x")).unwrap(), b"x");
}
