//! Submitting, erasing and downloading survey responses.

use std::collections::BTreeMap;
use std::sync::Arc;

use poem::Body;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Binary, Json};
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde_json::Value;

use super::ApiTags;
use super::auth::{MaybeStaff, Researcher};
use super::error::ApiError;
use crate::app::AppState;
use crate::auth::Role;
use crate::export::{ExportFormat, ExportOptions};
use crate::form::Form;
use crate::responses;

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct Submission {
    /// Answers by question id: a string for single/text/email, a list of strings for multi,
    /// a number for scale/nps/number.
    #[oai(default)]
    pub answers: BTreeMap<String, Value>,
    /// Hidden fields declared by the form (such as `source`), as strings.
    #[oai(default)]
    pub hidden: BTreeMap<String, Value>,
    /// `true`: the respondent agreed to the form's consent text (`consent` in
    /// `GET /api/forms/{id}`). A form with consent text refuses a response without it (422,
    /// `fields.consent`) and stores the time with the response; other forms ignore it.
    #[oai(default)]
    pub consent: bool,
    /// The language the respondent answered in, one of the form's `languages` (the default
    /// when left out); a form without languages takes none. Answers are always the default
    /// language's option texts.
    pub language: Option<String>,
    /// The token of the respondent's personal invitation link (`t` in `/s/{id}?t=`): it
    /// links the response to their contact and completes the invitation. An invitation
    /// takes one response: a second is 409 `already_answered`; an unknown token is 404.
    pub invitation: Option<String>,
}

#[derive(Debug, Object)]
pub struct ReceiptJson {
    /// The response id (time-ordered UUID).
    pub id: String,
    /// Keep it: with it the respondent can erase the response (`DELETE /api/responses/{id}?receipt=`).
    pub receipt: String,
}

#[derive(Debug, ApiResponse)]
pub enum Created {
    /// Stored and flushed to disk.
    #[oai(status = 201)]
    Created(Json<ReceiptJson>),
}

#[derive(Debug, ApiResponse)]
pub enum Erased {
    /// The response is gone.
    #[oai(status = 204)]
    Erased,
}

#[derive(ApiResponse)]
pub enum CsvDownload {
    /// UTF-8 CSV with a header row, RFC 4180 quoting.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Ok(Binary<Body>, #[oai(header = "Content-Disposition")] String),
}

#[derive(ApiResponse)]
pub enum XlsxDownload {
    /// An Excel workbook: sheet `responses` (the CSV's columns as typed cells: numbers,
    /// `submitted_at` as a UTC date-time, 0/1 flags, every text a text cell, never a formula)
    /// and sheet `questions` (the codebook).
    #[oai(
        status = 200,
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )]
    Ok(Binary<Body>, #[oai(header = "Content-Disposition")] String),
}

#[derive(ApiResponse)]
pub enum JsonlDownload {
    /// JSON Lines: one `{"id", "submitted_at", "form_revision", "hidden", "answers"}` object
    /// per line, answers as stored; `"consent_at"` too for a form with consent text.
    #[oai(status = 200, content_type = "application/x-ndjson")]
    Ok(Binary<Body>, #[oai(header = "Content-Disposition")] String),
}

#[derive(ApiResponse)]
pub enum SavDownload {
    /// An SPSS system file: SPSS-safe variable names, question texts as variable labels,
    /// value labels for choices (codes 1..k in option order), multi flags (0/1) and labelled
    /// scales, measure levels, `submitted_at` as a DATETIME, UTF-8 strings.
    #[oai(status = 200, content_type = "application/x-spss-sav")]
    Ok(Binary<Body>, #[oai(header = "Content-Disposition")] String),
}

pub(super) fn flag(value: &Option<String>) -> bool {
    matches!(value.as_deref(), Some("1" | "true" | "yes"))
}

pub struct ResponsesApi {
    pub state: Arc<AppState>,
}

#[OpenApi(tag = "ApiTags::Responses")]
impl ResponsesApi {
    /// Submits a response to an open survey. Every bad answer is listed at once in a 422.
    #[oai(path = "/forms/:id/responses", method = "post")]
    async fn submit(&self, id: Path<String>, body: Json<Submission>) -> Result<Created, ApiError> {
        let state = self.state.clone();
        let receipt = tokio::task::spawn_blocking(move || {
            let invitation = match &body.0.invitation {
                Some(token) => Some(
                    state
                        .invitations
                        .survey_link_now(&id.0, token)?
                        .ok_or_else(|| {
                            ApiError::not_found("no invitation of this survey has that token")
                        })?,
                ),
                None => None,
            };
            responses::submit(
                state.store.as_ref(),
                &state.catalog,
                &state.reports,
                &id.0,
                &body.0.answers,
                &body.0.hidden,
                responses::SubmitMeta {
                    consent_at: body.0.consent.then(chrono::Utc::now),
                    language: body.0.language,
                    order: Default::default(),
                    invitation,
                },
            )
            .map_err(ApiError::from)
        })
        .await??;
        Ok(Created::Created(Json(ReceiptJson {
            id: receipt.id.to_string(),
            receipt: receipt.receipt,
        })))
    }

    /// Erases a response: a researcher may erase any, a respondent theirs with its receipt.
    #[oai(path = "/responses/:id", method = "delete")]
    async fn erase(
        &self,
        caller: MaybeStaff,
        id: Path<String>,
        receipt: Query<Option<String>>,
    ) -> Result<Erased, ApiError> {
        // With a receipt the respondent speaks for themselves; without one, only a researcher may.
        let receipt = receipt.0;
        if receipt.is_none() {
            caller.at_least(Role::Researcher)?;
        }
        let state = self.state.clone();
        tokio::task::spawn_blocking(move || {
            responses::erase(
                state.store.as_ref(),
                &state.catalog,
                &state.reports,
                &id.0,
                receipt.as_deref(),
            )
        })
        .await??;
        Ok(Erased::Erased)
    }

    /// Every response of a form as CSV, streamed. `pii=1` includes personal-data questions,
    /// `bom=1` adds a byte-order mark for Excel, `partial=1` adds the unfinished responses
    /// kept from the hosted survey and a last column `completed` (1 or 0).
    #[oai(path = "/forms/:id/responses.csv", method = "get")]
    async fn responses_csv(
        &self,
        _staff: Researcher,
        id: Path<String>,
        pii: Query<Option<String>>,
        bom: Query<Option<String>>,
        partial: Query<Option<String>>,
    ) -> Result<CsvDownload, ApiError> {
        let (body, disposition) = self
            .export(&id.0, ExportFormat::Csv, &pii.0, &bom.0, &partial.0)
            .await?;
        Ok(CsvDownload::Ok(Binary(body), disposition))
    }

    /// Every response of a form as an Excel workbook, with the codebook on a second sheet.
    /// `pii=1` includes personal-data questions. A form with more responses than a sheet
    /// holds (1,048,575) gets a 422 `too_many_rows` pointing at the CSV. `partial=1` adds the
    /// unfinished responses and a last column `completed` (1 or 0).
    #[oai(path = "/forms/:id/responses.xlsx", method = "get")]
    async fn responses_xlsx(
        &self,
        _staff: Researcher,
        id: Path<String>,
        pii: Query<Option<String>>,
        partial: Query<Option<String>>,
    ) -> Result<XlsxDownload, ApiError> {
        let (body, disposition) = self
            .export(&id.0, ExportFormat::Xlsx, &pii.0, &None, &partial.0)
            .await?;
        Ok(XlsxDownload::Ok(Binary(body), disposition))
    }

    /// Every response of a form as JSON Lines, streamed. `pii=1` includes answers to
    /// personal-data questions; `partial=1` adds the unfinished responses, each record then
    /// ending with `"completed"` (1 or 0).
    #[oai(path = "/forms/:id/responses.jsonl", method = "get")]
    async fn responses_jsonl(
        &self,
        _staff: Researcher,
        id: Path<String>,
        pii: Query<Option<String>>,
        partial: Query<Option<String>>,
    ) -> Result<JsonlDownload, ApiError> {
        let (body, disposition) = self
            .export(&id.0, ExportFormat::Jsonl, &pii.0, &None, &partial.0)
            .await?;
        Ok(JsonlDownload::Ok(Binary(body), disposition))
    }

    /// Every response of a form as an SPSS system file (`.sav`), for SPSS, PSPP, R (haven)
    /// and pandas/pyreadstat. `pii=1` includes personal-data questions; `partial=1` adds the
    /// unfinished responses and a last variable `completed` (1 or 0).
    #[oai(path = "/forms/:id/responses.sav", method = "get")]
    async fn responses_sav(
        &self,
        _staff: Researcher,
        id: Path<String>,
        pii: Query<Option<String>>,
        partial: Query<Option<String>>,
    ) -> Result<SavDownload, ApiError> {
        let (body, disposition) = self
            .export(&id.0, ExportFormat::Sav, &pii.0, &None, &partial.0)
            .await?;
        Ok(SavDownload::Ok(Binary(body), disposition))
    }
}

impl ResponsesApi {
    /// What every export route does (a researcher only, checked by the route): a survey only (404 otherwise), the
    /// same `pii`/`bom` flags; returns the body and its `Content-Disposition`.
    async fn export(
        &self,
        id: &str,
        format: ExportFormat,
        pii: &Option<String>,
        bom: &Option<String>,
        partial: &Option<String>,
    ) -> Result<(Body, String), ApiError> {
        let form: Arc<Form> = self
            .state
            .catalog
            .get(id)
            .filter(|f| f.is_survey())
            .ok_or_else(|| ApiError::not_found(format!("no survey with id '{id}'")))?;
        let options = ExportOptions {
            include_pii: flag(pii),
            byte_order_mark: flag(bom),
            include_partial: flag(partial),
        };
        let disposition = format!(
            "attachment; filename=\"{}-responses.{}\"",
            form.id,
            format.extension()
        );
        let partials = options.include_partial.then(|| self.state.partials.clone());
        let body = super::stream::responses_body(
            self.state.store.clone(),
            partials,
            form,
            format,
            options,
            self.state.data_dir.clone(),
            Some(self.state.contacts.clone()),
        )
        .await?;
        Ok((body, disposition))
    }
}
