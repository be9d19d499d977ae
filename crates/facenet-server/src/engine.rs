//! The engine behind the handlers: the face pipeline (decode → detect → align on a blocking thread, embed
//! through the [`Batcher`]), the gallery (one connection behind a mutex, used on blocking threads) and a
//! search index cached until the gallery changes.

use crate::batching::{BatchConfig, Batcher};
use crate::errors::{ApiError, ApiResult};
use crate::metrics::Metrics;
use crate::params::FaceParams;
use crate::similarity::Similarity;
use facenet::gallery::{Engine as SearchEngine, Gallery, GalleryModel, SearchIndex};
use facenet::vision::load_rgb_from_memory;
use facenet::{AlignedFace, Detection, Embedding, FacePipeline, ModelInfo};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One face of an uploaded photo.
#[derive(Debug, Clone)]
pub struct Face {
    pub detection: Detection,
    /// `None` when the request asked for detection only.
    pub embedding: Option<Embedding>,
}

/// The faces of one photo and how long each stage took (CompreFace's `execution_time`), milliseconds.
#[derive(Debug, Clone)]
pub struct PhotoFaces {
    pub faces: Vec<Face>,
    pub detector_ms: f64,
    pub calculator_ms: f64,
}

/// The pipeline, the gallery and the cached index.
pub struct Engine {
    pipeline: Arc<FacePipeline>,
    batcher: Batcher,
    gallery: Arc<Mutex<Gallery>>,
    /// Bumped by every change of the gallery, under its lock.
    generation: Arc<AtomicU64>,
    index: Mutex<Option<(u64, Arc<SearchIndex>)>>,
    similarity: Similarity,
    detector_name: String,
}

impl Engine {
    /// Binds `gallery` to the pipeline's model (refused if it holds another model's faces) and starts
    /// the batching thread.
    pub fn new(
        pipeline: Arc<FacePipeline>,
        mut gallery: Gallery,
        detector_name: &str,
        batch: BatchConfig,
        metrics: Arc<Metrics>,
    ) -> facenet::gallery::Result<Self> {
        let info = pipeline.model_info().clone();
        gallery.bind_model(&GalleryModel::from(&info))?;
        Ok(Self {
            batcher: Batcher::start(pipeline.clone(), batch, metrics),
            similarity: Similarity::new(info.metric, info.threshold),
            pipeline,
            gallery: Arc::new(Mutex::new(gallery)),
            generation: Arc::new(AtomicU64::new(0)),
            index: Mutex::new(None),
            detector_name: detector_name.into(),
        })
    }

    pub fn model(&self) -> &ModelInfo {
        self.pipeline.model_info()
    }

    pub fn detector_name(&self) -> &str {
        &self.detector_name
    }

    pub fn similarity(&self) -> Similarity {
        self.similarity
    }

    /// The faces of the photo `bytes` that pass `params` (probability, biggest first, limit), embedded
    /// when `embed` is set.
    pub async fn faces(&self, bytes: Vec<u8>, params: &FaceParams, embed: bool) -> ApiResult<PhotoFaces> {
        let pipeline = self.pipeline.clone();
        let params = params.clone();
        let start = Instant::now();
        let found = tokio::task::spawn_blocking(move || detect_and_align(&pipeline, &bytes, &params))
            .await
            .map_err(|e| ApiError::internal(format!("detection failed: {e}")))??;
        let detector_ms = start.elapsed().as_secs_f64() * 1e3;
        let (detections, aligned): (Vec<Detection>, Vec<AlignedFace>) = found.into_iter().unzip();
        let start = Instant::now();
        let embeddings = if embed {
            self.batcher.embed(aligned).await?.into_iter().map(Some).collect()
        } else {
            vec![None; detections.len()]
        };
        let calculator_ms = start.elapsed().as_secs_f64() * 1e3;
        let faces = detections
            .into_iter()
            .zip(embeddings)
            .map(|(detection, embedding)| Face { detection, embedding })
            .collect();
        Ok(PhotoFaces {
            faces,
            detector_ms,
            calculator_ms,
        })
    }

    /// Runs `read` on the gallery on a blocking thread.
    pub async fn read_gallery<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Gallery) -> facenet::gallery::Result<T> + Send + 'static,
    ) -> ApiResult<T> {
        let gallery = self.gallery.clone();
        tokio::task::spawn_blocking(move || read(&gallery.lock().unwrap_or_else(|p| p.into_inner())))
            .await
            .map_err(|e| ApiError::internal(format!("gallery task failed: {e}")))?
            .map_err(ApiError::from)
    }

    /// Runs `change` on the gallery on a blocking thread; the cached index is stale afterwards.
    pub async fn change_gallery<T: Send + 'static>(
        &self,
        change: impl FnOnce(&mut Gallery) -> facenet::gallery::Result<T> + Send + 'static,
    ) -> ApiResult<T> {
        let gallery = self.gallery.clone();
        let generation = self.generation.clone();
        tokio::task::spawn_blocking(move || {
            let mut gallery = gallery.lock().unwrap_or_else(|p| p.into_inner());
            let result = change(&mut gallery);
            generation.fetch_add(1, Ordering::SeqCst);
            result
        })
        .await
        .map_err(|e| ApiError::internal(format!("gallery task failed: {e}")))?
        .map_err(ApiError::from)
    }

    /// The search index of the gallery as it is now (rebuilt after a change).
    pub async fn index(&self) -> ApiResult<Arc<SearchIndex>> {
        let current = self.generation.load(Ordering::SeqCst);
        if let Some((generation, index)) = self.index.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
            && *generation == current
        {
            return Ok(index.clone());
        }
        let gallery = self.gallery.clone();
        let generation = self.generation.clone();
        let (built_at, index) = tokio::task::spawn_blocking(move || {
            let gallery = gallery.lock().unwrap_or_else(|p| p.into_inner());
            let built_at = generation.load(Ordering::SeqCst);
            SearchIndex::open(&gallery, SearchEngine::Auto).map(|index| (built_at, Arc::new(index)))
        })
        .await
        .map_err(|e| ApiError::internal(format!("index task failed: {e}")))??;
        *self.index.lock().unwrap_or_else(|p| p.into_inner()) = Some((built_at, index.clone()));
        Ok(index)
    }

    /// The gallery's file, for logs.
    pub fn gallery_path(&self) -> std::path::PathBuf {
        self.gallery
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .path()
            .to_path_buf()
    }
}

/// Decodes `bytes` (pixel limit checked before decoding), detects and aligns its faces and keeps those
/// `params` asks for.
fn detect_and_align(
    pipeline: &FacePipeline,
    bytes: &[u8],
    params: &FaceParams,
) -> ApiResult<Vec<(Detection, AlignedFace)>> {
    let image = load_rgb_from_memory(bytes, Path::new("uploaded image"), &pipeline.load_options())?;
    let mut faces = pipeline
        .detect_and_align(&image)
        .map_err(|e| ApiError::internal(format!("detection failed: {e}")))?;
    faces.retain(|(d, _)| d.score >= params.det_prob_threshold);
    faces.sort_by(|a, b| b.0.bbox.area().total_cmp(&a.0.bbox.area()));
    if params.limit > 0 {
        faces.truncate(params.limit);
    }
    Ok(faces)
}
