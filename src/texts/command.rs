//! `fieldnotes texts import REPORT SOURCE FILE`: the same import as `POST
//! /api/reports/{id}/sources/{name}/texts`, offline. sled lets one process hold the store, so
//! while a server runs the command says so and names the route.

use std::path::PathBuf;

use super::{TextsError, import};
use crate::config::Config;
use crate::store::{StoreError, StoreUrl};

pub struct TextsCommand {
    pub report: String,
    pub source: String,
    pub file: PathBuf,
    pub data: PathBuf,
    /// `--store`; `None` is sled in the data directory.
    pub store: Option<StoreUrl>,
    pub forms: PathBuf,
    pub reports: PathBuf,
}

/// Runs the import; the line to print, or the error to print.
pub fn run_texts_import(command: &TextsCommand) -> Result<String, String> {
    let config = Config {
        data_dir: command.data.clone(),
        forms_dir: command.forms.clone(),
        reports_dir: command.reports.clone(),
        store: command.store.clone(),
        ..Config::default()
    };
    let (catalog, reports) = crate::app::load_files(&config).map_err(|e| format!("error: {e}"))?;
    let file = std::fs::File::open(&command.file)
        .map_err(|e| format!("error: cannot read {}: {e}", command.file.display()))?;
    let store = match config.store_url().open_for_one_pass() {
        Ok(store) => store,
        Err(StoreError::InUse { path }) => {
            return Err(format!(
                "error: a running fieldnotes server holds {path}; import through it instead:\n  \
                 curl -X POST -H 'Authorization: Bearer $FIELDNOTES_RESEARCHER_TOKEN' \
                 -H 'Content-Type: text/csv' --data-binary @{} \
                 'http://HOST:PORT/api/reports/{}/sources/{}/texts'",
                command.file.display(),
                command.report,
                command.source
            ));
        }
        Err(e) => return Err(format!("error: {e}")),
    };
    // Texts of contact segments are placed by the contacts in this store.
    let reports = reports.with_contacts(crate::contacts::Directory::new(store.clone()));
    let counts = import(
        store.as_ref(),
        &catalog,
        &reports,
        &command.report,
        &command.source,
        std::io::BufReader::new(file),
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
