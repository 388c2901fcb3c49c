//! A survey page drawn whole: the words around the questions in the page's language, each
//! question piped and in the respondent's shuffled order, the error summary, and the page
//! shown again to be resent.

use askama::Template;
use poem::Response;
use poem::http::StatusCode;

use super::paging::{is_visible, progress};
use super::render;
use super::survey::SurveyState;
use super::survey_consent::{self, CONSENT_ANCHOR, ConsentView};
use super::survey_lang::language_choices;
use super::survey_view::{QuestionView, question_view};
use crate::form::translations::Texts;
use crate::form::{Answers, FieldErrors, Form, Question};
use crate::i18n::Locale;

/// One language of the switch: named in itself, marked with its own `lang`.
pub struct LanguageChoice {
    pub tag: String,
    pub name: String,
    pub current: bool,
}

/// The words around the questions, in the page's language.
pub struct PageWords {
    pub page_title: String,
    pub progress: String,
    pub summary: String,
}

#[derive(Template)]
#[template(path = "survey.html")]
pub struct SurveyPage {
    pub locale: Locale,
    pub words: PageWords,
    /// The form's languages for the switch; empty for a form in one language.
    pub languages: Vec<LanguageChoice>,
    pub form_title: String,
    pub form_id: String,
    pub intro: Option<String>,
    pub notice: Option<String>,
    pub page_number: usize,
    pub page_count: usize,
    pub page_index: usize,
    /// The consent text and its box, on the first page of a form with consent text.
    pub consent: Option<ConsentView>,
    pub questions: Vec<QuestionView>,
    /// (anchor, message) pairs for the error summary.
    pub errors: Vec<(String, String)>,
    pub state_json: String,
    /// The respondent's token, once a page of theirs is kept (see `survey_partial`).
    pub token: Option<String>,
    pub can_go_back: bool,
    pub is_last: bool,
}

/// Keeps every answer on the page so that sending it again can succeed.
#[allow(clippy::too_many_arguments)]
pub(super) fn retry_page(
    form: &Form,
    pages: &[Vec<usize>],
    page_index: usize,
    survey: &SurveyState,
    token: Option<&str>,
    status: StatusCode,
    notice: String,
    locale: &Locale,
) -> Response {
    let mut response = page_response(
        form,
        pages,
        page_index,
        survey,
        &FieldErrors::new(),
        Some(notice),
        token,
        locale,
    );
    response.set_status(status);
    response
}

/// "Question: what is wrong", as the language punctuates it.
fn error_link(locale: &Locale, question: &str, message: &str) -> String {
    locale.t_args(
        "survey-error-link",
        &[("question", question.into()), ("message", message.into())],
    )
}

/// Draws one page of the survey in `locale`; `errors` are already in its language. `token`
/// is the respondent's, once a page of theirs is kept.
#[allow(clippy::too_many_arguments)]
pub(super) fn page_response(
    form: &Form,
    pages: &[Vec<usize>],
    page_index: usize,
    survey: &SurveyState,
    errors: &FieldErrors,
    notice: Option<String>,
    token: Option<&str>,
    locale: &Locale,
) -> Response {
    let texts = form.texts(locale.tag());
    let progress = progress(form, pages, &survey.answers, page_index);
    let questions: Vec<_> = pages[page_index]
        .iter()
        .map(|&i| &form.questions[i])
        .filter(|q| is_visible(q, &survey.answers))
        .map(|q| {
            let (answers, hidden) = (&survey.answers, &survey.hidden);
            let view = piped_question_view(q, form, &texts, locale, answers, hidden, errors);
            shuffled(view, crate::form::shuffle::permutation(q, survey.seed))
        })
        .collect();
    let consent = survey_consent::view(texts.consent(), page_index, survey.consent_at, errors);
    let consent_label = locale.t("survey-consent-label");
    let consent_link = consent.as_ref().and_then(|c| c.error.as_ref()).map(|e| {
        (
            CONSENT_ANCHOR.to_string(),
            error_link(locale, &consent_label, e),
        )
    });
    let error_links: Vec<(String, String)> = consent_link
        .into_iter()
        .chain(questions.iter().filter_map(|q| {
            q.error
                .as_ref()
                .map(|e| (q.anchor.clone(), error_link(locale, &q.text, e)))
        }))
        .collect();
    let place = [
        ("title", texts.title().into()),
        ("number", progress.number.into()),
        ("count", progress.count.into()),
    ];
    let words = PageWords {
        page_title: if error_links.is_empty() {
            locale.t_args("survey-page-title", &place)
        } else {
            locale.t_args("survey-page-title-error", &place)
        },
        progress: locale.t_args("survey-progress", &place[1..]),
        summary: locale.t_args(
            "survey-error-summary",
            &[("count", error_links.len().into())],
        ),
    };
    let page = SurveyPage {
        languages: language_choices(form, locale),
        locale: locale.clone(),
        words,
        form_title: texts.title().to_string(),
        form_id: form.id.clone(),
        intro: (progress.number == 1)
            .then(|| texts.intro().map(str::to_string))
            .flatten(),
        notice,
        page_number: progress.number,
        page_count: progress.count,
        page_index,
        consent,
        questions,
        errors: error_links,
        state_json: serde_json::to_string(survey).unwrap_or_default(),
        token: token.map(str::to_string),
        can_go_back: progress.number > 1,
        is_last: progress.is_last,
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(status, &page)
}
/// A question's view with its text and help, in the page's language, piped from the answers
/// and hidden fields so far (a choice piped as its option's text in that language).
pub fn piped_question_view(
    q: &Question,
    form: &Form,
    texts: &Texts,
    locale: &Locale,
    answers: &Answers,
    hidden: &std::collections::BTreeMap<String, String>,
    errors: &FieldErrors,
) -> QuestionView {
    let mut view = question_view(q, texts, locale, answers, errors);
    let label = |id: &str, answer: &str| {
        form.question(id).map_or(answer.to_string(), |source| {
            texts.option_of(source, answer).to_string()
        })
    };
    view.text = crate::form::piping::render(texts.text(q), answers, hidden, &label);
    view.help = texts
        .help(q)
        .map(|help| crate::form::piping::render(help, answers, hidden, &label));
    view
}

/// The view with its options (a matrix's rows) in the respondent's shuffled order; input
/// ids and names keep the form's positions, so answers read back the same whatever the order.
pub fn shuffled(mut view: QuestionView, order: Option<Vec<usize>>) -> QuestionView {
    fn reorder<T>(items: Vec<T>, order: &[usize]) -> Vec<T> {
        let mut slots: Vec<Option<T>> = items.into_iter().map(Some).collect();
        let mut out: Vec<T> = order
            .iter()
            .filter_map(|&i| slots.get_mut(i).and_then(Option::take))
            .collect();
        out.extend(slots.into_iter().flatten());
        out
    }
    let Some(order) = order else {
        return view;
    };
    match view.kind {
        "matrix" => view.rows = reorder(std::mem::take(&mut view.rows), &order),
        "ranking" => view.ranks = reorder(std::mem::take(&mut view.ranks), &order),
        _ => view.choices = reorder(std::mem::take(&mut view.choices), &order),
    }
    view
}
