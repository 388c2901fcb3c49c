//! Profile cards: the drafted cards as JSON and Markdown, and the team's words on them.

use std::sync::Arc;

use poem_openapi::param::Path;
use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::ApiTags;
use super::auth::{Interviewer, Researcher};
use super::error::ApiError;
use crate::app::AppState;
use crate::profiles::{Profiles, markdown, team};
use crate::report::ReportDef;

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct LabelBody {
    /// The segment's name for people ("Scrappy agencies"); empty or absent clears it.
    pub label: Option<String>,
    #[oai(default)]
    pub notes: String,
}

#[derive(Debug, Object)]
pub struct LabelJson {
    pub segment: String,
    pub label: Option<String>,
    pub notes: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ReviewBody {
    /// `sales`, `support`, `success`, `product` or `marketing`.
    pub team: String,
    /// One of the eight tags, `loyalty`, `distinctive`, `quotes`, `jtbd` or `overall`.
    pub field: String,
    /// `agrees` or `disagrees`.
    pub verdict: String,
    #[oai(default)]
    pub comment: String,
}

#[derive(Debug, Object)]
pub struct ReviewJson {
    pub id: String,
    pub team: String,
    pub field: String,
    pub verdict: String,
    pub comment: String,
    pub at: String,
}

#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct ActivationBody {
    /// `messaging`, `offer`, `ux`, `sales` or `retention`.
    pub kind: String,
    pub title: String,
    /// `YYYY-MM-DD`: responses from 00:00 UTC that day count as "since".
    pub started: String,
}

#[derive(Debug, Object)]
pub struct ActivationJson {
    pub id: String,
    pub kind: String,
    pub title: String,
    pub started: String,
}

#[derive(Debug, ApiResponse)]
pub enum ReviewCreated {
    #[oai(status = 201)]
    Created(Json<ReviewJson>),
}

#[derive(Debug, ApiResponse)]
pub enum ActivationCreated {
    #[oai(status = 201)]
    Created(Json<ActivationJson>),
}

#[derive(Debug, ApiResponse)]
pub enum Deleted {
    #[oai(status = 204)]
    Gone,
}

#[derive(Debug, ApiResponse)]
pub enum MarkdownCards {
    /// The cards as Markdown, for a wiki.
    #[oai(status = 200, content_type = "text/markdown; charset=utf-8")]
    Ok(PlainText<String>),
}

pub struct ProfilesApi {
    pub state: Arc<AppState>,
}

impl ProfilesApi {
    fn report(&self, id: &str) -> Result<Arc<ReportDef>, ApiError> {
        self.state
            .reports
            .get(id)
            .ok_or_else(|| ApiError::not_found(format!("no report with id '{id}'")))
    }

    /// Runs a profile operation on a blocking thread: everything it reads is on disk.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&AppState) -> Result<T, crate::profiles::ProfileError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let state = self.state.clone();
        Ok(tokio::task::spawn_blocking(move || work(&state)).await??)
    }

    pub async fn cards(&self, report: Arc<ReportDef>) -> Result<Profiles, ApiError> {
        self.run(move |state| {
            state
                .profiles
                .draft(&state.catalog, &report, chrono::Utc::now())
        })
        .await
    }
}

#[OpenApi(tag = "ApiTags::Profiles")]
impl ProfilesApi {
    /// A report's profile cards (one per unsuppressed segment), the segments one profile may
    /// serve, and the ideal customer profile. Interviewers may read them: frontline staff
    /// review the cards.
    #[oai(path = "/reports/:id/profiles", method = "get")]
    async fn get_profiles(
        &self,
        _staff: Interviewer,
        id: Path<String>,
    ) -> Result<Json<Profiles>, ApiError> {
        let report = self.report(&id.0)?;
        Ok(Json(self.cards(report).await?))
    }

    /// The same cards as Markdown.
    #[oai(path = "/reports/:id/profiles.md", method = "get")]
    async fn get_profiles_md(
        &self,
        _staff: Interviewer,
        id: Path<String>,
    ) -> Result<MarkdownCards, ApiError> {
        let report = self.report(&id.0)?;
        let cards = self.cards(report).await?;
        Ok(MarkdownCards::Ok(PlainText(markdown::render(&cards))))
    }

    /// Sets a card's label and notes (researcher). The computed fields cannot be edited.
    #[oai(path = "/reports/:id/profiles/:segment", method = "put")]
    async fn put_label(
        &self,
        _staff: Researcher,
        id: Path<String>,
        segment: Path<String>,
        body: Json<LabelBody>,
    ) -> Result<Json<LabelJson>, ApiError> {
        let report = self.report(&id.0)?;
        let segment = segment.0;
        let body = body.0;
        let name = segment.clone();
        let record = self
            .run(move |state| {
                state.profiles.set_label(
                    &state.catalog,
                    &report,
                    &name,
                    body.label.as_deref(),
                    &body.notes,
                    chrono::Utc::now(),
                )
            })
            .await?;
        Ok(Json(LabelJson {
            segment,
            label: record.label,
            notes: record.notes,
        }))
    }

    /// A frontline team's verdict on one field of a card.
    #[oai(path = "/reports/:id/profiles/:segment/reviews", method = "post")]
    async fn post_review(
        &self,
        _staff: Interviewer,
        id: Path<String>,
        segment: Path<String>,
        body: Json<ReviewBody>,
    ) -> Result<ReviewCreated, ApiError> {
        let report = self.report(&id.0)?;
        let b = body.0;
        let review = team::new_review(
            &b.team,
            &b.field,
            &b.verdict,
            &b.comment,
            chrono::Utc::now(),
        )
        .map_err(ApiError::validation)?;
        let segment = segment.0;
        let saved = self
            .run(move |state| {
                state
                    .profiles
                    .add_review(&state.catalog, &report, &segment, review)
            })
            .await?;
        Ok(ReviewCreated::Created(Json(ReviewJson {
            id: saved.id,
            team: saved.team,
            field: saved.field,
            verdict: saved.verdict,
            comment: saved.comment,
            at: saved
                .at
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        })))
    }

    /// Something the team changed because of the card; the card then shows the segment's
    /// figures before and since it started.
    #[oai(path = "/reports/:id/profiles/:segment/activations", method = "post")]
    async fn post_activation(
        &self,
        _staff: Researcher,
        id: Path<String>,
        segment: Path<String>,
        body: Json<ActivationBody>,
    ) -> Result<ActivationCreated, ApiError> {
        let report = self.report(&id.0)?;
        let b = body.0;
        let activation = team::new_activation(&b.kind, &b.title, &b.started, chrono::Utc::now())
            .map_err(ApiError::validation)?;
        let segment = segment.0;
        let saved = self
            .run(move |state| {
                state
                    .profiles
                    .add_activation(&state.catalog, &report, &segment, activation)
            })
            .await?;
        Ok(ActivationCreated::Created(Json(ActivationJson {
            id: saved.id,
            kind: saved.kind,
            title: saved.title,
            started: saved.started.format("%Y-%m-%d").to_string(),
        })))
    }

    /// Removes a review (researcher).
    #[oai(
        path = "/reports/:id/profiles/:segment/reviews/:rid",
        method = "delete"
    )]
    async fn delete_review(
        &self,
        _staff: Researcher,
        id: Path<String>,
        segment: Path<String>,
        rid: Path<String>,
    ) -> Result<Deleted, ApiError> {
        self.delete(id.0, segment.0, rid.0, false).await
    }

    /// Removes an activation (researcher).
    #[oai(
        path = "/reports/:id/profiles/:segment/activations/:aid",
        method = "delete"
    )]
    async fn delete_activation(
        &self,
        _staff: Researcher,
        id: Path<String>,
        segment: Path<String>,
        aid: Path<String>,
    ) -> Result<Deleted, ApiError> {
        self.delete(id.0, segment.0, aid.0, true).await
    }
}

impl ProfilesApi {
    async fn delete(
        &self,
        id: String,
        segment: String,
        item: String,
        activation: bool,
    ) -> Result<Deleted, ApiError> {
        let report = self.report(&id)?;
        self.run(move |state| {
            state
                .profiles
                .delete(&state.catalog, &report, &segment, &item, activation)
        })
        .await?;
        Ok(Deleted::Gone)
    }
}
