//! Checking a set of answers against a form: every bad field is reported at once.

use std::collections::{BTreeMap, HashSet};

use serde_json::{Number, Value};

use super::invalid::Invalid;
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
/// Field name to why it was refused, for a page that prints it in the respondent's language.
pub type Refusals = BTreeMap<String, Invalid>;

fn english(refusals: Refusals) -> FieldErrors {
    refusals
        .into_iter()
        .map(|(field, why)| (field, why.to_string()))
        .collect()
}

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
        Value::Object(rows) => rows.values().any(is_given),
        _ => true,
    }
}

/// Validates answers and hidden fields together.
pub fn validate_submission(
    form: &Form,
    answers: &Answers,
    hidden: &BTreeMap<String, Value>,
) -> Result<Accepted, FieldErrors> {
    let mut errors = Refusals::new();
    let accepted = check_answers(form, answers, &mut errors);
    let hidden = check_hidden(form, hidden, &mut errors);
    if errors.is_empty() {
        Ok(Accepted {
            answers: accepted,
            hidden,
        })
    } else {
        Err(english(errors))
    }
}

/// Validates answers only (interview attributes use this too).
pub fn validate_answers(form: &Form, answers: &Answers) -> Result<Answers, FieldErrors> {
    refuse_answers(form, answers).map_err(english)
}

/// `validate_answers` with the reasons as codes, for the hosted page to print in its language.
pub fn refuse_answers(form: &Form, answers: &Answers) -> Result<Answers, Refusals> {
    let mut errors = Refusals::new();
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
    let mut errors = Refusals::new();
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

fn check_answers(form: &Form, answers: &Answers, errors: &mut Refusals) -> Answers {
    // More keys than questions cannot all be answers: refused whole before any key is looked
    // up (each lookup walks the questions, so a 64 KiB body of tiny keys would cost dearly).
    let allowed = form.questions.len().min(MAX_FORM_FIELDS);
    if answers.len() > allowed {
        errors.insert(
            "answers".into(),
            Invalid::TooManyAnswers {
                given: answers.len(),
                allowed,
            },
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
                errors.insert(q.id.clone(), Invalid::Required);
                failed.insert(&q.id);
            }
            None => {}
            Some(_) if judgeable && !visible => {
                errors.insert(
                    q.id.clone(),
                    Invalid::NotShown {
                        show_if: q.show_if.clone().unwrap_or_default(),
                    },
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
            errors.insert(id.clone(), Invalid::UnknownQuestion);
        }
    }
    accepted
}

fn check_hidden(
    form: &Form,
    hidden: &BTreeMap<String, Value>,
    errors: &mut Refusals,
) -> BTreeMap<String, String> {
    let allowed = form.hidden.len().min(MAX_FORM_FIELDS);
    if hidden.len() > allowed {
        errors.insert(
            "hidden".into(),
            Invalid::TooManyHidden {
                given: hidden.len(),
                allowed,
            },
        );
        return BTreeMap::new();
    }
    let mut out = BTreeMap::new();
    for (name, value) in hidden {
        let field = format!("hidden.{name}");
        if !form.hidden.contains(name) {
            errors.insert(field, Invalid::UnknownHidden);
            continue;
        }
        let text = match value {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            _ => {
                errors.insert(field, Invalid::HiddenNotString);
                continue;
            }
        };
        if text.chars().count() > MAX_HIDDEN_CHARS {
            errors.insert(
                field,
                Invalid::HiddenTooLong {
                    max: MAX_HIDDEN_CHARS,
                },
            );
            continue;
        }
        if !text.is_empty() {
            out.insert(name.clone(), text);
        }
    }
    out
}

fn check_value(q: &Question, value: &Value) -> Result<Value, Invalid> {
    match q.kind {
        QuestionType::Single => check_single(q, value),
        QuestionType::Multi => check_multi(q, value),
        QuestionType::Scale | QuestionType::Nps | QuestionType::Number => check_number(q, value),
        QuestionType::Text | QuestionType::LongText => check_text(value).map(Value::String),
        QuestionType::Email => check_email(value),
        QuestionType::Matrix => super::matrix::check_answer(q, value),
        QuestionType::Ranking => super::ranking::check_answer(q, value),
    }
}

fn check_single(q: &Question, value: &Value) -> Result<Value, Invalid> {
    let Value::String(choice) = value else {
        return Err(Invalid::NotOneOption);
    };
    if q.options.contains(choice) {
        return Ok(value.clone());
    }
    if q.other {
        return check_text(value).map(Value::String);
    }
    Err(Invalid::NotOneOf {
        options: q.options.clone(),
    })
}

fn check_multi(q: &Question, value: &Value) -> Result<Value, Invalid> {
    let Value::Array(items) = value else {
        return Err(Invalid::NotAList);
    };
    let mut seen = HashSet::new();
    let mut others = 0;
    for item in items {
        let Value::String(choice) = item else {
            return Err(Invalid::NotAListOfStrings);
        };
        if !seen.insert(choice.as_str()) {
            return Err(Invalid::ChosenTwice {
                choice: choice.clone(),
            });
        }
        if q.options.contains(choice) {
            continue;
        }
        if !q.other {
            return Err(Invalid::NotAnOption {
                choice: choice.clone(),
                options: q.options.clone(),
            });
        }
        others += 1;
        if others > 1 {
            return Err(Invalid::OneOther);
        }
        check_text(item)?;
    }
    Ok(value.clone())
}

fn check_number(q: &Question, value: &Value) -> Result<Value, Invalid> {
    let Some(n) = value.as_f64().filter(|n| n.is_finite()) else {
        return Err(Invalid::NotANumber);
    };
    if q.wants_integer() && n.fract() != 0.0 {
        return Err(Invalid::NotWhole);
    }
    let scale = 10f64.powi(super::model::NUMBER_DECIMALS);
    if (n * scale).round() / scale != n {
        return Err(Invalid::TooManyDecimals {
            places: super::model::NUMBER_DECIMALS,
        });
    }
    let (min, max) = q.bounds();
    match (min, max) {
        (Some(min), Some(max)) if n < min || n > max => {
            return Err(Invalid::Between { min, max });
        }
        (Some(min), None) if n < min => return Err(Invalid::AtLeast { min }),
        (None, Some(max)) if n > max => return Err(Invalid::AtMost { max }),
        _ => {}
    }
    Ok(normalise_number(n))
}

/// Whole numbers are stored as integers so that exports print `7`, not `7.0`.
fn normalise_number(n: f64) -> Value {
    if let Some(whole) = super::whole_number(n) {
        Value::Number(Number::from(whole))
    } else {
        Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

fn check_text(value: &Value) -> Result<String, Invalid> {
    let Value::String(text) = value else {
        return Err(Invalid::NotText);
    };
    let chars = text.chars().count();
    if chars > MAX_TEXT_CHARS {
        return Err(Invalid::TooLong {
            chars,
            max: MAX_TEXT_CHARS,
        });
    }
    Ok(text.clone())
}

fn check_email(value: &Value) -> Result<Value, Invalid> {
    let Value::String(text) = value else {
        return Err(Invalid::EmailNotText);
    };
    let trimmed = text.trim();
    if trimmed.chars().count() > MAX_EMAIL_CHARS || !email_address::EmailAddress::is_valid(trimmed)
    {
        return Err(Invalid::NotAnEmail);
    }
    // A bare local part such as "name@localhost" is valid syntax but never what a survey wants.
    if !trimmed
        .rsplit('@')
        .next()
        .is_some_and(|domain| domain.contains('.'))
    {
        return Err(Invalid::NotAnEmail);
    }
    Ok(Value::String(trimmed.to_string()))
}
