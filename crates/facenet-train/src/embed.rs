//! Embedding photos without gradients, in chunks (mining and validation), and validation on held-out
//! identities: VAL @ FAR 1e-3 and 10-fold accuracy over every pair ([`facenet_core::holdout`]).

use burn::module::Module;
use burn::tensor::{Device, Tensor};
use facenet_core::{holdout::evaluate_labelled, metrics::PAPER_TARGET_FAR};
use facenet_nn::Result;
use facenet_nn::models::FaceNet;
use facenet_nn::preprocess::{Preprocessing, faces_to_tensor};
use facenet_vision::RgbImage;
use serde::{Deserialize, Serialize};

/// A batch of equally sized photos, turned into network input by [`faces_to_tensor`] (the fixed
/// standardisation of FaceNet checkpoints).
#[derive(Debug, Clone)]
pub struct PhotoBatch {
    pub photos: Vec<RgbImage>,
}

impl PhotoBatch {
    pub fn count(&self) -> usize {
        self.photos.len()
    }

    /// The photos at `indices`, in that order, as a `[k, 3, h, w]` tensor on `device`.
    pub fn gather(&self, indices: &[usize], device: &Device) -> Tensor<4> {
        let faces: Vec<&RgbImage> = indices.iter().map(|&i| &self.photos[i]).collect();
        faces_to_tensor(&faces, &Preprocessing::Fixed, device)
    }
}

/// Embeds every photo with `model` in inference mode (no autodiff graph), `chunk` at a time; returns the
/// `count × dim` embeddings row-major.
pub fn embed_all(model: &FaceNet, photos: &PhotoBatch, chunk: usize, device: &Device) -> Result<Vec<f32>> {
    let model = model.valid();
    let device = device.clone().inner();
    let mut out = Vec::new();
    for start in (0..photos.count()).step_by(chunk.max(1)) {
        let indices: Vec<usize> = (start..(start + chunk).min(photos.count())).collect();
        let embeddings = model.forward(photos.gather(&indices, &device)); // [k, d]
        out.extend(
            embeddings
                .into_data()
                .try_to_vec::<f32>()
                .map_err(|e| facenet_nn::Error::Invalid(format!("embedding readback: {e:?}")))?,
        );
    }
    Ok(out)
}

/// Held-out verification results, as logged in `metrics.jsonl`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    /// Mean VAL at the per-fold threshold for FAR 1e-3, and the mean FAR reached.
    pub val: f64,
    pub far: f64,
    /// Mean 10-fold accuracy and its standard error.
    pub accuracy: f64,
    pub accuracy_se: f64,
    /// The best mean of the same-pair and different-pair accuracies over all thresholds: accuracy on
    /// balanced pairs (plain accuracy is dominated by the far more numerous different pairs);
    /// [`facenet_core::metrics::balanced_accuracy`].
    #[serde(default)]
    pub balanced_accuracy: f64,
    pub auc: f64,
    /// Mean pairwise squared distance between the embeddings (a collapsed net gives ~0).
    pub mean_distance: f64,
}

/// Verification over every pair of the labelled embeddings (`labels.len() × dim`).
pub fn validate(embeddings: &[f32], dim: usize, labels: &[usize]) -> Result<Validation> {
    let report = evaluate_labelled(embeddings, dim, labels, 10, PAPER_TARGET_FAR)?;
    let cv = &report.cross_validation;
    Ok(Validation {
        val: cv.val_mean,
        far: cv.far_mean,
        accuracy: cv.accuracy_mean,
        accuracy_se: cv.accuracy_se,
        auc: report.auc,
        balanced_accuracy: report.balanced_accuracy,
        mean_distance: mean_pairwise_distance(embeddings, dim),
    })
}

/// The mean squared L2 distance over all pairs of rows (0 for fewer than two rows).
pub fn mean_pairwise_distance(embeddings: &[f32], dim: usize) -> f64 {
    let rows: Vec<&[f32]> = embeddings.chunks_exact(dim.max(1)).collect();
    let n = rows.len();
    if n < 2 {
        return 0.0;
    }
    let mut sum = 0.0f64;
    for i in 0..n {
        for j in (i + 1)..n {
            sum += facenet_core::distance::squared_l2(rows[i], rows[j]) as f64;
        }
    }
    sum / (n * (n - 1) / 2) as f64
}
