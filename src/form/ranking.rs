//! Ranking questions: options put in order, best first, all of them or up to `max_ranked`.
//!
//! Reports give each option's mean rank and the share that ranked it first. Both come out of
//! the ordinary per-question tallies: the question's own tally counts first places, and one
//! numeric tally per option (`question_id[option]`) sums the ranks it was given.

use std::collections::HashSet;

use serde_json::Value;

use super::invalid::Invalid;
use super::load::{ProblemLog, check_options};
use super::model::{Question, QuestionType};

/// The id under which an option's ranks are tallied and exported.
pub fn option_id(question: &str, option: &str) -> String {
    format!("{question}[{option}]")
}

/// Reads `max_ranked` as a count; a negative or zero count is a problem, not a wrap-around.
pub(super) fn read_max_ranked(
    raw: Option<i64>,
    label: &str,
    report: &mut ProblemLog,
) -> Option<usize> {
    let value = raw?;
    match usize::try_from(value) {
        Ok(n) if n >= 1 => Some(n),
        _ => {
            report.add(format!("{label}: max_ranked must be at least 1"));
            None
        }
    }
}

pub(super) fn check_shape(q: &Question, label: &str, report: &mut ProblemLog) {
    check_options(q, label, report);
    for option in &q.options {
        if option.contains('[') || option.contains(']') {
            report.add(format!(
                "{label}: option '{option}' may not contain '[' or ']' (columns are question_id[option])"
            ));
        }
    }
    if q.other {
        report.add(format!(
            "{label}: `other` does not apply to ranking questions"
        ));
    }
    if q.min.is_some() || q.max.is_some() || !q.labels.is_empty() {
        report.add(format!(
            "{label}: min, max and labels do not apply to ranking questions"
        ));
    }
    if let Some(most) = q.max_ranked
        && most > q.options.len()
    {
        report.add(format!(
            "{label}: max_ranked ({most}) is more than the {} options",
            q.options.len()
        ));
    }
}

/// `max_ranked` belongs to ranking questions only.
pub(super) fn check_not_ranking(q: &Question, label: &str, report: &mut ProblemLog) {
    if q.kind != QuestionType::Ranking && q.max_ranked.is_some() {
        report.add(format!(
            "{label}: max_ranked only applies to ranking questions"
        ));
    }
}

/// How many options an answer must rank: `(fewest, most)`.
pub fn ranked_bounds(q: &Question) -> (usize, usize) {
    match q.max_ranked {
        Some(most) => (1, most.min(q.options.len())),
        None => (q.options.len(), q.options.len()),
    }
}

/// Checks a ranking answer: a list of distinct options, best first.
pub(super) fn check_answer(q: &Question, value: &Value) -> Result<Value, Invalid> {
    let items = match value {
        Value::Array(items) => items,
        // The hosted page sends ranks it could not put in order (two options given one rank)
        // as an object of option to rank, so the respondent sees their choice beside this.
        Value::Object(_) => return Err(Invalid::RankShared),
        _ => return Err(Invalid::RankNotAList),
    };
    let mut seen = HashSet::new();
    for item in items {
        let Value::String(option) = item else {
            return Err(Invalid::RankNotStrings);
        };
        if !q.options.contains(option) {
            return Err(Invalid::RankUnknown {
                option: option.clone(),
            });
        }
        if !seen.insert(option.as_str()) {
            return Err(Invalid::RankedTwice {
                option: option.clone(),
            });
        }
    }
    let (fewest, most) = ranked_bounds(q);
    if items.len() < fewest || items.len() > most {
        return Err(if fewest == most {
            Invalid::RankAll { count: most }
        } else {
            Invalid::RankBetween { fewest, most }
        });
    }
    Ok(value.clone())
}

/// The rank (from 1) an answer gives an option, if it ranks it.
pub fn rank_of(answer: &Value, option: &str) -> Option<usize> {
    answer
        .as_array()?
        .iter()
        .position(|v| v.as_str() == Some(option))
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn ranking(max_ranked: Option<usize>) -> Question {
        Question {
            id: "drivers".into(),
            kind: QuestionType::Ranking,
            text: "Rank what drove your decision".into(),
            help: None,
            required: true,
            options: vec!["Price".into(), "Speed".into(), "Support".into()],
            other: false,
            min: None,
            max: None,
            labels: vec![],
            rows: vec![],
            max_ranked,
            shuffle: false,
            keep_last: vec![],
            integer: false,
            show_if: None,
            tags: vec![],
            pii: false,
            condition: None,
        }
    }

    #[test]
    fn all_options_unless_max_ranked_allows_fewer() {
        let all = ranking(None);
        assert!(check_answer(&all, &json!(["Speed", "Price", "Support"])).is_ok());
        assert_eq!(
            check_answer(&all, &json!(["Speed"]))
                .unwrap_err()
                .to_string(),
            "rank all 3 options"
        );
        let top2 = ranking(Some(2));
        assert!(check_answer(&top2, &json!(["Support"])).is_ok());
        assert!(check_answer(&top2, &json!(["Support", "Price", "Speed"])).is_err());
        assert!(check_answer(&top2, &json!(["Support", "Support"])).is_err());
        assert!(check_answer(&top2, &json!(["Colour"])).is_err());
        assert!(check_answer(&top2, &json!({"Price": 1})).is_err());
    }

    #[test]
    fn rank_of_counts_from_one() {
        let answer = json!(["Speed", "Price"]);
        assert_eq!(rank_of(&answer, "Price"), Some(2));
        assert_eq!(rank_of(&answer, "Support"), None);
    }
}
