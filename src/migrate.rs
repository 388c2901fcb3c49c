//! `fieldnotes migrate --from URL --to URL`: every record of one store copied into an empty
//! other, through the same record stream a backup writes (so whatever a backup carries, a
//! migration carries: contacts, outside texts and invitations included), then the report
//! aggregates recomputed in the new store from what it now holds, and the counts of both
//! compared.

use std::ops::ControlFlow;

use crate::analysis::rebuild;
use crate::backup::{BackupError, Summary, holds_records};
use crate::contacts::Directory;
use crate::form::Catalog;
use crate::report::Reports;
use crate::store::{Backend, Record, StoreError, StoreUrl};

/// Records written per transaction of the target.
const BATCH: usize = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("--from and --to name the same store ({0})")]
    SameStore(String),
    #[error("there is no store at {0}: nothing to copy (is --from right?)")]
    NoSource(String),
    #[error(
        "{0} already holds records: migrate only into an empty store, so that nothing there is overwritten"
    )]
    TargetNotEmpty(String),
    #[error(
        "the copy does not match: {from} holds {expected}, {to} holds {found}; {to} should be emptied before trying again"
    )]
    CountsDiffer {
        from: String,
        to: String,
        expected: String,
        found: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Backup(#[from] BackupError),
}

pub fn run(
    from: &StoreUrl,
    to: &StoreUrl,
    catalog: &Catalog,
    reports: &Reports,
) -> Result<Summary, MigrateError> {
    if from == to {
        return Err(MigrateError::SameStore(from.to_string()));
    }
    if !from.exists() {
        return Err(MigrateError::NoSource(from.to_string()));
    }
    let source = from.open_for_one_pass()?;
    let target = to.open_for_one_pass()?;
    if holds_records(target.as_ref())? {
        return Err(MigrateError::TargetNotEmpty(to.to_string()));
    }
    let copied = copy_records(source.as_ref(), target.as_ref())?;
    // Aggregates are no record: the target computes its own from what it now holds, with
    // the contacts it now holds for contact segments.
    let reports = reports
        .clone()
        .with_contacts(Directory::new(target.clone()));
    for stale in rebuild::stale_reports(target.as_ref(), &reports)? {
        rebuild::rebuild(target.as_ref(), target.as_ref(), catalog, &reports, stale)?;
    }
    let found = count_records(target.as_ref())?;
    if found != copied {
        return Err(MigrateError::CountsDiffer {
            from: from.to_string(),
            to: to.to_string(),
            expected: copied.describe(),
            found: found.describe(),
        });
    }
    Ok(copied)
}

fn copy_records(source: &dyn Backend, target: &dyn Backend) -> Result<Summary, MigrateError> {
    let mut summary = Summary::default();
    let mut batch: Vec<Record> = Vec::with_capacity(BATCH);
    let mut failed: Option<StoreError> = None;
    source.each_record(&mut |record| {
        summary.count(&record);
        batch.push(record);
        if batch.len() == BATCH {
            if let Err(e) = target.restore_records(&batch) {
                failed = Some(e);
                return ControlFlow::Break(());
            }
            batch.clear();
        }
        ControlFlow::Continue(())
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    target.restore_records(&batch)?;
    Ok(summary)
}

fn count_records(store: &dyn Backend) -> Result<Summary, MigrateError> {
    let mut summary = Summary::default();
    store.each_record(&mut |record| {
        summary.count(&record);
        ControlFlow::Continue(())
    })?;
    Ok(summary)
}
