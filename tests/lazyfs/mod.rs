//! LazyFS for the tests: a FUSE passthrough filesystem that keeps, in memory, everything
//! written since the last `fsync`, and can lose it all at a simulated power cut — what
//! LazyFS (the filesystem Jepsen uses) does, small enough to read in one sitting.
//!
//! It mounts a directory backed by a real one. The backing directory holds exactly what has
//! reached "stable storage"; everything else lives in this process:
//!
//! - **File data and size.** A per-file page cache: a write changes 4 KiB pages in memory and
//!   reads see them. `fsync` or `fdatasync` of the file writes its pages and its size to the
//!   backing file. A truncation is cached too (the durable bytes past it read as zeros until
//!   the next sync), and so is `fallocate`'s growth.
//! - **Directory entries.** `create`, `mkdir`, `unlink`, `rmdir` and `rename` change a
//!   directory's entries in memory only. `fsync` of a directory makes the backing directory's
//!   entries match: new names appear (a file never synced appears empty, as on a real disk),
//!   removed names go, renames land. A file synced before its directory entry was is kept
//!   where no name reaches it (`.lazyfs-orphans` in the backing directory, removed at every
//!   mount, like a filesystem check after a crash), so its data is on "disk" but lost if the
//!   entry never follows.
//! - **Not modelled:** permissions, owners and times stay in memory and are never persisted
//!   (a file is stored with the backing directory's defaults); hard links, symbolic links and
//!   special files are refused; extended attributes are not supported.
//!
//! [`LazyFs::crash`] is the power cut: it throws away every page and entry not yet synced,
//! and from then on every operation on the mount fails with EIO (the machine is off). After
//! [`LazyFs::unmount`], mounting the same backing directory again serves only what reached
//! it.
//!
//! `sync_file_range` does not count as a sync, and cannot: FUSE never sees it. The kernel
//! runs it against the page cache of the FUSE file, and with FUSE's writeback cache off (the
//! default here, so writes go straight through) every `write()` has already been handed to
//! this daemon, which keeps it in memory until an `fsync` or `fdatasync` arrives. A program
//! whose durability rests on `sync_file_range` therefore loses its data here at a crash, as
//! it can on a real disk (its manual page: "no guarantees that the data will be available
//! after a crash").

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use fuser::{
    AccessFlags, BackgroundSession, BsdFileFlags, Config, Errno, FileAttr, FileHandle, FileType,
    FopenFlags, Generation, INodeNo, LockOwner, MountOption, OpenFlags, RenameFlags, ReplyAttr,
    ReplyCreate, ReplyData, ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs,
    ReplyWrite, Request, TimeOrNow, WriteFlags,
};

const PAGE: u64 = 4096;
/// Where synced files without a synced name wait, inside the backing directory.
pub const ORPHANS: &str = ".lazyfs-orphans";
const TTL: Duration = Duration::from_secs(1);
const ROOT: u64 = 1;

/// What a power cut threw away, and how much was synced before it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Stats {
    pub file_syncs: u64,
    pub dir_syncs: u64,
    /// Bytes in dirty pages at the crash (whole pages).
    pub dropped_bytes: u64,
    /// Files whose data or size had changed since their last sync.
    pub dropped_files: u64,
    /// Directories whose entries had changed since their last sync.
    pub dropped_dirs: u64,
}

/// Where a node's durable content is in the backing directory.
#[derive(Clone, Debug, PartialEq)]
enum Place {
    Root,
    /// Under this name in the durable directory `parent`.
    At(u64, OsString),
    /// Synced, but no synced name leads to it.
    Orphan,
    /// Never synced: nothing of it is durable.
    Nowhere,
}

struct Node {
    dir: bool,
    place: Place,
    linked: bool,
    perm: u16,
    uid: u32,
    gid: u32,
    atime: SystemTime,
    mtime: SystemTime,
    ctime: SystemTime,
    // Files: the durable content (a handle that follows the backing file through renames),
    // its length, the volatile length, the lowest length since the last sync (durable bytes
    // at or past it read as zeros) and the dirty pages.
    handle: Option<File>,
    durable_size: u64,
    size: u64,
    cut: u64,
    pages: BTreeMap<u64, Box<[u8]>>,
    // Directories: the volatile entries, and whether they differ from the durable ones.
    entries: BTreeMap<OsString, u64>,
    dirty: bool,
}

impl Node {
    fn new(dir: bool, place: Place, perm: u16, uid: u32, gid: u32) -> Node {
        let now = SystemTime::now();
        Node {
            dir,
            place,
            linked: true,
            perm,
            uid,
            gid,
            atime: now,
            mtime: now,
            ctime: now,
            handle: None,
            durable_size: 0,
            size: 0,
            cut: 0,
            pages: BTreeMap::new(),
            entries: BTreeMap::new(),
            dirty: false,
        }
    }

    fn attr(&self, ino: u64) -> FileAttr {
        FileAttr {
            ino: INodeNo(ino),
            size: if self.dir { 4096 } else { self.size },
            blocks: if self.dir { 8 } else { self.size.div_ceil(512) },
            atime: self.atime,
            mtime: self.mtime,
            ctime: self.ctime,
            crtime: self.ctime,
            kind: if self.dir {
                FileType::Directory
            } else {
                FileType::RegularFile
            },
            perm: self.perm,
            nlink: match (self.dir, self.linked) {
                (true, _) => 2,
                (false, true) => 1,
                (false, false) => 0,
            },
            uid: self.uid,
            gid: self.gid,
            rdev: 0,
            blksize: PAGE as u32,
            flags: 0,
        }
    }

    fn kind(&self) -> FileType {
        if self.dir {
            FileType::Directory
        } else {
            FileType::RegularFile
        }
    }
}

struct State {
    backing: PathBuf,
    nodes: HashMap<u64, Node>,
    next: u64,
    crashed: bool,
    stats: Stats,
}

type Result<T> = std::result::Result<T, Errno>;

fn io_errno(e: io::Error) -> Errno {
    Errno::from(e)
}

impl State {
    /// Everything in the backing directory is durable: that is what a mount serves first.
    fn load(backing: &Path) -> io::Result<State> {
        let orphans = backing.join(ORPHANS);
        if orphans.exists() {
            std::fs::remove_dir_all(&orphans)?;
        }
        std::fs::create_dir(&orphans)?;
        let mut state = State {
            backing: backing.to_path_buf(),
            nodes: HashMap::new(),
            next: ROOT + 1,
            crashed: false,
            stats: Stats::default(),
        };
        state
            .nodes
            .insert(ROOT, Node::new(true, Place::Root, 0o755, 0, 0));
        state.load_dir(ROOT, backing)?;
        Ok(state)
    }

    fn load_dir(&mut self, ino: u64, path: &Path) -> io::Result<()> {
        use std::os::unix::fs::MetadataExt;
        for entry in std::fs::read_dir(path)? {
            let entry = entry?;
            let name = entry.file_name();
            if ino == ROOT && name == ORPHANS {
                continue;
            }
            let meta = entry.metadata()?;
            if !meta.is_dir() && !meta.is_file() {
                continue;
            }
            let child = self.next;
            self.next += 1;
            let mut node = Node::new(
                meta.is_dir(),
                Place::At(ino, name.clone()),
                (meta.mode() & 0o7777) as u16,
                meta.uid(),
                meta.gid(),
            );
            if meta.is_file() {
                node.durable_size = meta.len();
                node.size = meta.len();
                node.cut = meta.len();
            }
            if let Ok(modified) = meta.modified() {
                node.mtime = modified;
                node.ctime = modified;
            }
            self.nodes.insert(child, node);
            self.nodes
                .get_mut(&ino)
                .expect("the parent")
                .entries
                .insert(name, child);
            if meta.is_dir() {
                self.load_dir(child, &entry.path())?;
            }
        }
        Ok(())
    }

    fn live(&self) -> Result<()> {
        if self.crashed {
            Err(Errno::EIO)
        } else {
            Ok(())
        }
    }

    fn node(&self, ino: u64) -> Result<&Node> {
        self.live()?;
        self.nodes.get(&ino).ok_or(Errno::ENOENT)
    }

    fn node_mut(&mut self, ino: u64) -> Result<&mut Node> {
        self.live()?;
        self.nodes.get_mut(&ino).ok_or(Errno::ENOENT)
    }

    fn dir(&self, ino: u64) -> Result<&Node> {
        let node = self.node(ino)?;
        if node.dir {
            Ok(node)
        } else {
            Err(Errno::ENOTDIR)
        }
    }

    fn orphan_path(&self, ino: u64) -> PathBuf {
        self.backing.join(ORPHANS).join(ino.to_string())
    }

    /// The node's durable content in the backing directory, if any.
    fn path(&self, ino: u64) -> Option<PathBuf> {
        match &self.nodes.get(&ino)?.place {
            Place::Root => Some(self.backing.clone()),
            Place::At(parent, name) => Some(self.path(*parent)?.join(name)),
            Place::Orphan => Some(self.orphan_path(ino)),
            Place::Nowhere => None,
        }
    }

    fn lookup(&self, parent: u64, name: &OsStr) -> Result<(u64, &Node)> {
        let ino = *self.dir(parent)?.entries.get(name).ok_or(Errno::ENOENT)?;
        Ok((ino, self.node(ino)?))
    }

    /// A new node under `parent`; its name is volatile until `parent` is synced.
    fn add(
        &mut self,
        req: &Request,
        parent: u64,
        name: &OsStr,
        dir: bool,
        mode: u32,
    ) -> Result<u64> {
        if self.dir(parent)?.entries.contains_key(name) {
            return Err(Errno::EEXIST);
        }
        let ino = self.next;
        self.next += 1;
        let node = Node::new(
            dir,
            Place::Nowhere,
            (mode & 0o7777) as u16,
            req.uid(),
            req.gid(),
        );
        self.nodes.insert(ino, node);
        let parent = self.node_mut(parent)?;
        parent.entries.insert(name.to_os_string(), ino);
        parent.dirty = true;
        parent.mtime = SystemTime::now();
        Ok(ino)
    }

    /// Opens the handle on the node's durable content if it has one.
    fn open_durable(&mut self, ino: u64) -> Result<()> {
        if self.node(ino)?.handle.is_some() {
            return Ok(());
        }
        if let Some(path) = self.path(ino) {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .map_err(io_errno)?;
            self.node_mut(ino)?.handle = Some(file);
        }
        Ok(())
    }

    /// Reads the durable bytes of [start, start + buf.len()) that still count; the rest are
    /// zeros.
    fn read_durable(node: &Node, start: u64, buf: &mut [u8]) -> Result<()> {
        buf.fill(0);
        let limit = node.cut.min(node.durable_size);
        if start >= limit {
            return Ok(());
        }
        let n = (limit - start).min(buf.len() as u64) as usize;
        let file = node.handle.as_ref().ok_or(Errno::EIO)?;
        file.read_exact_at(&mut buf[..n], start).map_err(io_errno)
    }

    /// The dirty page `index`, loaded from the durable content first if it was clean.
    fn page(&mut self, ino: u64, index: u64) -> Result<&mut [u8]> {
        if !self.node(ino)?.pages.contains_key(&index) {
            self.open_durable(ino)?;
            let node = self.node_mut(ino)?;
            let mut page = vec![0; PAGE as usize].into_boxed_slice();
            Self::read_durable(node, index * PAGE, &mut page)?;
            node.pages.insert(index, page);
        }
        Ok(self.node_mut(ino)?.pages.get_mut(&index).expect("loaded"))
    }

    fn read(&mut self, ino: u64, offset: u64, size: u32) -> Result<Vec<u8>> {
        if self.node(ino)?.dir {
            return Err(Errno::EISDIR);
        }
        self.open_durable(ino)?;
        let node = self.node(ino)?;
        let end = (offset + u64::from(size)).min(node.size);
        let mut out = vec![0; end.saturating_sub(offset) as usize];
        let mut pos = offset;
        while pos < end {
            let index = pos / PAGE;
            let within = (pos % PAGE) as usize;
            let n = ((PAGE - within as u64).min(end - pos)) as usize;
            let at = (pos - offset) as usize;
            match node.pages.get(&index) {
                Some(page) => out[at..at + n].copy_from_slice(&page[within..within + n]),
                None => Self::read_durable(node, pos, &mut out[at..at + n])?,
            }
            pos += n as u64;
        }
        Ok(out)
    }

    fn write(&mut self, ino: u64, offset: u64, data: &[u8]) -> Result<u32> {
        if self.node(ino)?.dir {
            return Err(Errno::EISDIR);
        }
        let mut done = 0usize;
        while done < data.len() {
            let pos = offset + done as u64;
            let within = (pos % PAGE) as usize;
            let n = (PAGE as usize - within).min(data.len() - done);
            let page = self.page(ino, pos / PAGE)?;
            page[within..within + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
        let node = self.node_mut(ino)?;
        node.size = node.size.max(offset + data.len() as u64);
        node.mtime = SystemTime::now();
        Ok(data.len() as u32)
    }

    fn truncate(&mut self, ino: u64, size: u64) -> Result<()> {
        let node = self.node(ino)?;
        if node.dir {
            return Err(Errno::EISDIR);
        }
        if size < node.size {
            if !size.is_multiple_of(PAGE) {
                // Load the partial page before the cut hides its durable bytes.
                let page = self.page(ino, size / PAGE)?;
                page[(size % PAGE) as usize..].fill(0);
            }
            let node = self.node_mut(ino)?;
            node.pages.retain(|index, _| index * PAGE < size);
            node.cut = node.cut.min(size);
        }
        let node = self.node_mut(ino)?;
        node.size = size;
        node.mtime = SystemTime::now();
        Ok(())
    }

    /// fsync or fdatasync of a file: its pages and size reach the backing file.
    fn sync_file(&mut self, ino: u64) -> Result<()> {
        let node = self.node(ino)?;
        if node.dir {
            return self.sync_dir(ino);
        }
        if node.place == Place::Nowhere {
            File::create(self.orphan_path(ino)).map_err(io_errno)?;
            self.node_mut(ino)?.place = Place::Orphan;
        }
        self.open_durable(ino)?;
        let node = self.node_mut(ino)?;
        let file = node.handle.as_ref().ok_or(Errno::EIO)?;
        if node.cut < node.durable_size {
            file.set_len(node.cut).map_err(io_errno)?;
        }
        for (index, page) in &node.pages {
            let start = index * PAGE;
            if start < node.size {
                let n = (node.size - start).min(PAGE) as usize;
                file.write_all_at(&page[..n], start).map_err(io_errno)?;
            }
        }
        file.set_len(node.size).map_err(io_errno)?;
        node.pages.clear();
        node.durable_size = node.size;
        node.cut = node.size;
        self.stats.file_syncs += 1;
        Ok(())
    }

    /// The node that durably lives under `name` in the durable directory `dir`.
    fn durable_owner(&self, dir: u64, name: &OsStr) -> Option<u64> {
        self.nodes
            .iter()
            .find(|(_, n)| matches!(&n.place, Place::At(p, m) if *p == dir && m == name))
            .map(|(ino, _)| *ino)
    }

    /// fsync of a directory: the backing directory's entries become its volatile ones.
    fn sync_dir(&mut self, ino: u64) -> Result<()> {
        self.dir(ino)?;
        if self.node(ino)?.place == Place::Nowhere {
            std::fs::create_dir(self.orphan_path(ino)).map_err(io_errno)?;
            self.node_mut(ino)?.place = Place::Orphan;
        }
        let path = self.path(ino).ok_or(Errno::EIO)?;
        // Names that are durable but no longer (or no longer for this node) volatile: their
        // content is kept where no name reaches it, in case the node is synced elsewhere.
        let durable: Vec<OsString> = std::fs::read_dir(&path)
            .map_err(io_errno)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()
            .map_err(io_errno)?;
        for name in durable {
            if ino == ROOT && name == ORPHANS {
                continue;
            }
            let owner = self.durable_owner(ino, &name);
            let wanted = self.node(ino)?.entries.get(&name).copied();
            if owner.is_some() && owner == wanted {
                continue;
            }
            match owner {
                Some(owner) => {
                    std::fs::rename(path.join(&name), self.orphan_path(owner)).map_err(io_errno)?;
                    self.node_mut(owner)?.place = Place::Orphan;
                }
                None => {
                    let stale = path.join(&name);
                    let removed = if stale.is_dir() {
                        std::fs::remove_dir_all(&stale)
                    } else {
                        std::fs::remove_file(&stale)
                    };
                    removed.map_err(io_errno)?;
                }
            }
        }
        // Volatile names that are not durable yet.
        let entries: Vec<(OsString, u64)> = self
            .node(ino)?
            .entries
            .iter()
            .map(|(n, i)| (n.clone(), *i))
            .collect();
        for (name, child) in entries {
            let place = Place::At(ino, name.clone());
            if self.node(child)?.place == place {
                continue;
            }
            let target = path.join(&name);
            match self.path(child) {
                Some(from) => std::fs::rename(from, &target).map_err(io_errno)?,
                // Never synced: it arrives empty, as an inode whose data never reached disk.
                None if self.node(child)?.dir => {
                    std::fs::create_dir(&target).map_err(io_errno)?;
                }
                None => {
                    File::create(&target).map_err(io_errno)?;
                }
            }
            self.node_mut(child)?.place = place;
        }
        self.node_mut(ino)?.dirty = false;
        self.stats.dir_syncs += 1;
        Ok(())
    }

    fn rename(
        &mut self,
        parent: u64,
        name: &OsStr,
        new_parent: u64,
        new_name: &OsStr,
        flags: RenameFlags,
    ) -> Result<()> {
        if flags.contains(RenameFlags::RENAME_EXCHANGE)
            || flags.contains(RenameFlags::RENAME_WHITEOUT)
        {
            return Err(Errno::EINVAL);
        }
        let (ino, node) = self.lookup(parent, name)?;
        let moving_dir = node.dir;
        self.dir(new_parent)?;
        if let Ok((existing, target)) = self.lookup(new_parent, new_name) {
            if existing == ino {
                return Ok(());
            }
            if flags.contains(RenameFlags::RENAME_NOREPLACE) {
                return Err(Errno::EEXIST);
            }
            match (moving_dir, target.dir) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if !target.entries.is_empty() => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
            self.node_mut(existing)?.linked = false;
        }
        let now = SystemTime::now();
        let from = self.node_mut(parent)?;
        from.entries.remove(name);
        from.dirty = true;
        from.mtime = now;
        let to = self.node_mut(new_parent)?;
        to.entries.insert(new_name.to_os_string(), ino);
        to.dirty = true;
        to.mtime = now;
        self.node_mut(ino)?.ctime = now;
        Ok(())
    }

    fn remove(&mut self, parent: u64, name: &OsStr, dir: bool) -> Result<()> {
        let (ino, node) = self.lookup(parent, name)?;
        match (dir, node.dir) {
            (true, false) => return Err(Errno::ENOTDIR),
            (false, true) => return Err(Errno::EISDIR),
            (true, true) if !node.entries.is_empty() => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        self.node_mut(ino)?.linked = false;
        let parent = self.node_mut(parent)?;
        parent.entries.remove(name);
        parent.dirty = true;
        parent.mtime = SystemTime::now();
        Ok(())
    }

    /// The power cut: whatever was not synced is gone, and the machine is off.
    fn crash(&mut self) -> Stats {
        for node in self.nodes.values() {
            if node.dir && node.dirty {
                self.stats.dropped_dirs += 1;
            }
            if !node.dir
                && (!node.pages.is_empty()
                    || node.size != node.durable_size
                    || node.cut != node.durable_size)
            {
                self.stats.dropped_files += 1;
                self.stats.dropped_bytes += node.pages.len() as u64 * PAGE;
            }
        }
        self.nodes.clear();
        self.crashed = true;
        self.stats
    }
}

struct Fs {
    state: Arc<Mutex<State>>,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn ino(i: INodeNo) -> u64 {
    i.0
}

impl fuser::Filesystem for Fs {
    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let state = lock(&self.state);
        match state.lookup(ino(parent), name) {
            Ok((i, node)) => reply.entry(&TTL, &node.attr(i), Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn getattr(&self, _req: &Request, i: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        let state = lock(&self.state);
        match state.node(ino(i)) {
            Ok(node) => reply.attr(&TTL, &node.attr(ino(i))),
            Err(e) => reply.error(e),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        i: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let mut state = lock(&self.state);
        let i = ino(i);
        let result = (|| {
            if let Some(size) = size {
                state.truncate(i, size)?;
            }
            let time = |t: TimeOrNow| match t {
                TimeOrNow::SpecificTime(t) => t,
                TimeOrNow::Now => SystemTime::now(),
            };
            let node = state.node_mut(i)?;
            if let Some(mode) = mode {
                node.perm = (mode & 0o7777) as u16;
            }
            if let Some(uid) = uid {
                node.uid = uid;
            }
            if let Some(gid) = gid {
                node.gid = gid;
            }
            if let Some(t) = atime {
                node.atime = time(t);
            }
            if let Some(t) = mtime {
                node.mtime = time(t);
            }
            node.ctime = SystemTime::now();
            Ok(node.attr(i))
        })();
        match result {
            Ok(attr) => reply.attr(&TTL, &attr),
            Err(e) => reply.error(e),
        }
    }

    fn mknod(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        if mode & libc::S_IFMT != libc::S_IFREG {
            return reply.error(Errno::EPERM);
        }
        let mut state = lock(&self.state);
        match state.add(req, ino(parent), name, false, mode & !umask) {
            Ok(i) => reply.entry(&TTL, &state.nodes[&i].attr(i), Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn mkdir(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        reply: ReplyEntry,
    ) {
        let mut state = lock(&self.state);
        match state.add(req, ino(parent), name, true, mode & !umask) {
            Ok(i) => reply.entry(&TTL, &state.nodes[&i].attr(i), Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn create(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        let mut state = lock(&self.state);
        match state.add(req, ino(parent), name, false, mode & !umask) {
            Ok(i) => reply.created(
                &TTL,
                &state.nodes[&i].attr(i),
                Generation(0),
                FileHandle(0),
                FopenFlags::empty(),
            ),
            Err(e) => reply.error(e),
        }
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        match lock(&self.state).remove(ino(parent), name, false) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        match lock(&self.state).remove(ino(parent), name, true) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        new_parent: INodeNo,
        new_name: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        match lock(&self.state).rename(ino(parent), name, ino(new_parent), new_name, flags) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn open(&self, _req: &Request, i: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match lock(&self.state).node(ino(i)) {
            Ok(_) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn read(
        &self,
        _req: &Request,
        i: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        match lock(&self.state).read(ino(i), offset, size) {
            Ok(data) => reply.data(&data),
            Err(e) => reply.error(e),
        }
    }

    fn write(
        &self,
        _req: &Request,
        i: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        match lock(&self.state).write(ino(i), offset, data) {
            Ok(n) => reply.written(n),
            Err(e) => reply.error(e),
        }
    }

    fn flush(
        &self,
        _req: &Request,
        i: INodeNo,
        _fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        // close() persists nothing.
        match lock(&self.state).node(ino(i)) {
            Ok(_) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn fsync(
        &self,
        _req: &Request,
        i: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        // fdatasync persists the size too: without it the data could not be read back.
        match lock(&self.state).sync_file(ino(i)) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn opendir(&self, _req: &Request, i: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        match lock(&self.state).dir(ino(i)) {
            Ok(_) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        i: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let state = lock(&self.state);
        let dir = match state.dir(ino(i)) {
            Ok(dir) => dir,
            Err(e) => return reply.error(e),
        };
        let mut listing: Vec<(u64, FileType, OsString)> = vec![
            (ino(i), FileType::Directory, ".".into()),
            (ino(i), FileType::Directory, "..".into()),
        ];
        for (name, child) in &dir.entries {
            let kind = state
                .nodes
                .get(child)
                .map_or(FileType::RegularFile, Node::kind);
            listing.push((*child, kind, name.clone()));
        }
        for (n, (child, kind, name)) in listing.into_iter().enumerate().skip(offset as usize) {
            if reply.add(INodeNo(child), n as u64 + 1, kind, name) {
                break;
            }
        }
        reply.ok();
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        i: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        match lock(&self.state).sync_dir(ino(i)) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn statfs(&self, _req: &Request, _i: INodeNo, reply: ReplyStatfs) {
        if lock(&self.state).crashed {
            return reply.error(Errno::EIO);
        }
        reply.statfs(
            1 << 24,
            1 << 23,
            1 << 23,
            1 << 20,
            1 << 19,
            PAGE as u32,
            255,
            PAGE as u32,
        );
    }

    fn access(&self, _req: &Request, i: INodeNo, _mask: AccessFlags, reply: ReplyEmpty) {
        match lock(&self.state).node(ino(i)) {
            Ok(_) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn fallocate(
        &self,
        _req: &Request,
        i: INodeNo,
        _fh: FileHandle,
        offset: u64,
        length: u64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        let mut state = lock(&self.state);
        let result = match mode {
            0 => match state.node(ino(i)) {
                Ok(node) if node.size < offset + length => state.truncate(ino(i), offset + length),
                Ok(_) => Ok(()),
                Err(e) => Err(e),
            },
            libc::FALLOC_FL_KEEP_SIZE => state.node(ino(i)).map(|_| ()),
            _ => Err(Errno::EOPNOTSUPP),
        };
        match result {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }
}

/// A mounted LazyFS. Dropping it unmounts (lazily if something still holds the mount).
pub struct LazyFs {
    state: Arc<Mutex<State>>,
    session: Option<BackgroundSession>,
    mountpoint: PathBuf,
}

impl LazyFs {
    /// Mounts `backing` at `mountpoint`, serving what the backing directory holds.
    pub fn mount(backing: &Path, mountpoint: &Path) -> io::Result<LazyFs> {
        let state = Arc::new(Mutex::new(State::load(backing)?));
        let mut config = Config::default();
        config.mount_options = vec![
            MountOption::FSName("lazyfs".into()),
            MountOption::Subtype("lazyfs".into()),
            MountOption::NoAtime,
        ];
        let fs = Fs {
            state: state.clone(),
        };
        let session = fuser::spawn_mount(fs, mountpoint, &config)?;
        Ok(LazyFs {
            state,
            session: Some(session),
            mountpoint: mountpoint.to_path_buf(),
        })
    }

    pub fn mountpoint(&self) -> &Path {
        &self.mountpoint
    }

    /// The simulated power cut: drops every unsynced page and directory entry; every later
    /// operation on the mount fails with EIO. Returns what was dropped.
    pub fn crash(&self) -> Stats {
        lock(&self.state).crash()
    }

    pub fn stats(&self) -> Stats {
        lock(&self.state).stats
    }

    /// Unmounts and waits for the filesystem thread to end. A mount that something still
    /// holds open is detached instead (the holder keeps getting EIO after a crash), without
    /// waiting for the thread.
    pub fn unmount(mut self) -> io::Result<()> {
        match nix::mount::umount(self.mountpoint.as_path()) {
            Ok(()) => match self.session.take() {
                Some(session) => session.join(),
                None => Ok(()),
            },
            Err(nix::errno::Errno::EBUSY) => {
                self.detach();
                Ok(())
            }
            Err(e) => Err(io::Error::from(e)),
        }
    }

    fn detach(&mut self) {
        if let Some(session) = self.session.take() {
            // Best effort: a mount that cannot even be detached is left to the system.
            let _ =
                nix::mount::umount2(self.mountpoint.as_path(), nix::mount::MntFlags::MNT_DETACH);
            drop(session);
        }
    }
}

impl Drop for LazyFs {
    /// A test that panicked may leave its server running on the mount: detach it.
    fn drop(&mut self) {
        self.detach();
    }
}
