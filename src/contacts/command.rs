//! `fieldnotes contacts import`: the same import as `POST /api/contacts`, offline. sled lets
//! one process hold the store, so while a server runs the command says so and names the route.

use std::path::PathBuf;

use super::import::{ImportOptions, import};
use crate::config::Config;
use crate::store::{StoreError, StoreUrl};

pub struct ImportCommand {
    pub file: PathBuf,
    pub key: Option<String>,
    pub pii: Option<String>,
    pub data: PathBuf,
    /// `--store`; `None` is sled in the data directory.
    pub store: Option<StoreUrl>,
    pub forms: PathBuf,
    pub reports: PathBuf,
}

/// Runs the import; the line to print, or the error to print.
pub fn run_import(command: &ImportCommand) -> Result<String, String> {
    let config = Config {
        data_dir: command.data.clone(),
        forms_dir: command.forms.clone(),
        reports_dir: command.reports.clone(),
        store: command.store.clone(),
        ..Config::default()
    };
    // The reports say which aggregates segment by contacts and must be rebuilt.
    let (_, reports) = crate::app::load_files(&config).map_err(|e| format!("error: {e}"))?;
    let file = std::fs::File::open(&command.file)
        .map_err(|e| format!("error: cannot read {}: {e}", command.file.display()))?;
    let store = match config.store_url().open_for_one_pass() {
        Ok(store) => store,
        Err(StoreError::InUse { path }) => {
            return Err(format!(
                "error: a running fieldnotes server holds {path}; import through it instead:\n  \
                 curl -X POST -H 'Authorization: Bearer $FIELDNOTES_RESEARCHER_TOKEN' \
                 -H 'Content-Type: text/csv' --data-binary @{} 'http://HOST:PORT/api/contacts'",
                command.file.display()
            ));
        }
        Err(e) => return Err(format!("error: {e}")),
    };
    let options = ImportOptions::parse(command.key.as_deref(), command.pii.as_deref());
    let counts = import(
        store.as_ref(),
        store.as_ref(),
        &reports,
        std::io::BufReader::new(file),
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
