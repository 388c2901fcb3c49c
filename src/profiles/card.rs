//! One segment's card: fields, loyalty, themes, quotes, job statements, evidence and the
//! warnings of the method's common mistakes.

use std::cmp::Reverse;

use chrono::{DateTime, Utc};

use crate::analysis::aggregate::SegmentStats;
use crate::analysis::evidence::{nps_question, pmf_question};
use crate::analysis::stats;
use crate::form::{Form, Question, QuestionType};
use crate::interview::{Interview, Note, NoteKind};
use crate::report::ReportDef;
use crate::store::{DatedText, SegmentEvidence};

use super::compare::{Shown, answered, comparable, count, moments, option_keys};
use super::model::{
    CardTheme, Evidence, FIELD_TAGS, FieldEntry, Fields, Job, Loyalty, Period, Pmf, Quote, Rhythm,
    Warning,
};

pub const TOP: usize = 3;
pub const QUOTES: usize = 3;
pub const JOBS: usize = 5;
/// The method's "5–8 fresh interviews twice a year": the rhythm counts this window.
pub const HALF_YEAR_DAYS: i64 = 182;

/// An interview of one of the report's guides, with its notes, in this card's segment.
pub struct SegmentInterview<'a> {
    pub interview: &'a Interview,
    pub notes: &'a [Note],
}

pub fn percent_interval(x: u64, n: u64) -> Option<Vec<f64>> {
    stats::wilson(x, n).map(|(lo, hi)| vec![100.0 * lo, 100.0 * hi])
}

/// A choice question's top options in the segment, against the other segments.
pub fn top_options(
    q: &Question,
    mine: &SegmentStats,
    rest: &SegmentStats,
    shown: &Shown,
) -> Vec<FieldEntry> {
    let (n, n_rest) = (answered(mine, &q.id), answered(rest, &q.id));
    if n == 0 {
        return Vec::new();
    }
    let mut options: Vec<(u64, String)> = option_keys(q, shown)
        .into_iter()
        .map(|o| (count(mine, &q.id, &o), o))
        .filter(|(c, _)| *c > 0)
        .collect();
    // A stable sort keeps the form's order among ties.
    options.sort_by_key(|o| Reverse(o.0));
    options
        .into_iter()
        .take(TOP)
        .map(|(c, option)| FieldEntry {
            question: q.id.clone(),
            text: Some(q.text.clone()),
            percent: Some(100.0 * c as f64 / n as f64),
            ci95: percent_interval(c, n),
            others_percent: (n_rest > 0)
                .then(|| 100.0 * count(rest, &q.id, &option) as f64 / n_rest as f64),
            n: Some(n),
            option: Some(option),
            ..FieldEntry::default()
        })
        .collect()
}

/// A numeric question's mean in the segment, against the other segments.
pub fn mean_entry(q: &Question, mine: &SegmentStats, rest: &SegmentStats) -> Option<FieldEntry> {
    let summary = moments(mine, &q.id).and_then(|m| stats::summarize(&m))?;
    Some(FieldEntry {
        question: q.id.clone(),
        text: Some(q.text.clone()),
        mean: Some(summary.mean),
        ci95: summary.ci95.map(|(lo, hi)| vec![lo, hi]),
        others_mean: moments(rest, &q.id)
            .and_then(|m| stats::summarize(&m))
            .map(|s| s.mean),
        n: Some(summary.n),
        ..FieldEntry::default()
    })
}

/// A text question's top themes in the segment (answers that mention each).
fn top_themes_of(q: &Question, mine: &SegmentStats, names: &[String]) -> Vec<FieldEntry> {
    let mut themes: Vec<(u64, &String)> = names
        .iter()
        .map(|name| (count(mine, &q.id, name), name))
        .filter(|(c, _)| *c > 0)
        .collect();
    themes.sort_by_key(|t| Reverse(t.0));
    themes
        .into_iter()
        .take(TOP)
        .map(|(c, name)| FieldEntry {
            question: q.id.clone(),
            text: Some(q.text.clone()),
            theme: Some(name.clone()),
            responses: Some(c),
            n: Some(answered(mine, &q.id)),
            ..FieldEntry::default()
        })
        .collect()
}

/// What one question gives a field or the ICP's firmographics.
pub fn entries(
    q: &Question,
    mine: &SegmentStats,
    rest: &SegmentStats,
    shown: &Shown,
    theme_names: &[String],
) -> Vec<FieldEntry> {
    match q.kind {
        QuestionType::Single | QuestionType::Multi => top_options(q, mine, rest, shown),
        QuestionType::Scale | QuestionType::Nps | QuestionType::Number => {
            mean_entry(q, mine, rest).into_iter().collect()
        }
        QuestionType::Text | QuestionType::LongText => top_themes_of(q, mine, theme_names),
        QuestionType::Email => Vec::new(),
    }
}

pub fn fields(
    form: &Form,
    report: &ReportDef,
    mine: &SegmentStats,
    rest: &SegmentStats,
    shown: &Shown,
) -> Fields {
    let mut fields = Fields::default();
    for tag in FIELD_TAGS {
        let Some(list) = fields.get_mut(tag) else {
            continue;
        };
        for q in comparable(form, &report.segment_by).filter(|q| q.tags.iter().any(|t| t == tag)) {
            list.extend(entries(q, mine, rest, shown, &report.codebook.names));
        }
    }
    fields
}

pub fn loyalty(form: &Form, mine: &SegmentStats) -> Loyalty {
    let mut loyalty = Loyalty::default();
    if let Some(q) = nps_question(form) {
        let in_range = |lo: i64, hi: i64| -> u64 {
            (lo..=hi).map(|v| count(mine, &q.id, &v.to_string())).sum()
        };
        let (promoters, passives, detractors) = (in_range(9, 10), in_range(7, 8), in_range(0, 6));
        if let Some(score) = stats::nps(promoters, passives, detractors) {
            loyalty.nps = Some(score.nps);
            loyalty.nps_ci95 = Some(vec![score.ci95.0, score.ci95.1]);
            loyalty.nps_n = Some(promoters + passives + detractors);
        }
    }
    if let Some(q) = pmf_question(form)
        && let Some(first) = q.options.first()
    {
        let n = answered(mine, &q.id);
        let x = count(mine, &q.id, first);
        if let Some(ci95) = percent_interval(x, n) {
            loyalty.pmf = Some(Pmf {
                question: q.id.clone(),
                option: first.clone(),
                n,
                percent: 100.0 * x as f64 / n as f64,
                ci95,
            });
        }
    }
    loyalty
}

/// The segment's themes, most mentioned first (answers and notes together).
pub fn themes(mine: &SegmentStats, names: &[String]) -> Vec<CardTheme> {
    let mut themes: Vec<CardTheme> = names
        .iter()
        .filter_map(|name| {
            let texts: i64 = mine.themes.get(name)?.values().map(|t| t.texts).sum();
            (texts > 0).then(|| CardTheme {
                name: name.clone(),
                responses: texts as u64,
            })
        })
        .collect();
    themes.sort_by_key(|t| Reverse(t.responses));
    themes
}

fn rfc3339(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A text that may be quoted: when it was given, the text, and its source.
type Candidate = (DateTime<Utc>, String, &'static str);

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
    // Candidates per top theme, newest first: the segment's survey texts and unmarked notes.
    let mut candidates: Vec<(String, Vec<Candidate>)> = top_themes
        .iter()
        .take(TOP)
        .map(|t| {
            let mut list: Vec<Candidate> = survey_texts
                .iter()
                .filter(|(name, _)| *name == t.name)
                .flat_map(|(_, texts)| texts.iter())
                .map(|d| (d.at, d.record.text.clone(), "survey"))
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
                        list.push((n.at, n.content.text.clone(), "interview"));
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
                    source: source.into(),
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

/// From the oldest to the newest evidence: responses and interview notes.
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

pub fn evidence(n: u64, interviews: &[SegmentInterview]) -> Evidence {
    let notes: u64 = interviews.iter().map(|i| i.notes.len() as u64).sum();
    let mut angles = Vec::new();
    // Survey answers and interview notes are the voice of the customer; the internal and
    // analytics angles come from contacts and outside texts, which this card has none of.
    if n > 0 || notes > 0 {
        angles.push("voice".to_string());
    }
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
