//! The `[profiles]` and `[icp]` sections of a report file: how cards are drafted and which
//! outcome picks the ideal customer profile.

use std::time::Duration;

use serde::Deserialize;

use super::{Cadence, parse_cadence};
use crate::form::{Form, ProblemLog, QuestionType};

/// How profile cards are drafted (`[profiles]`).
#[derive(Debug, Clone, PartialEq)]
pub struct ProfileSettings {
    /// Significance level after the Holm correction.
    pub alpha: f64,
    /// A card is stale when its newest evidence is older than this.
    pub stale_after: Duration,
    pub stale_after_text: String,
    pub interviews_per_half_year: u32,
}

impl Default for ProfileSettings {
    fn default() -> Self {
        ProfileSettings {
            alpha: 0.05,
            stale_after: Duration::from_secs(90 * 86_400),
            stale_after_text: "90d".into(),
            interviews_per_half_year: 5,
        }
    }
}

/// Which answers to the ICP's outcome question count as success.
#[derive(Debug, Clone, PartialEq)]
pub enum Success {
    Options(Vec<String>),
    AtLeast(f64),
}

/// The ideal customer profile's outcome (`[icp]`).
#[derive(Debug, Clone, PartialEq)]
pub struct IcpSettings {
    pub outcome: String,
    pub success: Success,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProfiles {
    alpha: Option<f64>,
    stale_after: Option<String>,
    interviews_per_half_year: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIcp {
    outcome: String,
    success: Option<Vec<String>>,
    min: Option<f64>,
}

pub(super) fn check_profiles(raw: Option<RawProfiles>, log: &mut ProblemLog) -> ProfileSettings {
    let mut settings = ProfileSettings::default();
    let Some(raw) = raw else {
        return settings;
    };
    if let Some(alpha) = raw.alpha {
        if alpha > 0.0 && alpha < 1.0 {
            settings.alpha = alpha;
        } else {
            log.add(format!(
                "[profiles] alpha must be above 0 and below 1, not {alpha}"
            ));
        }
    }
    if let Some(text) = raw.stale_after {
        match parse_cadence(&text) {
            Ok(Cadence::Every(duration)) => {
                settings.stale_after = duration;
                settings.stale_after_text = text;
            }
            _ => log.add(format!(
                "[profiles] stale_after = \"{text}\" must be a duration such as \"90d\", \"12w\" or \"36h\""
            )),
        }
    }
    if let Some(n) = raw.interviews_per_half_year {
        match u32::try_from(n) {
            Ok(n) if n <= 1000 => settings.interviews_per_half_year = n,
            _ => log.add(format!(
                "[profiles] interviews_per_half_year must be a whole number from 0 to 1000, not {n}"
            )),
        }
    }
    settings
}

/// `[icp] outcome` must be a single, scale or nps question of the form, with `success`
/// options of a single question or a `min` within a scale's range.
pub(super) fn check_icp(
    raw: RawIcp,
    form: &Form,
    segment_by: &str,
    log: &mut ProblemLog,
) -> Option<IcpSettings> {
    let Some(question) = form.question(&raw.outcome) else {
        log.add(format!(
            "[icp] outcome '{}' is not a question of form '{}'",
            raw.outcome, form.id
        ));
        return None;
    };
    if question.id == segment_by {
        log.add("[icp] outcome cannot be the segment_by question itself");
        return None;
    }
    let success = match (question.kind, raw.success, raw.min) {
        (QuestionType::Single, Some(options), None) => {
            if options.is_empty() {
                log.add("[icp] success needs at least one option");
                return None;
            }
            let unknown: Vec<&String> = options
                .iter()
                .filter(|o| !question.options.contains(o))
                .collect();
            if !unknown.is_empty() {
                log.add(format!(
                    "[icp] success names options that '{}' does not have: {}",
                    question.id,
                    unknown
                        .iter()
                        .map(|o| format!("'{o}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                return None;
            }
            Success::Options(options)
        }
        (QuestionType::Single, _, _) => {
            log.add(format!(
                "[icp] outcome '{}' is a single-choice question: give `success` (the options that count), not `min`",
                question.id
            ));
            return None;
        }
        (QuestionType::Scale | QuestionType::Nps, None, Some(min)) => {
            let (lo, hi) = question.bounds();
            if lo.is_some_and(|lo| min < lo) || hi.is_some_and(|hi| min > hi) {
                log.add(format!(
                    "[icp] min = {min} is outside the range of '{}'",
                    question.id
                ));
                return None;
            }
            Success::AtLeast(min)
        }
        (QuestionType::Scale | QuestionType::Nps, _, _) => {
            log.add(format!(
                "[icp] outcome '{}' is a {} question: give `min` (answers at or above it count as success), not `success`",
                question.id,
                question.kind.as_str()
            ));
            return None;
        }
        _ => {
            log.add(format!(
                "[icp] outcome '{}' must be a single, scale or nps question, not {}",
                question.id,
                question.kind.as_str()
            ));
            return None;
        }
    };
    Some(IcpSettings {
        outcome: raw.outcome,
        success,
    })
}
