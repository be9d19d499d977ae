//! k-fold cross-validation (FaceNet, Sec. 5.7; LFW "unrestricted" protocol): for each fold, the
//! threshold is chosen on the other k − 1 folds and tested on the held-out fold.

use super::rates::ValFar;
use super::sweep::{SortedPair, Sweep, check_pairs, sort_pairs};
use super::threshold::{best_accuracy_threshold, threshold_at_far};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Which fold each pair belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folds {
    /// Fold index (0…k−1) per pair.
    pub(crate) index_of_pair: Vec<u32>,
    /// The label each fold index stands for (as the user numbered folds, e.g. 1…10).
    labels: Vec<u32>,
}

impl Folds {
    /// `k` folds of consecutive pairs, in file order: sklearn's `KFold(k, shuffle=False)`, the split
    /// davidsandberg's `lfw.py` uses. The first `pairs % k` folds hold one pair more. For LFW's
    /// pairs.txt (6000 pairs, k = 10) these are exactly the 10 official folds of 600. Labels are 1…k.
    pub fn contiguous(pairs: usize, k: usize) -> Result<Self> {
        if k < 2 || k > pairs {
            return Err(Error::Invalid(format!(
                "cannot split {pairs} pairs into {k} folds (need 2 ≤ k ≤ pairs)"
            )));
        }
        let (base, extra) = (pairs / k, pairs % k);
        let index_of_pair = (0..k)
            .flat_map(|f| std::iter::repeat_n(f as u32, base + usize::from(f < extra)))
            .collect();
        Ok(Self {
            index_of_pair,
            labels: (1..=k as u32).collect(),
        })
    }

    /// Folds given per pair by label (any numbers, e.g. 1…10): the distinct labels, ascending, become the
    /// folds. There must be at least two.
    pub fn from_labels(labels_of_pairs: &[u32]) -> Result<Self> {
        let mut labels = labels_of_pairs.to_vec();
        labels.sort_unstable();
        labels.dedup();
        if labels.len() < 2 {
            return Err(Error::Invalid(format!("need at least 2 folds, got {}", labels.len())));
        }
        let index_of_pair = labels_of_pairs
            .iter()
            .map(|l| {
                labels
                    .binary_search(l)
                    .expect("every label should be among the distinct labels") as u32
            })
            .collect();
        Ok(Self { index_of_pair, labels })
    }

    /// k.
    pub fn count(&self) -> usize {
        self.labels.len()
    }

    /// The number of pairs the folds cover.
    pub fn pairs(&self) -> usize {
        self.index_of_pair.len()
    }

    /// The fold label of each fold index.
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }

    /// The fold label of each pair, in pair order.
    pub fn labels_of_pairs(&self) -> Vec<u32> {
        self.index_of_pair.iter().map(|&i| self.labels[i as usize]).collect()
    }
}

/// One held-out fold's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldResult {
    /// The fold's label.
    pub fold: u32,
    /// The number of pairs in the fold.
    pub pairs: u64,
    /// The best-accuracy threshold, chosen on the other folds.
    pub threshold: f64,
    /// The accuracy on this fold at `threshold`.
    pub accuracy: f64,
    /// The threshold that reaches the target FAR on the other folds (interpolated).
    pub val_threshold: f64,
    /// VAL on this fold at `val_threshold`.
    pub val: f64,
    /// FAR on this fold at `val_threshold`.
    pub far: f64,
}

/// k-fold accuracy and VAL at a target FAR, per fold and summarised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrossValidation {
    /// The FAR the VAL thresholds aim at.
    pub target_far: f64,
    /// Mean accuracy over the folds.
    pub accuracy_mean: f64,
    /// Standard error of the mean accuracy: sample std (ddof 1) / √k, the paper's "±".
    pub accuracy_se: f64,
    /// Population std (ddof 0) of the fold accuracies: davidsandberg's "±" (`np.std`).
    pub accuracy_std: f64,
    /// Mean VAL over the folds.
    pub val_mean: f64,
    /// Population std (ddof 0) of the fold VALs (davidsandberg's `val_std`).
    pub val_std: f64,
    /// Mean FAR over the folds at their VAL thresholds.
    pub far_mean: f64,
    /// Each fold, in label order.
    pub folds: Vec<FoldResult>,
}

/// Cross-validates the pairs (`distances[i]`, `same[i]`) over `folds` (D ≤ d accepted).
///
/// For each fold f: on the pairs of the other folds, the best-accuracy threshold and the threshold that
/// reaches `target_far` (the rules are in the [module docs](crate::metrics)); then accuracy
/// at the first and VAL, FAR at the second on fold f. Sorts once, then one linear pass per fold:
/// O(n log n + k·n).
pub fn cross_validate(distances: &[f64], same: &[bool], folds: &Folds, target_far: f64) -> Result<CrossValidation> {
    check_cross_validation(distances, same, folds, target_far)?;
    cross_validate_sorted(
        &sort_pairs(distances, same, Some(&folds.index_of_pair)),
        folds,
        target_far,
    )
}

/// [`cross_validate`] of pairs already sorted by distance and tagged with their fold index.
pub(crate) fn cross_validate_sorted(sorted: &[SortedPair], folds: &Folds, target_far: f64) -> Result<CrossValidation> {
    let results = (0..folds.count())
        .map(|f| evaluate_fold(sorted, f as u32, folds.labels[f], target_far))
        .collect::<Result<Vec<_>>>()?;
    Ok(summarise(results, target_far))
}

/// Checks the inputs of a cross-validation.
pub(crate) fn check_cross_validation(distances: &[f64], same: &[bool], folds: &Folds, target_far: f64) -> Result<()> {
    check_pairs(distances, same)?;
    if folds.pairs() != distances.len() {
        return Err(Error::Invalid(format!(
            "folds cover {} pairs, but there are {}",
            folds.pairs(),
            distances.len()
        )));
    }
    if !(0.0..=1.0).contains(&target_far) {
        return Err(Error::Invalid(format!("target FAR {target_far} is not within 0…1")));
    }
    Ok(())
}

fn evaluate_fold(sorted: &[SortedPair], fold: u32, label: u32, target_far: f64) -> Result<FoldResult> {
    let training = Sweep::from_sorted(sorted.iter().filter(|p| p.fold != fold));
    if training.len() == 0 {
        return Err(Error::Invalid(format!(
            "fold {label} holds every pair: nothing left to choose a threshold on"
        )));
    }
    let threshold = best_accuracy_threshold(&training);
    let val_threshold = threshold_at_far(&training, target_far);
    let held_out = || sorted.iter().filter(|p| p.fold == fold).map(|p| (p.distance, p.same));
    let at_best = ValFar::count(threshold, held_out());
    let at_far = ValFar::count(val_threshold, held_out());
    Ok(FoldResult {
        fold: label,
        pairs: at_best.n_same + at_best.n_diff,
        threshold,
        accuracy: at_best.accuracy,
        val_threshold,
        val: at_far.val,
        far: at_far.far,
    })
}

fn summarise(folds: Vec<FoldResult>, target_far: f64) -> CrossValidation {
    let accuracy: Vec<f64> = folds.iter().map(|f| f.accuracy).collect();
    let val: Vec<f64> = folds.iter().map(|f| f.val).collect();
    let far: Vec<f64> = folds.iter().map(|f| f.far).collect();
    CrossValidation {
        target_far,
        accuracy_mean: mean(&accuracy),
        accuracy_se: standard_error(&accuracy),
        accuracy_std: population_std(&accuracy),
        val_mean: mean(&val),
        val_std: population_std(&val),
        far_mean: mean(&far),
        folds,
    }
}

/// The arithmetic mean (0 for no values).
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// √(Σ(x − x̄)² / n): `np.std`, ddof 0.
pub fn population_std(values: &[f64]) -> f64 {
    (sum_of_squares(values) / values.len().max(1) as f64).sqrt()
}

/// √(Σ(x − x̄)² / (n − 1)) / √n: the standard error of the mean (0 for fewer than 2 values).
pub fn standard_error(values: &[f64]) -> f64 {
    let n = values.len();
    if n < 2 {
        return 0.0;
    }
    (sum_of_squares(values) / (n - 1) as f64).sqrt() / (n as f64).sqrt()
}

fn sum_of_squares(values: &[f64]) -> f64 {
    let m = mean(values);
    values.iter().map(|v| (v - m) * (v - m)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_folds_follow_sklearn_kfold() {
        let folds = Folds::contiguous(7, 3).unwrap();
        assert_eq!(folds.index_of_pair, vec![0, 0, 0, 1, 1, 2, 2]);
        assert_eq!(folds.labels(), &[1, 2, 3]);
        assert_eq!(folds.labels_of_pairs(), vec![1, 1, 1, 2, 2, 3, 3]);
        assert!(Folds::contiguous(3, 1).is_err());
        assert!(Folds::contiguous(3, 4).is_err());
    }

    #[test]
    fn fold_labels_map_in_ascending_order() {
        let folds = Folds::from_labels(&[10, 3, 3, 10, 7]).unwrap();
        assert_eq!(folds.index_of_pair, vec![2, 0, 0, 2, 1]);
        assert!(Folds::from_labels(&[4, 4]).is_err());
    }

    #[test]
    fn separable_folds_are_perfect() {
        let distances = [0.1, 1.5, 0.2, 1.6, 0.3, 1.7, 0.4, 1.8];
        let same = [true, false, true, false, true, false, true, false];
        let cv = cross_validate(&distances, &same, &Folds::contiguous(8, 4).unwrap(), 0.0).unwrap();
        assert_eq!(cv.accuracy_mean, 1.0);
        assert_eq!((cv.accuracy_se, cv.accuracy_std), (0.0, 0.0));
        assert!(cv.folds.iter().all(|f| f.threshold > 0.4 && f.threshold < 1.5));
    }

    #[test]
    fn spread_statistics() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(mean(&v), 2.5);
        assert!((population_std(&v) - 1.25f64.sqrt()).abs() < 1e-15);
        assert!((standard_error(&v) - (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-15);
    }

    #[test]
    fn rejects_bad_inputs() {
        let folds = Folds::contiguous(4, 2).unwrap();
        assert!(cross_validate(&[0.1, 0.2, 0.3], &[true, false, true], &folds, 1e-3).is_err());
        assert!(cross_validate(&[0.1, f64::NAN, 0.3, 0.4], &[true; 4], &folds, 1e-3).is_err());
        assert!(cross_validate(&[0.1, 0.2, 0.3, 0.4], &[true; 4], &folds, 2.0).is_err());
    }
}
