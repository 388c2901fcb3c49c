//! Contacts (the internal angle: a CRM export) behind their own interface. An import is
//! staged first, row by row, in scratch space the store keeps apart from the contacts, and
//! committed only once the whole file has been read and found good: a bad row leaves the
//! contacts as they were, and the file never has to be held in memory.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::StoreError;

/// One contact as last imported: its key and its attributes (never an empty value: an empty
/// cell clears the attribute).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub key: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// One row of an import waiting for its commit: the physical line it started on and its
/// cells by column (an empty cell clears that attribute).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedRow {
    pub line: u64,
    pub cells: BTreeMap<String, String>,
}

/// What a commit did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    pub created: u64,
    pub updated: u64,
}

/// How a staged row and the stored contact (if any) become the contact written.
pub type Merge<'a> = &'a (dyn Fn(Option<Contact>, &str, StagedRow) -> Contact + Sync);

pub trait ContactStore: Send + Sync + 'static {
    fn contact(&self, key: &str) -> Result<Option<Contact>, StoreError>;

    /// Up to `limit` contacts in key order, after `after` when given.
    fn contacts_after(&self, after: Option<&str>, limit: usize)
    -> Result<Vec<Contact>, StoreError>;

    /// The columns marked personal data by any import so far.
    fn pii_columns(&self) -> Result<BTreeSet<String>, StoreError>;

    /// Stages rows of the import under way. Returns the first row whose key is staged
    /// already, with the line it was first staged from (the rows before it are staged).
    /// Scratch: not flushed, since a crash abandons the import anyway.
    fn stage_contacts(
        &self,
        rows: &[(String, StagedRow)],
    ) -> Result<Option<(String, u64, u64)>, StoreError>;

    /// Forgets every staged row (an import refused, or one a crash left behind).
    fn clear_stage(&self) -> Result<(), StoreError>;

    /// Writes the staged rows into the contacts, `batch` at a time, each batch in one
    /// transaction with the union of the pii columns and `pii`, then clears the stage;
    /// returns once all of it is on disk.
    fn commit_stage(
        &self,
        pii: &BTreeSet<String>,
        merge: Merge,
        batch: usize,
    ) -> Result<ImportCounts, StoreError>;

    /// Removes a contact; durable when it returns. False when there was none.
    fn delete_contact(&self, key: &str) -> Result<bool, StoreError>;
}
