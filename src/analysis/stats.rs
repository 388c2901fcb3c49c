//! The statistics of reports, from sufficient statistics (counts, sums, sums of squares).
//!
//! Formulas follow SPEC.md: Wilson score intervals (z = 1.959964), t-intervals with the
//! sample standard deviation, Welch's t-test for two groups, one-way ANOVA for more,
//! Pearson's chi-square without continuity correction with Cramér's V. Distributions come
//! from statrs. Every function returns `None` where the figure is undefined (n too small,
//! zero variance) rather than a NaN.

use statrs::distribution::{ChiSquared, ContinuousCDF, FisherSnedecor, StudentsT};

pub const Z95: f64 = 1.959964;

/// A group's n, mean and sum of squared deviations from the mean.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    pub n: f64,
    pub mean: f64,
    pub m2: f64,
}

impl Moments {
    pub fn from_values(values: &[f64]) -> Moments {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let m2 = values.iter().map(|v| (v - mean).powi(2)).sum();
        Moments { n, mean, m2 }
    }

    /// Sample variance (n − 1).
    pub fn variance(&self) -> Option<f64> {
        (self.n > 1.0).then(|| self.m2 / (self.n - 1.0))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MeanSummary {
    pub n: u64,
    pub mean: f64,
    pub sd: Option<f64>,
    pub ci95: Option<(f64, f64)>,
}

/// A count that moments carry as a float, back as an integer.
#[allow(
    clippy::cast_possible_truncation,
    reason = "n is a count of answers: whole, non-negative, far below 2^53"
)]
fn count(n: f64) -> u64 {
    n as u64
}

pub fn summarize(m: &Moments) -> Option<MeanSummary> {
    if m.n < 1.0 {
        return None;
    }
    let sd = m.variance().map(f64::sqrt);
    let ci95 = sd.and_then(|sd| {
        let t = StudentsT::new(0.0, 1.0, m.n - 1.0).ok()?.inverse_cdf(0.975);
        let half = t * sd / m.n.sqrt();
        Some((m.mean - half, m.mean + half))
    });
    Some(MeanSummary {
        n: count(m.n),
        mean: m.mean,
        sd,
        ci95,
    })
}

/// Wilson score interval for `x` successes in `n` trials, as proportions.
pub fn wilson(x: u64, n: u64) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let (x, n) = (x as f64, n as f64);
    let p = x / n;
    let z2 = Z95 * Z95;
    let denominator = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denominator;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(((center - half).max(0.0), (center + half).min(1.0)))
}

#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    /// `welch_t`, `anova` or `chi_square`.
    pub name: &'static str,
    pub statistic: f64,
    pub df: Vec<f64>,
    pub p_value: f64,
    pub cramers_v: Option<f64>,
    pub low_expected: Option<bool>,
}

/// Welch's unequal-variances t-test, two-sided.
pub fn welch_t(a: &Moments, b: &Moments) -> Option<TestResult> {
    let (va, vb) = (a.variance()?, b.variance()?);
    let (sa, sb) = (va / a.n, vb / b.n);
    let se2 = sa + sb;
    if se2 <= 0.0 {
        return None;
    }
    let t = (a.mean - b.mean) / se2.sqrt();
    let df = se2 * se2 / (sa * sa / (a.n - 1.0) + sb * sb / (b.n - 1.0));
    let p = 2.0 * StudentsT::new(0.0, 1.0, df).ok()?.sf(t.abs());
    Some(TestResult {
        name: "welch_t",
        statistic: t,
        df: vec![df],
        p_value: p,
        cramers_v: None,
        low_expected: None,
    })
}

/// One-way ANOVA across groups (each with n ≥ 1).
pub fn anova(groups: &[Moments]) -> Option<TestResult> {
    let groups: Vec<&Moments> = groups.iter().filter(|g| g.n > 0.0).collect();
    let k = groups.len() as f64;
    let total: f64 = groups.iter().map(|g| g.n).sum();
    if k < 2.0 || total <= k {
        return None;
    }
    let grand = groups.iter().map(|g| g.n * g.mean).sum::<f64>() / total;
    let between: f64 = groups.iter().map(|g| g.n * (g.mean - grand).powi(2)).sum();
    let within: f64 = groups.iter().map(|g| g.m2).sum();
    if within <= 0.0 {
        return None;
    }
    let (df1, df2) = (k - 1.0, total - k);
    let f = (between / df1) / (within / df2);
    let p = FisherSnedecor::new(df1, df2).ok()?.sf(f);
    Some(TestResult {
        name: "anova",
        statistic: f,
        df: vec![df1, df2],
        p_value: p,
        cramers_v: None,
        low_expected: None,
    })
}

/// Pearson's chi-square test of independence on a contingency table (rows × columns of
/// counts), without continuity correction. Rows and columns that are all zero are dropped.
pub fn chi_square(table: &[Vec<u64>]) -> Option<TestResult> {
    let columns = table.first().map_or(0, Vec::len);
    let keep_columns: Vec<usize> = (0..columns)
        .filter(|&c| table.iter().any(|row| row[c] > 0))
        .collect();
    let rows: Vec<Vec<f64>> = table
        .iter()
        .filter(|row| row.iter().any(|&v| v > 0))
        .map(|row| keep_columns.iter().map(|&c| row[c] as f64).collect())
        .collect();
    let (r, c) = (rows.len(), keep_columns.len());
    if r < 2 || c < 2 {
        return None;
    }
    let row_sums: Vec<f64> = rows.iter().map(|row| row.iter().sum()).collect();
    let col_sums: Vec<f64> = (0..c)
        .map(|j| rows.iter().map(|row| row[j]).sum())
        .collect();
    let total: f64 = row_sums.iter().sum();
    let mut statistic = 0.0;
    let mut low_expected = false;
    for (i, row) in rows.iter().enumerate() {
        for (j, observed) in row.iter().enumerate() {
            let expected = row_sums[i] * col_sums[j] / total;
            low_expected |= expected < 5.0;
            statistic += (observed - expected).powi(2) / expected;
        }
    }
    let df = ((r - 1) * (c - 1)) as f64;
    let p = ChiSquared::new(df).ok()?.sf(statistic);
    let smaller = (r.min(c) - 1) as f64;
    Some(TestResult {
        name: "chi_square",
        statistic,
        df: vec![df],
        p_value: p,
        cramers_v: Some((statistic / (total * smaller)).sqrt()),
        low_expected: Some(low_expected),
    })
}

#[derive(Debug, Clone, PartialEq)]
pub struct Nps {
    pub nps: f64,
    pub ci95: (f64, f64),
}

/// Net Promoter Score and its interval, exactly as SPEC.md states it (1.96, in points).
pub fn nps(promoters: u64, passives: u64, detractors: u64) -> Option<Nps> {
    let n = (promoters + passives + detractors) as f64;
    if n == 0.0 {
        return None;
    }
    let (pp, pd) = (promoters as f64 / n, detractors as f64 / n);
    let score = 100.0 * (pp - pd);
    let half = 1.96 * 100.0 * ((pp + pd - (pp - pd).powi(2)) / n).sqrt();
    // NPS lives in [-100, 100]; a normal-approximation bound past it says nothing more.
    Some(Nps {
        nps: score,
        ci95: ((score - half).max(-100.0), (score + half).min(100.0)),
    })
}

/// Expected values were computed with SciPy 1.17.1 and statsmodels 0.15.0 (Python 3.11):
/// `scipy.stats.t.interval`, `ttest_ind(equal_var=False)`, `f_oneway`,
/// `chi2_contingency(correction=False)`, `scipy.stats.contingency.association(method="cramer")`,
/// and `proportion_confint(method="wilson")`. statsmodels uses z = 1.959963984540054 where SPEC
/// fixes z = 1.959964, so Wilson bounds are checked against the same formula evaluated in
/// Python with z = 1.959964 (they agree with statsmodels to 1e-8). NPS by hand from SPEC's formula.
#[cfg(test)]
mod tests {
    use super::*;

    const A: [f64; 8] = [7.0, 9.0, 10.0, 6.0, 8.0, 9.0, 3.0, 10.0];
    const B: [f64; 6] = [5.0, 6.0, 4.0, 8.0, 7.0, 2.0];
    const C: [f64; 4] = [9.0, 9.0, 10.0, 8.0];

    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "{actual} differs from {expected}"
        );
    }

    #[test]
    fn mean_sd_and_t_interval() {
        let s = summarize(&Moments::from_values(&A)).unwrap();
        close(s.mean, 7.75);
        close(s.sd.unwrap(), 2.3754698783308417);
        let (lo, hi) = s.ci95.unwrap();
        close(lo, 5.764057483014232);
        close(hi, 9.735942516985768);
    }

    #[test]
    fn one_answer_has_a_mean_but_no_spread() {
        let s = summarize(&Moments::from_values(&[4.0])).unwrap();
        assert_eq!((s.n, s.mean, s.sd, s.ci95), (1, 4.0, None, None));
        assert!(
            summarize(&Moments {
                n: 0.0,
                mean: 0.0,
                m2: 0.0
            })
            .is_none()
        );
    }

    #[test]
    fn welch_matches_scipy() {
        let t = welch_t(&Moments::from_values(&A), &Moments::from_values(&B)).unwrap();
        close(t.statistic, 1.9843872208166604);
        close(t.p_value, 0.07169514491362271);
        close(t.df[0], 11.452945647102123);
    }

    #[test]
    fn zero_variance_has_no_test() {
        let same = Moments::from_values(&[5.0, 5.0, 5.0]);
        let also = Moments::from_values(&[5.0, 5.0]);
        assert!(welch_t(&same, &also).is_none());
        assert!(anova(&[same, also]).is_none());
        assert!(
            welch_t(&same, &Moments::from_values(&[1.0])).is_none(),
            "n = 1 has no variance"
        );
    }

    #[test]
    fn anova_matches_scipy() {
        let groups = [A.as_slice(), B.as_slice(), C.as_slice()].map(Moments::from_values);
        let f = anova(&groups).unwrap();
        close(f.statistic, 4.196658097686375);
        close(f.p_value, 0.03568584710689947);
        assert_eq!(f.df, vec![2.0, 15.0]);
        assert!(
            anova(&groups[..1]).is_none(),
            "one segment has nothing to compare"
        );
    }

    #[test]
    fn chi_square_matches_scipy() {
        let table = vec![vec![10, 5, 3], vec![4, 12, 6], vec![2, 3, 9]];
        let x = chi_square(&table).unwrap();
        close(x.statistic, 15.093506493506492);
        close(x.p_value, 0.00451115629717875);
        assert_eq!(x.df, vec![4.0]);
        close(x.cramers_v.unwrap(), 0.37383778534905987);
        assert_eq!(x.low_expected, Some(true));

        let two = chi_square(&[vec![30, 10], vec![20, 25]]).unwrap();
        close(two.statistic, 8.16269841269841);
        close(two.p_value, 0.004276070303601571);
        close(two.cramers_v.unwrap(), 0.30988989340045603);
        assert_eq!(two.low_expected, Some(false));
    }

    #[test]
    fn chi_square_edge_cases() {
        // An empty segment (all-zero row) takes no part: same as the 2×2 above.
        let with_empty = chi_square(&[vec![30, 10], vec![0, 0], vec![20, 25]]).unwrap();
        close(with_empty.statistic, 8.16269841269841);
        // Everyone in one option: nothing varies, no test.
        assert!(chi_square(&[vec![5, 0], vec![3, 0]]).is_none());
        // One segment: no test.
        assert!(chi_square(&[vec![5, 3]]).is_none());
    }

    #[test]
    fn wilson_matches_the_reference_formula() {
        let (lo, hi) = wilson(13, 40).unwrap();
        close(lo, 0.20084502152253986);
        close(hi, 0.47982253933792235);
        let (lo, hi) = wilson(0, 7).unwrap();
        close(lo, 0.0);
        close(hi, 0.35433043867586833);
        let (lo, hi) = wilson(7, 7).unwrap();
        close(lo, 0.6456695613241317);
        close(hi, 1.0);
        assert!(wilson(0, 0).is_none());
    }

    #[test]
    fn nps_and_its_interval() {
        let n = nps(40, 39, 18).unwrap();
        close(n.nps, 22.680412371134018);
        close(n.ci95.0, 7.9686566164603025);
        close(n.ci95.1, 37.392168125807736);
        assert!(nps(0, 0, 0).is_none());
        let all_promoters = nps(5, 0, 0).unwrap();
        assert_eq!(
            (all_promoters.nps, all_promoters.ci95),
            (100.0, (100.0, 100.0))
        );
    }
}
