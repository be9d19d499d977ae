//! [`FacePipeline`]: image → detections → aligned faces → embeddings, for one photo or a batch.
//! Faces scoring below the pipeline's minimum score (the detector's [`Detector::decision_min_score`]
//! unless set) are dropped before alignment; the others keep their index in the detector's order, so
//! face N is the same face `facenet detect` lists as face N.

use crate::{AlignedFace, Detection, Detector, Embedder, Error, FaceAligner, LoadOptions, ModelInfo, Result, load_rgb};
use facenet_core::Embedding;
use image::RgbImage;
use rayon::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// One face of one photo, through the whole pipeline.
#[derive(Debug, Clone, Serialize)]
pub struct FaceRecord {
    pub path: PathBuf,
    /// The face's index in its photo (detector order).
    pub face: usize,
    pub detection: Detection,
    pub embedding: Embedding,
}

/// A detector, an aligner and an embedder that belong together.
pub struct FacePipeline {
    detector: Box<dyn Detector>,
    aligner: Box<dyn FaceAligner>,
    embedder: Box<dyn Embedder>,
    load: LoadOptions,
    min_score: f32,
}

impl FacePipeline {
    pub fn new(detector: Box<dyn Detector>, aligner: Box<dyn FaceAligner>, embedder: Box<dyn Embedder>) -> Self {
        Self {
            min_score: detector.decision_min_score(),
            detector,
            aligner,
            embedder,
            load: LoadOptions::default(),
        }
    }

    /// Replaces the least detector score a face needs to be aligned and embedded.
    pub fn with_min_score(mut self, min_score: f32) -> Self {
        self.min_score = min_score;
        self
    }

    /// The least detector score a face needs to be aligned and embedded.
    pub fn min_score(&self) -> f32 {
        self.min_score
    }

    /// Replaces how photos are read (pixel limit, EXIF).
    pub fn with_load_options(mut self, load: LoadOptions) -> Self {
        self.load = load;
        self
    }

    pub fn model_info(&self) -> &ModelInfo {
        self.embedder.info()
    }

    pub fn detector(&self) -> &dyn Detector {
        self.detector.as_ref()
    }

    pub fn embedder(&self) -> &dyn Embedder {
        self.embedder.as_ref()
    }

    /// The aligned crops of `detections` in `image`, in order: what [`FacePipeline::embed_aligned`] reads.
    pub fn align(&self, image: &RgbImage, detections: &[Detection]) -> Result<Vec<AlignedFace>> {
        detections.iter().map(|d| self.aligner.align(image, d)).collect()
    }

    /// How photos are read (pixel limit, EXIF).
    pub fn load_options(&self) -> LoadOptions {
        self.load
    }

    /// Every face of `image` scoring at least the minimum score: its detection and embedding. No face →
    /// empty list.
    pub fn process_image(&self, image: &RgbImage) -> Result<Vec<(Detection, Embedding)>> {
        Ok(self
            .indexed_faces(image)?
            .into_iter()
            .map(|(_, detection, embedding)| (detection, embedding))
            .collect())
    }

    /// Every face of `image` scoring at least the minimum score, detected and aligned but not embedded:
    /// callers that embed the faces of many photos as one batch ([`FacePipeline::embed_aligned`]) split the
    /// pipeline here.
    pub fn detect_and_align(&self, image: &RgbImage) -> Result<Vec<(Detection, AlignedFace)>> {
        let detections: Vec<Detection> = self.kept_detections(image)?.into_iter().map(|(_, d)| d).collect();
        let faces = self.align(image, &detections)?;
        Ok(detections.into_iter().zip(faces).collect())
    }

    /// The detections of `image` scoring at least the minimum score, each with its index in the detector's
    /// order.
    fn kept_detections(&self, image: &RgbImage) -> Result<Vec<(usize, Detection)>> {
        let (kept, dropped): (Vec<_>, Vec<_>) = self
            .detector
            .detect(image)?
            .into_iter()
            .enumerate()
            .partition(|(_, d)| d.score >= self.min_score);
        for (index, d) in &dropped {
            tracing::debug!(
                "face {index} ignored: score {:.3} below the minimum {:.3}",
                d.score,
                self.min_score
            );
        }
        Ok(kept)
    }

    /// [`Self::process_image`] with each face's index in the detector's order.
    fn indexed_faces(&self, image: &RgbImage) -> Result<Vec<(usize, Detection, Embedding)>> {
        let (indices, detections): (Vec<usize>, Vec<Detection>) = self.kept_detections(image)?.into_iter().unzip();
        let faces = self.align(image, &detections)?;
        let embeddings = self.embedder.embed(&faces)?;
        Ok(indices
            .into_iter()
            .zip(detections)
            .zip(embeddings)
            .map(|((index, detection), embedding)| (index, detection, embedding))
            .collect())
    }

    /// Every face of the photo at `path`.
    pub fn process_path(&self, path: &Path) -> Result<Vec<FaceRecord>> {
        let start = std::time::Instant::now();
        let image = load_rgb(path, &self.load)?;
        tracing::debug!(
            "{}: {}×{} decoded in {:.1} ms",
            path.display(),
            image.width(),
            image.height(),
            start.elapsed().as_secs_f64() * 1e3
        );
        let faces = self.indexed_faces(&image).map_err(|e| match e {
            Error::Stage(msg) => Error::Stage(format!("{}: {msg}", path.display())),
            other => other,
        })?;
        tracing::info!(
            "{}: {} faces detected and embedded in {:.1} ms",
            path.display(),
            faces.len(),
            start.elapsed().as_secs_f64() * 1e3
        );
        Ok(faces
            .into_iter()
            .map(|(face, detection, embedding)| FaceRecord {
                path: path.into(),
                face,
                detection,
                embedding,
            })
            .collect())
    }

    /// Every photo of `paths`, in parallel; one result per photo, in order, so one bad file does not stop
    /// the others.
    pub fn process_paths(&self, paths: &[PathBuf]) -> Vec<Result<Vec<FaceRecord>>> {
        paths.par_iter().map(|p| self.process_path(p)).collect()
    }

    /// Embeds already-aligned crops (no detection), e.g. `facenet embed --aligned`.
    pub fn embed_aligned(&self, faces: &[AlignedFace]) -> Result<Vec<Embedding>> {
        self.embedder.embed(faces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BBox;
    use facenet_core::distance::Metric;

    /// Three boxes scored 0.99, 0.5, 0.97 (in that order); counts a decision from 0.9 up.
    struct Scored;
    impl Detector for Scored {
        fn detect(&self, _: &RgbImage) -> Result<Vec<Detection>> {
            Ok([0.99, 0.5, 0.97]
                .iter()
                .enumerate()
                .map(|(i, &score)| Detection {
                    bbox: BBox::new(i as f32, 0.0, i as f32 + 4.0, 4.0),
                    score,
                    landmarks: None,
                })
                .collect())
        }
        fn decision_min_score(&self) -> f32 {
            0.9
        }
    }
    struct Whole;
    impl FaceAligner for Whole {
        fn align(&self, image: &RgbImage, _: &Detection) -> Result<AlignedFace> {
            Ok(AlignedFace { image: image.clone() })
        }
    }
    struct Zero(ModelInfo);
    impl Embedder for Zero {
        fn info(&self) -> &ModelInfo {
            &self.0
        }
        fn embed(&self, faces: &[AlignedFace]) -> Result<Vec<Embedding>> {
            Ok(faces.iter().map(|_| Embedding::new(vec![0.0])).collect())
        }
    }

    fn pipeline() -> FacePipeline {
        let info = ModelInfo {
            id: "zero".into(),
            dim: 1,
            input_size: (8, 8),
            metric: Metric::SquaredL2,
            threshold: 1.0,
            cluster_threshold: 1.0,
            compatible_with: Vec::new(),
        };
        FacePipeline::new(Box::new(Scored), Box::new(Whole), Box::new(Zero(info)))
    }

    fn faces(pipeline: &FacePipeline) -> Vec<(usize, f32)> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.png");
        RgbImage::new(8, 8).save(&path).unwrap();
        pipeline
            .process_path(&path)
            .unwrap()
            .iter()
            .map(|r| (r.face, r.detection.score))
            .collect()
    }

    #[test]
    fn faces_below_the_detectors_decision_score_are_dropped_and_indices_kept() {
        assert_eq!(pipeline().min_score(), 0.9);
        assert_eq!(faces(&pipeline()), [(0, 0.99), (2, 0.97)]);
    }

    #[test]
    fn the_minimum_score_can_be_lowered_or_raised() {
        assert_eq!(faces(&pipeline().with_min_score(0.0)), [(0, 0.99), (1, 0.5), (2, 0.97)]);
        assert_eq!(faces(&pipeline().with_min_score(0.98)), [(0, 0.99)]);
    }
}
