//! The sled store as the server runs it: kept working through a full disk.
//!
//! sled 0.34 remembers the first I/O error of its log as a "global error" and returns it from
//! every later write and flush until the database is opened again, so after one ENOSPC writes
//! would stay broken even once space is freed. Two defences, both here so no handler and no
//! other backend file needs to know:
//!
//! 1. A floor. Before each write that adds data, the free space of the data directory's
//!    filesystem is read (statvfs, a system call that touches no disk); below `min_free` the
//!    write is refused with `StoreError::Full` before sled sees it. When a disk fills the usual
//!    way, a little at a time, sled never meets ENOSPC and nothing needs repair: writes work
//!    again as soon as space is freed. Erasures are let through, as they add next to nothing
//!    and a respondent's erasure should not wait for an operator.
//! 2. A reopen. If sled met a full disk all the same (something took the last bytes between
//!    the check and the write: an export spooling, another program), the store is marked
//!    broken. Writes then answer `Full` at once, and at most once a second one of them looks
//!    whether space is back (the floor, and at least `REOPEN_NEEDS_BYTES`) and, if so,
//!    reopens sled in place. sled's recovery
//!    reads its log up to the last complete write, so whatever was acknowledged is there; a
//!    write that failed may or may not be (its transaction is there whole or not at all), like
//!    any write whose answer was lost. sled locks its directory, so the new database can only
//!    open once nothing uses the old one: the reopen waits for reads under way (an export's
//!    iterator holds the database it reads) and, meanwhile, reads go on from the old one.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use super::{SledStore, StoreError};

/// How often a broken store may try to reopen: sled's recovery reads the whole log tail.
const REOPEN_EVERY: Duration = Duration::from_secs(1);
/// The least free space a reopen waits for, whatever the floor: sled writes as it opens,
/// and an open that fails leaves no database to read from until the next try.
const REOPEN_NEEDS_BYTES: u64 = 16 * 1024 * 1024;
/// How long a reopen waits for sled's own threads to let go of the old database's lock.
const RELEASE_WAIT: Duration = Duration::from_secs(2);

pub struct GuardedStore {
    dir: PathBuf,
    min_free: u64,
    /// `None` only while a reopen failed to open the new database (it is tried again).
    current: RwLock<Option<Arc<SledStore>>>,
    /// sled met a full disk: its database refuses every write until it is reopened.
    broken: AtomicBool,
    last_reopen: Mutex<Option<Instant>>,
    /// The latest write refused here, before sled: the health check reports it like a
    /// failed flush.
    last_refusal: Mutex<Option<(Instant, String)>>,
}

/// What a write does to the disk, which decides whether the floor applies.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Write {
    Adds,
    Erases,
}

impl GuardedStore {
    /// Opens the store in `dir`; writes that add data need `min_free` bytes free there.
    pub fn open(dir: &Path, min_free: u64) -> Result<GuardedStore, StoreError> {
        let store = SledStore::open(dir)?;
        Ok(GuardedStore {
            dir: dir.to_path_buf(),
            min_free,
            current: RwLock::new(Some(Arc::new(store))),
            broken: AtomicBool::new(false),
            last_reopen: Mutex::new(None),
            last_refusal: Mutex::new(None),
        })
    }

    /// The database for a read (or for an iterator, which keeps it while it lives).
    pub(super) fn db(&self) -> Result<Arc<SledStore>, StoreError> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or_else(|| StoreError::Full("the store is reopening after the disk filled".into()))
    }

    /// Runs a write through both defences.
    pub(super) fn write<T>(
        &self,
        kind: Write,
        write: impl FnOnce(&SledStore) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        if self.broken.load(Ordering::Acquire) {
            self.try_reopen();
            if self.broken.load(Ordering::Acquire) {
                return self
                    .refuse("a write met a full disk; writes resume once space is freed".into());
            }
        }
        if kind == Write::Adds
            && let Some(free) = self.free_bytes()
            && free < self.min_free
        {
            return self.refuse(format!(
                "{} free on the data directory's filesystem, writes need {}",
                mib(free),
                mib(self.min_free)
            ));
        }
        let db = self.db()?;
        let result = write(&db);
        if let Err(StoreError::Full(reason)) = &result {
            tracing::error!("sled met a full disk ({reason}); it is reopened once space is freed");
            self.broken.store(true, Ordering::Release);
        }
        result
    }

    fn refuse<T>(&self, reason: String) -> Result<T, StoreError> {
        let mut last = self
            .last_refusal
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *last = Some((Instant::now(), reason.clone()));
        Err(StoreError::Full(reason))
    }

    /// The newest outcome of a write: sled's latest flush, or a refusal here if that came later.
    pub(super) fn last_outcome(&self) -> Option<(Instant, Result<(), String>)> {
        let flushed = self.db().ok().and_then(|db| {
            use super::HealthStore;
            db.last_durable_write()
        });
        let refused = self
            .last_refusal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .map(|(at, reason)| (at, Err(format!("the disk is full: {reason}"))));
        match (flushed, refused) {
            (Some(f), Some(r)) => Some(if r.0 > f.0 { r } else { f }),
            (f, r) => f.or(r),
        }
    }

    /// Free bytes for an unprivileged writer, or `None` when the filesystem cannot say (a
    /// FUSE filesystem may report no size at all): then only the reopen protects.
    fn free_bytes(&self) -> Option<u64> {
        match rustix::fs::statvfs(&self.dir) {
            Ok(stats) if stats.f_blocks > 0 => Some(stats.f_bavail.saturating_mul(stats.f_frsize)),
            Ok(_) => None,
            Err(e) => {
                tracing::debug!("cannot read the free space of {}: {e}", self.dir.display());
                None
            }
        }
    }

    /// Reopens a broken database when space is back and nothing holds the old one; one
    /// caller at a time, at most once per `REOPEN_EVERY`.
    fn try_reopen(&self) {
        let Ok(mut last) = self.last_reopen.try_lock() else {
            return;
        };
        if last.is_some_and(|at| at.elapsed() < REOPEN_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        let needed = self.min_free.max(REOPEN_NEEDS_BYTES);
        if self.free_bytes().is_some_and(|free| free < needed) {
            return;
        }
        let mut slot = self.current.write().unwrap_or_else(PoisonError::into_inner);
        // Under the write lock no one can take a new handle; any other is a read under way.
        if slot.as_ref().is_some_and(|db| Arc::strong_count(db) > 1) {
            tracing::info!("space is back; the store reopens once the reads under way finish");
            return;
        }
        // Dropping the last handle stops the flusher and closes sled's files and lock.
        drop(slot.take());
        match self.open_again() {
            Ok(store) => {
                *slot = Some(Arc::new(store));
                self.broken.store(false, Ordering::Release);
                tracing::info!("the store reopened after the disk filled; writes work again");
            }
            Err(e) => tracing::error!("reopening the store failed (tried again shortly): {e}"),
        }
    }

    /// Opens the database again, waiting a little for sled's background threads to release
    /// the old one's lock.
    fn open_again(&self) -> Result<SledStore, StoreError> {
        let deadline = Instant::now() + RELEASE_WAIT;
        loop {
            match SledStore::open(&self.dir) {
                Ok(store) => return Ok(store),
                Err(e) if Instant::now() < deadline => {
                    tracing::debug!("the old database is not released yet: {e}");
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// An iterator that keeps its database open (and so keeps a reopen waiting) while it lives.
pub(super) struct Held<I> {
    pub(super) inner: I,
    pub(super) _db: Arc<SledStore>,
}

impl<I: Iterator> Iterator for Held<I> {
    type Item = I::Item;

    fn next(&mut self) -> Option<I::Item> {
        self.inner.next()
    }
}
