//! Cross-tabulations of choice questions by segment, with the adjusted standardised residuals
//! SPSS's CROSSTABS prints, so that a reader sees which cells drive a difference.
//!
//! The residual of a cell of an r×c table of counts with row total R, column total C and
//! grand total N is (O − E) / sqrt(E · (1 − R/N) · (1 − C/N)), E = R·C/N (Haberman 1973;
//! Agresti, *An Introduction to Categorical Data Analysis*, §2.4.5). Under independence it is
//! approximately standard normal, so beyond ±1.96 is what a two-sided 5% test would flag.
//! These are per-cell flags without a multiple-comparison correction, as SPSS shows them.

use super::figures::{Figures, QuestionFigures};

/// Two-sided 5% critical value of the standard normal, as SPSS uses for its cell marks.
pub const CRITICAL: f64 = 1.96;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// More in this cell than independence would lead one to expect.
    Over,
    Under,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Over => "over",
            Direction::Under => "under",
        }
    }
}

/// The mark a residual earns: strictly beyond ±1.96, so a residual of exactly 1.96 is not marked.
pub fn direction(residual: f64) -> Option<Direction> {
    if residual > CRITICAL {
        Some(Direction::Over)
    } else if residual < -CRITICAL {
        Some(Direction::Under)
    } else {
        None
    }
}

/// Adjusted standardised residuals of `table[row][column]`, the same shape as the table.
/// `None` where the cell's row or column total is zero or the variance is zero (a table
/// with one non-empty row or column tells nothing apart). Short rows count as zeros.
pub fn adjusted_residuals(table: &[Vec<u64>]) -> Vec<Vec<Option<f64>>> {
    let columns = table.iter().map(Vec::len).max().unwrap_or(0);
    let row_totals: Vec<f64> = table
        .iter()
        .map(|row| row.iter().map(|&c| c as f64).sum())
        .collect();
    let column_totals: Vec<f64> = (0..columns)
        .map(|j| {
            table
                .iter()
                .map(|row| row.get(j).copied().unwrap_or(0) as f64)
                .sum()
        })
        .collect();
    let n: f64 = row_totals.iter().sum();
    table
        .iter()
        .zip(&row_totals)
        .map(|(row, &row_total)| {
            column_totals
                .iter()
                .enumerate()
                .map(|(j, &column_total)| {
                    if row_total == 0.0 || column_total == 0.0 {
                        return None;
                    }
                    let observed = row.get(j).copied().unwrap_or(0) as f64;
                    let expected = row_total * column_total / n;
                    let variance = expected * (1.0 - row_total / n) * (1.0 - column_total / n);
                    // Rounding can leave a hair above zero where the exact value is zero.
                    (variance > 1e-12).then(|| (observed - expected) / variance.sqrt())
                })
                .collect()
        })
        .collect()
}

/// For one option of a question whose options are not exclusive: the residual of "chose it"
/// in each column, from the 2×k table chose / answered but did not choose.
pub fn chose_residuals(chose: &[u64], answered: &[u64]) -> Vec<Option<f64>> {
    let rest: Vec<u64> = answered
        .iter()
        .zip(chose)
        .map(|(a, c)| a.saturating_sub(*c))
        .collect();
    adjusted_residuals(&[chose.to_vec(), rest])
        .into_iter()
        .next()
        .unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub count: u64,
    /// Percent of the column's answerers; `None` when nobody in the column answered.
    pub percent: Option<f64>,
    pub residual: Option<f64>,
}

impl Cell {
    pub fn direction(&self) -> Option<Direction> {
        self.residual.and_then(direction)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub option: String,
    /// One per segment column, in the order of `CrossTab::segments`.
    pub cells: Vec<Cell>,
    /// The overall column: a margin, so it carries no residual.
    pub all: Cell,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CrossTab {
    /// (segment, answered) per column: the question's unsuppressed segments in report order.
    pub segments: Vec<(String, u64)>,
    pub all_n: u64,
    pub rows: Vec<Row>,
    /// `single`: one table of counts; `multi`: one 2×k table per option.
    pub exclusive: bool,
}

fn counts(f: &Figures, options: &[String]) -> Vec<u64> {
    options
        .iter()
        .map(|o| {
            f.counts
                .as_ref()
                .and_then(|c| c.get(o))
                .copied()
                .unwrap_or(0)
        })
        .collect()
}

fn cell(f: &Figures, option: &str, count: u64, residual: Option<f64>) -> Cell {
    Cell {
        count,
        percent: f.percent.as_ref().and_then(|p| p.get(option)).copied(),
        residual,
    }
}

/// The cross-tab of a `single` or `multi` question; `None` for any other type.
pub fn crosstab(q: &QuestionFigures) -> Option<CrossTab> {
    let exclusive = match q.kind {
        "single" => true,
        "multi" => false,
        _ => return None,
    };
    // The overall figures list every option (and "Other" when written in), in form order.
    let options: Vec<String> = q
        .overall
        .counts
        .as_ref()
        .map(|c| c.0.iter().map(|(o, _)| o.clone()).collect())
        .unwrap_or_default();
    // columns × options, as the figures hold them.
    let by_column: Vec<Vec<u64>> = q
        .by_segment
        .iter()
        .map(|s| counts(&s.figures, &options))
        .collect();
    let answered: Vec<u64> = q.by_segment.iter().map(|s| s.figures.n).collect();
    // options × columns: the orientation the table is printed in.
    let residuals: Vec<Vec<Option<f64>>> = if exclusive {
        let table: Vec<Vec<u64>> = (0..options.len())
            .map(|i| by_column.iter().map(|column| column[i]).collect())
            .collect();
        adjusted_residuals(&table)
    } else {
        (0..options.len())
            .map(|i| {
                let chose: Vec<u64> = by_column.iter().map(|column| column[i]).collect();
                chose_residuals(&chose, &answered)
            })
            .collect()
    };
    let overall_counts = counts(&q.overall, &options);
    let rows = options
        .iter()
        .enumerate()
        .map(|(i, option)| Row {
            option: option.clone(),
            cells: q
                .by_segment
                .iter()
                .enumerate()
                .map(|(j, s)| {
                    let residual = residuals.get(i).and_then(|r| r.get(j)).copied().flatten();
                    cell(&s.figures, option, by_column[j][i], residual)
                })
                .collect(),
            all: cell(&q.overall, option, overall_counts[i], None),
        })
        .collect();
    Some(CrossTab {
        segments: q
            .by_segment
            .iter()
            .map(|s| (s.segment.clone(), s.figures.n))
            .collect(),
        all_n: q.overall.n,
        rows,
        exclusive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::figures::{Ordered, SegmentFigures};

    fn close(actual: Option<f64>, expected: f64) {
        let actual = actual.expect("a residual");
        assert!(
            (actual - expected).abs() < 1e-12,
            "{actual} differs from {expected}"
        );
    }

    /// Agresti (2007), *An Introduction to Categorical Data Analysis*, 2nd ed., Tables 2.5
    /// and 2.6: party identification by gender, General Social Survey 2000. The book prints
    /// the adjusted residuals rounded: 4.50, 0.70, −5.32 for females, the negatives for males.
    /// Full precision from SciPy 1.17.1 / NumPy 2.4.6:
    /// `e = scipy.stats.contingency.expected_freq(t); n = t.sum();
    ///  r = t.sum(1, keepdims=True) / n; c = t.sum(0, keepdims=True) / n;
    ///  (t - e) / np.sqrt(e * (1 - r) * (1 - c))`.
    #[test]
    fn residuals_match_agresti_and_scipy() {
        let table = vec![vec![762, 327, 468], vec![484, 239, 477]];
        let r = adjusted_residuals(&table);
        let expected = [
            [4.502053521086705, 0.6994517329844296, -5.315945542704929],
            [-4.5020535210867045, -0.6994517329844296, 5.315945542704929],
        ];
        for (row, want) in r.iter().zip(expected) {
            for (got, want) in row.iter().zip(want) {
                close(*got, want);
            }
        }
    }

    /// A 3×3 table, the same SciPy computation as above.
    #[test]
    fn residuals_of_a_three_by_three_table() {
        let table = vec![vec![10, 2, 5], vec![3, 9, 4], vec![1, 1, 6]];
        let expected = [
            [2.8044286409311447, -2.073156346461057, -0.8026007248811131],
            [-1.6631729254332457, 3.0377048675058886, -1.2320922376394075],
            [-1.4391379104465953, -1.1618846989438525, 2.5143643276239764],
        ];
        for (row, want) in adjusted_residuals(&table).iter().zip(expected) {
            for (got, want) in row.iter().zip(want) {
                close(*got, want);
            }
        }
    }

    /// By hand: rows 8 1 / 1 7 / 1 2, N = 20, both column totals 10. Top left: E = 9·10/20 =
    /// 4.5, variance 4.5 · (1 − 9/20) · (1 − 10/20) = 1.2375, (8 − 4.5) / √1.2375 = 3.14627.
    /// Middle left: E = 4, variance 4 · 0.6 · 0.5 = 1.2, (1 − 4) / √1.2 = −2.73861.
    /// SciPy as above: 3.1462660248284626, −2.7386127875258306, −0.6262242910851495.
    #[test]
    fn residuals_checked_by_hand() {
        let r = adjusted_residuals(&[vec![8, 1], vec![1, 7], vec![1, 2]]);
        close(r[0][0], 3.1462660248284626);
        close(r[0][1], -3.1462660248284626);
        close(r[1][0], -2.7386127875258306);
        close(r[2][1], 0.6262242910851495);
        assert_eq!(direction(3.1462660248284626), Some(Direction::Over));
        assert_eq!(direction(-2.7386127875258306), Some(Direction::Under));
        assert_eq!(direction(-0.6262242910851495), None);
    }

    #[test]
    fn the_threshold_is_strict() {
        assert_eq!(direction(1.96), None);
        assert_eq!(direction(-1.96), None);
        assert_eq!(direction(1.9601), Some(Direction::Over));
        assert_eq!(direction(-1.9601), Some(Direction::Under));
    }

    #[test]
    fn empty_rows_columns_and_degenerate_tables_have_no_residual() {
        // An option nobody chose, and a segment nobody in answered.
        let r = adjusted_residuals(&[vec![4, 0, 2], vec![0, 0, 0], vec![1, 0, 5]]);
        assert!(r[1].iter().all(Option::is_none));
        assert!(r.iter().all(|row| row[1].is_none()));
        assert!(r[0][0].is_some() && r[2][2].is_some());
        // One segment only: every column total is N, so the variance is zero.
        let one_column = adjusted_residuals(&[vec![3], vec![5]]);
        assert!(one_column.iter().flatten().all(Option::is_none));
        // Everyone chose the same option.
        let one_row = adjusted_residuals(&[vec![3, 4], vec![0, 0]]);
        assert!(one_row.iter().flatten().all(Option::is_none));
        assert!(adjusted_residuals(&[]).is_empty());
        assert_eq!(
            adjusted_residuals(&[vec![0, 0], vec![0, 0]]),
            vec![vec![None, None], vec![None, None]]
        );
    }

    /// One option of a multi question: chose 9 of 10, 3 of 9, 1 of 5 answerers. SciPy as
    /// above on the 2×3 table [[9, 3, 1], [1, 6, 4]], its first row:
    /// 2.977638941566567, −1.5866576560438352, −1.7232951121123319.
    #[test]
    fn multi_residuals_use_chose_against_answered_but_not_chose() {
        let r = chose_residuals(&[9, 3, 1], &[10, 9, 5]);
        close(r[0], 2.977638941566567);
        close(r[1], -1.5866576560438352);
        close(r[2], -1.7232951121123319);
        // Everyone who answered chose it: the complementary row is empty.
        assert!(
            chose_residuals(&[4, 5], &[4, 5])
                .iter()
                .all(Option::is_none)
        );
    }

    fn figures(n: u64, counts: &[(&str, u64)]) -> Figures {
        Figures {
            n,
            counts: Some(Ordered(
                counts.iter().map(|(o, c)| (o.to_string(), *c)).collect(),
            )),
            percent: (n > 0).then(|| {
                Ordered(
                    counts
                        .iter()
                        .map(|(o, c)| (o.to_string(), 100.0 * *c as f64 / n as f64))
                        .collect(),
                )
            }),
            ..Figures::default()
        }
    }

    fn question(
        kind: &'static str,
        segments: &[(&str, Figures)],
        overall: Figures,
    ) -> QuestionFigures {
        QuestionFigures {
            id: "q".into(),
            kind,
            text: "Q?".into(),
            overall,
            by_segment: segments
                .iter()
                .map(|(name, f)| SegmentFigures {
                    segment: name.to_string(),
                    figures: f.clone(),
                })
                .collect(),
            test: None,
        }
    }

    #[test]
    fn a_single_question_is_one_table_of_counts() {
        let q = question(
            "single",
            &[
                ("A", figures(10, &[("x", 8), ("y", 1), ("Other", 1)])),
                ("B", figures(10, &[("x", 1), ("y", 7), ("Other", 2)])),
            ],
            figures(20, &[("x", 9), ("y", 8), ("Other", 3)]),
        );
        let t = crosstab(&q).expect("a cross-tab");
        assert!(t.exclusive);
        assert_eq!(t.segments, vec![("A".into(), 10), ("B".into(), 10)]);
        assert_eq!(t.all_n, 20);
        let options: Vec<&str> = t.rows.iter().map(|r| r.option.as_str()).collect();
        assert_eq!(options, ["x", "y", "Other"]);
        assert_eq!(t.rows[0].cells[0].count, 8);
        assert_eq!(t.rows[0].cells[0].percent, Some(80.0));
        assert_eq!(t.rows[0].all.percent, Some(45.0));
        assert_eq!(t.rows[0].all.residual, None);
        // The same table as `residuals_checked_by_hand`.
        close(t.rows[0].cells[0].residual, 3.1462660248284626);
        close(t.rows[1].cells[0].residual, -2.7386127875258306);
        close(t.rows[2].cells[1].residual, 0.6262242910851495);
        assert_eq!(t.rows[2].cells[1].direction(), None);
        assert_eq!(t.rows[1].cells[1].direction(), Some(Direction::Over));
    }

    #[test]
    fn a_multi_question_is_one_two_by_k_table_per_option() {
        let q = question(
            "multi",
            &[
                ("A", figures(10, &[("x", 9), ("y", 2)])),
                ("B", figures(9, &[("x", 3), ("y", 2)])),
                ("C", figures(5, &[("x", 1), ("y", 5)])),
            ],
            figures(24, &[("x", 13), ("y", 9)]),
        );
        let t = crosstab(&q).expect("a cross-tab");
        assert!(!t.exclusive);
        // As in `multi_residuals_use_chose_against_answered_but_not_chose`.
        close(t.rows[0].cells[0].residual, 2.977638941566567);
        close(t.rows[0].cells[2].residual, -1.7232951121123319);
        // Everyone in C chose y; its residual comes from y's own 2×3 table.
        let y = chose_residuals(&[2, 2, 5], &[10, 9, 5]);
        assert_eq!(
            t.rows[1]
                .cells
                .iter()
                .map(|c| c.residual)
                .collect::<Vec<_>>(),
            y
        );
    }

    #[test]
    fn a_segment_where_nobody_answered_has_no_percent_and_no_residual() {
        let q = question(
            "single",
            &[
                ("A", figures(6, &[("x", 5), ("y", 1)])),
                ("B", figures(0, &[("x", 0), ("y", 0)])),
                ("C", figures(6, &[("x", 1), ("y", 5)])),
            ],
            figures(12, &[("x", 6), ("y", 6)]),
        );
        let t = crosstab(&q).expect("a cross-tab");
        assert_eq!(t.rows[0].cells[1].percent, None);
        assert_eq!(t.rows[0].cells[1].residual, None);
        assert!(t.rows[0].cells[0].residual.is_some());
    }

    #[test]
    fn numeric_questions_have_no_cross_tab() {
        assert!(crosstab(&question("nps", &[], Figures::default())).is_none());
    }
}
