//! [`FaceNetEmbedder`]: a trained FaceNet checkpoint as a [`facenet_vision::Embedder`], so a user's model
//! replaces the dlib ResNet in every command (`--model CHECKPOINT`).
//!
//! It feeds the network the way the checkpoint says it was trained: crops of the architecture's input size
//! (cut by [`crate::checkpoint::Alignment::aligner`]), standardised by the checkpoint's
//! [`crate::preprocess::Preprocessing`]. Its [`ModelInfo`]: the checkpoint's id, the embedding size, metric
//! squared L2 (the paper's D on unit vectors, range 0…4), the checkpoint's threshold (default
//! [`crate::checkpoint::DEFAULT_THRESHOLD`] = 1.1).

use crate::Result;
use crate::checkpoint::{CheckpointConfig, load_checkpoint};
use crate::finetune::{load_pretrained, pretrained_config};
use crate::models::FaceNet;
use crate::preprocess::faces_to_tensor;
use crate::pretrained::PretrainedFaceNet;
use burn::tensor::Device;
use facenet_assets::Cache;
use facenet_core::Embedding;
use facenet_core::distance::Metric;
use facenet_vision::align::Aligner;
use facenet_vision::{AlignedFace, Embedder, ModelInfo};
use std::path::Path;

/// Faces per forward pass: bounds memory on large inputs.
const BATCH: usize = 32;

/// A FaceNet network with the checkpoint config that says how to feed it.
#[derive(Debug)]
pub struct FaceNetEmbedder {
    model: FaceNet,
    config: CheckpointConfig,
    info: ModelInfo,
    device: Device,
}

impl FaceNetEmbedder {
    /// Loads the checkpoint at `path` (directory, `config.json` or `model.safetensors`) onto `device`.
    pub fn load(path: &Path, device: &Device) -> Result<Self> {
        let (model, config) = load_checkpoint(path, device)?;
        model.check_fits(device, &config.id)?;
        Ok(Self::new(model, config, device))
    }

    /// davidsandberg's pretrained FaceNet ([`crate::pretrained`]) on `device`, as its restored trainable
    /// Inception-ResNet-v1 ([`crate::finetune::load_pretrained`]: batch norms in inference mode compute the
    /// frozen graph's `conv(x) + offset`). Devices other than the CPU embed with it (`--device gpu`); the
    /// CPU runs the faster frozen form. Its [`ModelInfo`] is the frozen model's: the two make one model's
    /// embeddings (within 1e-4; `crates/facenet/tests/gpu.rs`).
    pub fn pretrained(cache: &Cache, device: &Device) -> Result<Self> {
        let model = load_pretrained(cache, device)?;
        let mut embedder = Self::new(model, CheckpointConfig::new(pretrained_config()), device);
        embedder.info = PretrainedFaceNet::model_info();
        Ok(embedder)
    }

    /// Wraps a model in memory (e.g. during training) with the config it was built from.
    pub fn new(model: FaceNet, config: CheckpointConfig, device: &Device) -> Self {
        let info = ModelInfo {
            id: config.id.clone(),
            dim: config.model.embedding_dim,
            input_size: (config.input.width as u32, config.input.height as u32),
            metric: Metric::SquaredL2,
            threshold: config.threshold,
            // A checkpoint's threshold is measured on its own held-out pairs; clustering starts there.
            cluster_threshold: config.threshold,
            compatible_with: config.compatible_with.clone(),
        };
        Self {
            model,
            config,
            info,
            device: device.clone(),
        }
    }

    pub fn config(&self) -> &CheckpointConfig {
        &self.config
    }

    /// The aligner that cuts faces the way this model was trained.
    pub fn aligner(&self) -> Result<Aligner> {
        self.config.alignment.aligner(self.config.input)
    }

    /// Embeds equally sized crops of the input size (checked by the caller).
    fn embed_batch(&self, faces: &[&facenet_vision::RgbImage]) -> Vec<Embedding> {
        let x = faces_to_tensor(faces, &self.config.preprocessing, &self.device); // [n, 3, h, w]
        let y = self.model.forward(x); // [n, d]
        let values = y.into_data().try_to_vec::<f32>().expect("embeddings should be f32");
        values
            .chunks(self.info.dim)
            .map(|row| Embedding::new(row.to_vec()))
            .collect()
    }
}

impl Embedder for FaceNetEmbedder {
    fn info(&self) -> &ModelInfo {
        &self.info
    }

    fn embed(&self, faces: &[AlignedFace]) -> facenet_vision::Result<Vec<Embedding>> {
        let expected = self.info.input_size;
        if let Some((i, face)) = faces.iter().enumerate().find(|(_, f)| f.image.dimensions() != expected) {
            let (w, h) = face.image.dimensions();
            return Err(facenet_vision::Error::Invalid(format!(
                "face {i} is {w}×{h}; model {} takes {}×{} crops",
                self.info.id, expected.0, expected.1
            )));
        }
        let images: Vec<_> = faces.iter().map(|f| &f.image).collect();
        Ok(images.chunks(BATCH).flat_map(|chunk| self.embed_batch(chunk)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::save_checkpoint;
    use crate::models::{Arch, FaceNetConfig};
    use facenet_vision::RgbImage;

    fn face(w: u32, h: u32, seed: u8) -> AlignedFace {
        AlignedFace {
            image: RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7) as u8 ^ seed, (y * 3) as u8, seed])),
        }
    }

    #[test]
    fn embeds_a_checkpoint_like_the_model_does() {
        let device = Device::flex();
        let dir = tempfile::tempdir().unwrap();
        let mut config = CheckpointConfig::new(FaceNetConfig::new(Arch::Nns2).with_embedding_dim(64));
        config.id = "my-nns2".into();
        config.threshold = 0.9;
        let model = config.model.init(&device);
        save_checkpoint(dir.path(), &model, &config).unwrap();
        let embedder = FaceNetEmbedder::load(dir.path(), &device).unwrap();
        let info = embedder.info();
        assert_eq!(
            (info.id.as_str(), info.dim, info.input_size, info.threshold),
            ("my-nns2", 64, (116, 140), 0.9)
        );
        assert_eq!(info.metric, Metric::SquaredL2);

        let faces: Vec<_> = (0..3).map(|i| face(116, 140, i * 40)).collect();
        let embeddings = embedder.embed(&faces).unwrap();
        assert_eq!(embeddings.len(), 3);
        // the same numbers as the network on the standardised tensor
        let images: Vec<_> = faces.iter().map(|f| &f.image).collect();
        let direct = model.forward(faces_to_tensor(&images, &config.preprocessing, &device));
        let direct = direct.into_data().try_to_vec::<f32>().unwrap();
        for (i, e) in embeddings.iter().enumerate() {
            assert!((e.l2_norm() - 1.0).abs() < 1e-4);
            assert_eq!(e.as_slice(), &direct[i * 64..(i + 1) * 64]);
        }
    }

    #[test]
    fn a_crop_of_the_wrong_size_is_refused() {
        let device = Device::flex();
        let config = CheckpointConfig::new(FaceNetConfig::new(Arch::Nns2));
        let embedder = FaceNetEmbedder::new(config.model.init(&device), config, &device);
        let err = embedder
            .embed(&[face(116, 140, 0), face(96, 96, 1)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("face 1 is 96×96") && err.contains("116×140"), "{err}");
    }

    #[test]
    fn default_alignment_gives_crops_of_the_input_size() {
        let device = Device::flex();
        for arch in [Arch::Nn4, Arch::Nns2] {
            let config = CheckpointConfig::new(FaceNetConfig::new(arch));
            let embedder = FaceNetEmbedder::new(config.model.init(&device), config, &device);
            let photo = RgbImage::from_pixel(300, 300, image::Rgb([90, 90, 90]));
            let detection = facenet_vision::Detection {
                bbox: facenet_vision::BBox::new(100.0, 80.0, 200.0, 210.0),
                score: 1.0,
                landmarks: Some(facenet_vision::FaceLandmarks {
                    scheme: facenet_vision::LandmarkScheme::Mtcnn5,
                    points: [
                        (130.0, 130.0),
                        (170.0, 130.0),
                        (150.0, 155.0),
                        (135.0, 180.0),
                        (165.0, 180.0),
                    ]
                    .map(|(x, y)| facenet_vision::Point::new(x, y))
                    .to_vec(),
                }),
            };
            let crop = facenet_vision::FaceAligner::align(&embedder.aligner().unwrap(), &photo, &detection).unwrap();
            assert_eq!(crop.image.dimensions(), embedder.info().input_size, "{arch}");
        }
    }
}
