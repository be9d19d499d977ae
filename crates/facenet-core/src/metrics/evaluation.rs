//! [`evaluate`]: everything a verification report shows, from one sort of the pairs: k-fold accuracy
//! and VAL @ FAR, the ROC curve, AUC, EER and balanced accuracy. `facenet eval pairs|lfw|ytf` print this as JSON.

use super::kfold::{CrossValidation, Folds, check_cross_validation, cross_validate_sorted};
use super::roc::Roc;
use super::sweep::{Sweep, sort_pairs};
use crate::Result;
use serde::Serialize;

/// The FAR at which the paper reports VAL.
pub const PAPER_TARGET_FAR: f64 = 1e-3;

/// A verification report. Its JSON form is the schema of `facenet eval … --json`:
/// `pairs`, `n_same`, `n_diff`, `auc`, `eer`, `eer_threshold`, `balanced_accuracy`, then the [`CrossValidation`] fields
/// (`target_far`, `accuracy_mean`, `accuracy_se`, `accuracy_std`, `val_mean`, `val_std`, `far_mean`,
/// `folds`: [{`fold`, `pairs`, `threshold`, `accuracy`, `val_threshold`, `val`, `far`}]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The number of pairs evaluated.
    pub pairs: u64,
    /// Of which same-identity pairs.
    pub n_same: u64,
    /// Of which different-identity pairs.
    pub n_diff: u64,
    /// Area under the ROC curve of all pairs.
    pub auc: f64,
    /// Equal error rate of all pairs.
    pub eer: f64,
    /// The threshold at the EER.
    pub eer_threshold: f64,
    /// The best balanced accuracy (VAL + 1 − FAR) / 2 of all pairs over every threshold.
    pub balanced_accuracy: f64,
    /// k-fold accuracy and VAL @ FAR.
    #[serde(flatten)]
    pub cross_validation: CrossValidation,
    /// The ROC curve of all pairs (not in the JSON: it has a point per distinct distance).
    #[serde(skip)]
    pub roc: Roc,
}

/// Evaluates the pairs (`distances[i]`, `same[i]`) over `folds` at `target_far` (D ≤ d accepted).
/// Needs at least one same and one different pair.
///
/// ```
/// use facenet_core::metrics::{evaluate, Folds};
/// let distances = [0.3, 1.6, 0.5, 1.2, 0.4, 1.9, 0.9, 0.8];
/// let same = [true, false, true, false, true, false, true, false];
/// let report = evaluate(&distances, &same, &Folds::contiguous(8, 4).unwrap(), 1e-3).unwrap();
/// assert_eq!(report.pairs, 8);
/// assert_eq!(report.cross_validation.folds.len(), 4);
/// assert!(report.auc > 0.9);
/// ```
pub fn evaluate(distances: &[f64], same: &[bool], folds: &Folds, target_far: f64) -> Result<Evaluation> {
    check_cross_validation(distances, same, folds, target_far)?;
    let sorted = sort_pairs(distances, same, Some(&folds.index_of_pair));
    let all = Sweep::from_sorted(&sorted);
    let roc = Roc::from_sweep(&all)?;
    let eer = roc.eer();
    Ok(Evaluation {
        pairs: all.len(),
        n_same: all.n_same,
        n_diff: all.n_diff,
        auc: roc.auc(),
        eer: eer.rate,
        eer_threshold: eer.threshold,
        balanced_accuracy: roc.balanced_accuracy(),
        cross_validation: cross_validate_sorted(&sorted, folds, target_far)?,
        roc,
    })
}
