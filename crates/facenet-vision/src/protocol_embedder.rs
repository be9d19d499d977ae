//! [`ProtocolEmbedder`]: one embedding per photo, as evaluation protocols (LFW, YouTube Faces) need.
//!
//! - [`FaceCrop::Detector`]: the pipeline's detector and aligner; the most prominent face
//!   ([`Detection::prominence`](crate::Detection::prominence)) of the photo; no face → `None`.
//! - [`FaceCrop::CenterCrop`]: no detector; the central square of side [`CENTER_CROP_FRACTION`] × the
//!   shorter image side, resized to the model's input (FaceNet Sec. 5.7's "fixed center crop" of LFW's
//!   250×250 images, whose faces are centred by the LFW pipeline: a 150-pixel square there).
//! - `flip`: the mean of the embeddings of the photo and of its left-right mirror, renormalised to unit
//!   length (test-time augmentation, as in davidsandberg's `--use_flipped_images`); when the mirror shows
//!   no face the photo's own embedding, unit-normalised, is used.

use crate::{AlignedFace, Error, FacePipeline, LoadOptions, Result, load_rgb};
use facenet_core::Embedding;
use image::RgbImage;
use image::imageops::{self, FilterType};
use std::path::Path;

/// The side of the centre crop, as a fraction of the shorter image side.
pub const CENTER_CROP_FRACTION: f32 = 0.6;

/// How a protocol photo becomes a face crop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FaceCrop {
    /// Detect and align (the most prominent face).
    #[default]
    Detector,
    /// The image's fixed centre crop, no detection.
    CenterCrop,
}

/// Embeds protocol photos through a [`FacePipeline`].
pub struct ProtocolEmbedder<'a> {
    pipeline: &'a FacePipeline,
    crop: FaceCrop,
    flip: bool,
    load: LoadOptions,
}

impl<'a> ProtocolEmbedder<'a> {
    pub fn new(pipeline: &'a FacePipeline, crop: FaceCrop, flip: bool, load: LoadOptions) -> Self {
        Self {
            pipeline,
            crop,
            flip,
            load,
        }
    }

    /// The embedding of the photo at `path`; `None` when no face is found.
    pub fn embed(&self, path: &Path) -> Result<Option<Embedding>> {
        let image = load_rgb(path, &self.load)?;
        let named = |e: Error| match e {
            Error::Stage(message) => Error::Stage(format!("{}: {message}", path.display())),
            other => other,
        };
        let Some(embedding) = self.embed_image(&image).map_err(named)? else {
            return Ok(None);
        };
        if !self.flip {
            return Ok(Some(embedding));
        }
        let mirrored = self.embed_image(&imageops::flip_horizontal(&image)).map_err(named)?;
        Ok(Some(mean_of(&embedding, mirrored.as_ref())))
    }

    fn embed_image(&self, image: &RgbImage) -> Result<Option<Embedding>> {
        match self.crop {
            FaceCrop::Detector => {
                let faces = self.pipeline.process_image(image)?;
                Ok(faces
                    .into_iter()
                    .max_by(|a, b| a.0.prominence().total_cmp(&b.0.prominence()))
                    .map(|(_, e)| e))
            }
            FaceCrop::CenterCrop => {
                let crop = center_crop(image, self.pipeline.model_info().input_size);
                Ok(self
                    .pipeline
                    .embed_aligned(&[AlignedFace { image: crop }])?
                    .into_iter()
                    .next())
            }
        }
    }
}

/// (a + b) / ‖a + b‖₂, or a / ‖a‖₂ without `b`.
fn mean_of(a: &Embedding, b: Option<&Embedding>) -> Embedding {
    match b {
        Some(b) => Embedding::new(
            a.as_slice()
                .iter()
                .zip(b.as_slice())
                .map(|(x, y)| (x + y) / 2.0)
                .collect(),
        )
        .normalized(),
        None => a.normalized(),
    }
}

/// The central square of side [`CENTER_CROP_FRACTION`] × min(width, height), resized to `size`.
pub fn center_crop(image: &RgbImage, size: (u32, u32)) -> RgbImage {
    let (width, height) = image.dimensions();
    let side = ((width.min(height) as f32 * CENTER_CROP_FRACTION).round() as u32).max(1);
    let crop = imageops::crop_imm(
        image,
        (width - side.min(width)) / 2,
        (height - side.min(height)) / 2,
        side,
        side,
    )
    .to_image();
    imageops::resize(&crop, size.0, size.1, FilterType::Triangle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BBox, Detection, Detector, Embedder, FaceAligner, ModelInfo};
    use facenet_core::distance::Metric;

    /// Two faces: a small bright one on the left, a large dark one on the right (more prominent).
    struct TwoFaces;
    impl Detector for TwoFaces {
        fn detect(&self, image: &RgbImage) -> Result<Vec<Detection>> {
            let w = image.width() as f32;
            let left = BBox {
                x1: 0.0,
                y1: 0.0,
                x2: 10.0,
                y2: 10.0,
            };
            let right = BBox {
                x1: w - 30.0,
                y1: 0.0,
                x2: w,
                y2: 30.0,
            };
            Ok(vec![
                Detection {
                    bbox: left,
                    score: 0.9,
                    landmarks: None,
                },
                Detection {
                    bbox: right,
                    score: 0.9,
                    landmarks: None,
                },
            ])
        }
    }
    /// Crops the box.
    struct Crop;
    impl FaceAligner for Crop {
        fn align(&self, image: &RgbImage, d: &Detection) -> Result<AlignedFace> {
            let b = d.bbox;
            Ok(AlignedFace {
                image: imageops::crop_imm(image, b.x1 as u32, b.y1 as u32, b.width() as u32, b.height() as u32)
                    .to_image(),
            })
        }
    }
    /// (mean red, mean green, side of the crop).
    struct MeanColour(ModelInfo);
    impl Embedder for MeanColour {
        fn info(&self) -> &ModelInfo {
            &self.0
        }
        fn embed(&self, faces: &[AlignedFace]) -> Result<Vec<Embedding>> {
            Ok(faces
                .iter()
                .map(|f| {
                    let n = f.image.pixels().len() as f32;
                    let mean = |c: usize| f.image.pixels().map(|p| f32::from(p.0[c])).sum::<f32>() / n;
                    Embedding::new(vec![mean(0), mean(1), f.image.width() as f32])
                })
                .collect())
        }
    }

    fn pipeline() -> FacePipeline {
        let info = ModelInfo {
            id: "fake".into(),
            dim: 3,
            input_size: (20, 20),
            metric: Metric::SquaredL2,
            threshold: 1.0,
            cluster_threshold: 1.0,
            compatible_with: Vec::new(),
        };
        FacePipeline::new(Box::new(TwoFaces), Box::new(Crop), Box::new(MeanColour(info)))
    }

    /// 100×40: left half red, right half green.
    fn photo(dir: &Path) -> std::path::PathBuf {
        let image = RgbImage::from_fn(100, 40, |x, _| {
            if x < 50 {
                image::Rgb([200, 0, 0])
            } else {
                image::Rgb([0, 100, 0])
            }
        });
        let path = dir.join("photo.png");
        image.save(&path).unwrap();
        path
    }

    #[test]
    fn detector_crop_takes_the_most_prominent_face() {
        let dir = std::env::temp_dir().join(format!("facenet-protocol-embedder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = photo(&dir);
        let pipeline = pipeline();
        let e = ProtocolEmbedder::new(&pipeline, FaceCrop::Detector, false, LoadOptions::default())
            .embed(&path)
            .unwrap()
            .unwrap();
        assert_eq!(e.as_slice(), &[0.0, 100.0, 30.0], "the large green face on the right");
        // Mirrored, the large face sits on the red side: the mean of both, unit length.
        let flipped = ProtocolEmbedder::new(&pipeline, FaceCrop::Detector, true, LoadOptions::default())
            .embed(&path)
            .unwrap()
            .unwrap();
        let expected = Embedding::new(vec![100.0, 50.0, 30.0]).normalized();
        assert!(
            flipped
                .as_slice()
                .iter()
                .zip(expected.as_slice())
                .all(|(a, b)| (a - b).abs() < 1e-6),
            "{flipped:?}"
        );
        let centre = ProtocolEmbedder::new(&pipeline, FaceCrop::CenterCrop, false, LoadOptions::default())
            .embed(&path)
            .unwrap()
            .unwrap();
        assert_eq!(
            centre.as_slice()[2],
            20.0,
            "the centre crop is resized to the model input"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn center_crop_is_central() {
        let image = RgbImage::from_fn(250, 250, |x, y| image::Rgb([x as u8, y as u8, 0]));
        let crop = center_crop(&image, (150, 150));
        assert_eq!(crop.dimensions(), (150, 150));
        assert_eq!(crop.get_pixel(0, 0).0[..2], [50, 50]);
    }
}
