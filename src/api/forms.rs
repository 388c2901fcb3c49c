//! `GET /api/forms` and `GET /api/forms/{id}`: form definitions as JSON.

use std::collections::HashMap;
use std::sync::Arc;

use bytes::Bytes;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::ApiTags;
use super::auth::MaybeStaff;
use super::error::ApiError;
use super::prebuilt::Prebuilt;
use crate::app::AppState;
use crate::auth::Role;
use crate::form::{Form, FormKind, Question, Section};

#[derive(Debug, Object)]
pub struct QuestionJson {
    pub id: String,
    /// single | multi | scale | nps | number | text | long_text | email | matrix | ranking
    #[oai(rename = "type")]
    pub kind: String,
    pub text: String,
    #[oai(skip_serializing_if_is_none)]
    pub help: Option<String>,
    pub required: bool,
    #[oai(skip_serializing_if_is_none)]
    pub options: Option<Vec<String>>,
    pub other: bool,
    #[oai(skip_serializing_if_is_none)]
    pub min: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub max: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub labels: Option<Vec<String>>,
    /// A matrix's rows; answer `{"row": option or number}`.
    #[oai(skip_serializing_if_is_none)]
    pub rows: Option<Vec<String>>,
    /// A ranking's most options ranked; absent: rank them all. Answer a list, best first.
    #[oai(skip_serializing_if_is_none)]
    pub max_ranked: Option<u64>,
    /// Each respondent sees the options (a matrix's rows) in an order of their own, with
    /// `other` and `keep_last` after the rest.
    pub shuffle: bool,
    #[oai(skip_serializing_if_is_none)]
    pub keep_last: Option<Vec<String>>,
    pub integer: bool,
    #[oai(skip_serializing_if_is_none)]
    pub show_if: Option<String>,
    pub tags: Vec<String>,
    pub pii: bool,
}

/// A quota and the places it has taken; shown to staff only.
#[derive(Debug, Object)]
pub struct QuotaJson {
    pub name: String,
    pub limit: u64,
    /// Completed responses that took a place (erasures give theirs back).
    pub count: u64,
}

#[derive(Debug, Object)]
pub struct SectionJson {
    pub id: String,
    pub title: String,
    #[oai(skip_serializing_if_is_none)]
    pub minutes: Option<u32>,
    pub prompts: Vec<String>,
}

#[derive(Debug, Object)]
pub struct FormJson {
    pub id: String,
    /// survey | interview
    pub kind: String,
    pub title: String,
    #[oai(skip_serializing_if_is_none)]
    pub intro: Option<String>,
    /// The text a respondent must agree to before answering; submit `"consent": true` with
    /// the answers once they have.
    #[oai(skip_serializing_if_is_none)]
    pub consent: Option<String>,
    /// open | closed
    pub status: String,
    /// Revision of the form definition; each response records the one it answered.
    pub revision: String,
    pub hidden: Vec<String>,
    pub questions: Vec<QuestionJson>,
    #[oai(skip_serializing_if_is_none)]
    pub sections: Option<Vec<SectionJson>>,
    /// The form's quotas with their counts, for interviewers and researchers.
    #[oai(skip_serializing_if_is_none)]
    pub quotas: Option<Vec<QuotaJson>>,
    /// The languages the form is offered in, its default first (the texts here are the
    /// default's, and so are the option texts answers must use); a submission's `language`
    /// is one of them. Absent for a form in one language.
    #[oai(skip_serializing_if_is_none)]
    pub languages: Option<Vec<String>>,
}

fn non_empty<T: Clone>(items: &[T]) -> Option<Vec<T>> {
    (!items.is_empty()).then(|| items.to_vec())
}

impl From<&Question> for QuestionJson {
    fn from(q: &Question) -> Self {
        let (min, max) = q.bounds();
        QuestionJson {
            id: q.id.clone(),
            kind: q.kind.as_str().into(),
            text: q.text.clone(),
            help: q.help.clone(),
            required: q.required,
            options: non_empty(&q.options),
            other: q.other,
            min,
            max,
            labels: non_empty(&q.labels),
            rows: non_empty(&q.rows),
            max_ranked: q.max_ranked.map(|n| n as u64),
            shuffle: q.shuffle,
            keep_last: non_empty(&q.keep_last),
            integer: q.wants_integer(),
            show_if: q.show_if.clone(),
            tags: q.tags.clone(),
            pii: q.pii,
        }
    }
}

impl From<&Section> for SectionJson {
    fn from(s: &Section) -> Self {
        SectionJson {
            id: s.id.clone(),
            title: s.title.clone(),
            minutes: s.minutes,
            prompts: s.prompts.clone(),
        }
    }
}

impl From<&Form> for FormJson {
    fn from(f: &Form) -> Self {
        FormJson {
            id: f.id.clone(),
            kind: match f.kind {
                FormKind::Survey => "survey",
                FormKind::Interview => "interview",
            }
            .into(),
            title: f.title.clone(),
            intro: f.intro.clone(),
            consent: f.consent.clone(),
            status: if f.is_open() { "open" } else { "closed" }.into(),
            revision: f.revision.clone(),
            hidden: f.hidden.clone(),
            questions: f.questions.iter().map(QuestionJson::from).collect(),
            sections: (!f.sections.is_empty())
                .then(|| f.sections.iter().map(SectionJson::from).collect()),
            quotas: None,
            languages: non_empty(&f.languages),
        }
    }
}

pub struct FormsApi {
    pub state: Arc<AppState>,
    /// Each form's definition as anyone may read it (no quota counts), serialised once: the
    /// forms do not change while the server runs, and a survey's page fetches it often.
    prebuilt: HashMap<String, Bytes>,
}

impl FormsApi {
    pub fn new(state: Arc<AppState>) -> FormsApi {
        let prebuilt = state
            .catalog
            .iter()
            .map(|f| {
                let json = Prebuilt::new(&FormJson::from(f.as_ref()));
                (f.id.clone(), json.bytes().clone())
            })
            .collect();
        FormsApi { state, prebuilt }
    }
}

#[OpenApi(tag = "ApiTags::Forms")]
impl FormsApi {
    /// Lists surveys; interview guides too for interviewers and researchers.
    #[oai(path = "/forms", method = "get")]
    async fn list_forms(&self, caller: MaybeStaff) -> Result<Json<Vec<FormJson>>, ApiError> {
        let staff = caller.0.is_some();
        let forms = self
            .state
            .catalog
            .iter()
            .filter(|f| staff || f.is_survey())
            .map(|f| FormJson::from(f.as_ref()))
            .collect();
        Ok(Json(forms))
    }

    /// One form definition. Interview guides need an interviewer or researcher token.
    #[oai(path = "/forms/:id", method = "get")]
    async fn get_form(
        &self,
        caller: MaybeStaff,
        id: Path<String>,
    ) -> Result<Prebuilt<FormJson>, ApiError> {
        let form = self
            .state
            .catalog
            .get(&id.0)
            .ok_or_else(|| ApiError::not_found(format!("no form with id '{}'", id.0)))?;
        if !form.is_survey() {
            caller.at_least(Role::Interviewer)?;
        }
        let with_quotas = caller.0.is_some() && !form.quotas.is_empty();
        if !with_quotas && let Some(body) = self.prebuilt.get(&form.id) {
            return Ok(Prebuilt::from_bytes(body.clone()));
        }
        let mut json = FormJson::from(form.as_ref());
        if with_quotas {
            let (store, form_id) = (self.state.store.clone(), form.id.clone());
            let counts = tokio::task::spawn_blocking(move || store.quota_counts(&form_id))
                .await
                .map_err(|e| ApiError::internal(e.to_string()))??;
            json.quotas = Some(
                form.quotas
                    .iter()
                    .map(|q| QuotaJson {
                        name: q.name.clone(),
                        limit: q.limit,
                        count: counts.get(&q.name).copied().unwrap_or(0),
                    })
                    .collect(),
            );
        }
        Ok(Prebuilt::new(&json))
    }
}
