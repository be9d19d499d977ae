//! Turning a photo file into a network-ready face: decode ([`crate::load_rgb`]), then either resize an
//! aligned crop or detect and align the most prominent face with a [`Detector`] and [`FaceAligner`].

use super::{Augment, FaceDataset};
use crate::{Detector, Error, FaceAligner, LoadOptions, Result, load_rgb};
use facenet_core::mining::Sample;
use image::{RgbImage, imageops};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use std::path::Path;
use std::sync::Arc;

/// What the photos on disk are.
#[derive(Clone)]
pub enum Preprocess {
    /// Already aligned face crops: only resized to the input size.
    Crops,
    /// Raw photos: the most prominent detected face is aligned (then resized to the input size).
    Detect {
        detector: Arc<dyn Detector>,
        aligner: Arc<dyn FaceAligner>,
    },
}

impl std::fmt::Debug for Preprocess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Preprocess::Crops => "Crops",
            Preprocess::Detect { .. } => "Detect",
        })
    }
}

/// Loads photos as `width × height` faces (a network's input size).
#[derive(Debug, Clone)]
pub struct FaceLoader {
    pub preprocess: Preprocess,
    pub width: u32,
    pub height: u32,
    pub options: LoadOptions,
}

impl FaceLoader {
    /// A loader for aligned crops.
    pub fn crops(width: u32, height: u32) -> Self {
        Self {
            preprocess: Preprocess::Crops,
            width,
            height,
            options: LoadOptions::default(),
        }
    }

    /// The face of one photo; errors name the file (unreadable, no face found).
    pub fn load(&self, path: &Path) -> Result<RgbImage> {
        let photo = load_rgb(path, &self.options)?;
        let face = match &self.preprocess {
            Preprocess::Crops => photo,
            Preprocess::Detect { detector, aligner } => {
                let detections = detector.detect(&photo)?;
                let best = detections
                    .iter()
                    .max_by(|a, b| a.prominence().total_cmp(&b.prominence()));
                let best = best.ok_or_else(|| Error::Stage(format!("{}: no face found", path.display())))?;
                aligner.align(&photo, best)?.image
            }
        };
        Ok(fit(&face, self.width, self.height))
    }

    /// Loads `samples` of `dataset` in parallel, each augmented with an RNG seeded by (`seed`, position),
    /// so a batch is the same whatever the thread count.
    pub fn load_batch(
        &self,
        dataset: &FaceDataset,
        samples: &[Sample],
        augment: &Augment,
        seed: u64,
    ) -> Result<Vec<RgbImage>> {
        samples
            .par_iter()
            .enumerate()
            .map(|(i, s)| {
                let path = dataset.identities.get(s.identity).and_then(|id| id.photos.get(s.image));
                let path =
                    path.ok_or_else(|| Error::Invalid(format!("sample {s:?} is not in {}", dataset.root.display())))?;
                let face = self.load(path)?;
                let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
                Ok(augment.apply(&face, &mut rng))
            })
            .collect()
    }
}

/// `face` scaled to cover `width × height`, then centre-cropped to it (the aspect ratio is kept).
pub fn fit(face: &RgbImage, width: u32, height: u32) -> RgbImage {
    if face.dimensions() == (width, height) {
        return face.clone();
    }
    let scale = (width as f32 / face.width() as f32).max(height as f32 / face.height() as f32);
    let (w, h) = (
        ((face.width() as f32 * scale).round() as u32).max(width),
        ((face.height() as f32 * scale).round() as u32).max(height),
    );
    let resized = imageops::resize(face, w, h, imageops::FilterType::Triangle);
    imageops::crop_imm(&resized, (w - width) / 2, (h - height) / 2, width, height).to_image()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_aspect_and_reaches_the_size() {
        let square = RgbImage::from_fn(20, 20, |x, _| image::Rgb([x as u8 * 10, 0, 0]));
        let fitted = fit(&square, 8, 10);
        assert_eq!(fitted.dimensions(), (8, 10));
        assert!(
            fitted.get_pixel(0, 5).0[0] > 0,
            "the left edge is cropped, not squeezed"
        );
    }
}
