//! `fieldnotes migrate --from URL --to URL`: every record of one store copied into an empty
//! other, through the same record stream a backup writes (so whatever a backup carries, a
//! migration carries), then the contacts and the outside texts of the reports in the report
//! files, then the report aggregates recomputed in the new store from what it now holds, and
//! the counts of both compared.

use std::fmt;
use std::ops::ControlFlow;

use crate::analysis::rebuild;
use crate::backup::{BackupError, Summary, holds_records};
use crate::contacts::Directory;
use crate::form::Catalog;
use crate::report::Reports;
use crate::store::{Backend, Contact, Record, StagedRow, StoreError, StoreUrl, StoredText};

/// Records written per transaction of the target.
const BATCH: usize = 2_000;
/// Contacts read per page of the source.
const CONTACT_PAGE: usize = 1_000;

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

/// What was copied: the records by kind, the contacts and the outside texts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Copied {
    pub records: Summary,
    pub contacts: u64,
    pub texts: u64,
}

impl fmt::Display for Copied {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {} contacts and {} outside texts",
            self.records.describe(),
            self.contacts,
            self.texts
        )
    }
}

pub fn run(
    from: &StoreUrl,
    to: &StoreUrl,
    catalog: &Catalog,
    reports: &Reports,
) -> Result<Copied, MigrateError> {
    if from == to {
        return Err(MigrateError::SameStore(from.to_string()));
    }
    if !from.exists() {
        return Err(MigrateError::NoSource(from.to_string()));
    }
    let source = from.open_for_one_pass()?;
    let target = to.open_for_one_pass()?;
    if holds_records(target.as_ref())? || !target.contacts_after(None, 1)?.is_empty() {
        return Err(MigrateError::TargetNotEmpty(to.to_string()));
    }
    let copied = Copied {
        records: copy_records(source.as_ref(), target.as_ref())?,
        contacts: copy_contacts(source.as_ref(), target.as_ref())?,
        texts: copy_texts(source.as_ref(), target.as_ref(), reports)?,
    };
    // Aggregates are no record: the target computes its own from what it now holds, with
    // the contacts it now holds for contact segments.
    let reports = reports
        .clone()
        .with_contacts(Directory::new(target.clone()));
    for stale in rebuild::stale_reports(target.as_ref(), &reports)? {
        rebuild::rebuild(target.as_ref(), target.as_ref(), catalog, &reports, stale)?;
    }
    let found = Copied {
        records: count_records(target.as_ref())?,
        contacts: count_contacts(target.as_ref())?,
        texts: count_texts(target.as_ref(), &reports)?,
    };
    if found != copied {
        return Err(MigrateError::CountsDiffer {
            from: from.to_string(),
            to: to.to_string(),
            expected: copied.to_string(),
            found: found.to_string(),
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

/// Each contact as it is, and the pii marks, through the import's stage and commit.
fn copy_contacts(source: &dyn Backend, target: &dyn Backend) -> Result<u64, MigrateError> {
    let pii = source.pii_columns()?;
    target.clear_stage()?;
    let mut after: Option<String> = None;
    let mut line = 0;
    loop {
        let page = source.contacts_after(after.as_deref(), CONTACT_PAGE)?;
        let Some(last) = page.last() else { break };
        after = Some(last.key.clone());
        let rows: Vec<(String, StagedRow)> = page
            .into_iter()
            .map(|contact| {
                line += 1;
                (
                    contact.key,
                    StagedRow {
                        line,
                        cells: contact.attributes,
                    },
                )
            })
            .collect();
        // Keys are unique in the source, so nothing is staged twice.
        target.stage_contacts(&rows)?;
    }
    let counts = target.commit_stage(
        &pii,
        &|_, key, row| Contact {
            key: key.to_string(),
            attributes: row.cells,
        },
        CONTACT_PAGE,
    )?;
    Ok(counts.created)
}

fn count_contacts(store: &dyn Backend) -> Result<u64, MigrateError> {
    let mut count = 0;
    let mut after: Option<String> = None;
    loop {
        let page = store.contacts_after(after.as_deref(), CONTACT_PAGE)?;
        let Some(last) = page.last() else { break };
        after = Some(last.key.clone());
        count += page.len() as u64;
    }
    Ok(count)
}

/// The outside texts of every report the files declare, as they are (segment included);
/// what they count is left to the rebuild, like every other aggregate.
fn copy_texts(
    source: &dyn Backend,
    target: &dyn Backend,
    reports: &Reports,
) -> Result<u64, MigrateError> {
    let mut copied = 0;
    for report in reports.iter() {
        let mut batch: Vec<StoredText> = Vec::with_capacity(BATCH);
        for text in source.report_texts(&report.id) {
            batch.push(text?);
            if batch.len() == BATCH {
                copied += target.put_texts(&batch, &|_| Vec::new())?.created;
                batch.clear();
            }
        }
        copied += target.put_texts(&batch, &|_| Vec::new())?.created;
    }
    Ok(copied)
}

fn count_texts(store: &dyn Backend, reports: &Reports) -> Result<u64, MigrateError> {
    let mut count = 0;
    for report in reports.iter() {
        for text in store.report_texts(&report.id) {
            text?;
            count += 1;
        }
    }
    Ok(count)
}
