//! `GET /r/{id}`: the report page. Each choice question is one cross-tab (options by
//! segment, column percentages, cells shaded by size and marked by their adjusted
//! residuals), beside a chart drawn as inline SVG on the server; numeric questions get a
//! compact table of their means beside theirs.
//!
//! Geometry and colours are computed here; the template only places what it is given, and
//! escapes every name an option, a segment or a question carries.

use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};

use super::{deny_unless_staff, message_page, render};
use crate::analysis::aggregate::NO_ANSWER;
use crate::analysis::crosstab::{self, Cell, CrossTab, Direction};
use crate::analysis::figures::{
    Figures, Interval, QuestionFigures, ReportFigures, SegmentInfo, ThemeFigures,
};
use crate::analysis::summary::{describe_test, is_significant};
use crate::analysis::{ReportOutcome, report_figures};
use crate::app::AppState;
use crate::auth::Role;

const PALETTE: [&str; 8] = [
    "#1d5fd1", "#d1741d", "#2e9e5b", "#a33ea1", "#c9a400", "#0f8a9d", "#c2410c", "#64748b",
];
const LABEL_WIDTH: f64 = 200.0;
const BAR_AREA: f64 = 360.0;
/// Longer labels are cut with an ellipsis; the full text is in the bar's tooltip.
const LABEL_CHARS: usize = 30;

fn short_label(text: &str) -> String {
    if text.chars().count() <= LABEL_CHARS {
        text.to_string()
    } else {
        let cut: String = text.chars().take(LABEL_CHARS - 1).collect();
        format!("{}…", cut.trim_end())
    }
}
const ROW: f64 = 20.0;
const GROUP_GAP: f64 = 12.0;

pub struct BarView {
    pub label: String,
    pub short_label: String,
    pub y: f64,
    pub x: f64,
    pub width: f64,
    pub color: &'static str,
    pub value_text: String,
    pub text_x: f64,
    /// (x from, x to) of the 95% interval whisker.
    pub whisker: Option<(f64, f64)>,
}

pub struct GroupView {
    pub segment: String,
    pub n: u64,
    pub y: f64,
    pub bars: Vec<BarView>,
}

pub struct ChartView {
    pub height: f64,
    pub width: f64,
    pub caption: String,
    pub groups: Vec<GroupView>,
}

/// The background of a cell at 100%. Its relative luminance is 0.322, so the page's ink
/// (#1b1f24) keeps a contrast of 5.9:1 on it and more on every lighter shade (WCAG AA asks
/// 4.5:1); `shades_keep_the_ink_readable` checks every percent.
const SHADE_FULL: (u8, u8, u8) = (0x6f, 0x9b, 0xe0);

/// White at 0%, `SHADE_FULL` at 100%, linear in between.
fn shade(percent: f64) -> String {
    let t = (percent / 100.0).clamp(0.0, 1.0);
    #[allow(
        clippy::cast_possible_truncation,
        reason = "t is clamped to 0..=1, so the channel stays within full..=255"
    )]
    let mix = |full: u8| (255.0 - t * (255.0 - f64::from(full))).round() as u8;
    let (r, g, b) = SHADE_FULL;
    format!("#{:02x}{:02x}{:02x}", mix(r), mix(g), mix(b))
}

fn percent_text(p: f64) -> String {
    // A handful of answers must not read as nobody.
    if p > 0.0 && p < 0.5 {
        "<1%".to_string()
    } else {
        // Halves away from zero, as people round: `{:.0}` alone would print 12.5 as 12.
        format!("{:.0}%", p.round())
    }
}

/// The profile card of each segment, by its index in the report's segment list (suppressed
/// segments included, as in the report JSON). Suppressed segments and "No answer" have no
/// card, so they get no link.
struct ProfileLinks(Vec<(String, Option<String>)>);

impl ProfileLinks {
    fn new(report_id: &str, segments: &[SegmentInfo]) -> ProfileLinks {
        ProfileLinks(
            segments
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    let link = (!s.suppressed && s.name != NO_ANSWER)
                        .then(|| format!("/r/{report_id}/profiles#segment-{i}"));
                    (s.name.clone(), link)
                })
                .collect(),
        )
    }

    fn get(&self, segment: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(name, _)| name == segment)
            .and_then(|(_, link)| link.clone())
    }
}

pub struct SegmentLink {
    pub name: String,
    pub n: u64,
    pub link: Option<String>,
}

pub struct MarkView {
    pub class: &'static str,
    pub symbol: &'static str,
    pub words: &'static str,
}

pub struct CellView {
    pub text: String,
    pub title: String,
    pub background: Option<String>,
    pub residual: Option<String>,
    pub mark: Option<MarkView>,
}

pub struct RowView {
    pub option: String,
    pub cells: Vec<CellView>,
    pub all: CellView,
}

pub struct CrossTabView {
    pub columns: Vec<SegmentLink>,
    pub all_n: u64,
    pub rows: Vec<RowView>,
    pub exclusive: bool,
}

pub struct NumericRowView {
    pub segment: SegmentLink,
    pub mean: String,
    pub ci: String,
    pub nps: String,
    pub nps_ci: String,
}

pub struct NumericView {
    pub rows: Vec<NumericRowView>,
    pub all: NumericRowView,
    pub has_nps: bool,
}

pub struct QuestionView {
    pub id: String,
    pub text: String,
    pub kind: &'static str,
    pub chart: ChartView,
    pub crosstab: Option<CrossTabView>,
    pub numeric: Option<NumericView>,
    pub sentence: Option<String>,
    pub significant: bool,
}

pub struct ThemeView {
    pub name: String,
    pub link: String,
    pub responses: u64,
    pub mentions: u64,
    pub chart: ChartView,
    pub quotes: Vec<String>,
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    title: String,
    id: String,
    form: String,
    responses: u64,
    segment_by: String,
    min_cell: u32,
    shown: Vec<SegmentLink>,
    suppressed: Vec<String>,
    questions: Vec<QuestionView>,
    themes: Vec<ThemeView>,
    terms: Vec<(String, u64)>,
}

#[derive(Template)]
#[template(path = "rebuilding.html")]
struct RebuildingPage {
    title: String,
    done: u64,
    total: u64,
}

fn percent_bars(f: &Figures, y0: f64) -> Vec<BarView> {
    let Some(percent) = &f.percent else {
        return Vec::new();
    };
    let intervals = match &f.ci95 {
        Some(Interval::Choices(map)) => Some(map),
        _ => None,
    };
    percent
        .0
        .iter()
        .enumerate()
        .map(|(i, (option, p))| {
            let width = BAR_AREA * p / 100.0;
            let whisker = intervals.and_then(|m| m.get(option)).map(|[lo, hi]| {
                (
                    LABEL_WIDTH + BAR_AREA * lo / 100.0,
                    LABEL_WIDTH + BAR_AREA * hi / 100.0,
                )
            });
            BarView {
                label: option.clone(),
                short_label: short_label(option),
                y: y0 + i as f64 * ROW,
                x: LABEL_WIDTH,
                width,
                color: PALETTE[i % PALETTE.len()],
                value_text: percent_text(*p),
                text_x: whisker.map_or(LABEL_WIDTH + width, |w| w.1.max(LABEL_WIDTH + width)) + 4.0,
                whisker,
            }
        })
        .collect()
}

/// A bar from `origin` to `value` on a linear scale `[low, high]` mapped onto the bar area.
fn scaled_bar(
    label: &str,
    value: f64,
    ci: Option<[f64; 2]>,
    (low, high): (f64, f64),
    origin: f64,
    y: f64,
    text: String,
) -> BarView {
    let span = (high - low).max(f64::EPSILON);
    let to_x = |v: f64| LABEL_WIDTH + BAR_AREA * ((v.clamp(low, high) - low) / span);
    let (a, b) = (to_x(origin), to_x(value));
    let whisker = ci.map(|[lo, hi]| (to_x(lo), to_x(hi)));
    BarView {
        label: label.to_string(),
        short_label: short_label(label),
        y,
        x: a.min(b),
        width: (b - a).abs(),
        color: PALETTE[0],
        value_text: text,
        text_x: whisker.map_or(a.max(b), |w| w.1.max(a.max(b))) + 4.0,
        whisker,
    }
}

fn numeric_range(q: &QuestionFigures) -> (f64, f64) {
    let all = std::iter::once(&q.overall).chain(q.by_segment.iter().map(|s| &s.figures));
    let highest = all
        .filter_map(|f| match &f.ci95 {
            Some(Interval::Mean([_, hi])) => Some(*hi),
            _ => f.mean,
        })
        .fold(0.0_f64, f64::max);
    match q.kind {
        "nps" => (0.0, 10.0),
        _ => (0.0, if highest > 0.0 { highest * 1.1 } else { 1.0 }),
    }
}

fn segment_bars(q: &QuestionFigures, f: &Figures, y0: f64) -> Vec<BarView> {
    if matches!(q.kind, "single" | "multi" | "ranking") {
        return percent_bars(f, y0);
    }
    let mut bars = Vec::new();
    if let Some(mean) = f.mean {
        let ci = match &f.ci95 {
            Some(Interval::Mean(ci)) => Some(*ci),
            _ => None,
        };
        bars.push(scaled_bar(
            "mean",
            mean,
            ci,
            numeric_range(q),
            numeric_range(q).0,
            y0,
            format!("{mean:.2}"),
        ));
    }
    if let Some(nps) = f.nps {
        let y = y0 + bars.len() as f64 * ROW;
        bars.push(scaled_bar(
            "NPS",
            nps,
            f.nps_ci95,
            (-100.0, 100.0),
            0.0,
            y,
            format!("{nps:.1}"),
        ));
    }
    bars
}

fn chart(q: &QuestionFigures) -> ChartView {
    let mut y = 0.0;
    let mut groups = Vec::new();
    for segment in &q.by_segment {
        let header = y;
        y += ROW;
        let bars = segment_bars(q, &segment.figures, y);
        y += bars.len().max(1) as f64 * ROW + GROUP_GAP;
        groups.push(GroupView {
            segment: segment.segment.clone(),
            n: segment.figures.n,
            y: header,
            bars,
        });
    }
    let caption = match q.kind {
        "single" | "multi" => "Share of those who answered, with 95% Wilson intervals.".to_string(),
        "ranking" => {
            "Share of those who answered that ranked each option first, with 95% Wilson intervals."
                .to_string()
        }
        "nps" => "Mean score (0–10) and NPS (−100 to 100), with 95% intervals.".to_string(),
        _ => "Mean with its 95% t-interval.".to_string(),
    };
    ChartView {
        height: y.max(ROW),
        width: LABEL_WIDTH + BAR_AREA + 60.0,
        caption,
        groups,
    }
}

fn cell_view(cell: &Cell, n: u64) -> CellView {
    let Some(percent) = cell.percent else {
        return CellView {
            text: "–".into(),
            title: "Nobody here answered".into(),
            background: None,
            residual: None,
            mark: None,
        };
    };
    let mark = cell.direction().map(|d| match d {
        Direction::Over => MarkView {
            class: d.as_str(),
            symbol: "▲",
            words: "significantly more than expected",
        },
        Direction::Under => MarkView {
            class: d.as_str(),
            symbol: "▼",
            words: "significantly fewer than expected",
        },
    });
    let mut title = format!("{} of {n}", cell.count);
    if let Some(r) = cell.residual {
        title.push_str(&format!("; adjusted residual {r:.2}"));
    }
    CellView {
        text: percent_text(percent),
        title,
        background: Some(shade(percent)),
        residual: cell.residual.map(|r| format!("{r:.3}")),
        mark,
    }
}

fn crosstab_view(table: &CrossTab, links: &ProfileLinks) -> CrossTabView {
    CrossTabView {
        columns: table
            .segments
            .iter()
            .map(|(name, n)| SegmentLink {
                name: name.clone(),
                n: *n,
                link: links.get(name),
            })
            .collect(),
        all_n: table.all_n,
        rows: table
            .rows
            .iter()
            .map(|row| RowView {
                option: row.option.clone(),
                cells: row
                    .cells
                    .iter()
                    .zip(&table.segments)
                    .map(|(cell, (_, n))| cell_view(cell, *n))
                    .collect(),
                all: cell_view(&row.all, table.all_n),
            })
            .collect(),
        exclusive: table.exclusive,
    }
}

fn interval_text(ci: Option<[f64; 2]>, digits: usize) -> String {
    ci.map_or_else(
        || "–".to_string(),
        |[lo, hi]| format!("{lo:.digits$} to {hi:.digits$}"),
    )
}

fn numeric_row(segment: SegmentLink, f: &Figures) -> NumericRowView {
    let mean_ci = match &f.ci95 {
        Some(Interval::Mean(ci)) => Some(*ci),
        _ => None,
    };
    NumericRowView {
        segment,
        mean: f.mean.map_or_else(|| "–".into(), |m| format!("{m:.2}")),
        ci: interval_text(mean_ci, 2),
        nps: f.nps.map_or_else(|| "–".into(), |v| format!("{v:.1}")),
        nps_ci: interval_text(f.nps_ci95, 1),
    }
}

fn numeric_view(q: &QuestionFigures, links: &ProfileLinks) -> NumericView {
    NumericView {
        rows: q
            .by_segment
            .iter()
            .map(|s| {
                let link = SegmentLink {
                    name: s.segment.clone(),
                    n: s.figures.n,
                    link: links.get(&s.segment),
                };
                numeric_row(link, &s.figures)
            })
            .collect(),
        all: numeric_row(
            SegmentLink {
                name: "All".into(),
                n: q.overall.n,
                link: None,
            },
            &q.overall,
        ),
        has_nps: q.kind == "nps",
    }
}

fn question_view(q: &QuestionFigures, links: &ProfileLinks) -> QuestionView {
    let crosstab = crosstab::crosstab(q).map(|t| crosstab_view(&t, links));
    QuestionView {
        id: q.id.clone(),
        text: q.text.clone(),
        kind: q.kind,
        chart: chart(q),
        numeric: crosstab.is_none().then(|| numeric_view(q, links)),
        crosstab,
        sentence: q.test.as_ref().map(|t| describe_test(q, t)),
        significant: q.test.as_ref().is_some_and(is_significant),
    }
}

/// One bar per unsuppressed segment: the texts that mention the theme, on a scale shared by
/// every theme so that bars compare across themes.
fn theme_view(report_id: &str, theme: &ThemeFigures, largest: u64) -> ThemeView {
    let bars = theme
        .by_segment
        .0
        .iter()
        .enumerate()
        .map(|(i, (segment, count))| {
            scaled_bar(
                segment,
                *count as f64,
                None,
                (0.0, largest.max(1) as f64),
                0.0,
                i as f64 * ROW,
                count.to_string(),
            )
        })
        .collect::<Vec<_>>();
    let height = (bars.len().max(1) as f64) * ROW;
    let encoded: String = form_urlencoded::byte_serialize(theme.name.as_bytes()).collect();
    ThemeView {
        name: theme.name.clone(),
        link: format!("/r/{report_id}/themes/{}", encoded.replace('+', "%20")),
        responses: theme.responses,
        mentions: theme.mentions,
        chart: ChartView {
            height,
            width: LABEL_WIDTH + BAR_AREA + 60.0,
            caption: String::new(),
            groups: vec![GroupView {
                segment: theme.name.clone(),
                n: theme.responses,
                y: 0.0,
                bars,
            }],
        },
        quotes: theme.quotes.clone(),
    }
}

fn page(report: ReportFigures) -> ReportPage {
    let largest = report
        .themes
        .iter()
        .flat_map(|t| t.by_segment.0.iter().map(|(_, c)| *c))
        .max()
        .unwrap_or(0);
    let themes = report
        .themes
        .iter()
        .map(|t| theme_view(&report.id, t, largest))
        .collect();
    let terms = report
        .uncoded_terms
        .iter()
        .map(|t| (t.term.clone(), t.count))
        .collect();
    let links = ProfileLinks::new(&report.id, &report.segments);
    ReportPage {
        themes,
        terms,
        shown: report
            .segments
            .iter()
            .filter_map(|s| {
                s.n.map(|n| SegmentLink {
                    name: s.name.clone(),
                    n,
                    link: links.get(&s.name),
                })
            })
            .collect(),
        suppressed: report
            .segments
            .iter()
            .filter(|s| s.suppressed)
            .map(|s| s.name.clone())
            .collect(),
        questions: report
            .questions
            .iter()
            .map(|q| question_view(q, &links))
            .collect(),
        title: report.title,
        id: report.id,
        form: report.form,
        responses: report.responses,
        segment_by: report.segment_by,
        min_cell: report.min_cell,
    }
}

#[handler]
pub async fn show(state: Data<&Arc<AppState>>, req: &Request, Path(id): Path<String>) -> Response {
    if let Some(denied) = deny_unless_staff(&state, req, Role::Researcher) {
        return denied;
    }
    let Some(report) = state.reports.get(&id) else {
        return message_page(
            StatusCode::NOT_FOUND,
            "Report not found",
            "There is no report with this name.",
        );
    };
    let state = state.0.clone();
    let outcome =
        super::blocking(move || report_figures(state.store.as_ref(), &state.catalog, &report))
            .await;
    match outcome {
        Ok(ReportOutcome::Ready(figures)) => render(StatusCode::OK, &page(*figures)),
        Ok(ReportOutcome::Building { done, total }) => render(
            StatusCode::SERVICE_UNAVAILABLE,
            &RebuildingPage {
                title: id,
                done,
                total,
            },
        ),
        Err(e) => {
            tracing::error!("report {id} failed: {e}");
            message_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The report could not be read; the error has been logged.",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `--ink` in templates/base.html.
    const INK: (u8, u8, u8) = (0x1b, 0x1f, 0x24);

    /// WCAG 2.1 relative luminance of an sRGB colour.
    fn luminance((r, g, b): (u8, u8, u8)) -> f64 {
        let channel = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    }

    fn parse(hex: &str) -> (u8, u8, u8) {
        let byte = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex");
        (byte(1), byte(3), byte(5))
    }

    #[test]
    fn shades_keep_the_ink_readable() {
        assert_eq!(shade(0.0), "#ffffff");
        assert_eq!(shade(100.0), "#6f9be0");
        let ink = luminance(INK);
        let mut previous = f64::INFINITY;
        for p in 0..=100 {
            let background = luminance(parse(&shade(f64::from(p))));
            let contrast = (background + 0.05) / (ink + 0.05);
            assert!(contrast >= 4.5, "{p}%: contrast {contrast:.2}");
            assert!(background <= previous, "{p}%: darker as the share grows");
            previous = background;
        }
    }

    #[test]
    fn small_shares_do_not_read_as_none() {
        assert_eq!(percent_text(0.0), "0%");
        assert_eq!(percent_text(0.3), "<1%");
        assert_eq!(percent_text(42.857), "43%");
        assert_eq!(percent_text(12.5), "13%");
        assert_eq!(percent_text(87.5), "88%");
    }

    #[test]
    fn profile_links_use_the_index_among_all_segments() {
        let info = |name: &str, suppressed: bool| SegmentInfo {
            name: name.into(),
            n: (!suppressed).then_some(9),
            suppressed,
        };
        let links = ProfileLinks::new(
            "r",
            &[
                info("A", false),
                info("B", true),
                info("C", false),
                info(NO_ANSWER, false),
            ],
        );
        assert_eq!(links.get("A").as_deref(), Some("/r/r/profiles#segment-0"));
        assert_eq!(links.get("B"), None);
        assert_eq!(links.get("C").as_deref(), Some("/r/r/profiles#segment-2"));
        assert_eq!(links.get(NO_ANSWER), None);
        assert_eq!(links.get("unknown"), None);
    }
}
