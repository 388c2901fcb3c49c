//! A card's words and timing: quotes, job statements, its period, the evidence behind it,
//! the interview rhythm, and the warnings of the method's common mistakes.

use std::cmp::Reverse;

use chrono::{DateTime, Utc};

use crate::interview::{Note, NoteKind};
use crate::report::{Angle, ReportDef};
use crate::store::{DatedText, SegmentEvidence};

use super::card::{HALF_YEAR_DAYS, JOBS, QUOTES, SegmentInterview, TOP};
use super::model::{CardTheme, Evidence, Job, Period, Quote, Rhythm, Warning};

fn rfc3339(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A text that may be quoted: when it was given, the text, and its source.
type Candidate = (DateTime<Utc>, String, String);

/// Interview quotes first (newest first); then, for the top themes in turn, the newest text
/// (survey answer or interview note) that mentions one, one per theme while another has one.
pub fn quotes(
    report: &ReportDef,
    interviews: &[SegmentInterview],
    top_themes: &[CardTheme],
    survey_texts: &[(String, Vec<DatedText>)],
) -> Vec<Quote> {
    let mut marked: Vec<(DateTime<Utc>, &Note)> = interviews
        .iter()
        .flat_map(|i| i.notes.iter())
        .filter(|n| n.content.kind == NoteKind::Quote && !n.content.text.trim().is_empty())
        .map(|n| (n.at, n))
        .collect();
    marked.sort_by_key(|m| Reverse(m.0));
    let theme_of = |text: &str| -> Option<String> {
        let found = report.codebook.analyse(text).found;
        let names: Vec<&String> = found
            .iter()
            .map(|f| &report.codebook.names[f.theme])
            .collect();
        top_themes
            .iter()
            .find(|t| names.contains(&&t.name))
            .map(|t| t.name.clone())
            .or_else(|| names.first().map(|n| n.to_string()))
    };
    let mut quotes: Vec<Quote> = Vec::new();
    for (at, note) in marked.into_iter().take(QUOTES) {
        quotes.push(Quote {
            text: note.content.text.clone(),
            source: "interview".into(),
            theme: theme_of(&note.content.text),
            at: rfc3339(&at),
        });
    }
    // Candidates per top theme, newest first: the segment's survey texts, outside texts and
    // unmarked notes.
    let mut candidates: Vec<(String, Vec<Candidate>)> = top_themes
        .iter()
        .take(TOP)
        .map(|t| {
            let mut list: Vec<Candidate> = survey_texts
                .iter()
                .filter(|(name, _)| *name == t.name)
                .flat_map(|(_, texts)| texts.iter())
                .map(|d| (d.at, d.record.text.clone(), d.record.source.clone()))
                .collect();
            for i in interviews {
                for n in i.notes.iter().filter(|n| n.content.kind == NoteKind::Note) {
                    let mentions = report
                        .codebook
                        .analyse(&n.content.text)
                        .found
                        .iter()
                        .any(|f| report.codebook.names[f.theme] == t.name);
                    if mentions {
                        list.push((n.at, n.content.text.clone(), "interview".into()));
                    }
                }
            }
            list.sort_by_key(|c| Reverse(c.0));
            (t.name.clone(), list)
        })
        .collect();
    // Round robin over the themes, so each theme gets a quote before any gets a second.
    while quotes.len() < QUOTES {
        let mut added = false;
        for (theme, list) in candidates.iter_mut() {
            if quotes.len() == QUOTES {
                break;
            }
            while !list.is_empty() {
                let (at, text, source) = list.remove(0);
                if quotes.iter().any(|q| q.text == text) {
                    continue;
                }
                quotes.push(Quote {
                    text,
                    source,
                    theme: Some(theme.clone()),
                    at: rfc3339(&at),
                });
                added = true;
                break;
            }
        }
        if !added {
            break;
        }
    }
    quotes
}

/// Job statements from the segment's notes and survey answers, newest first.
pub fn jobs(interviews: &[SegmentInterview], evidence: &SegmentEvidence) -> Vec<Job> {
    let mut jobs: Vec<Job> = Vec::new();
    for i in interviews {
        for note in i.notes {
            for (when, want, so) in crate::analysis::evidence::job_statements(&note.content.text) {
                jobs.push(Job {
                    when,
                    want,
                    so,
                    source: "interview".into(),
                    at: rfc3339(&note.at),
                });
            }
        }
    }
    jobs.extend(evidence.jobs.iter().map(|j| Job {
        when: j.when.clone(),
        want: j.want.clone(),
        so: j.so.clone(),
        source: j.source.clone(),
        at: j.at.clone(),
    }));
    // RFC 3339 times in UTC sort as text; the card shows the newest.
    jobs.sort_by(|a, b| b.at.cmp(&a.at));
    // The same job in the same words from several people is one statement on the card.
    let mut seen = std::collections::HashSet::new();
    jobs.retain(|j| {
        seen.insert((
            j.when.to_lowercase(),
            j.want.to_lowercase(),
            j.so.to_lowercase(),
        ))
    });
    jobs.truncate(JOBS);
    jobs
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// From the oldest to the newest evidence: responses, outside texts and interview notes.
pub fn period(interviews: &[SegmentInterview], evidence: &SegmentEvidence) -> Period {
    let mut times: Vec<DateTime<Utc>> = [&evidence.first_at, &evidence.last_at]
        .into_iter()
        .filter_map(|t| t.as_deref().and_then(parse_time))
        .collect();
    for i in interviews {
        times.extend(i.notes.iter().map(|n| n.at));
    }
    Period {
        from: times.iter().min().map(rfc3339),
        to: times.iter().max().map(rfc3339),
    }
}

/// `contacts`: the segment is a contact segment, so each of its responses is linked to a
/// contact, the internal angle. `texts`: the segment's outside texts by source.
pub fn evidence(
    report: &ReportDef,
    n: u64,
    interviews: &[SegmentInterview],
    contacts: bool,
    texts: &std::collections::BTreeMap<String, i64>,
) -> Evidence {
    let notes: u64 = interviews.iter().map(|i| i.notes.len() as u64).sum();
    let mut found = std::collections::BTreeSet::new();
    // Survey answers and interview notes are the voice of the customer; linked contacts are
    // internal data; an outside source speaks from the angle its report file gives it.
    if n > 0 || notes > 0 {
        found.insert(Angle::Voice);
    }
    if contacts && n > 0 {
        found.insert(Angle::Internal);
    }
    for source in &report.sources {
        if texts.get(&source.name).is_some_and(|&count| count > 0) {
            found.insert(source.angle);
        }
    }
    // The voice first, then the internal data, then analytics, whichever are there.
    let angles = [Angle::Voice, Angle::Internal, Angle::Analytics]
        .into_iter()
        .filter(|a| found.contains(a))
        .map(|a| a.as_str().to_string())
        .collect();
    Evidence {
        responses: n,
        interviews: interviews.len() as u64,
        notes,
        angles,
    }
}

pub fn rhythm(interviews: &[SegmentInterview], target: u32, now: DateTime<Utc>) -> Rhythm {
    let since = now - chrono::Duration::days(HALF_YEAR_DAYS);
    Rhythm {
        interviews_last_half_year: interviews
            .iter()
            .filter(|i| i.interview.started_at >= since)
            .count() as u64,
        target,
    }
}

pub fn is_stale(period: &Period, stale_after: std::time::Duration, now: DateTime<Utc>) -> bool {
    let Some(newest) = period.to.as_deref().and_then(parse_time) else {
        return true;
    };
    let limit = chrono::Duration::from_std(stale_after).unwrap_or(chrono::Duration::MAX);
    now.signed_duration_since(newest) > limit
}

pub struct WarningInput<'a> {
    pub evidence: &'a Evidence,
    pub quotes: usize,
    pub stale: bool,
    pub stale_after: &'a str,
    pub period_to: Option<&'a str>,
    pub rhythm: &'a Rhythm,
}

/// The method's common mistakes this card shows.
pub fn warnings(input: &WarningInput) -> Vec<Warning> {
    let mut warnings = Vec::new();
    let mut warn = |code: &str, message: String| {
        warnings.push(Warning {
            code: code.into(),
            message,
        })
    };
    let angles = input.evidence.angles.len();
    if angles < 3 {
        warn(
            "few_angles",
            format!(
                "Rests on {angles} of the three angles ({}): strong profiles combine internal data, analytics and the customer's voice.",
                if input.evidence.angles.is_empty() {
                    "none".to_string()
                } else {
                    input.evidence.angles.join(", ")
                }
            ),
        );
    }
    if input.evidence.interviews == 0 {
        warn(
            "no_interviews",
            "No interview evidence: the numbers say what these customers do, not why.".into(),
        );
    }
    if input.quotes == 0 {
        warn(
            "no_quotes",
            "No quote in the customer's own words yet.".into(),
        );
    }
    if input.stale {
        warn(
            "stale",
            match input.period_to {
                Some(to) => format!(
                    "The newest evidence is from {}, older than {}: a profile not kept up becomes confident misinformation.",
                    &to[..to.len().min(10)],
                    input.stale_after
                ),
                None => "No dated evidence yet.".into(),
            },
        );
    }
    if input.rhythm.interviews_last_half_year < u64::from(input.rhythm.target) {
        warn(
            "rhythm_behind",
            format!(
                "{} interview{} in the last half year, against a rhythm of {}.",
                input.rhythm.interviews_last_half_year,
                if input.rhythm.interviews_last_half_year == 1 {
                    ""
                } else {
                    "s"
                },
                input.rhythm.target
            ),
        );
    }
    warnings
}
