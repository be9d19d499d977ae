//! The ROC curve of a verification set (VAL against FAR as the threshold d grows), its area (AUC) and
//! its equal error rate (EER), exact over the distinct distances.

use super::sweep::{Sweep, check_pairs, interpolate, just_below, rate, sort_pairs};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// One ROC point: accepting D ≤ `threshold` gives `far` and `val`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RocPoint {
    pub threshold: f64,
    pub far: f64,
    pub val: f64,
}

/// The ROC curve: (0, 0) first (threshold just below the smallest distance), then one point per distinct
/// distance (ties are one step, as in scikit-learn's `roc_curve(drop_intermediate=False)`), ending at (1, 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Roc {
    points: Vec<RocPoint>,
}

/// The equal error rate: where FAR = 1 − VAL (false accepts as frequent as false rejects).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Eer {
    /// The rate (FAR = FRR there).
    pub rate: f64,
    /// The threshold there, interpolated like the rate.
    pub threshold: f64,
}

/// The ROC curve of the pairs (`distances[i]`, `same[i]`). Needs at least one same and one different pair.
pub fn roc(distances: &[f64], same: &[bool]) -> Result<Roc> {
    check_pairs(distances, same)?;
    let sweep = Sweep::from_sorted(&sort_pairs(distances, same, None));
    Roc::from_sweep(&sweep)
}

impl Roc {
    pub(crate) fn from_sweep(sweep: &Sweep) -> Result<Self> {
        if sweep.n_same == 0 || sweep.n_diff == 0 {
            return Err(Error::Invalid(format!(
                "a ROC curve needs same and different pairs, got {} same and {} different",
                sweep.n_same, sweep.n_diff
            )));
        }
        let mut points = Vec::with_capacity(sweep.groups.len() + 1);
        points.push(RocPoint {
            threshold: just_below(sweep.groups[0].value),
            far: 0.0,
            val: 0.0,
        });
        let (mut ta, mut fa) = (0, 0);
        for group in &sweep.groups {
            ta += group.same;
            fa += group.diff;
            points.push(RocPoint {
                threshold: group.value,
                far: rate(fa, sweep.n_diff),
                val: rate(ta, sweep.n_same),
            });
        }
        Ok(Self { points })
    }

    /// The best (VAL + 1 − FAR) / 2 over the points: see [`super::balanced_accuracy`]. At least 0.5, the
    /// value of the first point (0, 0).
    pub fn balanced_accuracy(&self) -> f64 {
        self.points
            .iter()
            .map(|p| (p.val + 1.0 - p.far) / 2.0)
            .fold(0.5, f64::max)
    }

    /// The points, threshold ascending.
    pub fn points(&self) -> &[RocPoint] {
        &self.points
    }

    /// The area under the curve by the trapezoid rule over every point: exactly the probability that a
    /// random same pair is closer than a random different pair, ties counting ½ (the Mann–Whitney U / n₊n₋,
    /// scikit-learn's `roc_auc_score`).
    pub fn auc(&self) -> f64 {
        self.points
            .windows(2)
            .map(|w| (w[1].far - w[0].far) * (w[0].val + w[1].val) / 2.0)
            .sum()
    }

    /// Where the curve, drawn as straight segments between its points, crosses FAR = 1 − VAL; the rate and
    /// the threshold are interpolated linearly along the crossing segment.
    pub fn eer(&self) -> Eer {
        // g = (1 − VAL) − FAR falls from 1 at (0, 0) to −1 at (1, 1): find its first sign change.
        let g = |p: &RocPoint| 1.0 - p.val - p.far;
        for w in self.points.windows(2) {
            let (a, b) = (&w[0], &w[1]);
            let (ga, gb) = (g(a), g(b));
            if ga > 0.0 && gb <= 0.0 {
                let s = ga / (ga - gb);
                return Eer {
                    rate: interpolate(a.far, b.far, s),
                    threshold: interpolate(a.threshold, b.threshold, s),
                };
            }
        }
        unreachable!("g is 1 at the first point and −1 at the last, so it changes sign")
    }

    /// At most `max_points` points spread evenly along the curve's index, with the first and last kept
    /// (to plot millions of pairs).
    pub fn thinned(&self, max_points: usize) -> Vec<RocPoint> {
        let n = self.points.len();
        if n <= max_points || max_points < 2 {
            return self.points.clone();
        }
        (0..max_points)
            .map(|i| self.points[i * (n - 1) / (max_points - 1)])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_separation_has_auc_one_and_eer_zero() {
        let r = roc(&[0.1, 0.2, 1.0, 1.1], &[true, true, false, false]).unwrap();
        assert_eq!(r.auc(), 1.0);
        let eer = r.eer();
        assert_eq!(eer.rate, 0.0);
        assert_eq!(eer.threshold, 0.2);
    }

    #[test]
    fn all_tied_is_chance() {
        let r = roc(&[0.5; 4], &[true, false, true, false]).unwrap();
        assert_eq!(r.points.len(), 2);
        assert_eq!(r.auc(), 0.5);
        assert_eq!(r.eer().rate, 0.5);
    }

    #[test]
    fn needs_both_classes() {
        assert!(roc(&[0.1, 0.2], &[true, true]).is_err());
    }

    #[test]
    fn thinning_keeps_the_ends() {
        let d: Vec<f64> = (0..100).map(f64::from).collect();
        let s: Vec<bool> = (0..100).map(|i| i % 3 == 0).collect();
        let r = roc(&d, &s).unwrap();
        let t = r.thinned(10);
        assert_eq!(t.len(), 10);
        assert_eq!(t[0], r.points[0]);
        assert_eq!(t[9], r.points[100]);
    }
}
