//! `fieldnotes contacts import`: the same import as `POST /api/contacts`, offline.

use std::path::PathBuf;

use super::import::{ImportOptions, import};
use crate::offline::{Dirs, open_import};

pub struct ImportCommand {
    pub file: PathBuf,
    pub key: Option<String>,
    pub pii: Option<String>,
    pub dirs: Dirs,
}

/// Runs the import; the line to print, or the error to print.
pub fn run_import(command: &ImportCommand) -> Result<String, String> {
    let opened = open_import(&command.dirs, &command.file, "/api/contacts")?;
    let options = ImportOptions::parse(command.key.as_deref(), command.pii.as_deref());
    let counts = import(
        opened.store.as_ref(),
        opened.store.as_ref(),
        &opened.reports,
        opened.file,
        &options,
    )
    .map_err(|e| match e {
        super::ImportError::BadRow { .. } => {
            format!(
                "error: {}: {e}; nothing was imported",
                command.file.display()
            )
        }
        e => format!("error: {}: {e}", command.file.display()),
    })?;
    Ok(format!(
        "Imported {}: {} created, {} updated",
        command.file.display(),
        counts.created,
        counts.updated
    ))
}
