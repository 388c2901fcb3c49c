//! `fieldnotes texts import REPORT SOURCE FILE`: the same import as `POST
//! /api/reports/{id}/sources/{name}/texts`, offline.

use std::path::PathBuf;

use super::{TextsError, import};
use crate::offline::{Dirs, open_import};

pub struct TextsCommand {
    pub report: String,
    pub source: String,
    pub file: PathBuf,
    pub dirs: Dirs,
}

/// Runs the import; the line to print, or the error to print.
pub fn run_texts_import(command: &TextsCommand) -> Result<String, String> {
    let route = format!(
        "/api/reports/{}/sources/{}/texts",
        command.report, command.source
    );
    let opened = open_import(&command.dirs, &command.file, &route)?;
    let store = opened.store;
    // Texts of contact segments are placed by the contacts in this store.
    let reports = opened
        .reports
        .with_contacts(crate::contacts::Directory::new(store.clone()));
    let counts = import(
        store.as_ref(),
        &opened.catalog,
        &reports,
        &command.report,
        &command.source,
        opened.file,
    )
    .map_err(|e| match e {
        TextsError::BadRow { .. } => format!(
            "error: {}: {e}; nothing was imported",
            command.file.display()
        ),
        TextsError::UnknownReport(_) | TextsError::UnknownSource { .. } => format!("error: {e}"),
        e => format!("error: {}: {e}", command.file.display()),
    })?;
    Ok(format!(
        "Imported {} into {}/{}: {} created, {} updated",
        command.file.display(),
        command.report,
        command.source,
        counts.created,
        counts.updated
    ))
}
