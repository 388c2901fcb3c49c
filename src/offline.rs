//! What the offline import commands (`contacts import`, `texts import`) share: the form and
//! report files, the input file, and the store. sled lets one process hold the store, so
//! while a server runs on it the command says so and shows the route to use instead.

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::form::Catalog;
use crate::report::Reports;
use crate::store::{Backend, StoreError, StoreUrl};

/// Where an offline command finds its files and its store.
pub struct Dirs {
    pub data: PathBuf,
    /// `--store`; `None` is sled in the data directory.
    pub store: Option<StoreUrl>,
    pub forms: PathBuf,
    pub reports: PathBuf,
}

/// Everything an import needs, opened.
pub struct Opened {
    pub catalog: Catalog,
    pub reports: Reports,
    pub file: std::io::BufReader<std::fs::File>,
    pub store: Arc<dyn Backend>,
}

/// Opens the files, `file` and the store; `route` is the path of the same import over HTTP,
/// named when a server holds the store.
pub fn open_import(dirs: &Dirs, file: &std::path::Path, route: &str) -> Result<Opened, String> {
    let config = Config {
        data_dir: dirs.data.clone(),
        forms_dir: dirs.forms.clone(),
        reports_dir: dirs.reports.clone(),
        store: dirs.store.clone(),
        ..Config::default()
    };
    // The reports say which aggregates an import changes and which must be rebuilt.
    let (catalog, reports) = crate::app::load_files(&config).map_err(|e| format!("error: {e}"))?;
    let input = std::fs::File::open(file)
        .map_err(|e| format!("error: cannot read {}: {e}", file.display()))?;
    let store = match config.store_url().open_for_one_pass() {
        Ok(store) => store,
        Err(StoreError::InUse { path }) => {
            return Err(format!(
                "error: a running fieldnotes server holds {path}; import through it instead:\n  \
                 curl -X POST -H 'Authorization: Bearer $FIELDNOTES_RESEARCHER_TOKEN' \
                 -H 'Content-Type: text/csv' --data-binary @{} 'http://HOST:PORT{route}'",
                file.display()
            ));
        }
        Err(e) => return Err(format!("error: {e}")),
    };
    Ok(Opened {
        catalog,
        reports,
        file: std::io::BufReader::new(input),
        store,
    })
}
