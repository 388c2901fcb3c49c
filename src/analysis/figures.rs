//! A report's figures, computed from its per-segment aggregates: the cost depends on the
//! number of questions and segments, never on the number of responses.

use std::collections::BTreeMap;

use serde::Serialize;
use serde::ser::SerializeMap;

use super::aggregate::{NO_ANSWER, OTHER};
use super::stats::{self, Moments, TestResult};
use crate::form::{Form, Question, QuestionType};
use crate::report::ReportDef;
use crate::tally::{QuestionTally, SegmentStats};

/// A JSON object whose keys keep the order of the form's options.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ordered<T>(pub Vec<(String, T)>);

impl<T: Serialize> Serialize for Ordered<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<T> Ordered<T> {
    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub enum Interval {
    Mean([f64; 2]),
    Choices(Ordered<[f64; 2]>),
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Figures {
    pub n: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sd: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ci95: Option<Interval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nps_ci95: Option<[f64; 2]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promoters: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passives: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detractors: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub counts: Option<Ordered<u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub percent: Option<Ordered<f64>>,
    /// A ranking's options: mean rank and share ranked first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ranks: Option<Ordered<super::ranking::RankFigures>>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SegmentFigures {
    pub segment: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TestFigures {
    pub name: &'static str,
    pub statistic: f64,
    /// A number, or `[between, within]` for ANOVA.
    pub df: serde_json::Value,
    pub p_value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cramers_v: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low_expected: Option<bool>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QuestionFigures {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub text: String,
    pub overall: Figures,
    pub by_segment: Vec<SegmentFigures>,
    pub test: Option<TestFigures>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SegmentInfo {
    pub name: String,
    /// `None` for a suppressed segment: groups under `min_cell` are not counted out loud.
    pub n: Option<u64>,
    pub suppressed: bool,
}

/// Texts and mentions of a theme in one segment, from one source (`survey`, `interview` or
/// an outside source's name).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ThemeCell {
    pub segment: String,
    pub source: String,
    pub responses: u64,
    pub mentions: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ThemeFigures {
    pub name: String,
    /// Texts (answers and notes) that mention the theme, in unsuppressed segments.
    pub responses: u64,
    /// Occurrences of the theme in those texts.
    pub mentions: u64,
    /// Texts that mention the theme, per unsuppressed segment.
    pub by_segment: Ordered<u64>,
    /// The same per segment and source, for the themes CSV.
    pub cells: Vec<ThemeCell>,
    /// Up to three verbatim texts, interview quotes first, never personal data.
    pub quotes: Vec<String>,
    /// The source of each quote, in the same order: `survey`, `interview` or an outside
    /// source's name.
    pub quote_sources: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TermCount {
    pub term: String,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ReportFigures {
    pub id: String,
    pub title: String,
    pub form: String,
    pub responses: u64,
    pub segment_by: String,
    pub min_cell: u32,
    pub segments: Vec<SegmentInfo>,
    pub questions: Vec<QuestionFigures>,
    pub themes: Vec<ThemeFigures>,
    /// Frequent words and two-word phrases in texts that mention no theme.
    pub uncoded_terms: Vec<TermCount>,
}

fn segment_names(
    form: &Form,
    report: &ReportDef,
    aggregates: &BTreeMap<String, SegmentStats>,
) -> Vec<String> {
    let mut names: Vec<String> = form
        .question(&report.segment_by)
        .map(|q| q.options.clone())
        .unwrap_or_default();
    let mut extra: Vec<&String> = aggregates
        .keys()
        .filter(|k| !names.contains(k) && k.as_str() != OTHER && k.as_str() != NO_ANSWER)
        .collect();
    extra.sort();
    names.extend(extra.into_iter().cloned());
    for special in [OTHER, NO_ANSWER] {
        if aggregates.contains_key(special) {
            names.push(special.to_string());
        }
    }
    names
}

/// The questions a report has figures for, matrix rows as questions of their own.
fn reported_questions(form: &Form, report: &ReportDef) -> Vec<Question> {
    crate::form::matrix::analysed_questions(&form.questions)
        .into_iter()
        .filter(|q| {
            !q.pii
                && q.id != report.segment_by
                && matches!(
                    q.kind,
                    QuestionType::Single
                        | QuestionType::Multi
                        | QuestionType::Scale
                        | QuestionType::Nps
                        | QuestionType::Number
                        | QuestionType::Ranking
                )
        })
        .map(std::borrow::Cow::into_owned)
        .collect()
}

/// Everything the report shows, from its aggregates.
pub fn compute(
    report: &ReportDef,
    form: &Form,
    aggregates: &BTreeMap<String, SegmentStats>,
) -> ReportFigures {
    let empty = SegmentStats::default();
    let names = segment_names(form, report, aggregates);
    let mut segments = Vec::new();
    let mut shown: Vec<(&str, &SegmentStats)> = Vec::new();
    let mut overall = SegmentStats::default();
    for name in &names {
        let stats = aggregates.get(name).unwrap_or(&empty);
        let n = stats.responses.max(0) as u64;
        let suppressed = n < u64::from(report.min_cell);
        segments.push(SegmentInfo {
            name: name.clone(),
            n: (!suppressed).then_some(n),
            suppressed,
        });
        if !suppressed {
            overall.add(stats, 1);
            shown.push((name, stats));
        }
    }
    let questions = reported_questions(form, report)
        .iter()
        .map(|q| match q.kind {
            QuestionType::Ranking => super::ranking::question_figures(q, &overall, &shown),
            _ => question_figures(q, &overall, &shown),
        })
        .collect();
    ReportFigures {
        id: report.id.clone(),
        title: report.title.clone(),
        form: report.form.clone(),
        responses: aggregates.values().map(|s| s.responses.max(0) as u64).sum(),
        segment_by: report.segment_by.clone(),
        min_cell: report.min_cell,
        segments,
        questions,
        themes: Vec::new(),
        uncoded_terms: Vec::new(),
    }
}

fn question_figures(
    q: &Question,
    overall: &SegmentStats,
    shown: &[(&str, &SegmentStats)],
) -> QuestionFigures {
    let tally_of = |stats: &SegmentStats| stats.questions.get(&q.id).cloned().unwrap_or_default();
    let tallies: Vec<(String, QuestionTally)> = shown
        .iter()
        .map(|(name, stats)| (name.to_string(), tally_of(stats)))
        .collect();
    let choices = choice_keys(q, overall);
    let by_segment = tallies
        .iter()
        .map(|(name, tally)| SegmentFigures {
            segment: name.clone(),
            figures: figures(q, tally, &choices),
        })
        .collect();
    QuestionFigures {
        id: q.id.clone(),
        kind: q.kind.as_str(),
        text: q.text.clone(),
        overall: figures(q, &tally_of(overall), &choices),
        by_segment,
        test: test_between(q, &tallies, &choices),
    }
}

/// The options of a choice question, in form order, plus "Other" when anyone wrote one in.
fn choice_keys(q: &Question, overall: &SegmentStats) -> Vec<String> {
    let mut keys = q.options.clone();
    let wrote_other = overall
        .questions
        .get(&q.id)
        .is_some_and(|t| t.counts.contains_key(OTHER) && !q.options.iter().any(|o| o == OTHER));
    if wrote_other {
        keys.push(OTHER.to_string());
    }
    keys
}

fn figures(q: &Question, tally: &QuestionTally, choices: &[String]) -> Figures {
    let n = tally.answered.max(0) as u64;
    let mut f = Figures {
        n,
        ..Figures::default()
    };
    if q.kind.has_options() {
        let count = |key: &str| tally.counts.get(key).copied().unwrap_or(0).max(0) as u64;
        f.counts = Some(Ordered(
            choices.iter().map(|c| (c.clone(), count(c))).collect(),
        ));
        if n > 0 {
            f.percent = Some(Ordered(
                choices
                    .iter()
                    .map(|c| (c.clone(), 100.0 * count(c) as f64 / n as f64))
                    .collect(),
            ));
            f.ci95 = Some(Interval::Choices(Ordered(
                choices
                    .iter()
                    .filter_map(|c| {
                        stats::wilson(count(c), n)
                            .map(|(lo, hi)| (c.clone(), [100.0 * lo, 100.0 * hi]))
                    })
                    .collect(),
            )));
        }
        return f;
    }
    if let Some(summary) = tally
        .sums
        .as_ref()
        .and_then(|s| stats::summarize(&s.moments()))
    {
        f.mean = Some(summary.mean);
        f.sd = summary.sd;
        f.ci95 = summary.ci95.map(|(lo, hi)| Interval::Mean([lo, hi]));
    }
    if q.kind == QuestionType::Nps {
        let count_in = |range: std::ops::RangeInclusive<i64>| -> u64 {
            tally
                .counts
                .iter()
                .filter(|(k, _)| k.parse::<i64>().is_ok_and(|v| range.contains(&v)))
                .map(|(_, c)| (*c).max(0) as u64)
                .sum()
        };
        let (promoters, passives, detractors) =
            (count_in(9..=10), count_in(7..=8), count_in(0..=6));
        f.promoters = Some(promoters);
        f.passives = Some(passives);
        f.detractors = Some(detractors);
        if let Some(score) = stats::nps(promoters, passives, detractors) {
            f.nps = Some(score.nps);
            f.nps_ci95 = Some([score.ci95.0, score.ci95.1]);
        }
    }
    f
}

fn test_between(
    q: &Question,
    tallies: &[(String, QuestionTally)],
    choices: &[String],
) -> Option<TestFigures> {
    let result: TestResult = match q.kind {
        QuestionType::Single => {
            let table: Vec<Vec<u64>> = tallies
                .iter()
                .map(|(_, t)| {
                    choices
                        .iter()
                        .map(|c| t.counts.get(c).copied().unwrap_or(0).max(0) as u64)
                        .collect()
                })
                .collect();
            stats::chi_square(&table)?
        }
        QuestionType::Scale | QuestionType::Nps | QuestionType::Number => {
            let groups: Vec<Moments> = tallies
                .iter()
                .filter_map(|(_, t)| t.sums.as_ref().map(|s| s.moments()))
                .filter(|m| m.n > 0.0)
                .collect();
            match groups.len() {
                2 => stats::welch_t(&groups[0], &groups[1])?,
                n if n > 2 => stats::anova(&groups)?,
                _ => return None,
            }
        }
        // Options of a multi question are not exclusive, so one table would count people twice.
        _ => return None,
    };
    // Whole degrees of freedom print as integers (chi-square, ANOVA); Welch's are fractional.
    let number = |v: f64| {
        if let Some(whole) = crate::form::whole_number(v) {
            serde_json::json!(whole)
        } else {
            serde_json::json!(v)
        }
    };
    let df = match result.df.as_slice() {
        [single] => number(*single),
        several => serde_json::Value::Array(several.iter().map(|v| number(*v)).collect()),
    };
    Some(TestFigures {
        name: result.name,
        statistic: result.statistic,
        df,
        p_value: result.p_value,
        cramers_v: result.cramers_v,
        low_expected: result.low_expected,
    })
}
