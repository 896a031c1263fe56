//! A fault-injecting FUSE file system for the reliability tests (Linux only).
//!
//! [`FaultFs::mount`] loads a backing directory and mounts it at a mount
//! point. Every write, truncate, create, rename and unlink changes only the
//! *volatile* state (what a program reads back, like the kernel's page
//! cache); what is on the "platter" changes only when the program asks:
//!
//! - `fsync`/`fdatasync` of a file makes its contents (and size) durable;
//! - `fsync` of a folder makes its entries durable (a create, rename or
//!   unlink not followed by an `fsync` of the folder is lost in a power cut).
//!
//! On command, through [`Control`] (the file system runs in a process of
//! its own, `faultfs-server`, which the test starts and commands through
//! pipes: see [`FaultFs`] for why not in the test process):
//!
//! - **power cut** ([`Control::cut_power_now`], [`Control::cut_power_after`]):
//!   everything not synced is dropped and every later call fails with `EIO`
//!   (the machine is off) until [`FaultFs::restart`] mounts what is left;
//! - **EIO on fsync** at the Nth file `fsync` ([`Control::fail_fsync_at`]),
//!   with Linux's semantics after such a failure ("fsyncgate"): the data of
//!   the failed `fsync` is not on the platter and a later `fsync` that
//!   succeeds does not write it either, although reads still return it;
//! - **EIO on write** at the Nth write ([`Control::fail_write_at`]);
//! - **ENOSPC** from the Nth write on ([`Control::disk_full_at`]) until
//!   [`Control::space_returns`].
//!
//! The shared-memory index of SQLite (`*-shm`, written through `mmap`, so
//! whenever the kernel flushes it) takes no injected write or fsync faults:
//! it is never on the platter in SQLite's design (rebuilt on recovery), and
//! faults there would land at times no test can aim at. It is dropped in a
//! power cut like everything else that was not synced.
//!
//! The backing directory holds the durable state between mounts: it is
//! loaded at mount and rewritten from the durable state at
//! [`FaultFs::restart`] and [`FaultFs::unmount`].
#![cfg(target_os = "linux")]
#![forbid(unsafe_code)]

use fuser::{
    AccessFlags, Config, Errno, FileAttr, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo,
    KernelConfig, LockOwner, MountOption, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory,
    ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request, TimeOrNow, WriteFlags,
};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

const BLOCK: usize = 4096;
const TTL: Duration = Duration::ZERO;
const ROOT: u64 = 1;

type Block = Option<Arc<Vec<u8>>>;

/// File contents as blocks that are shared between the volatile and the
/// durable copy until one of them changes (so an `fsync` copies pointers,
/// not bytes).
#[derive(Clone, Debug, Default)]
struct Data {
    blocks: Vec<Block>,
    len: u64,
}

impl Data {
    fn read(&self, offset: u64, size: u32) -> Vec<u8> {
        if offset >= self.len {
            return Vec::new();
        }
        let end = (offset + u64::from(size)).min(self.len);
        let mut out = Vec::with_capacity((end - offset) as usize);
        let mut pos = offset;
        while pos < end {
            let b = (pos / BLOCK as u64) as usize;
            let within = (pos % BLOCK as u64) as usize;
            let n = ((BLOCK - within) as u64).min(end - pos) as usize;
            match self.blocks.get(b).and_then(Option::as_ref) {
                Some(block) => out.extend_from_slice(&block[within..within + n]),
                None => out.resize(out.len() + n, 0),
            }
            pos += n as u64;
        }
        out
    }

    /// Writes `data` at `offset`; returns the indices of the blocks changed.
    fn write(&mut self, offset: u64, data: &[u8], touched: &mut BTreeSet<usize>) {
        let mut pos = offset;
        let mut rest = data;
        while !rest.is_empty() {
            let b = (pos / BLOCK as u64) as usize;
            let within = (pos % BLOCK as u64) as usize;
            let n = (BLOCK - within).min(rest.len());
            if self.blocks.len() <= b {
                self.blocks.resize(b + 1, None);
            }
            let block = self.blocks[b].get_or_insert_with(|| Arc::new(vec![0; BLOCK]));
            Arc::make_mut(block)[within..within + n].copy_from_slice(&rest[..n]);
            touched.insert(b);
            pos += n as u64;
            rest = &rest[n..];
        }
        self.len = self.len.max(offset + data.len() as u64);
    }

    fn set_len(&mut self, len: u64, touched: &mut BTreeSet<usize>) {
        let old = self.len;
        let keep = len.div_ceil(BLOCK as u64) as usize;
        if len < old {
            // Zero the tail of the last kept block, drop the rest.
            let within = (len % BLOCK as u64) as usize;
            if within != 0 {
                if let Some(Some(block)) = self.blocks.get_mut(keep - 1) {
                    Arc::make_mut(block)[within..].fill(0);
                }
            }
            self.blocks.truncate(keep);
        }
        let (lo, hi) = (old.min(len), old.max(len));
        for b in (lo / BLOCK as u64) as usize..hi.div_ceil(BLOCK as u64) as usize {
            touched.insert(b);
        }
        self.len = len;
    }
}

#[derive(Debug)]
enum Node {
    File {
        cur: Data,
        dur: Data,
        /// Blocks changed since the last `fsync` (successful or not).
        dirty: BTreeSet<usize>,
        /// Blocks whose last write was lost by a failed `fsync`: the
        /// platter keeps this (old) content until they are written again.
        lost: BTreeMap<usize, Block>,
    },
    Dir {
        cur: BTreeMap<OsString, u64>,
        dur: BTreeMap<OsString, u64>,
        parent: u64,
    },
}

#[derive(Debug)]
struct Inode {
    node: Node,
    perm: u16,
    nlink: u32,
    mtime: SystemTime,
    ctime: SystemTime,
    /// The last name it was created or renamed under (to spare `*-shm`).
    name: OsString,
}

impl Inode {
    fn file(perm: u16, name: &OsStr) -> Inode {
        let now = SystemTime::now();
        Inode {
            node: Node::File {
                cur: Data::default(),
                dur: Data::default(),
                dirty: BTreeSet::new(),
                lost: BTreeMap::new(),
            },
            perm,
            nlink: 1,
            mtime: now,
            ctime: now,
            name: name.to_owned(),
        }
    }

    fn dir(perm: u16, parent: u64, name: &OsStr) -> Inode {
        let now = SystemTime::now();
        Inode {
            node: Node::Dir {
                cur: BTreeMap::new(),
                dur: BTreeMap::new(),
                parent,
            },
            perm,
            nlink: 2,
            mtime: now,
            ctime: now,
            name: name.to_owned(),
        }
    }

    fn faultable(&self) -> bool {
        !self.name.as_encoded_bytes().ends_with(b"-shm")
    }
}

/// What the counters have seen since the mount (or [`Control::reset_counters`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Calls that change something: writes, truncates, creates, renames,
    /// unlinks, fsyncs (file and folder).
    pub changes: u64,
    /// Writes to files (not `*-shm`).
    pub writes: u64,
    /// `fsync`/`fdatasync` of files (not `*-shm`).
    pub fsyncs: u64,
    /// `fsync` of folders.
    pub dir_fsyncs: u64,
    /// Power cuts so far.
    pub cuts: u64,
    /// Injected `fsync` failures (EIO) so far.
    pub fsync_faults: u64,
}

#[derive(Debug, Default)]
struct Faults {
    /// Cut the power at this `changes` count (that call is not done).
    cut_at_change: Option<u64>,
    fsync_eio_at: Option<u64>,
    write_eio_at: Option<u64>,
    full_from_write: Option<u64>,
    full: bool,
}

#[derive(Debug)]
struct State {
    inodes: BTreeMap<u64, Inode>,
    next_ino: u64,
    dead: bool,
    counters: Counters,
    faults: Faults,
    uid: u32,
    gid: u32,
    /// When the file system last served a request.
    last_request: Instant,
    /// Why the FUSE session ended while it was still mounted, if it did.
    ended: Option<String>,
}

impl State {
    fn new(uid: u32, gid: u32) -> State {
        let mut inodes = BTreeMap::new();
        inodes.insert(ROOT, Inode::dir(0o755, ROOT, OsStr::new("")));
        State {
            inodes,
            next_ino: ROOT + 1,
            dead: false,
            counters: Counters::default(),
            faults: Faults::default(),
            uid,
            gid,
            last_request: Instant::now(),
            ended: None,
        }
    }

    fn attr(&self, ino: u64) -> Option<FileAttr> {
        let inode = self.inodes.get(&ino)?;
        let (kind, size) = match &inode.node {
            Node::File { cur, .. } => (FileType::RegularFile, cur.len),
            Node::Dir { cur, .. } => (FileType::Directory, cur.len() as u64),
        };
        Some(FileAttr {
            ino: INodeNo(ino),
            size,
            blocks: size.div_ceil(512),
            atime: inode.mtime,
            mtime: inode.mtime,
            ctime: inode.ctime,
            crtime: inode.ctime,
            kind,
            perm: inode.perm,
            nlink: inode.nlink,
            uid: self.uid,
            gid: self.gid,
            rdev: 0,
            blksize: BLOCK as u32,
            flags: 0,
        })
    }

    /// Counts a change; `Err(EIO)` if the power is off or goes off now.
    fn change(&mut self) -> Result<(), Errno> {
        if self.dead {
            return Err(Errno::EIO);
        }
        self.counters.changes += 1;
        if self.faults.cut_at_change.is_some_and(|at| self.counters.changes >= at) {
            self.cut();
            return Err(Errno::EIO);
        }
        Ok(())
    }

    fn alive(&self) -> Result<(), Errno> {
        if self.dead {
            Err(Errno::EIO)
        } else {
            Ok(())
        }
    }

    /// The power cut: back to what is durable, and off.
    fn cut(&mut self) {
        self.dead = true;
        self.faults = Faults::default();
        self.counters.cuts += 1;
        self.revert();
    }

    /// Every file and folder back to its durable state; what no durable
    /// folder entry reaches is gone.
    fn revert(&mut self) {
        for inode in self.inodes.values_mut() {
            match &mut inode.node {
                Node::File { cur, dur, dirty, lost } => {
                    *cur = dur.clone();
                    dirty.clear();
                    lost.clear();
                }
                Node::Dir { cur, dur, .. } => *cur = dur.clone(),
            }
        }
        let mut reached = BTreeSet::from([ROOT]);
        let mut links: BTreeMap<u64, u32> = BTreeMap::new();
        let mut parents: Vec<(u64, u64)> = Vec::new();
        let mut todo = vec![ROOT];
        while let Some(dir) = todo.pop() {
            let Some(Node::Dir { cur, .. }) = self.inodes.get(&dir).map(|i| &i.node) else {
                continue;
            };
            for &child in cur.values() {
                *links.entry(child).or_default() += 1;
                if reached.insert(child) && matches!(self.inodes.get(&child).map(|i| &i.node), Some(Node::Dir { .. })) {
                    parents.push((child, dir));
                    todo.push(child);
                }
            }
        }
        self.inodes.retain(|ino, _| reached.contains(ino));
        for (ino, inode) in &mut self.inodes {
            if let Node::File { .. } = inode.node {
                inode.nlink = links.get(ino).copied().unwrap_or(1);
            }
        }
        for (child, parent) in parents {
            if let Some(Node::Dir { parent: p, .. }) = self.inodes.get_mut(&child).map(|i| &mut i.node) {
                *p = parent;
            }
        }
    }

    fn dir_entries(&self, ino: u64) -> Result<&BTreeMap<OsString, u64>, Errno> {
        match self.inodes.get(&ino).map(|i| &i.node) {
            Some(Node::Dir { cur, .. }) => Ok(cur),
            Some(Node::File { .. }) => Err(Errno::ENOTDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn dir_entries_mut(&mut self, ino: u64) -> Result<&mut BTreeMap<OsString, u64>, Errno> {
        match self.inodes.get_mut(&ino).map(|i| &mut i.node) {
            Some(Node::Dir { cur, .. }) => Ok(cur),
            Some(Node::File { .. }) => Err(Errno::ENOTDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn lookup(&self, parent: u64, name: &OsStr) -> Result<u64, Errno> {
        self.dir_entries(parent)?.get(name).copied().ok_or(Errno::ENOENT)
    }

    fn touch(&mut self, ino: u64) {
        if let Some(inode) = self.inodes.get_mut(&ino) {
            let now = SystemTime::now();
            inode.mtime = now;
            inode.ctime = now;
        }
    }

    fn add_entry(&mut self, parent: u64, name: &OsStr, inode: Inode) -> Result<u64, Errno> {
        if self.dir_entries(parent)?.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        if self.faults.full {
            return Err(Errno::ENOSPC);
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        self.inodes.insert(ino, inode);
        self.dir_entries_mut(parent)?.insert(name.to_owned(), ino);
        self.touch(parent);
        Ok(ino)
    }

    /// Drops one link to `ino` (an unlink or a replaced rename target).
    fn unlinked(&mut self, ino: u64) {
        if let Some(inode) = self.inodes.get_mut(&ino) {
            inode.nlink = inode.nlink.saturating_sub(1);
            inode.ctime = SystemTime::now();
        }
    }

    fn is_empty_dir(&self, ino: u64) -> bool {
        matches!(self.inodes.get(&ino).map(|i| &i.node), Some(Node::Dir { cur, .. }) if cur.is_empty())
    }

    fn is_dir(&self, ino: u64) -> bool {
        matches!(self.inodes.get(&ino).map(|i| &i.node), Some(Node::Dir { .. }))
    }

    fn write(&mut self, ino: u64, offset: u64, data: &[u8]) -> Result<u32, Errno> {
        self.change()?;
        let faultable = self.inodes.get(&ino).ok_or(Errno::ENOENT)?.faultable();
        if faultable {
            self.counters.writes += 1;
            let n = self.counters.writes;
            if self.faults.write_eio_at == Some(n) {
                self.faults.write_eio_at = None;
                return Err(Errno::EIO);
            }
            if self.faults.full_from_write.is_some_and(|at| n >= at) {
                self.faults.full = true;
            }
            if self.faults.full {
                return Err(Errno::ENOSPC);
            }
        }
        let inode = self.inodes.get_mut(&ino).ok_or(Errno::ENOENT)?;
        let Node::File { cur, dirty, lost, .. } = &mut inode.node else {
            return Err(Errno::EISDIR);
        };
        let mut touched = BTreeSet::new();
        cur.write(offset, data, &mut touched);
        for b in touched {
            lost.remove(&b);
            dirty.insert(b);
        }
        self.touch(ino);
        Ok(data.len() as u32)
    }

    fn set_len(&mut self, ino: u64, len: u64) -> Result<(), Errno> {
        self.change()?;
        let full = self.faults.full;
        let inode = self.inodes.get_mut(&ino).ok_or(Errno::ENOENT)?;
        let faultable = inode.faultable();
        let Node::File { cur, dirty, lost, .. } = &mut inode.node else {
            return Err(Errno::EISDIR);
        };
        if full && faultable && len > cur.len {
            return Err(Errno::ENOSPC);
        }
        let mut touched = BTreeSet::new();
        cur.set_len(len, &mut touched);
        for b in touched {
            lost.remove(&b);
            dirty.insert(b);
        }
        self.touch(ino);
        Ok(())
    }

    fn fsync(&mut self, ino: u64) -> Result<(), Errno> {
        self.change()?;
        let inode = self.inodes.get_mut(&ino).ok_or(Errno::ENOENT)?;
        let faultable = inode.faultable();
        let Node::File { cur, dur, dirty, lost } = &mut inode.node else {
            return Err(Errno::EISDIR);
        };
        if faultable {
            self.counters.fsyncs += 1;
            if self.faults.fsync_eio_at == Some(self.counters.fsyncs) {
                self.faults.fsync_eio_at = None;
                self.counters.fsync_faults += 1;
                // Linux drops the dirty state of the pages it could not
                // write: they never reach the platter, and a later fsync
                // does not try again.
                for b in std::mem::take(dirty) {
                    lost.insert(b, dur.blocks.get(b).cloned().flatten());
                }
                return Err(Errno::EIO);
            }
        }
        let mut blocks = cur.blocks.clone();
        for (&b, old) in lost.iter() {
            if b < blocks.len() {
                blocks[b] = old.clone();
            }
        }
        *dur = Data { blocks, len: cur.len };
        dirty.clear();
        Ok(())
    }

    fn fsync_dir(&mut self, ino: u64) -> Result<(), Errno> {
        self.change()?;
        self.counters.dir_fsyncs += 1;
        match self.inodes.get_mut(&ino).map(|i| &mut i.node) {
            Some(Node::Dir { cur, dur, .. }) => {
                *dur = cur.clone();
                Ok(())
            }
            Some(Node::File { .. }) => Err(Errno::ENOTDIR),
            None => Err(Errno::ENOENT),
        }
    }

    fn rename(
        &mut self,
        parent: u64,
        name: &OsStr,
        newparent: u64,
        newname: &OsStr,
        flags: RenameFlags,
    ) -> Result<(), Errno> {
        self.change()?;
        if flags.contains(RenameFlags::RENAME_EXCHANGE) || flags.contains(RenameFlags::RENAME_WHITEOUT) {
            return Err(Errno::EINVAL);
        }
        let ino = self.lookup(parent, name)?;
        if let Ok(target) = self.lookup(newparent, newname) {
            if target == ino {
                return Ok(());
            }
            if flags.contains(RenameFlags::RENAME_NOREPLACE) {
                return Err(Errno::EEXIST);
            }
            match (self.is_dir(ino), self.is_dir(target)) {
                (true, true) if !self.is_empty_dir(target) => return Err(Errno::ENOTEMPTY),
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                _ => {}
            }
            self.unlinked(target);
        }
        self.dir_entries_mut(parent)?.remove(name);
        self.dir_entries_mut(newparent)?.insert(newname.to_owned(), ino);
        if let Some(inode) = self.inodes.get_mut(&ino) {
            inode.name = newname.to_owned();
            if let Node::Dir { parent: p, .. } = &mut inode.node {
                *p = newparent;
            }
        }
        self.touch(parent);
        self.touch(newparent);
        Ok(())
    }

    /// Loads `path` (a folder) as durable content under `dir`.
    fn load(&mut self, dir: u64, path: &Path) -> io::Result<()> {
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let meta = entry.metadata()?;
            let perm = (meta.permissions().mode() & 0o7777) as u16;
            let name = entry.file_name();
            let ino = self.next_ino;
            self.next_ino += 1;
            if meta.is_dir() {
                self.inodes.insert(ino, Inode::dir(perm, dir, &name));
                self.load(ino, &entry.path())?;
            } else if meta.is_file() {
                let bytes = std::fs::read(entry.path())?;
                let mut data = Data::default();
                data.write(0, &bytes, &mut BTreeSet::new());
                let mut inode = Inode::file(perm, &name);
                inode.node = Node::File {
                    cur: data.clone(),
                    dur: data,
                    dirty: BTreeSet::new(),
                    lost: BTreeMap::new(),
                };
                self.inodes.insert(ino, inode);
            } else {
                continue;
            }
            if let Some(Node::Dir { cur, dur, .. }) = self.inodes.get_mut(&dir).map(|i| &mut i.node) {
                cur.insert(name.clone(), ino);
                dur.insert(name, ino);
            }
        }
        Ok(())
    }

    /// Writes the durable state of `dir` into `path` (emptied first).
    fn save(&self, dir: u64, path: &Path) -> io::Result<()> {
        let Some(Node::Dir { dur, .. }) = self.inodes.get(&dir).map(|i| &i.node) else {
            return Ok(());
        };
        for (name, ino) in dur {
            let Some(inode) = self.inodes.get(ino) else { continue };
            let target = path.join(name);
            match &inode.node {
                Node::Dir { .. } => {
                    std::fs::create_dir(&target)?;
                    self.save(*ino, &target)?;
                }
                Node::File { dur, .. } => {
                    std::fs::write(&target, dur.read(0, u32::try_from(dur.len).unwrap_or(u32::MAX)))?
                }
            }
            std::fs::set_permissions(&target, std::fs::Permissions::from_mode(u32::from(inode.perm)))?;
        }
        Ok(())
    }
}

/// The FUSE side: every call takes the shared state's lock.
#[derive(Debug)]
struct Fs {
    state: Arc<Mutex<State>>,
}

impl Fs {
    fn state(&self) -> MutexGuard<'_, State> {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.last_request = Instant::now();
        state
    }

    fn entry(&self, state: &State, ino: u64, reply: ReplyEntry) {
        match state.attr(ino) {
            Some(attr) => reply.entry(&TTL, &attr, Generation(0)),
            None => reply.error(Errno::ENOENT),
        }
    }
}

fn perm(mode: u32, umask: u32) -> u16 {
    (mode & !umask & 0o7777) as u16
}

impl Filesystem for Fs {
    fn init(&mut self, _req: &Request, _config: &mut KernelConfig) -> io::Result<()> {
        Ok(())
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let state = self.state();
        if let Err(e) = state.alive() {
            return reply.error(e);
        }
        match state.lookup(parent.0, name) {
            Ok(ino) => self.entry(&state, ino, reply),
            Err(e) => reply.error(e),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        let state = self.state();
        if let Err(e) = state.alive() {
            return reply.error(e);
        }
        match state.attr(ino.0) {
            Some(attr) => reply.attr(&TTL, &attr),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        size: Option<u64>,
        _atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let mut state = self.state();
        if let Err(e) = state.alive() {
            return reply.error(e);
        }
        if let Some(len) = size {
            if let Err(e) = state.set_len(ino.0, len) {
                return reply.error(e);
            }
        }
        if let Some(inode) = state.inodes.get_mut(&ino.0) {
            if let Some(mode) = mode {
                inode.perm = (mode & 0o7777) as u16;
            }
            match mtime {
                Some(TimeOrNow::SpecificTime(t)) => inode.mtime = t,
                Some(TimeOrNow::Now) => inode.mtime = SystemTime::now(),
                None => {}
            }
        }
        match state.attr(ino.0) {
            Some(attr) => reply.attr(&TTL, &attr),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn mknod(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        if mode & 0o170000 != 0o100000 {
            return reply.error(Errno::EPERM);
        }
        let mut state = self.state();
        let made = state
            .change()
            .and_then(|()| state.add_entry(parent.0, name, Inode::file(perm(mode, umask), name)));
        match made {
            Ok(ino) => self.entry(&state, ino, reply),
            Err(e) => reply.error(e),
        }
    }

    fn mkdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, mode: u32, umask: u32, reply: ReplyEntry) {
        let mut state = self.state();
        let made = state
            .change()
            .and_then(|()| state.add_entry(parent.0, name, Inode::dir(perm(mode, umask), parent.0, name)));
        match made {
            Ok(ino) => self.entry(&state, ino, reply),
            Err(e) => reply.error(e),
        }
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let mut state = self.state();
        let done = state.change().and_then(|()| {
            let ino = state.lookup(parent.0, name)?;
            if state.is_dir(ino) {
                return Err(Errno::EISDIR);
            }
            state.dir_entries_mut(parent.0)?.remove(name);
            state.unlinked(ino);
            state.touch(parent.0);
            Ok(())
        });
        match done {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let mut state = self.state();
        let done = state.change().and_then(|()| {
            let ino = state.lookup(parent.0, name)?;
            if !state.is_dir(ino) {
                return Err(Errno::ENOTDIR);
            }
            if !state.is_empty_dir(ino) {
                return Err(Errno::ENOTEMPTY);
            }
            state.dir_entries_mut(parent.0)?.remove(name);
            state.touch(parent.0);
            Ok(())
        });
        match done {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        match self.state().rename(parent.0, name, newparent.0, newname, flags) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn link(&self, _req: &Request, ino: INodeNo, newparent: INodeNo, newname: &OsStr, reply: ReplyEntry) {
        let mut state = self.state();
        let done = state.change().and_then(|()| {
            if state.is_dir(ino.0) {
                return Err(Errno::EPERM);
            }
            if state.dir_entries(newparent.0)?.contains_key(newname) {
                return Err(Errno::EEXIST);
            }
            state.dir_entries_mut(newparent.0)?.insert(newname.to_owned(), ino.0);
            if let Some(inode) = state.inodes.get_mut(&ino.0) {
                inode.nlink += 1;
            }
            state.touch(newparent.0);
            Ok(())
        });
        match done {
            Ok(()) => self.entry(&state, ino.0, reply),
            Err(e) => reply.error(e),
        }
    }

    fn open(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        let state = self.state();
        match state
            .alive()
            .and_then(|()| state.inodes.get(&ino.0).map(|_| ()).ok_or(Errno::ENOENT))
        {
            Ok(()) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let state = self.state();
        if let Err(e) = state.alive() {
            return reply.error(e);
        }
        match state.inodes.get(&ino.0).map(|i| &i.node) {
            Some(Node::File { cur, .. }) => reply.data(&cur.read(offset, size)),
            Some(Node::Dir { .. }) => reply.error(Errno::EISDIR),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        match self.state().write(ino.0, offset, data) {
            Ok(n) => reply.written(n),
            Err(e) => reply.error(e),
        }
    }

    fn flush(&self, _req: &Request, _ino: INodeNo, _fh: FileHandle, _lock_owner: LockOwner, reply: ReplyEmpty) {
        reply.ok();
    }

    fn fsync(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
        match self.state().fsync(ino.0) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        let state = self.state();
        match state.alive().and_then(|()| state.dir_entries(ino.0).map(|_| ())) {
            Ok(()) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn readdir(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, offset: u64, mut reply: ReplyDirectory) {
        let state = self.state();
        if let Err(e) = state.alive() {
            return reply.error(e);
        }
        let (entries, parent) = match state.inodes.get(&ino.0).map(|i| &i.node) {
            Some(Node::Dir { cur, parent, .. }) => (cur, *parent),
            Some(Node::File { .. }) => return reply.error(Errno::ENOTDIR),
            None => return reply.error(Errno::ENOENT),
        };
        let mut all: Vec<(u64, FileType, OsString)> = vec![
            (ino.0, FileType::Directory, ".".into()),
            (parent, FileType::Directory, "..".into()),
        ];
        for (name, child) in entries {
            let kind = if state.is_dir(*child) {
                FileType::Directory
            } else {
                FileType::RegularFile
            };
            all.push((*child, kind, name.clone()));
        }
        for (i, (child, kind, name)) in all.into_iter().enumerate().skip(offset as usize) {
            if reply.add(INodeNo(child), (i + 1) as u64, kind, &name) {
                break;
            }
        }
        reply.ok();
    }

    fn fsyncdir(&self, _req: &Request, ino: INodeNo, _fh: FileHandle, _datasync: bool, reply: ReplyEmpty) {
        match self.state().fsync_dir(ino.0) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        let state = self.state();
        let free = if state.faults.full { 0 } else { 1 << 24 };
        reply.statfs(1 << 24, free, free, 1 << 20, 1 << 20, BLOCK as u32, 255, BLOCK as u32);
    }

    fn access(&self, _req: &Request, _ino: INodeNo, _mask: AccessFlags, reply: ReplyEmpty) {
        reply.ok();
    }

    fn create(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        let mut state = self.state();
        let made = state
            .change()
            .and_then(|()| state.add_entry(parent.0, name, Inode::file(perm(mode, umask), name)));
        match made.map(|ino| state.attr(ino)) {
            Ok(Some(attr)) => reply.created(&TTL, &attr, Generation(0), FileHandle(0), FopenFlags::empty()),
            Ok(None) => reply.error(Errno::ENOENT),
            Err(e) => reply.error(e),
        }
    }

    fn fallocate(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        length: u64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        if mode != 0 {
            return reply.error(Errno::EOPNOTSUPP);
        }
        let mut state = self.state();
        let len = match state.inodes.get(&ino.0).map(|i| &i.node) {
            Some(Node::File { cur, .. }) => cur.len,
            _ => return reply.error(Errno::ENOENT),
        };
        let Some(end) = offset.checked_add(length) else {
            return reply.error(Errno::EFBIG);
        };
        if end <= len {
            return reply.ok();
        }
        match state.set_len(ino.0, end) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }
}

/// How long an unmount may take to end the session before the connection
/// is aborted (a file on the mount still open, or a request never answered).
const UNMOUNT_BOUND: Duration = Duration::from_secs(30);

/// The FUSE connection of one mount: its session and the guard that watches
/// the session thread.
#[derive(Debug)]
struct Connection {
    session: Arc<Mutex<Option<fuser::BackgroundSession>>>,
    /// The kernel's number of the connection (`/sys/fs/fuse/connections/N`).
    id: Option<u64>,
    stop_guard: Arc<AtomicBool>,
    guard: Option<JoinHandle<()>>,
}

/// Aborts the FUSE connection `id` through the kernel's fusectl file
/// system: every request waiting on it fails (`ENOTCONN`) instead of
/// waiting forever. Needs root (or the mount's owner); false if it could not.
fn abort_connection(id: Option<u64>) -> bool {
    id.is_some_and(|id| std::fs::write(format!("/sys/fs/fuse/connections/{id}/abort"), "1").is_ok())
}

/// The connection number of the FUSE mount whose device is `dev` (its
/// minor number: FUSE mounts are anonymous devices, major 0).
fn connection_id(dev: u64) -> u64 {
    (dev & 0xff) | ((dev >> 12) & !0xff)
}

impl Connection {
    /// Takes the session out (the guard stops watching) and ends it: an
    /// unmount, then the session thread must end within [`UNMOUNT_BOUND`],
    /// else the connection is aborted and this says why.
    fn end(mut self, mountpoint: &Path, state: &Mutex<State>) -> io::Result<()> {
        self.stop_guard.store(true, Ordering::SeqCst);
        if let Some(guard) = self.guard.take() {
            let _ = guard.join();
        }
        let session = self
            .session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take();
        let Some(session) = session else {
            let why = state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .ended
                .clone()
                .unwrap_or_else(|| "ended".into());
            return Err(io::Error::other(format!(
                "the FUSE session at {} ended while mounted: {why}",
                mountpoint.display()
            )));
        };
        // The unmount (root: umount(2); else `fusermount3 -u -z`, a lazy
        // unmount that ends the session only when the last file on the
        // mount is closed) and the end of the session thread, in a thread
        // of their own so that neither can hang the test.
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("faultfs-unmount".into())
            .spawn(move || {
                let _ = done_tx.send(session.umount_and_join());
            })?;
        match done_rx.recv_timeout(UNMOUNT_BOUND) {
            Ok(result) => result,
            Err(_) => {
                let aborted = abort_connection(self.id);
                Err(io::Error::other(format!(
                    "the FUSE session at {} did not end within {} s of the unmount (a file on it still open, or a request never answered); {}",
                    mountpoint.display(),
                    UNMOUNT_BOUND.as_secs(),
                    if aborted {
                        "its connection was aborted"
                    } else {
                        "its connection could not be aborted"
                    }
                )))
            }
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.stop_guard.store(true, Ordering::SeqCst);
    }
}

/// The mounted file system, served by the process that runs [`serve`]
/// (never the process that uses the mount: see [`FaultFs`]).
#[derive(Debug)]
struct Server {
    backing: PathBuf,
    mountpoint: PathBuf,
    state: Arc<Mutex<State>>,
    connection: Option<Connection>,
}

impl Server {
    /// Mounts the content of `backing` (a folder; its files count as
    /// durable) at `mountpoint` (an empty folder).
    fn mount(backing: &Path, mountpoint: &Path) -> io::Result<Server> {
        let meta = std::fs::metadata(backing)?;
        let mut state = State::new(meta.uid(), meta.gid());
        state.load(ROOT, backing)?;
        let mut fs = Server {
            backing: backing.to_path_buf(),
            mountpoint: mountpoint.to_path_buf(),
            state: Arc::new(Mutex::new(state)),
            connection: None,
        };
        fs.start()?;
        Ok(fs)
    }

    /// Mounts, and starts the guard: if the session thread ends while the
    /// file system is still mounted (a panic, an error reading the device),
    /// every request on the mount would wait forever for an answer; the
    /// guard then aborts the connection, so they fail (`ENOTCONN`) and the
    /// test says why ([`Control::diagnostics`], [`FaultFs::restart`]).
    fn start(&mut self) -> io::Result<()> {
        let mut config = Config::default();
        config.mount_options = vec![
            MountOption::FSName("sonic-faultfs".into()),
            MountOption::Subtype("faultfs".into()),
        ];
        let session = fuser::spawn_mount(
            Fs {
                state: Arc::clone(&self.state),
            },
            &self.mountpoint,
            &config,
        )?;
        {
            let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            state.ended = None;
            state.last_request = Instant::now();
        }
        let id = std::fs::metadata(&self.mountpoint).ok().map(|m| connection_id(m.dev()));
        let session = Arc::new(Mutex::new(Some(session)));
        let stop_guard = Arc::new(AtomicBool::new(false));
        let guard = {
            let session = Arc::clone(&session);
            let stop = Arc::clone(&stop_guard);
            let state = Arc::clone(&self.state);
            let mountpoint = self.mountpoint.clone();
            std::thread::Builder::new()
                .name("faultfs-guard".into())
                .spawn(move || watch(&session, &stop, &state, &mountpoint, id))?
        };
        self.connection = Some(Connection {
            session,
            id,
            stop_guard,
            guard: Some(guard),
        });
        Ok(())
    }

    /// The kernel's number of the FUSE connection, if known.
    fn connection_id(&self) -> Option<u64> {
        self.connection.as_ref().and_then(|c| c.id)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn stop(&mut self) -> io::Result<()> {
        match self.connection.take() {
            Some(connection) => connection.end(&self.mountpoint, &self.state),
            None => Ok(()),
        }
    }

    fn save_backing(&self) -> io::Result<()> {
        for entry in std::fs::read_dir(&self.backing)? {
            let path = entry?.path();
            if path.is_dir() {
                std::fs::remove_dir_all(&path)?;
            } else {
                std::fs::remove_file(&path)?;
            }
        }
        let state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.save(ROOT, &self.backing)
    }

    /// The machine starts again: unmounts (kernel caches go with the
    /// mount), keeps only what was durable (a power cut if the power was
    /// still on), writes it to the backing folder and mounts it again.
    /// Close the program's files first. Fails, saying why, if the session
    /// ended while mounted or did not end within a bound of the unmount.
    fn restart(&mut self) -> io::Result<()> {
        self.stop()?;
        {
            let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            if !state.dead {
                state.cut();
            }
            state.dead = false;
            state.faults = Faults::default();
        }
        self.save_backing()?;
        self.start()
    }

    /// Unmounts, writing the durable state to the backing folder.
    fn unmount(mut self) -> io::Result<()> {
        self.stop()?;
        self.save_backing()
    }

    /// One command of the test ([`Control`]): `Ok(reply)` or `Err(why)`.
    fn command(&mut self, line: &str) -> Result<String, String> {
        let mut words = line.split_whitespace();
        let cmd = words.next().unwrap_or("");
        let n = || -> Result<u64, String> {
            line.split_whitespace()
                .nth(1)
                .and_then(|w| w.parse().ok())
                .ok_or_else(|| format!("{cmd}: a count is missing"))
        };
        let flag = |b: bool| if b { "1".to_string() } else { "0".to_string() };
        Ok(match cmd {
            "counters" => {
                let c = self.state().counters;
                format!(
                    "{} {} {} {} {} {}",
                    c.changes, c.writes, c.fsyncs, c.dir_fsyncs, c.cuts, c.fsync_faults
                )
            }
            "reset" => {
                let mut state = self.state();
                let (cuts, fsync_faults) = (state.counters.cuts, state.counters.fsync_faults);
                state.counters = Counters {
                    cuts,
                    fsync_faults,
                    ..Counters::default()
                };
                state.faults = Faults::default();
                String::new()
            }
            "cut_now" => {
                self.state().cut();
                String::new()
            }
            "cut_after" => {
                let n = n()?;
                let mut state = self.state();
                state.faults.cut_at_change = Some(state.counters.changes + n.max(1));
                String::new()
            }
            "dead" => flag(self.state().dead),
            "fail_fsync" => {
                let n = n()?;
                let mut state = self.state();
                state.faults.fsync_eio_at = Some(state.counters.fsyncs + n.max(1));
                String::new()
            }
            "fail_write" => {
                let n = n()?;
                let mut state = self.state();
                state.faults.write_eio_at = Some(state.counters.writes + n.max(1));
                String::new()
            }
            "full_at" => {
                let n = n()?;
                let mut state = self.state();
                state.faults.full_from_write = Some(state.counters.writes + n.max(1));
                String::new()
            }
            "full" => flag(self.state().faults.full),
            "space" => {
                let mut state = self.state();
                state.faults.full = false;
                state.faults.full_from_write = None;
                String::new()
            }
            "ended" => self.state().ended.clone().unwrap_or_default(),
            "idle" => self.state().last_request.elapsed().as_millis().to_string(),
            "restart" => {
                self.restart().map_err(|e| e.to_string())?;
                self.connection_id().map_or_else(String::new, |id| id.to_string())
            }
            other => return Err(format!("unknown command {other:?}")),
        })
    }
}

/// The server process (the `faultfs-server` binary): mounts `backing` at
/// `mountpoint` (its arguments), says `ok <connection>` on stdout, then
/// answers the commands of [`Control`] and [`FaultFs`], one a line, until
/// `unmount` or the end of its input (the test process is gone): then it
/// unmounts, writing the durable state to `backing`. Returns the exit code.
pub fn serve() -> i32 {
    use std::io::{BufRead, Write};
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [backing, mountpoint] = args.as_slice() else {
        eprintln!("usage: faultfs-server BACKING MOUNTPOINT");
        return 2;
    };
    let mut out = io::stdout();
    let mut server = match Server::mount(backing, mountpoint) {
        Ok(server) => server,
        Err(e) => {
            let _ = writeln!(out, "err mounting {}: {e}", mountpoint.display());
            return 1;
        }
    };
    let id = server.connection_id().map_or_else(String::new, |id| id.to_string());
    if writeln!(out, "ok {id}").and_then(|()| out.flush()).is_err() {
        return 1;
    }
    let stdin = io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.trim() == "unmount" {
            break;
        }
        let reply = match server.command(&line) {
            Ok(r) => format!("ok {r}"),
            Err(e) => format!("err {}", e.replace('\n', " ")),
        };
        if writeln!(out, "{reply}").and_then(|()| out.flush()).is_err() {
            break;
        }
    }
    let reply = match server.unmount() {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("err {}", e.to_string().replace('\n', " ")),
    };
    let _ = writeln!(out, "{reply}").and_then(|()| out.flush());
    0
}

/// The guard of one mount: watches the session thread until told to stop.
fn watch(
    session: &Mutex<Option<fuser::BackgroundSession>>,
    stop: &AtomicBool,
    state: &Mutex<State>,
    mountpoint: &Path,
    id: Option<u64>,
) {
    while !stop.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(20));
        let mut slot = session.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if stop.load(Ordering::SeqCst) || !slot.as_ref().is_some_and(|s| s.guard.is_finished()) {
            continue;
        }
        let Some(ended) = slot.take() else { continue };
        drop(slot);
        // Joining drops the rest of the session: an unmount (that fails
        // while files are open) and the device file, which aborts the
        // connection when it was the last one open.
        let why = match ended.join() {
            Ok(()) => "the session thread ended".to_string(),
            Err(e) => format!("the session thread ended: {e}"),
        };
        let aborted = abort_connection(id);
        let message = format!(
            "sonic-faultfs: the FUSE session at {} ended while mounted ({why}); its connection {}",
            mountpoint.display(),
            if aborted {
                "was aborted: every call on it fails"
            } else {
                "is closed"
            }
        );
        // Straight to stderr: the test harness does not capture it.
        let _ = io::Write::write_all(&mut io::stderr(), format!("{message}\n").as_bytes());
        state.lock().unwrap_or_else(std::sync::PoisonError::into_inner).ended = Some(why);
        return;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// The test's end of the server's pipes: one command, one reply.
#[derive(Debug)]
struct Channel {
    input: std::process::ChildStdin,
    output: io::BufReader<std::process::ChildStdout>,
}

impl Channel {
    fn ask(&mut self, command: &str) -> io::Result<String> {
        use std::io::{BufRead, Write};
        writeln!(self.input, "{command}")?;
        self.input.flush()?;
        let mut line = String::new();
        if self.output.read_line(&mut line)? == 0 {
            return Err(io::Error::other("the faultfs server process is gone"));
        }
        let line = line.trim_end();
        match line.split_once(' ').unwrap_or((line, "")) {
            ("ok", rest) => Ok(rest.to_string()),
            (_, why) => Err(io::Error::other(why.to_string())),
        }
    }
}

/// The test's handle on a mounted [`FaultFs`]: faults and counters, sent to
/// the server process.
#[derive(Debug, Clone)]
pub struct Control {
    channel: Arc<Mutex<Channel>>,
    /// The kernel's number of the FUSE connection (0: unknown).
    connection: Arc<std::sync::atomic::AtomicU64>,
}

impl Control {
    fn ask(&self, command: &str) -> String {
        let mut channel = self.channel.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match channel.ask(command) {
            Ok(reply) => reply,
            Err(e) => panic!("faultfs server, {command}: {e}"),
        }
    }

    /// The counters since the mount or the last reset.
    pub fn counters(&self) -> Counters {
        let reply = self.ask("counters");
        let n: Vec<u64> = reply.split_whitespace().filter_map(|w| w.parse().ok()).collect();
        let [changes, writes, fsyncs, dir_fsyncs, cuts, fsync_faults] = n[..] else {
            panic!("faultfs server: counters {reply:?}");
        };
        Counters {
            changes,
            writes,
            fsyncs,
            dir_fsyncs,
            cuts,
            fsync_faults,
        }
    }

    /// Zeroes the counters (the fault positions count from here) and clears
    /// pending faults.
    pub fn reset_counters(&self) {
        self.ask("reset");
    }

    /// Cuts the power now: what was not synced is gone, every call fails
    /// with `EIO` until [`FaultFs::restart`].
    pub fn cut_power_now(&self) {
        self.ask("cut_now");
    }

    /// Cuts the power at the `n`th change from now (1 = the next one; that
    /// change is not made).
    pub fn cut_power_after(&self, n: u64) {
        self.ask(&format!("cut_after {n}"));
    }

    /// Whether the power is off.
    pub fn is_dead(&self) -> bool {
        self.ask("dead") == "1"
    }

    /// The `n`th file `fsync` from now (1 = the next) fails with `EIO`,
    /// with Linux's semantics: its data is not durable, and no later
    /// `fsync` writes it.
    pub fn fail_fsync_at(&self, n: u64) {
        self.ask(&format!("fail_fsync {n}"));
    }

    /// The `n`th file write from now fails with `EIO` (nothing written).
    pub fn fail_write_at(&self, n: u64) {
        self.ask(&format!("fail_write {n}"));
    }

    /// From the `n`th file write from now on, writes, growing truncates and
    /// creates fail with `ENOSPC` until [`Control::space_returns`].
    pub fn disk_full_at(&self, n: u64) {
        self.ask(&format!("full_at {n}"));
    }

    /// Whether the disk is full now.
    pub fn is_full(&self) -> bool {
        self.ask("full") == "1"
    }

    /// Space is back: writes succeed again.
    pub fn space_returns(&self) {
        self.ask("space");
    }

    /// Aborts the FUSE connection (the kernel's fusectl): every request
    /// waiting on the mount fails with `ENOTCONN` instead of waiting for an
    /// answer that will not come. For a test that has stalled; false if it
    /// could not (not root, fusectl not mounted). Needs no answer from the
    /// server.
    pub fn abort_connection(&self) -> bool {
        let id = self.connection.load(Ordering::SeqCst);
        abort_connection((id != 0).then_some(id))
    }

    /// What the server says about itself (whether its FUSE session ended,
    /// how long ago it last served a request, the counters), for a test
    /// that has stalled; says so if the channel is busy rather than wait.
    pub fn diagnostics(&self) -> String {
        let Ok(mut channel) = self.channel.try_lock() else {
            return "the control channel is busy (a command waits for the server)".into();
        };
        let ended = channel.ask("ended").unwrap_or_else(|e| format!("? ({e})"));
        let idle = channel.ask("idle").unwrap_or_else(|e| format!("? ({e})"));
        let counters = channel.ask("counters").unwrap_or_else(|e| format!("? ({e})"));
        format!(
            "FUSE session {}, last request served {idle} ms ago, counters (changes writes fsyncs dir_fsyncs cuts fsync_faults) {counters}",
            if ended.is_empty() { "running".to_string() } else { format!("ended ({ended})") }
        )
    }
}

/// A mounted fault-injecting file system; unmounts on drop.
///
/// It is served by a process of its own (the `faultfs-server` binary of this
/// crate), never by the test process: a process that serves a FUSE mount
/// and also maps a file of it deadlocks. SQLite maps its `-shm` index; when
/// it unmaps it, the kernel writes the mapped pages back through the file
/// system while it holds the process's memory-map lock, and the serving
/// thread, allocating memory (`mprotect`), waits for that same lock: each
/// waits for the other for ever (seen: the long power-cut runs stalled).
#[derive(Debug)]
pub struct FaultFs {
    mountpoint: PathBuf,
    child: Option<std::process::Child>,
    control: Control,
}

/// The server binary: `SONIC_FAULTFS_SERVER`, else `faultfs-server` beside
/// the test binary's folder (cargo builds it for this crate's tests into
/// `target/<profile>/`).
fn server_binary() -> io::Result<PathBuf> {
    if let Some(path) = std::env::var_os("SONIC_FAULTFS_SERVER") {
        return Ok(PathBuf::from(path));
    }
    let exe = std::env::current_exe()?;
    let candidates = exe
        .ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join("faultfs-server"))
        .collect::<Vec<_>>();
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        io::Error::other(format!(
            "the faultfs-server binary is not built (looked at {candidates:?}): `cargo test -p sonic-faultfs` builds it, or set SONIC_FAULTFS_SERVER"
        ))
    })
}

impl FaultFs {
    /// Mounts the content of `backing` (a folder; its files count as
    /// durable) at `mountpoint` (an empty folder), served by a new
    /// `faultfs-server` process.
    pub fn mount(backing: &Path, mountpoint: &Path) -> io::Result<FaultFs> {
        let mut child = std::process::Command::new(server_binary()?)
            .arg(backing)
            .arg(mountpoint)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()?;
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(io::Error::other("the faultfs server has no pipes"));
        };
        let mut output = io::BufReader::new(output);
        let mut first = String::new();
        io::BufRead::read_line(&mut output, &mut first)?;
        let first = first.trim_end();
        let Some(id) = first.strip_prefix("ok") else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other(format!("the faultfs server did not mount: {first}")));
        };
        let control = Control {
            channel: Arc::new(Mutex::new(Channel { input, output })),
            connection: Arc::new(std::sync::atomic::AtomicU64::new(id.trim().parse().unwrap_or(0))),
        };
        Ok(FaultFs {
            mountpoint: mountpoint.to_path_buf(),
            child: Some(child),
            control,
        })
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        &self.mountpoint
    }

    /// The handle that injects faults.
    pub fn control(&self) -> Control {
        self.control.clone()
    }

    /// The machine starts again: unmounts (kernel caches go with the
    /// mount), keeps only what was durable (a power cut if the power was
    /// still on), writes it to the backing folder and mounts it again.
    /// Close the program's files first. Fails, saying why, if the session
    /// ended while mounted or did not end within a bound of the unmount.
    pub fn restart(&mut self) -> io::Result<()> {
        let reply = self
            .control
            .channel
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .ask("restart")?;
        self.control
            .connection
            .store(reply.trim().parse().unwrap_or(0), Ordering::SeqCst);
        Ok(())
    }

    /// Unmounts, writing the durable state to the backing folder.
    pub fn unmount(mut self) -> io::Result<()> {
        self.stop()
    }

    /// Tells the server to unmount and waits for it to end (within a bound;
    /// then it is killed).
    fn stop(&mut self) -> io::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        let said = self
            .control
            .channel
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .ask("unmount");
        let started = Instant::now();
        loop {
            if child.try_wait()?.is_some() {
                break;
            }
            if started.elapsed() > UNMOUNT_BOUND * 2 {
                let _ = child.kill();
                let _ = child.wait();
                return Err(io::Error::other(
                    "the faultfs server did not end after the unmount; killed",
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        said.map(|_| ())
    }
}

impl Drop for FaultFs {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// Whether FUSE mounts work here: `/dev/fuse` opens, and the process is
/// root (it mounts with mount(2)) or finds `fusermount3` (Debian's `fuse3`).
/// The tests say why and skip when not, unless `SONIC_REQUIRE_FUSE=1`
/// (`scripts/test` and `scripts/reliability` set it): then they fail,
/// saying what to install.
pub fn fuse_available() -> bool {
    match fuse_missing() {
        None => true,
        Some(why) => {
            if std::env::var("SONIC_REQUIRE_FUSE").is_ok_and(|v| v == "1") {
                panic!("SONIC_REQUIRE_FUSE=1 but the FUSE tests cannot run here: {why}");
            }
            eprintln!("skipped: {why} (SONIC_REQUIRE_FUSE=1 makes this a failure)");
            false
        }
    }
}

/// What stops a FUSE mount here, if anything.
fn fuse_missing() -> Option<String> {
    if let Err(e) = std::fs::OpenOptions::new().read(true).write(true).open("/dev/fuse") {
        return Some(format!(
            "/dev/fuse cannot be opened ({e}): load the module (`modprobe fuse`), or in a container pass the device (`--device /dev/fuse`)"
        ));
    }
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    let on_path = |name: &str| {
        std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
    };
    if !root && !on_path("fusermount3") && !on_path("fusermount") {
        return Some(
            "not root and no fusermount3 on the PATH: install Debian's fuse3 (`apt-get install fuse3`)".to_string(),
        );
    }
    None
}
