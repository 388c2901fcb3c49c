//! Evidence a profile card needs beyond the segment totals: per-day loyalty counts (for an
//! activation's figures before and since it started), when each response came (the card's
//! period), and job statements ("When …, I want …, so I can …") found in texts.
//!
//! Everything here is additive like the segment totals, so an erased response takes out
//! exactly what it put in.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

use crate::form::{Form, Question, QuestionType};
use crate::store::StoredResponse;
use crate::tally::DayTally;

/// The question whose answers are the card's NPS: the one with id `nps`, else the first of
/// type nps.
pub fn nps_question(form: &Form) -> Option<&Question> {
    form.question("nps")
        .filter(|q| q.kind == QuestionType::Nps)
        .or_else(|| form.questions.iter().find(|q| q.kind == QuestionType::Nps))
}

/// The Sean Ellis product/market-fit question: id `pmf`, single choice, success = first option.
pub fn pmf_question(form: &Form) -> Option<&Question> {
    form.question("pmf")
        .filter(|q| q.kind == QuestionType::Single && !q.options.is_empty())
}

/// What one response adds to its segment's day.
pub fn day_tally(form: &Form, response: &StoredResponse) -> DayTally {
    let mut day = DayTally {
        responses: 1,
        ..DayTally::default()
    };
    if let Some(q) = nps_question(form)
        && let Some(score) = response.answers.get(&q.id).and_then(Value::as_f64)
    {
        match score {
            s if s >= 9.0 => day.promoters = 1,
            s if s >= 7.0 => day.passives = 1,
            _ => day.detractors = 1,
        }
    }
    if let Some(q) = pmf_question(form)
        && let Some(choice) = response.answers.get(&q.id).and_then(Value::as_str)
    {
        day.pmf_answered = 1;
        day.pmf_success = i64::from(q.options.first().is_some_and(|o| o == choice));
    }
    day
}

/// The UTC day (`YYYY-MM-DD`) of an RFC 3339 time; what sorts days in keys.
pub fn day_of(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.with_timezone(&chrono::Utc).format("%Y-%m-%d").to_string())
        .unwrap_or_else(|_| rfc3339.chars().take(10).collect())
}

static JOB: LazyLock<Regex> = LazyLock::new(|| {
    // "When …, I want (to) …, so (that) I can …", within one sentence; commas optional.
    Regex::new(
        r"(?i)\bwhen\s+([^.!?\n]+?),?\s+i\s+want(?:\s+to)?\s+([^.!?\n]+?),?\s+so(?:\s+that)?\s+i\s+can\s+([^.!?\n]+)",
    )
    .unwrap_or_else(|e| unreachable!("the job statement pattern is valid: {e}"))
});

/// Every job statement in a text, in order.
pub fn job_statements(text: &str) -> Vec<(String, String, String)> {
    JOB.captures_iter(text)
        .filter_map(|c| {
            let part = |i: usize| {
                c.get(i)
                    .map(|m| m.as_str().trim().trim_end_matches(',').trim().to_string())
                    .filter(|s| !s.is_empty())
            };
            Some((part(1)?, part(2)?, part(3)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_statements_split_into_parts() {
        let found = job_statements(
            "Honestly? When a client asks for last month's numbers, I want to pull them in \
             one click, so that I can answer before the call ends. Then more.",
        );
        assert_eq!(
            found,
            vec![(
                "a client asks for last month's numbers".to_string(),
                "pull them in one click".to_string(),
                "answer before the call ends".to_string()
            )]
        );
        let lower = job_statements("when we hire i want onboarding done so i can ship");
        assert_eq!(
            lower,
            vec![(
                "we hire".to_string(),
                "onboarding done".to_string(),
                "ship".to_string()
            )]
        );
        assert!(job_statements("When I want it, I get it.").is_empty());
        assert!(job_statements("I want a pony so I can ride.").is_empty());
    }

    #[test]
    fn a_statement_does_not_run_across_sentences() {
        assert!(job_statements("When it rains. I want tea, so I can warm up").is_empty());
    }

    #[test]
    fn days_are_utc() {
        assert_eq!(day_of("2026-03-01T23:30:00-02:00"), "2026-03-02");
        assert_eq!(day_of("2026-03-01T00:00:00Z"), "2026-03-01");
    }
}
