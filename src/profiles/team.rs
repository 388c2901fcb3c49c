//! The team's words beside the data: labels, frontline reviews and activations, checked
//! before they are stored, and what they show on a card (contradictions, figures before and
//! since each activation).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use crate::analysis::proportions::two_proportion_z;
use crate::form::FieldErrors;
use crate::store::{Activation, CardNotes, Review};
use crate::tally::DayTally;

use super::model::{ActivationView, Contradiction, FIELD_TAGS, ReviewView, Window};

pub const TEAMS: [&str; 5] = ["sales", "support", "success", "product", "marketing"];
pub const VERDICTS: [&str; 2] = ["agrees", "disagrees"];
pub const KINDS: [&str; 5] = ["messaging", "offer", "ux", "sales", "retention"];
/// What a review may be about besides the eight tags: the computed parts, the whole card.
pub const CARD_PARTS: [&str; 5] = ["loyalty", "distinctive", "quotes", "jtbd", "overall"];

/// Every field a review may name: the eight tags, then the card's other parts.
pub fn review_fields() -> impl Iterator<Item = &'static str> {
    FIELD_TAGS.into_iter().chain(CARD_PARTS)
}
const MAX_LABEL: usize = 120;
const MAX_TEXT: usize = 10_000;

fn one_of(fields: &mut FieldErrors, name: &str, value: &str, allowed: &[&str]) {
    if !allowed.contains(&value) {
        fields.insert(
            name.into(),
            format!("must be one of {}, not '{value}'", allowed.join(", ")),
        );
    }
}

fn at_most(fields: &mut FieldErrors, name: &str, value: &str, max: usize) {
    if value.chars().count() > max {
        fields.insert(name.into(), format!("must be at most {max} characters"));
    }
}

/// The label and notes as they will be kept: a blank label is no label.
pub fn check_label(
    label: Option<&str>,
    notes: &str,
) -> Result<(Option<String>, String), FieldErrors> {
    let mut fields = FieldErrors::new();
    let label = label.map(str::trim).filter(|l| !l.is_empty());
    if let Some(label) = label {
        at_most(&mut fields, "label", label, MAX_LABEL);
        if label.chars().any(char::is_control) {
            fields.insert("label".into(), "must be one line of text".into());
        }
    }
    at_most(&mut fields, "notes", notes, MAX_TEXT);
    if fields.is_empty() {
        Ok((label.map(str::to_string), notes.to_string()))
    } else {
        Err(fields)
    }
}

pub fn new_review(
    team: &str,
    field: &str,
    verdict: &str,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<Review, FieldErrors> {
    let mut fields = FieldErrors::new();
    one_of(&mut fields, "team", team, &TEAMS);
    let allowed: Vec<&str> = review_fields().collect();
    one_of(&mut fields, "field", field, &allowed);
    one_of(&mut fields, "verdict", verdict, &VERDICTS);
    at_most(&mut fields, "comment", comment, MAX_TEXT);
    if !fields.is_empty() {
        return Err(fields);
    }
    Ok(Review {
        id: uuid::Uuid::now_v7().simple().to_string(),
        team: team.into(),
        field: field.into(),
        verdict: verdict.into(),
        comment: comment.into(),
        at: now,
    })
}

pub fn new_activation(
    kind: &str,
    title: &str,
    started: &str,
    now: DateTime<Utc>,
) -> Result<Activation, FieldErrors> {
    let mut fields = FieldErrors::new();
    one_of(&mut fields, "kind", kind, &KINDS);
    let title = title.trim();
    if title.is_empty() {
        fields.insert("title".into(), "must say what changed".into());
    }
    at_most(&mut fields, "title", title, MAX_LABEL * 2);
    // A real calendar date, in the years a survey can have run.
    let date = NaiveDate::parse_from_str(started, "%Y-%m-%d")
        .ok()
        .filter(|d| (1970..=9999).contains(&chrono::Datelike::year(d)));
    if date.is_none() || started.len() != 10 {
        fields.insert(
            "started".into(),
            format!("must be a date as YYYY-MM-DD, not '{started}'"),
        );
    }
    match date {
        Some(started) if fields.is_empty() => Ok(Activation {
            id: uuid::Uuid::now_v7().simple().to_string(),
            kind: kind.into(),
            title: title.into(),
            started,
            created_at: now,
        }),
        _ => Err(fields),
    }
}

pub fn review_views(notes: &CardNotes) -> Vec<ReviewView> {
    notes
        .reviews
        .iter()
        .map(|r| ReviewView {
            id: r.id.clone(),
            team: r.team.clone(),
            field: r.field.clone(),
            verdict: r.verdict.clone(),
            comment: r.comment.clone(),
            at: r.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        })
        .collect()
}

/// Fields on which, counting each team's latest review, one team agrees and another does not.
pub fn contradictions(reviews: &[Review]) -> Vec<Contradiction> {
    let mut latest: BTreeMap<(&str, &str), &Review> = BTreeMap::new();
    for review in reviews {
        let key = (review.field.as_str(), review.team.as_str());
        if latest.get(&key).is_none_or(|r| r.at <= review.at) {
            latest.insert(key, review);
        }
    }
    review_fields()
        .filter_map(|field| {
            let teams = |verdict: &str| -> Vec<String> {
                TEAMS
                    .iter()
                    .filter(|team| {
                        latest
                            .get(&(field, **team))
                            .is_some_and(|r| r.verdict == verdict)
                    })
                    .map(|t| t.to_string())
                    .collect()
            };
            let (agree, disagree) = (teams("agrees"), teams("disagrees"));
            (!agree.is_empty() && !disagree.is_empty()).then(|| Contradiction {
                field: field.to_string(),
                agree,
                disagree,
            })
        })
        .collect()
}

fn window(tally: &DayTally, has_pmf: bool) -> Window {
    let nps_n = tally.nps_answered().max(0) as f64;
    Window {
        n: tally.responses.max(0) as u64,
        nps: (nps_n > 0.0).then(|| 100.0 * (tally.promoters - tally.detractors) as f64 / nps_n),
        pmf_percent: (has_pmf && tally.pmf_answered > 0)
            .then(|| 100.0 * tally.pmf_success as f64 / tally.pmf_answered as f64),
    }
}

/// Each activation with the segment's figures before its start and since, and z-tests of
/// the promoter and product/market-fit shares between the two.
pub fn activation_views(
    activations: &[Activation],
    days: &BTreeMap<String, DayTally>,
    has_pmf: bool,
) -> Vec<ActivationView> {
    activations
        .iter()
        .map(|a| {
            let start = a.started.format("%Y-%m-%d").to_string();
            let (mut before, mut since) = (DayTally::default(), DayTally::default());
            for (day, tally) in days {
                let side = if *day < start {
                    &mut before
                } else {
                    &mut since
                };
                side.add(tally, 1);
            }
            let count = |v: i64| v.max(0) as u64;
            let promoters = two_proportion_z(
                count(before.promoters),
                count(before.nps_answered()),
                count(since.promoters),
                count(since.nps_answered()),
            );
            let pmf = two_proportion_z(
                count(before.pmf_success),
                count(before.pmf_answered),
                count(since.pmf_success),
                count(since.pmf_answered),
            );
            ActivationView {
                id: a.id.clone(),
                kind: a.kind.clone(),
                title: a.title.clone(),
                started: start,
                before: window(&before, has_pmf),
                since: window(&since, has_pmf),
                p_value_promoters: promoters.map(|t| t.p_value),
                p_value_pmf: pmf.filter(|_| has_pmf).map(|t| t.p_value),
            }
        })
        .collect()
}
