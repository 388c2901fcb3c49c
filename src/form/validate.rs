//! Checking a set of answers against a form: every bad field is reported at once.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Number, Value};

use super::model::{Form, Question, QuestionType};

pub const MAX_TEXT_CHARS: usize = 10_000;
pub const MAX_HIDDEN_CHARS: usize = 1_000;
/// The most questions, and the most hidden fields, a form may have (`check` refuses more);
/// so also the most answer keys any submission can carry.
pub const MAX_FORM_FIELDS: usize = 500;
const MAX_EMAIL_CHARS: usize = 254;

pub type Answers = BTreeMap<String, Value>;
/// Field name to a message a person can act on.
pub type FieldErrors = BTreeMap<String, String>;

/// Answers that passed validation, normalised (empty answers dropped, whole numbers as integers).
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    pub answers: Answers,
    pub hidden: BTreeMap<String, String>,
}

/// An answer counts as given unless it is null, an empty or blank string, or an empty list.
pub fn is_given(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => true,
    }
}

/// Validates answers and hidden fields together.
pub fn validate_submission(
    form: &Form,
    answers: &Answers,
    hidden: &BTreeMap<String, Value>,
) -> Result<Accepted, FieldErrors> {
    let mut errors = FieldErrors::new();
    let accepted = check_answers(form, answers, &mut errors);
    let hidden = check_hidden(form, hidden, &mut errors);
    if errors.is_empty() {
        Ok(Accepted {
            answers: accepted,
            hidden,
        })
    } else {
        Err(errors)
    }
}

/// Validates answers only (interview attributes use this too).
pub fn validate_answers(form: &Form, answers: &Answers) -> Result<Answers, FieldErrors> {
    let mut errors = FieldErrors::new();
    let accepted = check_answers(form, answers, &mut errors);
    if errors.is_empty() {
        Ok(accepted)
    } else {
        Err(errors)
    }
}

/// The answers that pass their checks, normalised as a submission stores them, whatever the
/// others: what an unfinished response may keep.
pub fn valid_answers(form: &Form, answers: &Answers) -> Answers {
    let mut errors = FieldErrors::new();
    check_answers(form, answers, &mut errors)
}

/// Which questions are shown for these answers, in form order.
pub fn visible_questions<'a>(form: &'a Form, answers: &Answers) -> Vec<&'a Question> {
    form.questions
        .iter()
        .filter(|q| q.condition.as_ref().is_none_or(|c| c.eval(answers)))
        .collect()
}

/// Drops answers to questions that the other answers now hide (a respondent went back and
/// changed their mind), so a later submit is not refused for answers they can no longer see.
pub fn prune_hidden_answers(form: &Form, answers: &mut Answers) {
    for q in &form.questions {
        if let Some(condition) = &q.condition
            && !condition.eval(answers)
        {
            answers.remove(&q.id);
        }
    }
}

fn check_answers(form: &Form, answers: &Answers, errors: &mut FieldErrors) -> Answers {
    // More keys than questions cannot all be answers: refused whole before any key is looked
    // up (each lookup walks the questions, so a 64 KiB body of tiny keys would cost dearly).
    let allowed = form.questions.len().min(MAX_FORM_FIELDS);
    if answers.len() > allowed {
        errors.insert(
            "answers".into(),
            format!(
                "{} answers, but this form has {allowed} question{}",
                answers.len(),
                if allowed == 1 { "" } else { "s" }
            ),
        );
        return Answers::new();
    }
    let mut accepted = Answers::new();
    let mut failed: HashSet<&str> = HashSet::new();
    for q in &form.questions {
        let given = answers.get(&q.id).filter(|v| is_given(v));
        // A condition that reads a refused answer cannot be judged; only the type is checked.
        let judgeable = q
            .condition
            .as_ref()
            .is_none_or(|c| c.questions().iter().all(|id| !failed.contains(id)));
        let visible = q.condition.as_ref().is_none_or(|c| c.eval(&accepted));
        match given {
            None if judgeable && visible && q.required => {
                errors.insert(q.id.clone(), "this question is required".into());
                failed.insert(&q.id);
            }
            None => {}
            Some(_) if judgeable && !visible => {
                errors.insert(
                    q.id.clone(),
                    format!(
                        "this question is not shown for the other answers (show_if: {})",
                        q.show_if.as_deref().unwrap_or_default()
                    ),
                );
                failed.insert(&q.id);
            }
            Some(value) => match check_value(q, value) {
                Ok(clean) => {
                    accepted.insert(q.id.clone(), clean);
                }
                Err(message) => {
                    errors.insert(q.id.clone(), message);
                    failed.insert(&q.id);
                }
            },
        }
    }
    for id in answers.keys() {
        if form.question(id).is_none() {
            errors.insert(id.clone(), "unknown question".into());
        }
    }
    accepted
}

fn check_hidden(
    form: &Form,
    hidden: &BTreeMap<String, Value>,
    errors: &mut FieldErrors,
) -> BTreeMap<String, String> {
    let allowed = form.hidden.len().min(MAX_FORM_FIELDS);
    if hidden.len() > allowed {
        errors.insert(
            "hidden".into(),
            format!(
                "{} hidden fields, but this form has {allowed}",
                hidden.len()
            ),
        );
        return BTreeMap::new();
    }
    let mut out = BTreeMap::new();
    for (name, value) in hidden {
        let field = format!("hidden.{name}");
        if !form.hidden.contains(name) {
            errors.insert(field, "unknown hidden field".into());
            continue;
        }
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                errors.insert(field, "must be a string".into());
                continue;
            }
        };
        if text.chars().count() > MAX_HIDDEN_CHARS {
            errors.insert(
                field,
                format!("must be at most {MAX_HIDDEN_CHARS} characters"),
            );
            continue;
        }
        if !text.is_empty() {
            out.insert(name.clone(), text);
        }
    }
    out
}

fn check_value(q: &Question, value: &Value) -> Result<Value, String> {
    match q.kind {
        QuestionType::Single => check_single(q, value),
        QuestionType::Multi => check_multi(q, value),
        QuestionType::Scale | QuestionType::Nps | QuestionType::Number => check_number(q, value),
        QuestionType::Text | QuestionType::LongText => check_text(value).map(Value::String),
        QuestionType::Email => check_email(value),
    }
}

fn options_hint(q: &Question) -> String {
    const SHOWN: usize = 8;
    let mut list: Vec<String> = q
        .options
        .iter()
        .take(SHOWN)
        .map(|o| format!("'{o}'"))
        .collect();
    if q.options.len() > SHOWN {
        list.push(format!("and {} more", q.options.len() - SHOWN));
    }
    list.join(", ")
}

fn check_single(q: &Question, value: &Value) -> Result<Value, String> {
    let Value::String(choice) = value else {
        return Err("must be one option, as a string".into());
    };
    if q.options.contains(choice) {
        return Ok(value.clone());
    }
    if q.other {
        return check_text(value).map(Value::String);
    }
    Err(format!("must be one of {}", options_hint(q)))
}

fn check_multi(q: &Question, value: &Value) -> Result<Value, String> {
    let Value::Array(items) = value else {
        return Err("must be a list of options".into());
    };
    let mut seen = HashSet::new();
    let mut others = 0;
    for item in items {
        let Value::String(choice) = item else {
            return Err("must be a list of options, as strings".into());
        };
        if !seen.insert(choice.as_str()) {
            return Err(format!("'{choice}' is chosen twice"));
        }
        if q.options.contains(choice) {
            continue;
        }
        if !q.other {
            return Err(format!(
                "'{choice}' is not an option; options are {}",
                options_hint(q)
            ));
        }
        others += 1;
        if others > 1 {
            return Err("only one answer may be outside the options (the 'other' text)".into());
        }
        check_text(item)?;
    }
    Ok(value.clone())
}

fn check_number(q: &Question, value: &Value) -> Result<Value, String> {
    let Some(n) = value.as_f64().filter(|n| n.is_finite()) else {
        return Err("must be a number".into());
    };
    if q.wants_integer() && n.fract() != 0.0 {
        return Err("must be a whole number".into());
    }
    let scale = 10f64.powi(super::model::NUMBER_DECIMALS);
    if (n * scale).round() / scale != n {
        return Err(format!(
            "may have at most {} decimal places",
            super::model::NUMBER_DECIMALS
        ));
    }
    let (min, max) = q.bounds();
    match (min, max) {
        (Some(min), Some(max)) if n < min || n > max => {
            return Err(format!("must be between {min} and {max}"));
        }
        (Some(min), None) if n < min => return Err(format!("must be at least {min}")),
        (None, Some(max)) if n > max => return Err(format!("must be at most {max}")),
        _ => {}
    }
    Ok(normalise_number(n))
}

/// Whole numbers are stored as integers so that exports print `7`, not `7.0`.
fn normalise_number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::Number(Number::from(n as i64))
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

fn check_text(value: &Value) -> Result<String, String> {
    let Value::String(text) = value else {
        return Err("must be text".into());
    };
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(format!(
            "is {chars} characters long; at most {MAX_TEXT_CHARS} are accepted"
        ));
    }
    Ok(text.clone())
}

fn check_email(value: &Value) -> Result<Value, String> {
    let Value::String(text) = value else {
        return Err("must be an email address, as text".into());
    };
    let trimmed = text.trim();
    if trimmed.chars().count() > MAX_EMAIL_CHARS || !email_address::EmailAddress::is_valid(trimmed)
    {
        return Err("must be an email address such as name@example.com".into());
    }
    // A bare local part such as "name@localhost" is valid syntax but never what a survey wants.
    if !trimmed
        .rsplit('@')
        .next()
        .is_some_and(|domain| domain.contains('.'))
    {
        return Err("must be an email address such as name@example.com".into());
    }
    Ok(Value::String(trimmed.to_string()))
}
