//! The pixel-space baseline: a photo as its downscaled grey pixels, compared by squared L2. A learnt
//! embedding must beat it by far; on the synthetic identities (pose, light, background, occlusion vary)
//! it stays at VAL ≤ 0.3 @ FAR 1e-3, which shows they are a real learning problem.

use crate::Result;
use crate::dataset::{Augment, FaceDataset, FaceLoader};
use facenet_core::{holdout::evaluate_labelled, metrics::Evaluation};
use image::{DynamicImage, RgbImage, imageops};

/// The photo as `side × side` grey values in [0, 1] (Triangle downscaling), row-major.
pub fn pixel_descriptor(photo: &RgbImage, side: u32) -> Vec<f32> {
    let grey = DynamicImage::ImageRgb8(photo.clone()).into_luma8();
    let small = imageops::resize(&grey, side, side, imageops::FilterType::Triangle);
    small.into_raw().into_iter().map(|v| v as f32 / 255.0).collect()
}

/// Verification of the pixel baseline over every pair of `dataset`'s photos (at most `per_identity` per
/// identity), 10 folds, at `target_far`.
pub fn evaluate_pixel_baseline(
    dataset: &FaceDataset,
    loader: &FaceLoader,
    side: u32,
    per_identity: usize,
    target_far: f64,
) -> Result<Evaluation> {
    let samples = dataset.first_photos(per_identity);
    let photos = loader.load_batch(dataset, &samples, &Augment::none(), 0)?;
    let descriptors: Vec<f32> = photos.iter().flat_map(|p| pixel_descriptor(p, side)).collect();
    let labels: Vec<usize> = samples.iter().map(|s| s.identity).collect();
    Ok(evaluate_labelled(
        &descriptors,
        (side * side) as usize,
        &labels,
        10,
        target_far,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::{SynthSpec, render_photo};
    use facenet_core::metrics::PAPER_TARGET_FAR;

    /// Held-out identities (a seed no training run uses) judged by the pixel baseline.
    #[test]
    fn pixel_baseline_is_weak_on_synthetic_identities() {
        let spec = SynthSpec {
            identities: 40,
            per_identity: 8,
            size: 48,
            seed: 9_001,
        };
        let mut descriptors = Vec::new();
        let mut labels = Vec::new();
        for identity in 0..spec.identities {
            for image in 0..spec.per_identity {
                descriptors.extend(pixel_descriptor(&render_photo(&spec, identity, image), 16));
                labels.push(identity);
            }
        }
        let report = evaluate_labelled(&descriptors, 16 * 16, &labels, 10, PAPER_TARGET_FAR).unwrap();
        let cv = &report.cross_validation;
        eprintln!(
            "pixel baseline: VAL {:.3} @ FAR {:.4}, accuracy {:.3}, AUC {:.3}",
            cv.val_mean, cv.far_mean, cv.accuracy_mean, report.auc
        );
        assert!(
            cv.val_mean <= 0.3,
            "pixel baseline VAL {} is above 0.3: the synthetic task is too easy",
            cv.val_mean
        );
        assert!(
            report.auc > 0.5,
            "pixel distances should still carry some signal, AUC {}",
            report.auc
        );
    }
}
