//! Concurrent writes of one kind share one sled transaction (flat combining): each writer
//! queues its prepared write, and whichever holds the writers' lock next commits every queued
//! write together. sled serialises transactions behind one global lock and pays its
//! bookkeeping per transaction, so under load one transaction of many writes is far cheaper
//! than many of one; a writer alone commits its own write, as it would without the queue.
//! Each write carries the channel its outcome is sent back on.

use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::StoreError;

/// The most writes one transaction commits, so that one commit's latency stays bounded.
const MOST_PER_TRANSACTION: usize = 256;

pub(super) struct Combining<W> {
    queued: Mutex<Vec<W>>,
}

impl<W> Combining<W> {
    pub fn new() -> Self {
        Combining {
            queued: Mutex::new(Vec::new()),
        }
    }

    /// Queues `write`, then, holding the writers' lock (`lock`), commits what is queued with
    /// `commit`: this write among them, unless a commit of another writer took it first.
    /// Returns the write's outcome, which its commit sends on the channel `outcome` reads.
    pub fn run<G, T>(
        &self,
        write: W,
        outcome: Receiver<Result<T, StoreError>>,
        lock: impl FnOnce() -> Result<G, StoreError>,
        mut commit: impl FnMut(&[W]),
    ) -> Result<T, StoreError> {
        self.queue().push(write);
        {
            let _guard = lock()?;
            let batch = std::mem::take(&mut *self.queue());
            for chunk in batch.chunks(MOST_PER_TRANSACTION) {
                commit(chunk);
            }
        }
        outcome
            .recv()
            .map_err(|_| StoreError::Backend("a queued write was dropped".into()))?
    }

    /// A writer that panicked while pushing left the queue whole: it is taken over.
    fn queue(&self) -> MutexGuard<'_, Vec<W>> {
        self.queued.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Sends each write of one commit its outcome, or every one of them the commit's error. A
/// writer that gave up waiting has nothing left to be told.
pub(super) fn tell<W, T>(
    writes: &[W],
    reply: impl Fn(&W) -> &SyncSender<Result<T, StoreError>>,
    committed: Result<Vec<T>, StoreError>,
) {
    match committed {
        Ok(outcomes) => {
            for (write, outcome) in writes.iter().zip(outcomes) {
                let _ = reply(write).send(Ok(outcome));
            }
        }
        Err(e) => {
            for write in writes {
                let _ = reply(write).send(Err(e.clone()));
            }
        }
    }
}
