//! Reports: segment statistics as JSON and CSV.

use std::sync::Arc;

use poem::Body;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::auth::Researcher;
use super::error::ApiError;
use super::stream::stream_blocking;
use crate::analysis::figures::ReportFigures;
use crate::analysis::themes::drill::{ThemeTexts, theme_texts};
use crate::analysis::{ReportOutcome, report_figures};
use crate::app::AppState;
use crate::export::{ExportError, write_segments_csv, write_themes_csv};
use crate::mail::{Occasion, SendError};
use crate::report::ReportDef;

#[derive(Debug, Object)]
pub struct ReportSummary {
    pub id: String,
    pub title: String,
    pub form: String,
    pub segment_by: String,
    pub min_cell: u32,
    pub interviews: Vec<String>,
}

/// A summary sent on demand.
#[derive(Debug, Object)]
pub struct EmailSent {
    /// The recipients, from the report's `[email] to`.
    pub to: Vec<String>,
    /// `smtp` when `FIELDNOTES_SMTP_URL` is set, else `outbox` (a `.eml` file in `data/outbox`).
    pub transport: String,
    /// The message's Message-ID header.
    pub message_id: String,
}

#[derive(ApiResponse)]
pub enum ReportCsv {
    /// Long format: one row per question, segment, option or measure.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Ok(Binary<Body>, #[oai(header = "Content-Disposition")] String),
}

pub struct ReportsApi {
    pub state: Arc<AppState>,
}

impl ReportsApi {
    fn report(&self, id: &str) -> Result<Arc<ReportDef>, ApiError> {
        self.state
            .reports
            .get(id)
            .ok_or_else(|| ApiError::not_found(format!("no report with id '{id}'")))
    }

    /// A theme's texts, or 404 for a theme the codebook does not have.
    pub async fn drill_down(
        &self,
        report: Arc<ReportDef>,
        theme: String,
    ) -> Result<ThemeTexts, ApiError> {
        if !report.codebook.names.contains(&theme) {
            return Err(ApiError::not_found(format!(
                "report '{}' has no theme '{theme}'",
                report.id
            )));
        }
        let figures = self.figures(report.clone()).await?;
        let state = self.state.clone();
        Ok(tokio::task::spawn_blocking(move || {
            theme_texts(state.store.as_ref(), &report, &figures, &theme)
        })
        .await??)
    }

    /// One of a report's CSVs (`{id}-{name}.csv`), streamed from its figures.
    async fn report_csv(
        &self,
        id: &str,
        bom: &Option<String>,
        name: &'static str,
        write: fn(&mut dyn std::io::Write, &ReportFigures, bool) -> Result<(), ExportError>,
    ) -> Result<ReportCsv, ApiError> {
        let figures = self.figures(self.report(id)?).await?;
        let filename = format!("attachment; filename=\"{}-{name}.csv\"", figures.id);
        let bom = super::responses::flag(bom);
        let what = format!("the {name} CSV of {}", figures.id);
        let body = stream_blocking(what, move |out| write(out, &figures, bom));
        Ok(ReportCsv::Ok(Binary(body), filename))
    }

    /// The figures, or 503 with progress while the aggregates are being rebuilt.
    async fn figures(&self, report: Arc<ReportDef>) -> Result<ReportFigures, ApiError> {
        let state = self.state.clone();
        let outcome = tokio::task::spawn_blocking(move || {
            report_figures(state.store.as_ref(), &state.catalog, &report)
        })
        .await??;
        match outcome {
            ReportOutcome::Ready(figures) => Ok(*figures),
            ReportOutcome::Building { done, total } => Err(ApiError::rebuilding(done, total)),
        }
    }
}

#[OpenApi(tag = "ApiTags::Reports")]
impl ReportsApi {
    /// Every report defined in `reports/`.
    #[oai(path = "/reports", method = "get")]
    async fn list_reports(&self, _staff: Researcher) -> Result<Json<Vec<ReportSummary>>, ApiError> {
        let reports = self
            .state
            .reports
            .iter()
            .map(|r| ReportSummary {
                id: r.id.clone(),
                title: r.title.clone(),
                form: r.form.clone(),
                segment_by: r.segment_by.clone(),
                min_cell: r.min_cell,
                interviews: r.interviews.clone(),
            })
            .collect();
        Ok(Json(reports))
    }

    /// A report's segment statistics (see SPEC.md, "Report JSON"). 503 with `progress`
    /// while its aggregates are rebuilt after the report or its form changed.
    #[oai(path = "/reports/:id", method = "get")]
    async fn get_report(
        &self,
        _staff: Researcher,
        id: Path<String>,
    ) -> Result<Json<serde_json::Value>, ApiError> {
        let report = self.report(&id.0)?;
        let figures = self.figures(report.clone()).await?;
        let mut json = serde_json::to_value(figures).map_err(ApiError::internal)?;
        if let Some(email) = self.state.mail.status(&report).await? {
            let email = serde_json::to_value(email).map_err(ApiError::internal)?;
            if let Some(object) = json.as_object_mut() {
                object.insert("email".into(), email);
            }
        }
        Ok(Json(json))
    }

    /// Sends the report's summary to its `[email] to` now, through the SMTP server of
    /// `FIELDNOTES_SMTP_URL` or into the outbox. 409 when the report file has no `[email]`
    /// section; 503 while the report is rebuilt; 502 when the mail server cannot be reached
    /// or refuses the message (the error names the server, and shows as `email.last_error`
    /// in the report JSON).
    #[oai(path = "/reports/:id/email", method = "post")]
    async fn email_report(
        &self,
        _staff: Researcher,
        id: Path<String>,
    ) -> Result<Json<EmailSent>, ApiError> {
        let report = self.report(&id.0)?;
        if report.email.is_none() {
            return Err(SendError::NoEmail(report.id.clone()).into());
        }
        let figures = self.figures(report.clone()).await?;
        let (state, definition) = (self.state.clone(), report.clone());
        let profiles = tokio::task::spawn_blocking(move || {
            state
                .profiles
                .draft_for_summary(&state.catalog, &definition)
        })
        .await?;
        let sent = self
            .state
            .mail
            .send(&report, &figures, profiles.as_ref(), Occasion::OnDemand)
            .await?;
        Ok(Json(EmailSent {
            to: sent.to,
            transport: sent.transport.to_string(),
            message_id: sent.message_id,
        }))
    }

    /// Theme counts as CSV: theme, segment, source, responses, mentions.
    #[oai(path = "/reports/:id/themes.csv", method = "get")]
    async fn themes_csv(
        &self,
        _staff: Researcher,
        id: Path<String>,
        bom: Query<Option<String>>,
    ) -> Result<ReportCsv, ApiError> {
        self.report_csv(&id.0, &bom.0, "themes", |out, figures, bom| {
            write_themes_csv(out, figures, bom)
        })
        .await
    }

    /// Every text that mentions a theme (from unsuppressed segments), interview quotes first,
    /// with the byte ranges of the matched words.
    #[oai(path = "/reports/:id/themes/:theme", method = "get")]
    async fn theme_texts(
        &self,
        _staff: Researcher,
        id: Path<String>,
        theme: Path<String>,
    ) -> Result<Json<serde_json::Value>, ApiError> {
        let report = self.report(&id.0)?;
        let drill = self.drill_down(report, theme.0).await?;
        serde_json::to_value(drill)
            .map(Json)
            .map_err(ApiError::internal)
    }

    /// The same figures as CSV, one row per question × segment × option or measure.
    #[oai(path = "/reports/:id/segments.csv", method = "get")]
    async fn segments_csv(
        &self,
        _staff: Researcher,
        id: Path<String>,
        bom: Query<Option<String>>,
    ) -> Result<ReportCsv, ApiError> {
        self.report_csv(&id.0, &bom.0, "segments", |out, figures, bom| {
            write_segments_csv(out, figures, bom)
        })
        .await
    }
}
