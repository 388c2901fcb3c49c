//! The hosted survey page as a template sees it: questions turned into inputs.

use askama::Template;
use poem::Response;
use poem::http::StatusCode;
use serde_json::Value;

use super::paging::{is_visible, progress};
use super::render;
use super::survey::SurveyState;
use super::survey_consent::{self, CONSENT_ANCHOR, ConsentView};
use super::survey_lang::language_choices;
use super::survey_matrix::{self, MatrixRowView, RankView};
use crate::form::translations::Texts;
use crate::form::{Answers, FieldErrors, Form, Question, QuestionType};
use crate::i18n::Locale;

pub const OTHER_VALUE: &str = "__other__";

pub struct ChoiceView {
    pub value: String,
    pub label: String,
    pub checked: bool,
    pub dom_id: String,
}

pub struct QuestionView {
    pub id: String,
    /// The id of the element an error link jumps to.
    pub anchor: String,
    pub name: String,
    pub kind: &'static str,
    /// Radio and checkbox groups are a fieldset with a legend; single inputs have a label.
    pub grouped: bool,
    pub input_type: &'static str,
    pub text: String,
    pub help: Option<String>,
    pub required: bool,
    pub error: Option<String>,
    pub choices: Vec<ChoiceView>,
    pub other: bool,
    pub other_checked: bool,
    /// The typed value: text, number, or the "other" text of a choice question.
    pub value: String,
    pub low_label: String,
    pub high_label: String,
    pub min: String,
    pub max: String,
    pub step: &'static str,
    /// A matrix's column headings and rows.
    pub headers: Vec<String>,
    pub rows: Vec<MatrixRowView>,
    /// A ranking's options, and the ranks each may be given (1 to this).
    pub ranks: Vec<RankView>,
    pub rank_count: usize,
}

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

fn number_text(value: Option<&Value>) -> String {
    match value {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

fn format_bound(bound: Option<f64>) -> String {
    bound.map(|b| b.to_string()).unwrap_or_default()
}

fn chosen(answer: Option<&Value>) -> Vec<&str> {
    match answer {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Values stay the default language's options, whatever the page's language: what is posted
/// and stored is the same in every language, and switching keeps every choice.
fn option_choices(
    q: &Question,
    texts: &Texts,
    answer: Option<&Value>,
) -> (Vec<ChoiceView>, Option<String>) {
    let picked = chosen(answer);
    let choices = q
        .options
        .iter()
        .enumerate()
        .map(|(i, option)| ChoiceView {
            value: option.clone(),
            label: texts.option(q, i).to_string(),
            checked: picked.contains(&option.as_str()),
            dom_id: format!("q-{}-{i}", q.id),
        })
        .collect();
    let other_text = picked
        .into_iter()
        .find(|p| !q.options.iter().any(|o| o == p))
        .map(str::to_string);
    (choices, other_text)
}

fn point_choices(
    q: &Question,
    texts: &Texts,
    locale: &Locale,
    answer: Option<&Value>,
) -> (Vec<ChoiceView>, String, String) {
    let (min, max) = q.bounds();
    let (min, max) = (min.unwrap_or(0.0) as i64, max.unwrap_or(10.0) as i64);
    let picked = answer.and_then(Value::as_f64).map(|v| v as i64);
    let every_point_named = q.labels.len() as i64 == max - min + 1;
    let choices = (min..=max)
        .enumerate()
        .map(|(i, point)| ChoiceView {
            value: point.to_string(),
            label: if every_point_named {
                format!("{point} — {}", texts.label(q, i))
            } else {
                point.to_string()
            },
            checked: picked == Some(point),
            dom_id: format!("q-{}-{point}", q.id),
        })
        .collect();
    let (low, high) = match (q.kind, q.labels.len()) {
        (QuestionType::Nps, _) => (locale.t("survey-nps-low"), locale.t("survey-nps-high")),
        (_, 2) => (texts.label(q, 0).to_string(), texts.label(q, 1).to_string()),
        _ => (String::new(), String::new()),
    };
    (choices, low, high)
}

/// A question as its inputs, in the language of `texts` and `locale`; `errors` are already in
/// that language.
pub fn question_view(
    q: &Question,
    texts: &Texts,
    locale: &Locale,
    answers: &Answers,
    errors: &FieldErrors,
) -> QuestionView {
    let answer = answers.get(&q.id);
    let grouped = matches!(
        q.kind,
        QuestionType::Single
            | QuestionType::Multi
            | QuestionType::Scale
            | QuestionType::Nps
            | QuestionType::Matrix
            | QuestionType::Ranking
    );
    let mut view = QuestionView {
        id: q.id.clone(),
        anchor: if grouped {
            format!("q-{}", q.id)
        } else {
            format!("q-{}-input", q.id)
        },
        name: format!("q.{}", q.id),
        kind: q.kind.as_str(),
        grouped,
        input_type: "text",
        text: texts.text(q).to_string(),
        help: texts.help(q).map(str::to_string),
        required: q.required,
        error: errors.get(&q.id).cloned(),
        choices: Vec::new(),
        other: q.other,
        other_checked: false,
        value: String::new(),
        low_label: String::new(),
        high_label: String::new(),
        min: String::new(),
        max: String::new(),
        step: "any",
        headers: Vec::new(),
        rows: Vec::new(),
        ranks: Vec::new(),
        rank_count: 0,
    };
    match q.kind {
        QuestionType::Single | QuestionType::Multi => {
            view.input_type = if q.kind == QuestionType::Single {
                "radio"
            } else {
                "checkbox"
            };
            let (choices, other_text) = option_choices(q, texts, answer);
            view.choices = choices;
            view.other_checked = other_text.is_some();
            view.value = other_text.unwrap_or_default();
        }
        QuestionType::Scale | QuestionType::Nps => {
            view.input_type = "radio";
            let (choices, low, high) = point_choices(q, texts, locale, answer);
            view.choices = choices;
            view.low_label = low;
            view.high_label = high;
        }
        QuestionType::Number => {
            view.input_type = "number";
            view.value = number_text(answer);
            view.min = format_bound(q.min);
            view.max = format_bound(q.max);
            view.step = if q.integer { "1" } else { "any" };
        }
        QuestionType::Email => {
            view.input_type = "email";
            view.value = answer
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
        }
        QuestionType::Text | QuestionType::LongText => {
            view.value = answer
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
        }
        QuestionType::Matrix => {
            (view.headers, view.rows) = survey_matrix::matrix_view(q, texts, answer);
        }
        QuestionType::Ranking => {
            view.ranks = survey_matrix::ranking_view(q, texts, answer);
            view.rank_count = crate::form::ranking::ranked_bounds(q).1;
        }
    }
    view
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

/// Reads one page's inputs from the posted form fields into answers.
pub fn read_page_answers(
    form: &Form,
    page: &[usize],
    fields: &[(String, String)],
    answers: &mut Answers,
) {
    for &index in page {
        let q = &form.questions[index];
        answers.remove(&q.id);
        let positional = match q.kind {
            QuestionType::Matrix => Some(survey_matrix::read_matrix(q, fields)),
            QuestionType::Ranking => Some(survey_matrix::read_ranking(q, fields)),
            _ => None,
        };
        if let Some(value) = positional {
            answers.extend(value.map(|v| (q.id.clone(), v)));
            continue;
        }
        let name = format!("q.{}", q.id);
        let other_name = format!("q.{}.other", q.id);
        let values: Vec<&str> = fields
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        let other_text = fields
            .iter()
            .find(|(k, _)| *k == other_name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default();
        if let Some(value) = read_value(q, &values, &other_text) {
            answers.insert(q.id.clone(), value);
        }
    }
}

fn read_value(q: &Question, values: &[&str], other_text: &str) -> Option<Value> {
    let resolve = |v: &str| -> Option<String> {
        if v == OTHER_VALUE {
            (!other_text.is_empty()).then(|| other_text.to_string())
        } else {
            Some(v.to_string())
        }
    };
    match q.kind {
        QuestionType::Multi => {
            let items: Vec<Value> = values
                .iter()
                .filter_map(|v| resolve(v))
                .map(Value::String)
                .collect();
            (!items.is_empty()).then_some(Value::Array(items))
        }
        QuestionType::Single => values.first().and_then(|v| resolve(v)).map(Value::String),
        QuestionType::Scale | QuestionType::Nps | QuestionType::Number => {
            let raw = values.first()?.trim();
            if raw.is_empty() {
                return None;
            }
            // Unparseable input is kept as text so the respondent sees it next to the error.
            Some(
                raw.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::String(raw.to_string()), Value::Number),
            )
        }
        QuestionType::Text | QuestionType::LongText | QuestionType::Email => {
            let text = values.first()?;
            (!text.trim().is_empty()).then(|| Value::String(text.to_string()))
        }
        // Read by position in `read_page_answers`.
        QuestionType::Matrix | QuestionType::Ranking => None,
    }
}
