//! A survey question as a template sees it: turned into inputs, and read back from them.

use serde_json::Value;

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
    let (min, max) = q.whole_bounds((0, 10));
    let picked = answer
        .and_then(Value::as_f64)
        .and_then(crate::form::whole_number);
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
