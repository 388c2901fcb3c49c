//! Piping: `{{answer.QID}}`, `{{hidden.NAME}}` and `{{answer.QID|fallback}}` in a question's
//! `text` and `help`, replaced with what the respondent gave earlier.
//!
//! The result is plain text: pages escape it like every other text, so an answer that holds
//! HTML shows as the characters typed. An answer not (yet) given reads as the fallback, or as
//! nothing without one.

use serde_json::Value;

use super::load::ProblemLog;
use super::model::Question;
use super::validate::{Answers, is_given};

/// One `{{...}}` of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipe<'a> {
    pub source: Source<'a>,
    pub fallback: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    Answer(&'a str),
    Hidden(&'a str),
}

/// A text split into literal runs and pipes; `Err` names what does not parse.
fn parse(text: &str) -> Result<Vec<Result<&str, Pipe<'_>>>, String> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        parts.push(Ok(&rest[..start]));
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err("a '{{' has no closing '}}'".into());
        };
        let inner = &after[..end];
        let (name, fallback) = match inner.split_once('|') {
            Some((name, fallback)) => (name.trim(), Some(fallback.trim())),
            None => (inner.trim(), None),
        };
        let source = match name.split_once('.') {
            Some(("answer", id)) if !id.is_empty() => Source::Answer(id),
            Some(("hidden", id)) if !id.is_empty() => Source::Hidden(id),
            _ => {
                return Err(format!(
                    "'{{{{{inner}}}}}' must read {{{{answer.QUESTION}}}} or {{{{hidden.NAME}}}}"
                ));
            }
        };
        parts.push(Err(Pipe { source, fallback }));
        rest = &after[end + 2..];
    }
    parts.push(Ok(rest));
    Ok(parts)
}

/// Checks every pipe of every question's text and help: it must parse and name a hidden
/// field of the form or a question that comes before (whose answer exists by then).
pub(super) fn check(questions: &[Question], hidden: &[String], report: &mut ProblemLog) {
    for (index, q) in questions.iter().enumerate() {
        let texts = [("text", Some(q.text.as_str())), ("help", q.help.as_deref())];
        for (field, text) in texts {
            let Some(text) = text else { continue };
            let parts = match parse(text) {
                Ok(parts) => parts,
                Err(message) => {
                    report.add(format!("question '{}': {field}: {message}", q.id));
                    continue;
                }
            };
            for pipe in parts.into_iter().filter_map(Result::err) {
                let problem = match pipe.source {
                    Source::Hidden(name) if !hidden.iter().any(|h| h == name) => {
                        Some(format!("'{name}' is not a hidden field of this form"))
                    }
                    Source::Answer(id) if !questions[..index].iter().any(|e| e.id == id) => {
                        Some(if id == q.id {
                            format!("'{id}' is the question itself")
                        } else if questions.iter().any(|e| e.id == id) {
                            format!("'{id}' comes later, so its answer is not known yet")
                        } else {
                            format!("'{id}' is not a question of this form")
                        })
                    }
                    _ => None,
                };
                if let Some(problem) = problem {
                    report.add(format!(
                        "question '{}': {field}: pipe {{{{{}}}}}: {problem}",
                        q.id,
                        match pipe.source {
                            Source::Answer(id) => format!("answer.{id}"),
                            Source::Hidden(name) => format!("hidden.{name}"),
                        }
                    ));
                }
            }
        }
    }
}

/// The questions whose answers a question's text and help pipe in.
pub fn piped_questions(q: &Question) -> Vec<&str> {
    [Some(q.text.as_str()), q.help.as_deref()]
        .into_iter()
        .flatten()
        .filter_map(|text| parse(text).ok())
        .flatten()
        .filter_map(|part| match part {
            Err(Pipe {
                source: Source::Answer(id),
                ..
            }) => Some(id),
            _ => None,
        })
        .collect()
}

/// An answer as a person reads it: the option text for choices, a list joined with ", ",
/// a matrix as "row: answer" pairs.
/// An answer as text; `label` gives a chosen option's text in the page's language.
fn answer_text(value: &Value, label: &dyn Fn(&str) -> String) -> String {
    match value {
        Value::String(s) => label(s),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(items) => items
            .iter()
            .filter(|v| is_given(v))
            .map(|v| answer_text(v, label))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(rows) => rows
            .iter()
            .filter(|(_, v)| is_given(v))
            .map(|(row, v)| format!("{row}: {}", answer_text(v, label)))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Null => String::new(),
    }
}

/// The text with every pipe replaced. A text that does not parse (`check` refuses such
/// forms) is shown as it is.
/// `text` with its pipes replaced. `label(question, answer)` is the text to show for an
/// option `answer` of `question` (its translation; the answer itself in the default language).
pub fn render(
    text: &str,
    answers: &Answers,
    hidden: &std::collections::BTreeMap<String, String>,
    label: &dyn Fn(&str, &str) -> String,
) -> String {
    let Ok(parts) = parse(text) else {
        return text.to_string();
    };
    let mut out = String::with_capacity(text.len());
    for part in parts {
        match part {
            Ok(literal) => out.push_str(literal),
            Err(pipe) => {
                let given = match pipe.source {
                    Source::Answer(id) => answers
                        .get(id)
                        .filter(|v| is_given(v))
                        .map(|v| answer_text(v, &|answer| label(id, answer))),
                    Source::Hidden(name) => hidden.get(name).cloned(),
                }
                .filter(|t| !t.trim().is_empty());
                out.push_str(&given.unwrap_or_else(|| pipe.fallback.unwrap_or("").to_string()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    #[test]
    fn pipes_take_the_answer_the_hidden_value_or_the_fallback() {
        let answers: Answers = [
            ("tool".to_string(), json!("Jira")),
            ("tools".to_string(), json!(["Slack", "Notion"])),
            ("team".to_string(), json!("")),
        ]
        .into();
        let hidden: BTreeMap<String, String> = [("source".to_string(), "mail".to_string())].into();
        let same = |_: &str, answer: &str| answer.to_string();
        let render = |t: &str| render(t, &answers, &hidden, &same);
        assert_eq!(render("Why {{answer.tool}}?"), "Why Jira?");
        assert_eq!(
            render("{{answer.tools}} and {{hidden.source}}"),
            "Slack, Notion and mail"
        );
        assert_eq!(
            render("How big is {{answer.team|your team}}?"),
            "How big is your team?"
        );
        assert_eq!(render("{{ answer.none }}!"), "!");
        assert_eq!(render("no pipes"), "no pipes");
        assert_eq!(render("broken {{answer.tool"), "broken {{answer.tool");
    }

    #[test]
    fn bad_pipes_do_not_parse() {
        assert!(parse("{{answer.}}").is_err());
        assert!(parse("{{other.x}}").is_err());
        assert!(parse("{{answer.x").is_err());
        assert_eq!(parse("a {{hidden.s|b}} c").unwrap().len(), 3);
    }
}
