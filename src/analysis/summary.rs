//! Reports in words: the terminal summary of `fieldnotes report`, and the sentences the
//! report page and emails use to call out differences between segments.

use std::fmt::Write;

use super::figures::{Figures, Interval, QuestionFigures, ReportFigures, TestFigures};

pub const SIGNIFICANCE: f64 = 0.05;

fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

/// One sentence on a test between segments.
pub fn describe_test(q: &QuestionFigures, test: &TestFigures) -> String {
    let choice = test.name == "chi_square";
    let what = if choice {
        "The answers to"
    } else {
        "The average of"
    };
    let verdict = match (choice, test.p_value < SIGNIFICANCE) {
        (true, true) => "differ significantly between segments",
        (true, false) => "do not differ significantly between segments",
        (false, true) => "differs significantly between segments",
        (false, false) => "does not differ significantly between segments",
    };
    let detail = match test.name {
        "welch_t" => format!(
            "Welch's t = {:.2}, {}",
            test.statistic,
            p_text(test.p_value)
        ),
        "anova" => format!("ANOVA F = {:.2}, {}", test.statistic, p_text(test.p_value)),
        _ => format!(
            "chi-square = {:.2}, df = {}, {}{}{}",
            test.statistic,
            test.df,
            p_text(test.p_value),
            test.cramers_v
                .map(|v| format!(", Cramér's V = {v:.2}"))
                .unwrap_or_default(),
            if test.low_expected == Some(true) {
                "; some expected counts are under 5, read with care"
            } else {
                ""
            }
        ),
    };
    format!("{what} “{}” {verdict} ({detail}).", q.text)
}

pub fn is_significant(test: &TestFigures) -> bool {
    test.p_value < SIGNIFICANCE
}

fn figures_line(f: &Figures) -> String {
    let mut line = format!("n={:<5}", f.n);
    if let Some(mean) = f.mean {
        let _ = write!(line, " mean {mean:.2}");
        if let Some(Interval::Mean([lo, hi])) = &f.ci95 {
            let _ = write!(line, " [{lo:.2}, {hi:.2}]");
        }
    }
    if let Some(nps) = f.nps {
        let _ = write!(line, "  NPS {nps:.1}");
        if let Some([lo, hi]) = f.nps_ci95 {
            let _ = write!(line, " [{lo:.1}, {hi:.1}]");
        }
    }
    if let (Some(percent), Some(counts)) = (&f.percent, &f.counts) {
        let parts: Vec<String> = percent
            .0
            .iter()
            .map(|(option, p)| {
                format!(
                    "{option} {p:.1}% ({})",
                    counts.get(option).copied().unwrap_or(0)
                )
            })
            .collect();
        let _ = write!(line, "  {}", parts.join(" · "));
    }
    line
}

/// The readable summary `fieldnotes report` prints.
pub fn text_summary(report: &ReportFigures) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", report.title);
    let _ = writeln!(
        out,
        "form {} · {} responses · segmented by {} (segments under {} are suppressed)",
        report.form, report.responses, report.segment_by, report.min_cell
    );
    let segments: Vec<String> = report
        .segments
        .iter()
        .map(|s| match s.n {
            Some(n) => format!("{} (n={n})", s.name),
            None => format!("{} (suppressed)", s.name),
        })
        .collect();
    let _ = writeln!(out, "segments: {}\n", segments.join(" · "));
    let width = report
        .segments
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(7)
        .max(7);
    for q in &report.questions {
        let _ = writeln!(out, "{} — {}", q.id, q.text);
        let _ = writeln!(out, "  {:<width$}  {}", "overall", figures_line(&q.overall));
        for s in &q.by_segment {
            let _ = writeln!(out, "  {:<width$}  {}", s.segment, figures_line(&s.figures));
        }
        if let Some(test) = &q.test {
            let _ = writeln!(out, "  {}", describe_test(q, test));
        }
        out.push('\n');
    }
    out
}
