//! [`FacePipeline`]: image → detections → aligned faces → embeddings, for one photo or a batch.

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
}

impl FacePipeline {
    pub fn new(detector: Box<dyn Detector>, aligner: Box<dyn FaceAligner>, embedder: Box<dyn Embedder>) -> Self {
        Self {
            detector,
            aligner,
            embedder,
            load: LoadOptions::default(),
        }
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

    /// How photos are read (pixel limit, EXIF).
    pub fn load_options(&self) -> LoadOptions {
        self.load
    }

    /// Every face of `image`: its detection and embedding. No face → empty list.
    pub fn process_image(&self, image: &RgbImage) -> Result<Vec<(Detection, Embedding)>> {
        let (detections, faces): (Vec<Detection>, Vec<AlignedFace>) = self.detect_and_align(image)?.into_iter().unzip();
        let embeddings = self.embedder.embed(&faces)?;
        Ok(detections.into_iter().zip(embeddings).collect())
    }

    /// Every face of `image`, detected and aligned but not embedded: callers that embed the faces of many
    /// photos as one batch ([`FacePipeline::embed_aligned`]) split the pipeline here.
    pub fn detect_and_align(&self, image: &RgbImage) -> Result<Vec<(Detection, AlignedFace)>> {
        let detections = self.detector.detect(image)?;
        let faces = detections
            .iter()
            .map(|d| self.aligner.align(image, d))
            .collect::<Result<Vec<AlignedFace>>>()?;
        Ok(detections.into_iter().zip(faces).collect())
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
        let faces = self.process_image(&image).map_err(|e| match e {
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
            .enumerate()
            .map(|(face, (detection, embedding))| FaceRecord {
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
