//! Restoring a backup into a new or empty data directory.
//!
//! The store is built under a staging name beside where it belongs and renamed into place
//! only once every record is in and the file's end line has vouched for the count. So a
//! server never opens a half-restored store as if it were whole; a restore that fails
//! removes what it made, and one that is killed leaves the staging directory, which keeps the
//! data directory non-empty until it is removed by hand.

use std::path::{Path, PathBuf};

use super::{BackupError, Summary, read};
use crate::config::Config;
use std::ops::ControlFlow;

use crate::store::{BackupStore, Record, SledStore, StoreUrl};

/// Records written per batch: each batch is one flush.
const BATCH: usize = 2_000;

fn io(context: &'static str) -> impl Fn(std::io::Error) -> BackupError {
    move |source| BackupError::Io { context, source }
}

/// Whether `dir` is missing (`Ok(false)`) or an empty directory (`Ok(true)`); anything else
/// is refused.
fn check_empty(dir: &Path) -> Result<bool, BackupError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            None => Ok(true),
            Some(_) => Err(BackupError::NotEmpty(dir.to_path_buf())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        // A file, or a directory that cannot be listed: not somewhere to restore into.
        Err(_) if dir.exists() => Err(BackupError::NotEmpty(dir.to_path_buf())),
        Err(e) => Err(io("cannot read the data directory")(e)),
    }
}

/// What a failed restore made, to be removed again.
struct Made {
    staging: PathBuf,
    data_dir: Option<PathBuf>,
}

impl Made {
    fn undo(&self) {
        let _ = std::fs::remove_dir_all(&self.staging);
        if let Some(dir) = &self.data_dir {
            // Only ever the directory this restore created, and only if nothing else is in it.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Restores the backup at `backup` into `data_dir`, which must be missing or empty; returns
/// what it held. Report aggregates are not in a backup: the server rebuilds them when it
/// starts, as after any change of a report.
pub fn restore_file(backup: &Path, data_dir: &Path) -> Result<Summary, BackupError> {
    let existed = check_empty(data_dir)?;
    let file = std::fs::File::open(backup).map_err(io("cannot open the backup file"))?;
    let db_dir = Config {
        data_dir: data_dir.to_path_buf(),
        ..Config::default()
    }
    .db_dir();
    let staging = data_dir.join(".restoring-db");
    crate::durable::create_dir_all(data_dir).map_err(io("cannot create the data directory"))?;
    let made = Made {
        staging: staging.clone(),
        data_dir: (!existed).then(|| data_dir.to_path_buf()),
    };
    let restored = fill_new(file, &staging).and_then(|summary| {
        std::fs::rename(&staging, &db_dir)
            .map_err(io("cannot move the restored store into place"))?;
        crate::durable::sync_dir(data_dir).map_err(io("cannot sync the data directory"))?;
        Ok(summary)
    });
    if restored.is_err() {
        made.undo();
    }
    restored
}

/// Whether a store holds any record a backup would carry.
pub fn holds_records(store: &dyn BackupStore) -> Result<bool, BackupError> {
    let mut any = false;
    store.each_record(&mut |_| {
        any = true;
        ControlFlow::Break(())
    })?;
    Ok(any)
}

/// Restores the backup at `backup` into the empty database `url` names (a database server
/// has no staging name to build under: a restore that fails part way leaves the batches it
/// wrote, and says so).
pub fn restore_into(backup: &Path, url: &StoreUrl) -> Result<Summary, BackupError> {
    let file = std::fs::File::open(backup).map_err(io("cannot open the backup file"))?;
    let store = url.open_for_one_pass()?;
    if holds_records(store.as_ref())? {
        return Err(BackupError::DatabaseNotEmpty(url.to_string()));
    }
    fill(file, store.as_ref()).map_err(|e| match e {
        BackupError::Store(e) => BackupError::Store(crate::store::StoreError::Backend(format!(
            "{e}; {url} holds part of the backup now: empty it before trying again"
        ))),
        e => e,
    })
}

/// Reads the whole backup into a new store at `dir`; the store is closed when this returns.
fn fill_new(file: std::fs::File, dir: &Path) -> Result<Summary, BackupError> {
    let store = SledStore::open_for_one_pass(dir)?;
    fill(file, &store)
}

/// Reads the whole backup into `store`, a batch per write.
fn fill(file: std::fs::File, store: &dyn BackupStore) -> Result<Summary, BackupError> {
    let mut batch: Vec<Record> = Vec::with_capacity(BATCH);
    let summary = read(file, &mut |record| {
        batch.push(record);
        if batch.len() == BATCH {
            store.restore_records(&batch)?;
            batch.clear();
        }
        Ok(())
    })?;
    store.restore_records(&batch)?;
    Ok(summary)
}
