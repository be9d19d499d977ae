//! Threshold calibration on a user's own labelled pairs: the threshold that reaches a target FAR, and
//! VAL there with confidence intervals.
//!
//! The threshold follows the same interpolation rule as the k-fold VAL threshold (see the module docs of
//! [`crate::metrics`]), on all pairs. The intervals are 95 % **Wilson score intervals** of the two
//! binomial proportions at that threshold: VAL over the |P_same| same pairs, FAR over the |P_diff|
//! different pairs (Wilson 1927; better than the normal approximation near 0 and 1, where FAR lives).
//! They treat the threshold as fixed, so they say how precisely these pairs measure VAL and FAR at it,
//! not how the threshold itself would move on other pairs.

use super::rates::ValFar;
use super::sweep::{Sweep, check_pairs, sort_pairs};
use super::threshold::threshold_at_far;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// z for a two-sided 95 % interval.
const Z_95: f64 = 1.959_963_984_540_054;

/// A closed interval of a proportion.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// The calibrated threshold and what it gives.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub target_far: f64,
    /// Accept a pair as "same" when D ≤ threshold.
    pub threshold: f64,
    /// VAL at the threshold on these pairs.
    pub val: f64,
    /// FAR at the threshold on these pairs.
    pub far: f64,
    /// The interval's confidence (0.95).
    pub confidence: f64,
    /// Wilson interval of VAL.
    pub val_interval: Interval,
    /// Wilson interval of FAR.
    pub far_interval: Interval,
    pub n_same: u64,
    pub n_diff: u64,
}

/// The 95 % Wilson score interval of `successes` out of `trials`: (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) /
/// (1 + z²/n). No trials → [0, 1].
pub fn wilson_interval(successes: u64, trials: u64) -> Interval {
    if trials == 0 {
        return Interval { low: 0.0, high: 1.0 };
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = Z_95 * Z_95;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = Z_95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Interval {
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    }
}

/// The threshold at which the pairs' FAR reaches `target_far`, with VAL, FAR and their 95 % intervals.
/// Needs at least one same and one different pair.
pub fn calibrate(distances: &[f64], same: &[bool], target_far: f64) -> Result<Calibration> {
    check_pairs(distances, same)?;
    if !(0.0..=1.0).contains(&target_far) {
        return Err(Error::Invalid(format!("target FAR {target_far} is not within 0…1")));
    }
    let sweep = Sweep::from_sorted(&sort_pairs(distances, same, None));
    if sweep.n_same == 0 || sweep.n_diff == 0 {
        return Err(Error::Invalid(format!(
            "calibration needs same and different pairs, got {} same and {} different",
            sweep.n_same, sweep.n_diff
        )));
    }
    let threshold = threshold_at_far(&sweep, target_far);
    let at = ValFar::count(threshold, distances.iter().copied().zip(same.iter().copied()));
    Ok(Calibration {
        target_far,
        threshold,
        val: at.val,
        far: at.far,
        confidence: 0.95,
        val_interval: wilson_interval(at.true_accepts, at.n_same),
        far_interval: wilson_interval(at.false_accepts, at.n_diff),
        n_same: at.n_same,
        n_diff: at.n_diff,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_the_textbook_example() {
        // 8 of 10 at 95 %: [0.4902, 0.9433], the usual worked example of the Wilson interval.
        let i = wilson_interval(8, 10);
        assert!(
            (i.low - 0.490_162).abs() < 1e-5 && (i.high - 0.943_318).abs() < 1e-5,
            "{i:?}"
        );
        let zero = wilson_interval(0, 1000);
        assert!(zero.low.abs() < 1e-15);
        assert!((zero.high - 0.003_826).abs() < 1e-5, "{zero:?}");
    }

    #[test]
    fn calibrated_threshold_keeps_far_at_or_below_target() {
        // 1000 different pairs at 1.000…1.999, 100 same pairs at 0.50…1.49.
        let mut distances: Vec<f64> = (0..1000).map(|i| 1.0 + i as f64 / 1000.0).collect();
        let mut same = vec![false; 1000];
        distances.extend((0..100).map(|i| 0.5 + i as f64 / 100.0));
        same.extend([true; 100]);
        let c = calibrate(&distances, &same, 0.01).unwrap();
        assert_eq!(c.far, 0.01);
        assert!((c.threshold - 1.009).abs() < 1e-12);
        assert_eq!(c.val, 0.51);
        assert!(c.val_interval.low < 0.51 && c.val_interval.high > 0.51);
        assert!(calibrate(&distances[..1000], &same[..1000], 0.01).is_err());
    }
}
