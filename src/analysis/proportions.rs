//! Comparing two proportions, and correcting many p-values at once: what profile cards use
//! to say which options set a segment apart.

use statrs::distribution::{ContinuousCDF, Normal};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ZTest {
    /// Positive when the first group's share is higher.
    pub z: f64,
    pub p_value: f64,
}

/// Pooled two-proportion z-test, two-sided: `x1` of `n1` against `x2` of `n2`. `None` when a
/// group is empty or the pooled proportion is 0 or 1 (no variance to test against).
pub fn two_proportion_z(x1: u64, n1: u64, x2: u64, n2: u64) -> Option<ZTest> {
    if n1 == 0 || n2 == 0 {
        return None;
    }
    let (x1, n1, x2, n2) = (x1 as f64, n1 as f64, x2 as f64, n2 as f64);
    let pooled = (x1 + x2) / (n1 + n2);
    if pooled <= 0.0 || pooled >= 1.0 {
        return None;
    }
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    let z = (x1 / n1 - x2 / n2) / se;
    let normal = Normal::standard();
    Some(ZTest {
        z,
        p_value: (2.0 * normal.sf(z.abs())).min(1.0),
    })
}

/// Holm's step-down correction: adjusted p-values in the order given.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        let value = ((m - rank) as f64 * p_values[i]).min(1.0);
        running = running.max(value);
        adjusted[i] = running;
    }
    adjusted
}

/// Reference values from statsmodels 0.15.0 (Python 3.11):
/// `statsmodels.stats.proportion.proportions_ztest([x1, x2], [n1, n2])` and
/// `statsmodels.stats.multitest.multipletests(p, method="holm")[1]`.
#[cfg(test)]
mod tests {
    use super::*;

    fn close(actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() < 1e-9,
            "{actual} is not {expected}"
        );
    }

    #[test]
    fn z_test_matches_statsmodels() {
        // proportions_ztest([41, 19], [100, 100]) -> (3.394673699166022, 0.0006871043843566174)
        let t = two_proportion_z(41, 100, 19, 100).unwrap();
        close(t.z, Z_41_19);
        close(t.p_value, P_41_19);
        let flipped = two_proportion_z(19, 100, 41, 100).unwrap();
        close(flipped.z, -Z_41_19);
        assert!(two_proportion_z(0, 10, 0, 12).is_none());
        assert!(two_proportion_z(10, 10, 12, 12).is_none());
        assert!(two_proportion_z(3, 0, 1, 4).is_none());
    }

    #[test]
    fn holm_matches_statsmodels() {
        // multipletests([0.01, 0.04, 0.03, 0.005], method="holm")[1]
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.005]);
        for (a, e) in adjusted.iter().zip([0.03, 0.06, 0.06, 0.02]) {
            close(*a, e);
        }
        // Monotone and capped at 1: multipletests([0.5, 0.6], method="holm")[1] = [1, 1]
        assert_eq!(holm(&[0.5, 0.6]), vec![1.0, 1.0]);
        assert!(holm(&[]).is_empty());
    }

    const Z_41_19: f64 = 3.394673699166022;
    const P_41_19: f64 = 0.0006871043843566174;
}
