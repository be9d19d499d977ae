//! Harmonic embeddings (FaceNet, Schroff et al. 2015, Sec. 6): `facenet train --harmonic-with OLD_RUN`
//! trains a new model whose embeddings can be compared with those of the model of `OLD_RUN`, so a gallery
//! made with the old model need not be re-embedded when the model changes.
//!
//! - The old model is frozen ([`FrozenModel`]: loaded in inference mode, never updated). Each mined batch
//!   is embedded by it too, fed its own way: every (already augmented) photo is fitted to its input size
//!   and standardised by its checkpoint's preprocessing, so the old model may be another architecture or
//!   input size; only the embedding size must be the new model's.
//! - Triplets mix the two models' embeddings by [`facenet_core::harmonic::mine_harmonic`] (its module doc
//!   has the exact rule: ordinary new-new triplets, plus anchors from one model with positive and negative
//!   from the other, in both directions; semi-hard negatives chosen in the mixed space). In a training
//!   step ([`mixed_rows`]) only the new model's photos go through the network; the old model's rows are
//!   constants, so gradients reach the new model only.
//! - The run's inference checkpoint ([`checkpoint_config`]) gets its own id and declares itself compatible
//!   with the old model's id, so `identify` accepts a gallery of the old model queried with its probes
//!   ([`facenet_gallery::Gallery::accept_probes`] in the gallery crate).
//! - [`evaluate_compatibility`]: held-out VAL @ FAR 1e-3 of each model and of old-gallery-vs-new-probe
//!   comparisons ([`facenet_core::holdout::evaluate_cross`]), the measure of the proof script.

use crate::config::TrainingConfig;
use crate::embed::{PhotoBatch, Validation, validate};
use burn::tensor::{Device, Int, Tensor, TensorData};
use facenet_core::harmonic::is_old;
use facenet_core::holdout::evaluate_cross;
use facenet_core::metrics::PAPER_TARGET_FAR;
use facenet_nn::checkpoint::{CheckpointConfig, load_checkpoint};
use facenet_nn::models::{FaceNet, FaceNetConfig};
use facenet_nn::preprocess::faces_to_tensor;
use facenet_nn::{Error, Result};
use facenet_vision::RgbImage;
use facenet_vision::dataset::{Augment, FaceDataset, FaceLoader, fit};
use serde::Serialize;
use std::path::Path;

/// A trained checkpoint used without training: inference mode, fed the way its config says.
#[derive(Debug)]
pub struct FrozenModel {
    model: FaceNet,
    config: CheckpointConfig,
    device: Device,
}

impl FrozenModel {
    /// Loads the checkpoint at `path` (a run directory or a checkpoint directory) for inference on the
    /// plain form of `device`.
    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        let device = device.clone().inner();
        let (model, config) = load_checkpoint(path, &device)?;
        Ok(Self { model, config, device })
    }

    pub fn config(&self) -> &CheckpointConfig {
        &self.config
    }

    /// The `photos.len() × dim` embeddings (row-major) of `photos`, each fitted to the model's input size
    /// first, `chunk` per forward pass.
    pub fn embed(&self, photos: &[RgbImage], chunk: usize) -> Result<Vec<f32>> {
        let (width, height) = (self.config.input.width as u32, self.config.input.height as u32);
        let mut out = Vec::with_capacity(photos.len() * self.config.model.embedding_dim);
        for part in photos.chunks(chunk.max(1)) {
            let fitted: Vec<RgbImage> = part.iter().map(|p| fit(p, width, height)).collect();
            let faces: Vec<&RgbImage> = fitted.iter().collect();
            let x = faces_to_tensor(&faces, &self.config.preprocessing, &self.device);
            out.extend(
                self.model
                    .forward(x)
                    .into_data()
                    .try_to_vec::<f32>()
                    .map_err(|e| Error::Invalid(format!("embedding readback: {e:?}")))?,
            );
        }
        Ok(out)
    }
}

/// The frozen old model of a harmonic run (`old_run`), refused with an error naming it unless it makes
/// embeddings of the size `model` makes.
pub fn load_old_model(old_run: &Path, model: &FaceNetConfig, device: &Device) -> Result<FrozenModel> {
    let old = FrozenModel::load(old_run, device)?;
    let old_dim = old.config.model.embedding_dim;
    if old_dim != model.embedding_dim {
        return Err(Error::Invalid(format!(
            "--harmonic-with {}: its model ({}) makes {old_dim}-D embeddings, the new model {}-D; harmonic \
             embeddings need the same size (--embedding-dim {old_dim})",
            old_run.display(),
            old.config.id,
            model.embedding_dim
        )));
    }
    Ok(old)
}

/// The inference checkpoint config of the run `training`: its id is the architecture's with the run's
/// [`TrainingConfig::run_id`] (two runs of one architecture are two models to a gallery); with an old
/// model, the id gets `-harmonic-with-` and the old model's id, and `compatible_with` names that id.
pub fn checkpoint_config(training: &TrainingConfig, old: Option<&FrozenModel>) -> CheckpointConfig {
    let mut config = CheckpointConfig::new(training.model.clone());
    if !training.run_id.is_empty() {
        config.id = format!("{}-{}", config.id, training.run_id);
    }
    match old {
        None => config,
        Some(old) => CheckpointConfig {
            id: format!("{}-harmonic-with-{}", config.id, old.config.id),
            compatible_with: vec![old.config.id.clone()],
            ..config
        },
    }
}

/// The `[indices.len(), dim]` embeddings of rows `indices` of a mixed set over `photos` (row `i < n` is
/// photo i through `model`, with gradients; row `n + i` is row i of the frozen `old` embeddings, a
/// constant). Only the new model's photos are forwarded. Without `old` every index is a photo.
pub fn mixed_rows(
    model: &FaceNet,
    photos: &PhotoBatch,
    old: Option<&[f32]>,
    indices: &[usize],
    device: &Device,
) -> Tensor<2> {
    let n = photos.count();
    let Some(old) = old else {
        return model.forward(photos.gather(indices, device));
    };
    let new_rows: Vec<usize> = indices.iter().copied().filter(|&i| !is_old(i, n)).collect();
    let old_rows: Vec<usize> = indices.iter().copied().filter(|&i| is_old(i, n)).collect();
    let new = model.forward(photos.gather(&new_rows, device)); // [m, d]
    if old_rows.is_empty() {
        return new;
    }
    let dim = new.dims()[1];
    let values: Vec<f32> = old_rows
        .iter()
        .flat_map(|&i| old[(i - n) * dim..(i - n + 1) * dim].iter().copied())
        .collect();
    let constants = Tensor::<2>::from_data(TensorData::new(values, [old_rows.len(), dim]), device);
    let stacked = Tensor::cat(vec![new, constants], 0); // new rows first, then old, each in `indices` order
    let (mut next_new, mut next_old) = (0i64, new_rows.len() as i64);
    let order: Vec<i64> = indices
        .iter()
        .map(|&i| {
            let slot = if is_old(i, n) { &mut next_old } else { &mut next_new };
            *slot += 1;
            *slot - 1
        })
        .collect();
    let order = Tensor::<1, Int>::from_ints(TensorData::new(order, [indices.len()]), device);
    stacked.select(0, order)
}

/// Held-out verification of an old and a new model and of the two against each other.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Compatibility {
    /// The old model against itself, and the new against itself.
    pub old: Validation,
    pub new: Validation,
    /// Old-model gallery against new-model probes ([`facenet_core::holdout::evaluate_cross`]).
    pub cross: Validation,
}

/// Evaluates the models at `old` and `new` (run or checkpoint directories) on the last `held_out`
/// identities of `data` (what `facenet train --held-out` keeps out), at most `per_identity` photos each:
/// each model sees the photos loaded by `loader` at its own input size.
pub fn evaluate_compatibility(
    old: &Path,
    new: &Path,
    data: &Path,
    loader: &FaceLoader,
    held_out: usize,
    per_identity: usize,
) -> Result<Compatibility> {
    let device = facenet_kernels::device::default_training_device();
    let (old, new) = (FrozenModel::load(old, &device)?, FrozenModel::load(new, &device)?);
    let dim = old.config.model.embedding_dim;
    if new.config.model.embedding_dim != dim {
        return Err(Error::Invalid(format!(
            "models {} ({dim}-D) and {} ({}-D) make embeddings of different sizes: they cannot be compared",
            old.config.id, new.config.id, new.config.model.embedding_dim
        )));
    }
    let (dataset, _) = FaceDataset::open(data, loader)?;
    let held = match held_out {
        0 => dataset,
        _ => dataset.split_held_out(held_out)?.1,
    };
    let samples = held.first_photos(per_identity);
    let labels: Vec<usize> = samples.iter().map(|s| s.identity).collect();
    let embed = |model: &FrozenModel| -> Result<Vec<f32>> {
        let sized = FaceLoader {
            width: model.config.input.width as u32,
            height: model.config.input.height as u32,
            ..loader.clone()
        };
        model.embed(&sized.load_batch(&held, &samples, &Augment::none(), 0)?, 64)
    };
    let (old_embeddings, new_embeddings) = (embed(&old)?, embed(&new)?);
    let report = evaluate_cross(&old_embeddings, &new_embeddings, dim, &labels, 10, PAPER_TARGET_FAR)?;
    let cv = &report.cross_validation;
    let cross = Validation {
        val: cv.val_mean,
        far: cv.far_mean,
        accuracy: cv.accuracy_mean,
        accuracy_se: cv.accuracy_se,
        balanced_accuracy: report.balanced_accuracy,
        auc: report.auc,
        mean_distance: mean_cross_distance(&old_embeddings, &new_embeddings, dim),
    };
    Ok(Compatibility {
        old: validate(&old_embeddings, dim, &labels)?,
        new: validate(&new_embeddings, dim, &labels)?,
        cross,
    })
}

/// The mean squared L2 distance between row i of `a` and row j of `b` over every i ≠ j.
fn mean_cross_distance(a: &[f32], b: &[f32], dim: usize) -> f64 {
    let (a, b): (Vec<&[f32]>, Vec<&[f32]>) = (a.chunks_exact(dim).collect(), b.chunks_exact(dim).collect());
    let n = a.len();
    if n < 2 {
        return 0.0;
    }
    let sum: f64 = (0..n)
        .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
        .map(|(i, j)| facenet_core::distance::squared_l2(a[i], b[j]) as f64)
        .sum();
    sum / (n * (n - 1)) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::module::Module;
    use facenet_nn::Arch;

    #[test]
    fn mixed_rows_put_constants_and_network_rows_in_index_order() {
        let device = facenet_kernels::device::default_training_device();
        let model = FaceNetConfig::new(Arch::Nns2)
            .with_embedding_dim(4)
            .with_input(Some(facenet_nn::InputSize { height: 70, width: 58 }))
            .init(&device)
            .valid();
        let device = device.inner();
        let photos = PhotoBatch {
            photos: (0..3u8)
                .map(|v| RgbImage::from_raw(58, 70, [v * 60, 10, 200].repeat(58 * 70)).unwrap())
                .collect(),
        };
        let old: Vec<f32> = (0..12).map(|v| v as f32 + 100.0).collect(); // 3 photos × 4
        let rows = mixed_rows(&model, &photos, Some(&old), &[4, 0, 2, 3, 1], &device);
        let values = rows.into_data().try_to_vec::<f32>().unwrap();
        let plain = mixed_rows(&model, &photos, None, &[0, 2, 1], &device)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert_eq!(&values[0..4], &old[4..8], "row 4 is old photo 1");
        assert_eq!(&values[12..16], &old[0..4], "row 3 is old photo 0");
        for (got, want) in [(1, 0), (2, 1), (4, 2)] {
            let (g, w) = (&values[got * 4..got * 4 + 4], &plain[want * 4..want * 4 + 4]);
            assert!(g.iter().zip(w).all(|(a, b)| (a - b).abs() < 1e-5), "{g:?} vs {w:?}");
        }
    }
}
