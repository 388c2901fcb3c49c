//! Outside texts of a report's sources: the CSV import (streamed) and removing one text.

use std::sync::Arc;

use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::auth::Researcher;
use super::contacts::CsvUpload;
use super::error::ApiError;
use crate::app::AppState;
use crate::contacts::import::MAX_IMPORT_BYTES;
use crate::texts::{TextsError, delete_text, import};

/// Whether a path is a texts import, whose body is streamed like the contacts import.
pub fn streams_body(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    matches!(
        parts.as_slice(),
        ["", "api", "reports", _, "sources", _, "texts"]
    )
}

#[derive(Debug, Object)]
pub struct ImportedTexts {
    /// Texts that were new.
    pub created: u64,
    /// Texts already there under the same `id`, replaced.
    pub updated: u64,
}

#[derive(ApiResponse)]
pub enum TextRemoved {
    /// The text and everything it counted are gone.
    #[oai(status = 204)]
    Removed,
}

pub struct TextsApi {
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::Texts")]
impl TextsApi {
    /// Imports outside texts (support tickets, reviews, sales-call notes) into a source the
    /// report declares in `[[sources]]`, from CSV with a header row (up to 256 MiB, streamed):
    /// `text` (required), `id` (the upsert key; without it a new id is generated), `at` (RFC
    /// 3339 or YYYY-MM-DD; default: now, or the stored text's) and `customer_id` (the linked
    /// contact, whose segment the text takes); other columns are ignored. The texts join the
    /// report's theme counts with the source's name as their source. A bad row (line
    /// numbers count physical lines, the header is line 1; an id twice in one file is bad)
    /// is a 422 naming its line in `message` and `fields.line`, and nothing is kept.
    #[oai(path = "/reports/:id/sources/:name/texts", method = "post")]
    async fn import_texts(
        &self,
        _staff: Researcher,
        id: Path<String>,
        name: Path<String>,
        body: CsvUpload,
    ) -> Result<Json<ImportedTexts>, ApiError> {
        let reader = tokio_util::io::SyncIoBridge::new(body.into_body().into_async_read());
        let state = self.state.clone();
        let counts = tokio::task::spawn_blocking(move || {
            import(
                state.texts.as_ref(),
                &state.catalog,
                &state.reports,
                &id.0,
                &name.0,
                reader,
            )
        })
        .await??;
        Ok(Json(ImportedTexts {
            created: counts.created,
            updated: counts.updated,
        }))
    }

    /// Removes one outside text and everything it counted: reports, themes and cards are
    /// then as if it had never come. 404 when the report, source or text is unknown.
    #[oai(path = "/reports/:id/sources/:name/texts/:text_id", method = "delete")]
    async fn delete_text(
        &self,
        _staff: Researcher,
        id: Path<String>,
        name: Path<String>,
        text_id: Path<String>,
    ) -> Result<TextRemoved, ApiError> {
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || {
            delete_text(
                state.texts.as_ref(),
                &state.reports,
                &id.0,
                &name.0,
                &text_id.0,
            )
        })
        .await??;
        Ok(TextRemoved::Removed)
    }
}

impl From<TextsError> for ApiError {
    fn from(e: TextsError) -> Self {
        match e {
            TextsError::UnknownReport(_)
            | TextsError::UnknownSource { .. }
            | TextsError::NotFound { .. } => ApiError::not_found(e.to_string()),
            TextsError::BadRow { line, .. } => ApiError::bad_import_row(&e, line),
            TextsError::TooLarge => ApiError::import_too_large(MAX_IMPORT_BYTES),
            TextsError::Read(reason) => ApiError::import_cut_short(reason),
            TextsError::Store(e) => e.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_texts_imports_stream() {
        assert!(super::streams_body("/api/reports/r/sources/support/texts"));
        assert!(!super::streams_body(
            "/api/reports/r/sources/support/texts/t1"
        ));
        assert!(!super::streams_body("/api/reports/r"));
    }
}
