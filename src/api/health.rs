//! `GET /healthz` lives outside `/api`; this is its handler, documented with the rest.

use std::sync::Arc;

use poem_openapi::OpenApi;
use poem_openapi::payload::PlainText;

use super::ApiTags;
use super::error::ApiError;
use crate::app::AppState;

pub struct HealthApi {
    pub state: Arc<AppState>,
}

/// Answers 200 only when a write to the store reaches the disk.
pub async fn check(state: &AppState) -> Result<PlainText<&'static str>, ApiError> {
    let store = state.store.clone();
    tokio::task::spawn_blocking(move || store.probe_write())
        .await?
        .map_err(ApiError::unavailable)?;
    Ok(PlainText("ok"))
}

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// 200 when the store is writable, 503 otherwise (same as `GET /healthz`).
    #[oai(path = "/health", method = "get")]
    async fn health(&self) -> Result<PlainText<&'static str>, ApiError> {
        check(&self.state).await
    }
}
