//! The pipeline's stages as traits: [`Detector`], [`FaceAligner`], [`Embedder`]; and the type between
//! alignment and embedding, [`AlignedFace`].

use crate::{Detection, Result};
use facenet_core::{Embedding, distance::Metric};
use image::RgbImage;
use serde::{Deserialize, Serialize};

/// Finds faces in a photo. A photo without a face gives an empty list, not an error.
pub trait Detector: Send + Sync {
    fn detect(&self, image: &RgbImage) -> Result<Vec<Detection>>;

    /// The least score a face needs before it feeds a decision (enrol, compare, identify, recognise,
    /// cluster, crop): stricter than the detector's own threshold where measurements put false
    /// detections above that. By default every detection counts.
    fn decision_min_score(&self) -> f32 {
        f32::NEG_INFINITY
    }
}

/// A detector whose faces scoring below `min_score` are dropped (`detect --crop --min-score`).
pub struct ScoreFloor<'a> {
    pub detector: &'a dyn Detector,
    pub min_score: f32,
}

impl Detector for ScoreFloor<'_> {
    fn detect(&self, image: &RgbImage) -> Result<Vec<Detection>> {
        let mut faces = self.detector.detect(image)?;
        faces.retain(|d| d.score >= self.min_score);
        Ok(faces)
    }

    fn decision_min_score(&self) -> f32 {
        self.min_score
    }
}

/// A face cut out of its photo at a model's input size, ready to embed.
#[derive(Debug, Clone)]
pub struct AlignedFace {
    /// The crop, `width × height` of the model's input.
    pub image: RgbImage,
}

/// Cuts a detected face out of its photo the way one model expects (dlib chip, similarity-aligned
/// crop, tight crop). It may refine the detection (dlib runs its own landmark predictor on the box).
pub trait FaceAligner: Send + Sync {
    fn align(&self, image: &RgbImage, detection: &Detection) -> Result<AlignedFace>;
}

/// What a caller must know about an embedding model to use its output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// A stable id, stored with every embedding (a gallery refuses to mix models).
    pub id: String,
    /// The embedding dimension.
    pub dim: usize,
    /// The input crop size (width, height).
    pub input_size: (u32, u32),
    /// The metric the default threshold is expressed in.
    pub metric: Metric,
    /// The default same/different threshold under `metric`.
    pub threshold: f32,
    /// The default threshold for clustering under `metric` (`facenet cluster`): where average-linkage
    /// clusters of one person stop merging with others, measured per model.
    pub cluster_threshold: f32,
    /// Ids of other models whose embeddings this model's may be compared with (a harmonic training
    /// run's old model, FaceNet Sec. 6): a gallery of such a model accepts this model's probes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub compatible_with: Vec<String>,
}

/// Maps aligned faces to embeddings, in batches. Implementations may run on any device.
pub trait Embedder: Send + Sync {
    fn info(&self) -> &ModelInfo;
    fn embed(&self, faces: &[AlignedFace]) -> Result<Vec<Embedding>>;
}
