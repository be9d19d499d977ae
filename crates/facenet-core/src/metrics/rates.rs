//! TA(d), FA(d), VAL(d), FAR(d) at one threshold (FaceNet, Sec. 5): a pair is accepted as "same" when
//! D ≤ d.

use super::sweep::{check_pairs, rate};
use crate::Result;
use serde::{Deserialize, Serialize};

/// The paper's counts and rates at one threshold d.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ValFar {
    /// The threshold d: pairs with D ≤ d are accepted.
    pub threshold: f64,
    /// |TA(d)|: same pairs accepted.
    pub true_accepts: u64,
    /// |FA(d)|: different pairs accepted.
    pub false_accepts: u64,
    /// |P_same|.
    pub n_same: u64,
    /// |P_diff|.
    pub n_diff: u64,
    /// VAL(d) = |TA(d)| / |P_same| (0 when there is no same pair).
    pub val: f64,
    /// FAR(d) = |FA(d)| / |P_diff| (0 when there is no different pair).
    pub far: f64,
    /// (|TA(d)| + |P_diff| − |FA(d)|) / n: the fraction of pairs classified right.
    pub accuracy: f64,
}

impl ValFar {
    /// Builds the rates from the counts.
    pub(crate) fn from_counts(threshold: f64, true_accepts: u64, false_accepts: u64, n_same: u64, n_diff: u64) -> Self {
        let correct = true_accepts + (n_diff - false_accepts);
        Self {
            threshold,
            true_accepts,
            false_accepts,
            n_same,
            n_diff,
            val: rate(true_accepts, n_same),
            far: rate(false_accepts, n_diff),
            accuracy: rate(correct, n_same + n_diff),
        }
    }

    /// Counts the pairs of an iterator at `threshold`.
    pub(crate) fn count(threshold: f64, pairs: impl IntoIterator<Item = (f64, bool)>) -> Self {
        let (mut ta, mut fa, mut n_same, mut n_diff) = (0, 0, 0, 0);
        for (distance, same) in pairs {
            let accepted = distance <= threshold;
            if same {
                n_same += 1;
                ta += u64::from(accepted);
            } else {
                n_diff += 1;
                fa += u64::from(accepted);
            }
        }
        Self::from_counts(threshold, ta, fa, n_same, n_diff)
    }
}

/// VAL(d), FAR(d) and accuracy of the pairs (`distances[i]`, `same[i]`) at threshold `d` (D ≤ d accepted).
///
/// ```
/// use facenet_core::metrics::val_far;
/// let r = val_far(&[0.2, 0.9, 0.5, 1.4], &[true, true, false, false], 0.6).unwrap();
/// assert_eq!((r.true_accepts, r.false_accepts), (1, 1));
/// assert_eq!((r.val, r.far, r.accuracy), (0.5, 0.5, 0.5));
/// ```
pub fn val_far(distances: &[f64], same: &[bool], d: f64) -> Result<ValFar> {
    check_pairs(distances, same)?;
    Ok(ValFar::count(d, distances.iter().copied().zip(same.iter().copied())))
}
