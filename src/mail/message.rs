//! The summary message: what a researcher reads on a phone. A plain-text part and an HTML
//! part (askama, which escapes every value it prints; inline styles only, since mail clients
//! drop style sheets), with `segments.csv` and `themes.csv` attached.
//!
//! Everything comes from `ReportFigures`, which already leaves out `pii` questions and
//! suppressed segments, so nothing here can reach a personal answer.

use std::fmt::Write as _;

use askama::Template;
use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart};

use super::MailError;
use crate::analysis::figures::{Figures, QuestionFigures, ReportFigures, ThemeFigures};
use crate::analysis::summary::{describe_test, is_significant};
use crate::export::{write_segments_csv, write_themes_csv};

/// Themes listed in the message; the rest are in `themes.csv` and on the report page.
const TOP_THEMES: usize = 5;
/// Differences listed before pointing to the report page for the rest.
const MAX_DIFFERENCES: usize = 8;
const UNCODED_TERMS: usize = 8;

/// The summary sent before, if any.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Previous {
    pub sent: DateTime<Utc>,
    pub responses: u64,
}

pub struct SummaryInput<'a> {
    pub figures: &'a ReportFigures,
    /// The report's profile cards, when they could be drafted: each card's headline.
    pub profiles: Option<&'a crate::profiles::Profiles>,
    pub previous: Option<Previous>,
    pub recipients: &'a [String],
    /// The cadence as written in the report file, `None` for on-demand only.
    pub every: Option<&'a str>,
    /// The report page, `{FIELDNOTES_PUBLIC_URL}/r/{id}`.
    pub link: String,
    pub now: DateTime<Utc>,
}

/// A summary ready to be put in a message.
#[derive(Debug, Clone)]
pub struct Summary {
    pub subject: String,
    pub text: String,
    pub html: String,
    pub segments_csv: Vec<u8>,
    pub themes_csv: Vec<u8>,
}

pub struct SegmentRow {
    pub name: String,
    pub n: Option<u64>,
}

pub struct NpsRow {
    pub segment: String,
    pub n: u64,
    pub nps: String,
    pub interval: String,
}

pub struct NpsView {
    pub question: String,
    pub overall: String,
    pub rows: Vec<NpsRow>,
    pub sentence: Option<String>,
    pub significant: bool,
}

pub struct DifferenceView {
    pub sentence: String,
    /// Per segment, its most chosen option or its mean: `Free: Slack (57%)`.
    pub details: Vec<String>,
}

pub struct ThemeView {
    pub name: String,
    pub responses: u64,
    pub mentions: u64,
    pub quote: Option<String>,
}

#[derive(Template)]
#[template(path = "email/summary.html")]
struct SummaryHtml<'a> {
    v: &'a View,
}

/// What both parts say, computed once.
pub struct View {
    title: String,
    date: String,
    responses: u64,
    news: String,
    segment_by: String,
    min_cell: u32,
    segments: Vec<SegmentRow>,
    nps: Vec<NpsView>,
    differences: Vec<DifferenceView>,
    more_differences: usize,
    /// Said when no question shows a difference.
    no_difference: Option<String>,
    themes: Vec<ThemeView>,
    more_themes: usize,
    uncoded: Vec<String>,
    cards: Vec<super::cards::CardLine>,
    link: String,
    footer: String,
}

/// Headers must stay on one line whatever a report title holds.
fn one_line(text: &str) -> String {
    text.split(char::is_control)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn day(t: DateTime<Utc>) -> String {
    t.format("%-d %B %Y").to_string()
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn nps_text(f: &Figures) -> (String, String) {
    match (f.nps, f.nps_ci95) {
        (Some(nps), Some([lo, hi])) => (format!("{nps:.1}"), format!("{lo:.1} to {hi:.1}")),
        (Some(nps), None) => (format!("{nps:.1}"), String::new()),
        _ => ("–".into(), String::new()),
    }
}

fn nps_view(q: &QuestionFigures) -> NpsView {
    let (nps, interval) = nps_text(&q.overall);
    let overall = if q.overall.nps.is_some() {
        format!(
            "NPS {nps} (95% interval {interval}), {}",
            plural(q.overall.n, "answer", "answers")
        )
    } else {
        "no answers yet".into()
    };
    NpsView {
        question: q.text.clone(),
        overall,
        rows: q
            .by_segment
            .iter()
            .map(|s| {
                let (nps, interval) = nps_text(&s.figures);
                NpsRow {
                    segment: s.segment.clone(),
                    n: s.figures.n,
                    nps,
                    interval,
                }
            })
            .collect(),
        sentence: q.test.as_ref().map(|t| describe_test(q, t)),
        significant: q.test.as_ref().is_some_and(is_significant),
    }
}

/// A segment's headline for one question: its most chosen option, or its mean.
fn segment_detail(segment: &str, f: &Figures) -> Option<String> {
    if let Some(percent) = &f.percent {
        let (option, p) = percent.0.iter().max_by(|a, b| a.1.total_cmp(&b.1))?;
        return Some(format!("{segment}: {option} ({p:.0}%)"));
    }
    f.mean.map(|mean| format!("{segment}: mean {mean:.2}"))
}

fn difference_view(q: &QuestionFigures) -> Option<DifferenceView> {
    let test = q.test.as_ref().filter(|t| is_significant(t))?;
    Some(DifferenceView {
        sentence: describe_test(q, test),
        details: q
            .by_segment
            .iter()
            .filter_map(|s| segment_detail(&s.segment, &s.figures))
            .collect(),
    })
}

fn theme_view(t: &ThemeFigures) -> ThemeView {
    ThemeView {
        name: t.name.clone(),
        responses: t.responses,
        mentions: t.mentions,
        quote: t.quotes.first().cloned(),
    }
}

fn view(input: &SummaryInput) -> View {
    let f = input.figures;
    let news = match input.previous {
        Some(p) => format!(
            "{} new since the last summary on {}",
            f.responses.saturating_sub(p.responses),
            day(p.sent)
        ),
        None => "the first summary of this report".into(),
    };
    let nps = f
        .questions
        .iter()
        .filter(|q| q.kind == "nps")
        .map(nps_view)
        .collect();
    let all_differences: Vec<DifferenceView> = f
        .questions
        .iter()
        .filter(|q| q.kind != "nps")
        .filter_map(difference_view)
        .collect();
    let significant_nps = f
        .questions
        .iter()
        .any(|q| q.kind == "nps" && q.test.as_ref().is_some_and(is_significant));
    let tested = f.questions.iter().filter(|q| q.test.is_some()).count();
    let no_difference = match (all_differences.is_empty(), tested, significant_nps) {
        (false, _, _) => None,
        (true, 0, _) => Some(format!(
            "Not enough segments with at least {} responses to compare yet.",
            f.min_cell
        )),
        (true, _, true) => {
            Some("Apart from the NPS above, no question differs significantly between segments (p < 0.05).".into())
        }
        (true, 1, false) => Some(
            "The one question tested does not differ significantly between segments (p < 0.05)."
                .into(),
        ),
        (true, _, false) => Some(format!(
            "None of the {tested} questions tested differs significantly between segments (p < 0.05)."
        )),
    };
    let more_differences = all_differences.len().saturating_sub(MAX_DIFFERENCES);
    let differences = all_differences.into_iter().take(MAX_DIFFERENCES).collect();
    let mut themes: Vec<&ThemeFigures> = f.themes.iter().filter(|t| t.responses > 0).collect();
    themes.sort_by(|a, b| {
        b.responses
            .cmp(&a.responses)
            .then(b.mentions.cmp(&a.mentions))
    });
    let more_themes = themes.len().saturating_sub(TOP_THEMES);
    let cadence = match input.every {
        Some(every @ ("weekly" | "monthly" | "quarterly")) => format!("It comes {every}."),
        Some(every) => format!("It comes every {every}."),
        None => "It is sent on request.".into(),
    };
    View {
        title: f.title.clone(),
        date: format!("{}, {} UTC", day(input.now), input.now.format("%H:%M")),
        responses: f.responses,
        news,
        segment_by: f.segment_by.clone(),
        min_cell: f.min_cell,
        segments: f
            .segments
            .iter()
            .map(|s| SegmentRow {
                name: s.name.clone(),
                n: s.n,
            })
            .collect(),
        nps,
        differences,
        more_differences,
        no_difference,
        themes: themes
            .into_iter()
            .take(TOP_THEMES)
            .map(theme_view)
            .collect(),
        more_themes,
        uncoded: f
            .uncoded_terms
            .iter()
            .take(UNCODED_TERMS)
            .map(|t| format!("{} ({})", t.term, t.count))
            .collect(),
        cards: super::cards::card_lines(input.profiles),
        link: input.link.clone(),
        footer: format!(
            "Sent by fieldnotes to {} because the report file of “{}” lists {} under [email]. {cadence}",
            input.recipients.join(", "),
            f.id,
            if input.recipients.len() == 1 {
                "it"
            } else {
                "them"
            },
        ),
    }
}

fn text_part(v: &View) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", v.title);
    let _ = writeln!(out, "Summary of {}\n", v.date);
    let _ = writeln!(
        out,
        "{} in all, {}.\n",
        plural(v.responses, "response", "responses"),
        v.news
    );
    let _ = writeln!(out, "SEGMENTS (by {})", v.segment_by);
    for s in &v.segments {
        match s.n {
            Some(n) => {
                let _ = writeln!(out, "- {}: n = {n}", s.name);
            }
            None => {
                let _ = writeln!(
                    out,
                    "- {}: suppressed (fewer than {} responses)",
                    s.name, v.min_cell
                );
            }
        }
    }
    if v.segments.is_empty() {
        let _ = writeln!(out, "- none yet");
    }
    for q in &v.nps {
        let _ = writeln!(out, "\nNET PROMOTER SCORE: {}", q.question);
        let _ = writeln!(out, "Overall: {}", q.overall);
        for r in &q.rows {
            let interval = if r.interval.is_empty() {
                String::new()
            } else {
                format!(" ({})", r.interval)
            };
            let _ = writeln!(
                out,
                "- {} (n = {}): NPS {}{interval}",
                r.segment, r.n, r.nps
            );
        }
        if let Some(sentence) = &q.sentence {
            let _ = writeln!(out, "{sentence}");
        }
    }
    if !v.cards.is_empty() {
        let _ = writeln!(out, "\nPROFILE CARDS");
        for c in &v.cards {
            let _ = writeln!(
                out,
                "- {} (n = {}): {}",
                one_line(&c.title),
                c.n,
                c.sentence
            );
        }
    }
    let _ = writeln!(out, "\nWHERE SEGMENTS DIFFER");
    for d in &v.differences {
        let _ = writeln!(out, "- {}", d.sentence);
        for detail in &d.details {
            let _ = writeln!(out, "    {detail}");
        }
    }
    if v.more_differences > 0 {
        let _ = writeln!(out, "- and {} more on the report page", v.more_differences);
    }
    if let Some(none) = &v.no_difference {
        let _ = writeln!(out, "{none}");
    }
    if !v.themes.is_empty() {
        let _ = writeln!(out, "\nTOP THEMES");
        for t in &v.themes {
            let _ = writeln!(
                out,
                "- {}: {}, {}",
                t.name,
                plural(t.responses, "response", "responses"),
                plural(t.mentions, "mention", "mentions")
            );
            if let Some(quote) = &t.quote {
                let _ = writeln!(out, "    “{}”", one_line(quote));
            }
        }
        if v.more_themes > 0 {
            let _ = writeln!(out, "- and {} more in themes.csv", v.more_themes);
        }
    }
    if !v.uncoded.is_empty() {
        let _ = writeln!(
            out,
            "\nFrequent in answers no theme covers: {}",
            v.uncoded.join(", ")
        );
    }
    let _ = writeln!(out, "\nThe full report: {}", v.link);
    let _ = writeln!(
        out,
        "Attached: segments.csv (every figure by segment) and themes.csv (theme counts by segment and source)."
    );
    let _ = writeln!(out, "\n-- \n{}", v.footer);
    out
}

pub fn compose(input: &SummaryInput) -> Result<Summary, MailError> {
    let v = view(input);
    let html = SummaryHtml { v: &v }
        .render()
        .map_err(|e| MailError::Settings(format!("cannot render the summary: {e}")))?;
    let csv_error = |e: crate::export::ExportError| {
        MailError::Settings(format!("cannot write the attachments: {e}"))
    };
    let mut segments_csv = Vec::new();
    write_segments_csv(&mut segments_csv, input.figures, false).map_err(csv_error)?;
    let mut themes_csv = Vec::new();
    write_themes_csv(&mut themes_csv, input.figures, false).map_err(csv_error)?;
    let f = input.figures;
    let subject = match input.previous {
        Some(p) => format!(
            "{}: {}, {} new",
            one_line(&f.title),
            plural(f.responses, "response", "responses"),
            f.responses.saturating_sub(p.responses)
        ),
        None => format!(
            "{}: {}",
            one_line(&f.title),
            plural(f.responses, "response", "responses")
        ),
    };
    Ok(Summary {
        subject,
        text: text_part(&v),
        html,
        segments_csv,
        themes_csv,
    })
}

/// The message: multipart/mixed of multipart/alternative (text, HTML) and the two CSVs.
pub fn to_message(
    summary: Summary,
    from: &Mailbox,
    to: &[Mailbox],
    message_id: String,
    date: DateTime<Utc>,
) -> Result<Message, MailError> {
    let csv = ContentType::parse("text/csv; charset=utf-8")
        .map_err(|e| MailError::Settings(format!("content type: {e}")))?;
    let body = MultiPart::mixed()
        .multipart(MultiPart::alternative_plain_html(
            summary.text,
            summary.html,
        ))
        .singlepart(Attachment::new("segments.csv".into()).body(summary.segments_csv, csv.clone()))
        .singlepart(Attachment::new("themes.csv".into()).body(summary.themes_csv, csv));
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(summary.subject)
        .message_id(Some(message_id))
        .date(date.into())
        .user_agent(format!("fieldnotes {}", env!("CARGO_PKG_VERSION")));
    for mailbox in to {
        builder = builder.to(mailbox.clone());
    }
    builder
        .multipart(body)
        .map_err(|e| MailError::Settings(format!("cannot build the message: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::figures::{
        Ordered, SegmentFigures, SegmentInfo, TermCount, TestFigures, ThemeCell,
    };

    fn choice(segment: &str, percent: &[(&str, f64)]) -> SegmentFigures {
        SegmentFigures {
            segment: segment.into(),
            figures: Figures {
                n: 10,
                percent: Some(Ordered(
                    percent.iter().map(|(o, p)| (o.to_string(), *p)).collect(),
                )),
                ..Figures::default()
            },
        }
    }

    fn test(name: &'static str, p_value: f64) -> Option<TestFigures> {
        Some(TestFigures {
            name,
            statistic: 9.5,
            df: serde_json::json!(1),
            p_value,
            cramers_v: None,
            low_expected: None,
        })
    }

    #[test]
    fn only_significant_differences_are_headlines() {
        let mut f = figures();
        f.questions = vec![
            QuestionFigures {
                id: "tool".into(),
                kind: "single",
                text: "Main tool?".into(),
                overall: Figures::default(),
                by_segment: vec![
                    choice("Free", &[("Slack", 60.0), ("Jira", 40.0)]),
                    choice("Pro", &[("Slack", 10.0), ("Jira", 90.0)]),
                ],
                test: test("chi_square", 0.002),
            },
            QuestionFigures {
                id: "size".into(),
                kind: "single",
                text: "Team size?".into(),
                overall: Figures::default(),
                by_segment: vec![
                    choice("Free", &[("1", 50.0)]),
                    choice("Pro", &[("1", 55.0)]),
                ],
                test: test("chi_square", 0.4),
            },
        ];
        let summary = compose(&input(&f, None)).unwrap();
        assert!(
            summary
                .text
                .contains("The answers to “Main tool?” differ significantly")
        );
        assert!(summary.text.contains("Free: Slack (60%)"));
        assert!(summary.text.contains("Pro: Jira (90%)"));
        assert!(!summary.text.contains("Team size?"));
        assert!(summary.html.contains("Free: Slack (60%) · Pro: Jira (90%)"));

        f.questions.remove(0);
        let summary = compose(&input(&f, None)).unwrap();
        assert!(
            summary
                .text
                .contains("The one question tested does not differ significantly between segments")
        );
    }

    fn figures() -> ReportFigures {
        ReportFigures {
            id: "panel".into(),
            title: "Panel <script>alert(1)</script> & co".into(),
            form: "panel".into(),
            responses: 12,
            segment_by: "plan".into(),
            min_cell: 5,
            segments: vec![
                SegmentInfo {
                    name: "Free".into(),
                    n: Some(7),
                    suppressed: false,
                },
                SegmentInfo {
                    name: "<b>Team</b>".into(),
                    n: None,
                    suppressed: true,
                },
            ],
            questions: Vec::new(),
            themes: vec![
                ThemeFigures {
                    name: "Price".into(),
                    responses: 3,
                    mentions: 4,
                    by_segment: Ordered(vec![("Free".into(), 3)]),
                    cells: vec![ThemeCell {
                        segment: "Free".into(),
                        source: "survey".into(),
                        responses: 3,
                        mentions: 4,
                    }],
                    quotes: vec!["Too <img src=x onerror=alert(1)> expensive".into()],
                    quote_sources: vec!["survey".into()],
                },
                ThemeFigures {
                    name: "Unmentioned".into(),
                    responses: 0,
                    mentions: 0,
                    by_segment: Ordered(Vec::new()),
                    cells: Vec::new(),
                    quotes: Vec::new(),
                    quote_sources: Vec::new(),
                },
            ],
            uncoded_terms: vec![TermCount {
                term: "onboarding call".into(),
                count: 2,
            }],
        }
    }

    fn input(figures: &ReportFigures, previous: Option<Previous>) -> SummaryInput<'_> {
        SummaryInput {
            figures,
            profiles: None,
            previous,
            recipients: &[],
            every: Some("monthly"),
            link: "https://fieldnotes.example.com/r/panel".into(),
            now: DateTime::parse_from_rfc3339("2026-03-03T09:30:00Z")
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    #[test]
    fn every_user_written_string_is_escaped_in_html() {
        let f = figures();
        let summary = compose(&input(&f, None)).unwrap();
        for raw in ["<script>", "<b>Team", "<img src=x"] {
            assert!(!summary.html.contains(raw), "{raw} unescaped");
        }
        assert!(
            summary.html.contains("Panel &#60;script&#62;")
                || summary.html.contains("Panel &lt;script&gt;")
        );
        assert!(
            summary
                .text
                .contains("Panel <script>alert(1)</script> & co")
        );
    }

    #[test]
    fn counts_suppression_themes_and_news() {
        let f = figures();
        let first = compose(&input(&f, None)).unwrap();
        assert_eq!(
            first.subject,
            "Panel <script>alert(1)</script> & co: 12 responses"
        );
        assert!(
            first
                .text
                .contains("12 responses in all, the first summary of this report.")
        );
        assert!(first.text.contains("- Free: n = 7"));
        assert!(
            first
                .text
                .contains("- <b>Team</b>: suppressed (fewer than 5 responses)")
        );
        assert!(first.text.contains("- Price: 3 responses, 4 mentions"));
        assert!(
            first
                .text
                .contains("“Too <img src=x onerror=alert(1)> expensive”")
        );
        assert!(!first.text.contains("Unmentioned"));
        assert!(first.text.contains("onboarding call (2)"));
        assert!(
            first
                .text
                .contains("https://fieldnotes.example.com/r/panel")
        );
        assert!(first.text.contains("It comes monthly."));
        let sent = DateTime::parse_from_rfc3339("2026-02-03T09:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let later = compose(&input(&f, Some(Previous { sent, responses: 9 }))).unwrap();
        assert!(
            later
                .text
                .contains("3 new since the last summary on 3 February 2026")
        );
        assert_eq!(
            later.subject,
            "Panel <script>alert(1)</script> & co: 12 responses, 3 new"
        );
    }

    #[test]
    fn a_title_on_several_lines_makes_a_one_line_subject() {
        let mut f = figures();
        f.title = "Line one\nLine two\r\nBcc: x@example.com".into();
        let summary = compose(&input(&f, None)).unwrap();
        assert_eq!(
            summary.subject,
            "Line one Line two Bcc: x@example.com: 12 responses"
        );
    }
}
