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

/// 200 when the latest durable write reached the disk (or, with none in the last second, a
/// background probe did); 503 once it failed.
pub async fn check(state: &AppState) -> Result<PlainText<&'static str>, ApiError> {
    state.health.check().await.map_err(ApiError::unavailable)?;
    Ok(PlainText("ok"))
}

#[OpenApi(tag = "ApiTags::Health")]
impl HealthApi {
    /// 200 when the store's latest durable write (or a probe, at most once a second) reached
    /// the disk, 503 once it failed (same as `GET /healthz`). Never writes on the request path.
    #[oai(path = "/health", method = "get")]
    async fn health(&self) -> Result<PlainText<&'static str>, ApiError> {
        check(&self.state).await
    }
}
