//! `POST /api/backup`: the whole store as a backup file, from a running server.
//!
//! The snapshot is written into an unnamed temporary file in the data directory first and
//! sent from there: every writer waits while the store is read, and must not wait on how
//! fast the client downloads.

use std::io::Seek;
use std::sync::Arc;

use poem::Body;
use poem_openapi::payload::Binary;
use poem_openapi::{ApiResponse, OpenApi};

use super::ApiTags;
use super::auth::Researcher;
use super::error::ApiError;
use crate::app::AppState;
use crate::backup::{self, BackupError};

#[derive(ApiResponse)]
pub enum BackupDownload {
    /// A fieldnotes backup: gzip-compressed JSON Lines, a header line (format and version),
    /// one record a line, an end line with the counts (see README, "Backups and retention").
    #[oai(status = 200, content_type = "application/gzip")]
    Ok(
        Binary<Body>,
        #[oai(header = "Content-Disposition")] String,
        /// How many records the file holds.
        #[oai(header = "X-Backup-Records")]
        u64,
    ),
}

pub struct BackupApi {
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::Backup")]
impl BackupApi {
    /// Takes a backup of everything the store keeps: responses with their form revisions,
    /// interviews with their notes and event logs, the team's words on profile cards,
    /// summary schedules, the webhook outbox and browser logins. Report aggregates are left
    /// out; a restored server rebuilds them. Writes wait while the snapshot is taken.
    /// Researcher only. `fieldnotes backup FILE` calls this while the server runs.
    #[oai(path = "/backup", method = "post")]
    async fn backup(&self, _staff: Researcher) -> Result<BackupDownload, ApiError> {
        let store = self.state.backup.clone();
        let scratch = self.state.data_dir.clone();
        let (file, summary) = tokio::task::spawn_blocking(move || {
            let io = |context| move |source| BackupError::Io { context, source };
            // Unnamed: the OS removes it once sent, or if the server dies midway.
            let mut file =
                tempfile::tempfile_in(&scratch).map_err(io("cannot make the backup's file"))?;
            let summary = backup::write(store.as_ref(), &mut file)?;
            file.rewind().map_err(io("cannot read the backup's file"))?;
            Ok::<_, BackupError>((file, summary))
        })
        .await??;
        let name = format!(
            "attachment; filename=\"fieldnotes-backup-{}.jsonl.gz\"",
            chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
        );
        tracing::info!("backup taken: {}", summary.describe());
        Ok(BackupDownload::Ok(
            Binary(Body::from_async_read(tokio::fs::File::from_std(file))),
            name,
            summary.records,
        ))
    }
}
