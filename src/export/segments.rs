//! The segments CSV of a report, in long format: one row per question × segment × option
//! or measure, so that a spreadsheet pivot or a script can take it as it is.
//!
//! Columns: `question_id`, `question_type`, `segment` (`(overall)` for all unsuppressed
//! segments together, `(between segments)` for tests), `n`, `measure`, `option`, `value`,
//! `ci95_low`, `ci95_high`. Measures: `count` and `percent` per option of a choice question;
//! `mean` and `sd` of a numeric one; `nps`, `promoters`, `passives`, `detractors`; `suppressed`
//! for a segment under `min_cell`; and for the test between segments its name (statistic),
//! `df`, `p_value` and `cramers_v`.

use std::io::Write;

use super::ExportError;
use crate::analysis::figures::{Figures, Interval, QuestionFigures, ReportFigures};

const OVERALL: &str = "(overall)";
const BETWEEN: &str = "(between segments)";

type Row = [String; 9];

fn number(v: f64) -> String {
    v.to_string()
}

fn row(
    q: &QuestionFigures,
    segment: &str,
    n: Option<u64>,
    measure: &str,
    option: &str,
    value: String,
    ci: Option<[f64; 2]>,
) -> Row {
    [
        q.id.clone(),
        q.kind.to_string(),
        segment.to_string(),
        n.map(|n| n.to_string()).unwrap_or_default(),
        measure.to_string(),
        option.to_string(),
        value,
        ci.map(|c| number(c[0])).unwrap_or_default(),
        ci.map(|c| number(c[1])).unwrap_or_default(),
    ]
}

fn figure_rows(q: &QuestionFigures, segment: &str, f: &Figures, rows: &mut Vec<Row>) {
    let n = Some(f.n);
    // A ranking's mean ranks, each with the number who ranked that option as its n.
    for (option, rank) in f.ranks.iter().flat_map(|r| r.0.iter()) {
        if let Some(mean) = rank.mean_rank {
            let ci = rank.ci95;
            rows.push(row(
                q,
                segment,
                Some(rank.n),
                "mean_rank",
                option,
                number(mean),
                ci,
            ));
        }
    }
    if let Some(counts) = &f.counts {
        let choice_ci = match &f.ci95 {
            Some(Interval::Choices(map)) => Some(map),
            _ => None,
        };
        for (option, count) in &counts.0 {
            rows.push(row(q, segment, n, "count", option, count.to_string(), None));
            if let Some(percent) = f.percent.as_ref().and_then(|p| p.get(option)) {
                let ci = choice_ci.and_then(|m| m.get(option)).copied();
                rows.push(row(q, segment, n, "percent", option, number(*percent), ci));
            }
        }
        return;
    }
    if let Some(mean) = f.mean {
        let ci = match &f.ci95 {
            Some(Interval::Mean(ci)) => Some(*ci),
            _ => None,
        };
        rows.push(row(q, segment, n, "mean", "", number(mean), ci));
    }
    if let Some(sd) = f.sd {
        rows.push(row(q, segment, n, "sd", "", number(sd), None));
    }
    if let Some(nps) = f.nps {
        rows.push(row(q, segment, n, "nps", "", number(nps), f.nps_ci95));
    }
    for (measure, count) in [
        ("promoters", f.promoters),
        ("passives", f.passives),
        ("detractors", f.detractors),
    ] {
        if let Some(count) = count {
            rows.push(row(q, segment, n, measure, "", count.to_string(), None));
        }
    }
    if f.mean.is_none() && f.nps.is_none() {
        rows.push(row(q, segment, n, "n", "", f.n.to_string(), None));
    }
}

fn question_rows(report: &ReportFigures, q: &QuestionFigures) -> Vec<Row> {
    let mut rows = Vec::new();
    figure_rows(q, OVERALL, &q.overall, &mut rows);
    for segment in &report.segments {
        match q.by_segment.iter().find(|s| s.segment == segment.name) {
            Some(s) => figure_rows(q, &s.segment, &s.figures, &mut rows),
            None => rows.push(row(
                q,
                &segment.name,
                None,
                "suppressed",
                "",
                String::new(),
                None,
            )),
        }
    }
    if let Some(test) = &q.test {
        rows.push(row(
            q,
            BETWEEN,
            None,
            test.name,
            "",
            number(test.statistic),
            None,
        ));
        rows.push(row(q, BETWEEN, None, "df", "", test.df.to_string(), None));
        rows.push(row(
            q,
            BETWEEN,
            None,
            "p_value",
            "",
            number(test.p_value),
            None,
        ));
        if let Some(v) = test.cramers_v {
            rows.push(row(q, BETWEEN, None, "cramers_v", "", number(v), None));
        }
    }
    rows
}

pub fn write_segments_csv<W: Write>(
    out: W,
    report: &ReportFigures,
    byte_order_mark: bool,
) -> Result<(), ExportError> {
    let mut writer = super::csv_writer(out, byte_order_mark)?;
    writer.write_record([
        "question_id",
        "question_type",
        "segment",
        "n",
        "measure",
        "option",
        "value",
        "ci95_low",
        "ci95_high",
    ])?;
    for q in &report.questions {
        for r in question_rows(report, q) {
            writer.write_record(&r)?;
        }
    }
    writer.flush()?;
    Ok(())
}
