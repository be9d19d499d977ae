//! Verification on a labelled set of embeddings (held-out identities during training, a synthetic test
//! set, a pixel baseline): every pair of two samples is a "same" or "different" pair, its distance is the
//! squared L2 D of the paper, and [`crate::metrics::evaluate`] reports k-fold accuracy and VAL @ FAR.
//! [`evaluate_cross`] does the same across two models (an old gallery queried with a new model's probes,
//! the paper's harmonic embeddings, Sec. 6).

use crate::metrics::{Evaluation, Folds, evaluate};
use crate::{Error, Result, distance::squared_l2, mining::squared_distances};

/// Evaluates all pairs of the rows of `embeddings` (`labels.len() × dim`, row-major) in `k` contiguous
/// folds of the pair list (pairs ordered by first then second index) at `target_far`.
///
/// ```
/// use facenet_core::holdout::evaluate_labelled;
/// let embeddings = [0.0, 0.0, 0.1, 0.0, 5.0, 5.0, 5.1, 5.0];
/// let report = evaluate_labelled(&embeddings, 2, &[0, 0, 1, 1], 2, 1e-3).unwrap();
/// assert_eq!((report.n_same, report.n_diff), (2, 4));
/// assert_eq!(report.auc, 1.0);
/// ```
pub fn evaluate_labelled(
    embeddings: &[f32],
    dim: usize,
    labels: &[usize],
    k: usize,
    target_far: f64,
) -> Result<Evaluation> {
    let n = labels.len();
    if embeddings.len() != n * dim {
        return Err(Error::DimensionMismatch {
            expected: n * dim,
            got: embeddings.len(),
        });
    }
    let matrix = squared_distances(embeddings, dim)?;
    let pair_count = n * n.saturating_sub(1) / 2;
    let mut distances = Vec::with_capacity(pair_count);
    let mut same = Vec::with_capacity(pair_count);
    for i in 0..n {
        for j in (i + 1)..n {
            distances.push(matrix[i * n + j] as f64);
            same.push(labels[i] == labels[j]);
        }
    }
    evaluate(&distances, &same, &Folds::contiguous(distances.len(), k)?, target_far)
}

/// Evaluates two models' embeddings of the same photos against each other: every ordered pair (i, j),
/// i ≠ j, compares row i of `gallery` (one model) with row j of `probe` (the other), so each photo is
/// once the gallery side and once the probe side of a pair; `k` contiguous folds of the pair list
/// (ordered by i then j) at `target_far`. Both are `labels.len() × dim`, row-major.
///
/// ```
/// use facenet_core::holdout::evaluate_cross;
/// let gallery = [0.0, 0.0, 0.1, 0.0, 5.0, 5.0, 5.1, 5.0];
/// let probe = [0.05, 0.0, 0.1, 0.1, 5.0, 5.1, 5.1, 4.9];
/// let report = evaluate_cross(&gallery, &probe, 2, &[0, 0, 1, 1], 2, 1e-3).unwrap();
/// assert_eq!((report.n_same, report.n_diff), (4, 8));
/// assert_eq!(report.auc, 1.0);
/// ```
pub fn evaluate_cross(
    gallery: &[f32],
    probe: &[f32],
    dim: usize,
    labels: &[usize],
    k: usize,
    target_far: f64,
) -> Result<Evaluation> {
    let n = labels.len();
    for side in [gallery, probe] {
        if dim == 0 || side.len() != n * dim {
            return Err(Error::DimensionMismatch {
                expected: n * dim,
                got: side.len(),
            });
        }
    }
    let pair_count = n * n.saturating_sub(1);
    let mut distances = Vec::with_capacity(pair_count);
    let mut same = Vec::with_capacity(pair_count);
    for i in 0..n {
        let g = &gallery[i * dim..(i + 1) * dim];
        for j in (0..n).filter(|&j| j != i) {
            distances.push(squared_l2(g, &probe[j * dim..(j + 1) * dim]) as f64);
            same.push(labels[i] == labels[j]);
        }
    }
    evaluate(&distances, &same, &Folds::contiguous(distances.len(), k)?, target_far)
}
