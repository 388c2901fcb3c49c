//! One thread that flushes sled for every writer waiting on it (group commit).
//!
//! sled 0.34.7's `flush_async` can deadlock under concurrent callers (sled #1308, #1357),
//! so flushing happens here, on a plain thread, with `flush()`; writers that arrive while a
//! flush runs share the next one instead of each paying for their own.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::thread::{self, JoinHandle};

use super::StoreError;

type Waiter = SyncSender<Result<(), String>>;

pub struct Flusher {
    requests: Mutex<Option<Sender<Waiter>>>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    pub fn start(db: sled::Db) -> Result<Self, StoreError> {
        let (tx, rx) = channel::<Waiter>();
        let thread = thread::Builder::new()
            .name("sled-flusher".into())
            .spawn(move || run(db, rx))
            .map_err(|e| StoreError::Backend(format!("cannot start the flusher thread: {e}")))?;
        Ok(Flusher {
            requests: Mutex::new(Some(tx)),
            thread: Some(thread),
        })
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
        rx.recv()
            .map_err(|_| stopped())?
            .map_err(StoreError::Backend)
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

fn run(db: sled::Db, requests: Receiver<Waiter>) {
    while let Ok(first) = requests.recv() {
        let mut waiters = vec![first];
        waiters.extend(requests.try_iter());
        let result = db
            .flush()
            .map(|_| ())
            .map_err(|e| format!("flush failed: {e}"));
        if let Err(e) = &result {
            tracing::error!("{e}");
        }
        for waiter in waiters {
            // A waiter that gave up has nothing left to tell.
            let _ = waiter.send(result.clone());
        }
    }
}
