//! What `fieldnotes backup FILE` does: open the data directory itself when no server holds
//! it, else ask the server that does (sled allows one process per store), or the server
//! `--server` names.

use std::path::{Path, PathBuf};

use super::{BackupError, Summary, download, server_url, write_file};
use crate::config::{Config, Secret};
use crate::store::{StoreError, StoreUrl};

/// What the command was told.
pub struct BackupRequest {
    pub file: PathBuf,
    pub data_dir: PathBuf,
    /// `--store`; `None` is sled in the data directory.
    pub store: Option<StoreUrl>,
    /// `--server URL`: always go through that server.
    pub server: Option<String>,
    /// Where `serve` listens (`FIELDNOTES_ADDR`): the server asked when the store is in use.
    pub addr: String,
    /// `FIELDNOTES_RESEARCHER_TOKEN`; without it, the token `serve` keeps in the data directory.
    pub token: Option<Secret>,
}

/// How the backup was taken.
pub enum Taken {
    Offline,
    Server(String),
}

pub fn run(request: &BackupRequest) -> Result<(Summary, Taken), BackupError> {
    let config = Config {
        data_dir: request.data_dir.clone(),
        store: request.store.clone(),
        ..Config::default()
    };
    if let Some(server) = &request.server {
        let summary = through(server, request, &config)?;
        return Ok((summary, Taken::Server(server.clone())));
    }
    match offline(&config, &request.file) {
        Err(BackupError::Store(StoreError::InUse { .. })) => {
            let server = server_url(&request.addr);
            let summary = through(&server, request, &config).map_err(|e| {
                BackupError::Server(format!(
                    "{} is in use by another process, so the backup was asked of the server at {server} (from FIELDNOTES_ADDR), which failed: {e}. If the server listens elsewhere, pass --server URL",
                    request.data_dir.display()
                ))
            })?;
            Ok((summary, Taken::Server(server)))
        }
        other => other.map(|summary| (summary, Taken::Offline)),
    }
}

fn offline(config: &Config, file: &Path) -> Result<Summary, BackupError> {
    let url = config.store_url();
    // Opening would make an empty store where there was none: a mistyped --data must say so.
    if !url.exists() {
        return Err(BackupError::NoStore(config.data_dir.clone()));
    }
    // PostgreSQL serves any number of processes: the backup reads one snapshot of it while
    // the servers carry on.
    let store = url.open_for_one_pass()?;
    write_file(store.as_ref(), file)
}

fn through(server: &str, request: &BackupRequest, config: &Config) -> Result<Summary, BackupError> {
    let token = request
        .token
        .clone()
        .or_else(|| kept_token(&config.researcher_token_file()))
        .ok_or_else(|| {
            BackupError::Server(format!(
                "no researcher token: set FIELDNOTES_RESEARCHER_TOKEN (none is kept in {})",
                config.researcher_token_file().display()
            ))
        })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| BackupError::Io {
            context: "cannot start",
            source,
        })?;
    runtime.block_on(download(server, &token, &request.file))
}

/// The token `serve` generated and kept, read without ever making one.
fn kept_token(path: &Path) -> Option<Secret> {
    let text = std::fs::read_to_string(path).ok()?;
    let token = text.trim();
    (!token.is_empty()).then(|| Secret::new(token))
}
