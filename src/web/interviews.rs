//! Staff pages for interviews: the list with the guides to start from (`/i`), the start page
//! (`/i/new/{guide}`), and the live console (`/i/{id}`, read-only with `?observe=1`) with its
//! one script. Browsers authenticate with the login cookie; without it they are sent to log in.

use std::sync::Arc;

use askama::Template;
use chrono::{DateTime, SecondsFormat, Utc};
use poem::http::StatusCode;
use poem::web::{Data, Path, Query, Redirect};
use poem::{Body, IntoResponse, Request, Response, handler};
use serde::Deserialize;
use serde_json::Value;

use super::PageError;
use super::survey_view::{QuestionView, question_view, read_page_answers};
use super::{CONSOLE_POLICY, message_page, render, render_with_policy};
use crate::app::AppState;
use crate::auth::Role;
use crate::form::{Answers, FieldErrors, Form, FormKind, prune_hidden_answers};
use crate::i18n::Locale;
use crate::interview::{Interview, InterviewError};

/// The console script, served by the app so the page's policy can stay `script-src 'self'`.
const CONSOLE_JS: &str = include_str!("../../static/console.js");
const RECENT_INTERVIEWS: usize = 20;

/// The caller's staff role, or the redirect to the login page that comes back here.
fn staff(state: &AppState, req: &Request) -> Result<Role, Box<Response>> {
    match crate::auth::caller_role(&state.tokens, state.store.as_ref(), req)
        .ok()
        .flatten()
    {
        Some(role) => Ok(role),
        None => {
            let here = req
                .uri()
                .path_and_query()
                .map_or("/i", |p| p.as_str())
                .to_string();
            let next: String = form_urlencoded::byte_serialize(here.as_bytes()).collect();
            Err(Box::new(
                Redirect::see_other(format!("/login?next={next}")).into_response(),
            ))
        }
    }
}

fn guide_of(state: &AppState, id: &str) -> Option<Arc<Form>> {
    state
        .catalog
        .get(id)
        .filter(|f| f.kind == FormKind::Interview)
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn unavailable() -> Response {
    message_page(
        StatusCode::SERVICE_UNAVAILABLE,
        "Please try again",
        "The interviews could not be read just now. Reload the page in a moment.",
    )
}

struct GuideView {
    id: String,
    title: String,
    sections: usize,
    open: bool,
}

struct RecentView {
    id: String,
    participant: String,
    guide: String,
    started: String,
    ended: bool,
    notes: u64,
}

#[derive(Template)]
#[template(path = "interviews.html")]
struct InterviewsPage {
    guides: Vec<GuideView>,
    recent: Vec<RecentView>,
    researcher: bool,
}

#[handler]
pub async fn index(state: Data<&Arc<AppState>>, req: &Request) -> Response {
    let role = match staff(&state, req) {
        Ok(role) => role,
        Err(redirect) => return *redirect,
    };
    let service = state.interviews.clone();
    let recent = match super::blocking(move || service.list(None, RECENT_INTERVIEWS)).await {
        Ok(recent) => recent,
        Err(e) => {
            tracing::error!("listing interviews failed: {e}");
            return unavailable();
        }
    };
    let guides = state
        .catalog
        .iter()
        .filter(|f| f.kind == FormKind::Interview)
        .map(|f| GuideView {
            id: f.id.clone(),
            title: f.title.clone(),
            sections: f.sections.len(),
            open: f.is_open(),
        })
        .collect();
    let recent = recent
        .iter()
        .map(|i| RecentView {
            id: i.id.to_string(),
            participant: i.participant.clone(),
            guide: guide_of(&state, &i.guide).map_or_else(|| i.guide.clone(), |g| g.title.clone()),
            started: when(i.started_at),
            ended: i.has_ended(),
            notes: i.note_count,
        })
        .collect();
    let page = InterviewsPage {
        guides,
        recent,
        researcher: role == Role::Researcher,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "interview_start.html")]
struct StartPage {
    /// English: the shared question inputs print their words through it.
    locale: Locale,
    guide_id: String,
    guide_title: String,
    intro: Option<String>,
    participant: String,
    participant_error: Option<String>,
    contact: String,
    contact_error: Option<String>,
    questions: Vec<QuestionView>,
    /// (anchor, message) pairs for the error summary.
    errors: Vec<(String, String)>,
}

fn start_page(
    guide: &Form,
    participant: &str,
    contact: &str,
    attributes: &Answers,
    errors: &FieldErrors,
) -> Response {
    // The domain names attribute fields `attributes.<id>`; the inputs are named by question.
    let attribute_errors: FieldErrors = errors
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("attributes.")?.to_string(), v.clone())))
        .collect();
    // Staff pages are in English; the guide's texts in its default language.
    let (texts, locale) = (guide.texts(guide.default_language()), Locale::english());
    let questions: Vec<QuestionView> = guide
        .questions
        .iter()
        .map(|q| question_view(q, &texts, &locale, attributes, &attribute_errors))
        .collect();
    let participant_error = errors.get("participant").cloned();
    let mut summary: Vec<(String, String)> = participant_error
        .iter()
        .map(|e| ("participant".to_string(), format!("Participant: {e}")))
        .collect();
    let contact_error = errors.get("contact").cloned();
    summary.extend(
        contact_error
            .iter()
            .map(|e| ("contact".to_string(), format!("Contact: {e}"))),
    );
    summary.extend(questions.iter().filter_map(|q| {
        q.error
            .as_ref()
            .map(|e| (q.anchor.clone(), format!("{}: {e}", q.text)))
    }));
    let page = StartPage {
        locale,
        guide_id: guide.id.clone(),
        guide_title: guide.title.clone(),
        intro: guide.intro.clone(),
        participant: participant.to_string(),
        participant_error,
        contact: contact.to_string(),
        contact_error,
        questions,
        errors: summary,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(status, &page)
}

fn no_guide() -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        "Guide not found",
        "There is no interview guide at this address. Pick one from the interviews page.",
    )
}

fn guide_closed() -> Response {
    message_page(
        StatusCode::CONFLICT,
        "This guide is closed",
        "This interview guide takes no new interviews.",
    )
}

#[handler]
pub fn new_form(state: Data<&Arc<AppState>>, req: &Request, Path(guide): Path<String>) -> Response {
    if let Err(redirect) = staff(&state, req) {
        return *redirect;
    }
    match guide_of(&state, &guide) {
        Some(guide) if guide.is_open() => {
            start_page(&guide, "", "", &Answers::new(), &FieldErrors::new())
        }
        Some(_) => guide_closed(),
        None => no_guide(),
    }
}

#[handler]
pub async fn start(
    state: Data<&Arc<AppState>>,
    req: &Request,
    Path(guide): Path<String>,
    body: Body,
) -> Response {
    if let Err(redirect) = staff(&state, req) {
        return *redirect;
    }
    let Some(form) = guide_of(&state, &guide) else {
        return no_guide();
    };
    let Ok(bytes) = body.into_bytes().await else {
        return message_page(
            StatusCode::BAD_REQUEST,
            "Something went wrong",
            "The form could not be read. Please go back and try again.",
        );
    };
    let fields: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (participant, contact) = (field("participant"), field("contact"));
    let every_question: Vec<usize> = (0..form.questions.len()).collect();
    let mut attributes = Answers::new();
    read_page_answers(&form, &every_question, &fields, &mut attributes);
    prune_hidden_answers(&form, &mut attributes);
    let (service, catalog_state) = (state.interviews.clone(), state.clone());
    let (label, answers, key) = (participant.clone(), attributes.clone(), contact.clone());
    let started = super::blocking(move || {
        let key = Some(key.as_str());
        service.start(&catalog_state.catalog, &guide, &label, &answers, key)
    })
    .await;
    match started {
        Ok(interview) => Redirect::see_other(format!("/i/{}", interview.id)).into_response(),
        Err(PageError::Failed(InterviewError::Invalid(errors))) => {
            start_page(&form, &participant, &contact, &attributes, &errors)
        }
        Err(PageError::Failed(InterviewError::GuideClosed(_))) => guide_closed(),
        Err(e) => {
            tracing::error!("starting an interview failed: {e}");
            unavailable()
        }
    }
}

struct SectionView {
    id: String,
    title: String,
    minutes: Option<u32>,
    prompts: Vec<String>,
}

#[derive(Template)]
#[template(path = "console.html")]
struct ConsolePage {
    interview_id: String,
    guide_id: String,
    guide_title: String,
    participant: String,
    /// (label, answer) for each attribute given.
    attributes: Vec<(String, String)>,
    sections: Vec<SectionView>,
    /// The language of the guide's texts, for their `lang` attribute.
    guide_lang: String,
    started_at: String,
    /// Empty while the interview runs.
    ended_at: String,
    /// The server's clock, so the page's elapsed time does not depend on the laptop's.
    now: String,
    /// May type notes (not an observer, and the interview has not ended).
    writer: bool,
    researcher: bool,
}

#[derive(Deserialize)]
pub struct ConsoleParams {
    observe: Option<String>,
    /// The guide's language to show its sections and prompts in (`?lang=de`), one of its
    /// `languages`; the console's own words stay English.
    lang: Option<String>,
}

fn attribute_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn console_page(
    state: &AppState,
    interview: &Interview,
    observe: bool,
    role: Role,
    lang: Option<&str>,
) -> Response {
    let guide = guide_of(state, &interview.guide);
    let guide_locale = guide.as_ref().map_or_else(Locale::english, |g| {
        crate::i18n::pick(&g.languages, lang, None)
    });
    // In guide order, then any whose question has since left the guide; labelled by id
    // (`company_size` reads "company size"), as the full questions are too long for a header.
    let mut ids: Vec<&String> = guide
        .as_ref()
        .map(|g| g.questions.iter().map(|q| &q.id).collect())
        .unwrap_or_default();
    ids.retain(|id| interview.attributes.contains_key(*id));
    let removed: Vec<&String> = interview
        .attributes
        .keys()
        .filter(|id| !ids.contains(id))
        .collect();
    ids.extend(removed);
    let attributes = ids
        .into_iter()
        .filter_map(|id| {
            let value = interview.attributes.get(id)?;
            Some((id.replace('_', " "), attribute_text(value)))
        })
        .collect();
    let sections = guide
        .as_ref()
        .map(|g| {
            let texts = g.texts(guide_locale.tag());
            g.sections
                .iter()
                .map(|s| SectionView {
                    id: s.id.clone(),
                    title: texts.section_title(s).to_string(),
                    minutes: s.minutes,
                    prompts: texts.prompts(s).to_vec(),
                })
                .collect()
        })
        .unwrap_or_default();
    let page = ConsolePage {
        interview_id: interview.id.to_string(),
        guide_id: interview.guide.clone(),
        guide_title: guide.as_ref().map_or_else(
            || interview.guide.clone(),
            |g| g.texts(guide_locale.tag()).title().to_string(),
        ),
        participant: interview.participant.clone(),
        attributes,
        sections,
        guide_lang: guide_locale.tag().to_string(),
        started_at: rfc3339(interview.started_at),
        ended_at: interview.ended_at.map(rfc3339).unwrap_or_default(),
        now: rfc3339(Utc::now()),
        writer: !observe && !interview.has_ended() && guide.is_some(),
        researcher: role == Role::Researcher,
    };
    render_with_policy(StatusCode::OK, &page, CONSOLE_POLICY)
}

#[handler]
pub async fn console(
    state: Data<&Arc<AppState>>,
    req: &Request,
    Path(id): Path<String>,
    Query(params): Query<ConsoleParams>,
) -> Response {
    let role = match staff(&state, req) {
        Ok(role) => role,
        Err(redirect) => return *redirect,
    };
    let service = state.interviews.clone();
    match super::blocking(move || service.interview(&id)).await {
        Ok(interview) => {
            let observe = matches!(params.observe.as_deref(), Some("1" | "true" | "yes"));
            console_page(&state, &interview, observe, role, params.lang.as_deref())
        }
        Err(PageError::Failed(InterviewError::NotFound)) => message_page(
            StatusCode::NOT_FOUND,
            "Interview not found",
            "There is no interview at this address. Pick one from the interviews page.",
        ),
        Err(e) => {
            tracing::error!("opening the console failed: {e}");
            unavailable()
        }
    }
}

#[handler]
pub fn script() -> Response {
    Response::builder()
        .content_type("text/javascript; charset=utf-8")
        .header("cache-control", "no-cache")
        .header("x-content-type-options", "nosniff")
        .body(CONSOLE_JS)
}
