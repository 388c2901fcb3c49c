//! One thread that flushes sled for every writer waiting on it (group commit).
//!
//! sled 0.34.7's `flush_async` can deadlock under concurrent callers (sled #1308, #1357),
//! so flushing happens here, on a plain thread, with `flush()`; writers that arrive while a
//! flush runs share the next one instead of each paying for their own.
//!
//! sled's `flush()` is not enough for a power cut: on Linux it ends in `sync_file_range`,
//! which persists neither the file's metadata (its growing size) nor the drive's write cache,
//! and its large values ("blobs") are written to files of their own without any sync; the
//! real `fsync` comes from sled's background thread every 500 ms. So after each flush the
//! database file gets an `fdatasync`, and the blob files, the blob directory and the data
//! directory an `fsync`, before any waiter is told its write is durable.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use super::StoreError;
use super::sled_store::backend;

/// Each waiter learns the flush's outcome as a `StoreError`, so a full disk stays a full disk
/// (`StoreError::Full`) on its way to the client.
type Waiter = SyncSender<Result<(), StoreError>>;

/// When the last flush finished, and how.
pub type Outcome = (Instant, Result<(), String>);

pub struct Flusher {
    requests: Mutex<Option<Sender<Waiter>>>,
    thread: Option<JoinHandle<()>>,
    last: Arc<Mutex<Option<Outcome>>>,
}

impl Flusher {
    pub fn start(db: sled::Db, dir: &Path) -> Result<Self, StoreError> {
        let files = Files::open(dir)?;
        let (tx, rx) = channel::<Waiter>();
        let last = Arc::new(Mutex::new(None));
        let recorded = last.clone();
        let thread = thread::Builder::new()
            .name("sled-flusher".into())
            .spawn(move || run(db, files, rx, &recorded))
            .map_err(|e| StoreError::Backend(format!("cannot start the flusher thread: {e}")))?;
        Ok(Flusher {
            requests: Mutex::new(Some(tx)),
            thread: Some(thread),
            last,
        })
    }

    /// The outcome of the most recent flush, if any ran: what the health check reports.
    pub fn last_outcome(&self) -> Option<Outcome> {
        self.last.lock().ok().and_then(|last| last.clone())
    }

    /// Blocks until everything written before the call is on disk.
    pub fn wait_durable(&self) -> Result<(), StoreError> {
        let stopped = || StoreError::Backend("the flusher thread has stopped".into());
        let (tx, rx) = sync_channel(1);
        {
            let requests = self
                .requests
                .lock()
                .map_err(|_| StoreError::Backend("flusher lock poisoned".into()))?;
            requests
                .as_ref()
                .ok_or_else(stopped)?
                .send(tx)
                .map_err(|_| stopped())?;
        }
        rx.recv().map_err(|_| stopped())?
    }
}

impl Drop for Flusher {
    /// Stops the thread and waits for it, so the database (and its file lock) is released
    /// by the time the store is dropped: another process may open it right after.
    fn drop(&mut self) {
        if let Ok(mut requests) = self.requests.lock() {
            requests.take();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// What must reach stable storage besides sled's own flush.
struct Files {
    dir: File,
    db: File,
    blobs: PathBuf,
}

impl Files {
    fn open(dir: &Path) -> Result<Files, StoreError> {
        let open = |path: PathBuf| {
            File::open(&path).map_err(|e| StoreError::Open {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        };
        Ok(Files {
            dir: open(dir.to_path_buf())?,
            db: open(dir.join("db"))?,
            blobs: dir.join("blobs"),
        })
    }

    /// fsync works on any descriptor of a file: these read-only ones flush what sled wrote
    /// through its own.
    fn sync(&self) -> std::io::Result<()> {
        self.db.sync_data()?;
        if let Ok(entries) = std::fs::read_dir(&self.blobs) {
            for entry in entries {
                match File::open(entry?.path()) {
                    Ok(blob) => blob.sync_all()?,
                    // sled removes blobs it no longer needs, concurrently.
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
            File::open(&self.blobs)?.sync_all()?;
        }
        self.dir.sync_all()
    }
}

fn run(db: sled::Db, files: Files, requests: Receiver<Waiter>, last: &Mutex<Option<Outcome>>) {
    while let Ok(first) = requests.recv() {
        let mut waiters = vec![first];
        waiters.extend(requests.try_iter());
        let result = db
            .flush()
            .map(|_| ())
            .map_err(|e| failed("flush failed", backend(e)))
            .and_then(|()| {
                files.sync().map_err(|e| {
                    let e = match super::is_full(&e) {
                        true => StoreError::Full(e.to_string()),
                        false => StoreError::Backend(e.to_string()),
                    };
                    failed("sync to disk failed", e)
                })
            });
        if let Err(e) = &result {
            tracing::error!("{e}");
        }
        if let Ok(mut last) = last.lock() {
            *last = Some((Instant::now(), result.clone().map_err(|e| e.to_string())));
        }
        for waiter in waiters {
            // A waiter that gave up has nothing left to tell.
            let _ = waiter.send(result.clone());
        }
    }
}

/// Says which step failed, keeping the kind of failure.
fn failed(step: &str, e: StoreError) -> StoreError {
    match e {
        StoreError::Full(m) => StoreError::Full(format!("{step}: {m}")),
        other => StoreError::Backend(format!("{step}: {other}")),
    }
}
