//! Balanced accuracy of a verification set: the best (VAL + (1 − FAR)) / 2 one threshold reaches, i.e.
//! the mean of the same-pair and the different-pair accuracies (Brodersen et al. 2010, "The balanced
//! accuracy and its posterior distribution"). Plain accuracy over every pair of a labelled set is dominated
//! by the far more numerous different pairs; this weighs both classes equally. Read off the ROC curve:
//! the point farthest above the chance diagonal (Youden's J = VAL − FAR, balanced accuracy = (1 + J) / 2).

use super::roc::roc;
use crate::Result;

/// The best balanced accuracy over every threshold of the pairs (`distances[i]`, `same[i]`) (D ≤ d
/// accepted; ties always fall on one side). In [0.5, 1]: 0.5 is "accept nothing" (or chance), 1 a threshold
/// that separates the classes. Needs at least one same and one different pair and finite distances.
///
/// ```
/// use facenet_core::metrics::balanced_accuracy;
/// // one same pair of three is farther than the only different pair: accepting the two closest gives
/// // VAL 2/3 at FAR 0, (2/3 + 1) / 2 = 5/6
/// let b = balanced_accuracy(&[0.1, 0.2, 0.9, 0.5], &[true, true, true, false]).unwrap();
/// assert!((b - 5.0 / 6.0).abs() < 1e-12);
/// ```
pub fn balanced_accuracy(distances: &[f64], same: &[bool]) -> Result<f64> {
    Ok(roc(distances, same)?.balanced_accuracy())
}
