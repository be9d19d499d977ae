//! The engine behind the handlers: the face pipeline (decode → detect → align on the [`Workers`], a
//! first-in-first-out pool of one thread per core; embed through the [`Batcher`]), the gallery (one
//! connection behind a mutex, used on blocking threads), the search index (kept across requests: faces
//! added through the server are appended to it, any other change makes it reload) and the API keys
//! (cached for [`KEYS_TTL`], reloaded at once after a change through the server).

use crate::batching::{BatchConfig, Batcher};
use crate::errors::{ApiError, ApiResult};
use crate::metrics::Metrics;
use crate::params::FaceParams;
use crate::similarity::Similarity;
use crate::workers::Workers;
use axum::body::Bytes;
use facenet::gallery::keys::ApiKey;
use facenet::gallery::{Engine as SearchEngine, Gallery, GalleryModel, SearchIndex};
use facenet::vision::load_rgb_from_memory;
use facenet::{AlignedFace, Detection, Embedding, FacePipeline, ModelInfo};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How long the server trusts its copy of the API keys: keys created or revoked by another process
/// (`facenet keys …` while the server runs) take effect within this time; changes made through the
/// engine ([`Engine::change_gallery`]) at once.
pub const KEYS_TTL: Duration = Duration::from_secs(1);

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

/// Counts of the gallery's changes made through the engine, bumped under the gallery's lock.
#[derive(Debug, Default)]
struct Changes {
    /// Changes that only add faces or subjects: the index appends them.
    appended: AtomicU64,
    /// Any other change (removal, rename, keys): the index reloads.
    rewritten: AtomicU64,
}

impl Changes {
    fn now(&self) -> (u64, u64) {
        (
            self.appended.load(Ordering::SeqCst),
            self.rewritten.load(Ordering::SeqCst),
        )
    }
}

/// The search index and the changes it has taken in.
struct CachedIndex {
    index: SearchIndex,
    appended: u64,
    rewritten: u64,
}

/// The API keys as last read, and when.
type CachedKeys = Option<(Instant, Arc<Vec<ApiKey>>)>;

/// The pipeline, the gallery, the index and the keys.
pub struct Engine {
    pipeline: Arc<FacePipeline>,
    workers: Workers,
    batcher: Batcher,
    gallery: Arc<Mutex<Gallery>>,
    changes: Arc<Changes>,
    index: Arc<RwLock<Option<CachedIndex>>>,
    keys: Mutex<CachedKeys>,
    /// One reload of the keys at a time; the others wait for it.
    keys_reload: tokio::sync::Mutex<()>,
    similarity: Similarity,
    detector_name: String,
}

impl Engine {
    /// Binds `gallery` to the pipeline's model (refused if it holds another model's faces), starts
    /// `workers` worker threads and the batching thread.
    pub fn new(
        pipeline: Arc<FacePipeline>,
        mut gallery: Gallery,
        detector_name: &str,
        batch: BatchConfig,
        workers: usize,
        metrics: Arc<Metrics>,
    ) -> facenet::gallery::Result<Self> {
        let info = pipeline.model_info().clone();
        gallery.bind_model(&GalleryModel::from(&info))?;
        let workers = Workers::start(workers);
        metrics.watch_workers(&workers);
        Ok(Self {
            batcher: Batcher::start(pipeline.clone(), batch, metrics),
            workers,
            similarity: Similarity::new(info.metric, info.threshold),
            pipeline,
            gallery: Arc::new(Mutex::new(gallery)),
            changes: Arc::default(),
            index: Arc::default(),
            keys: Mutex::default(),
            keys_reload: tokio::sync::Mutex::default(),
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

    /// The worker pool the photos are decoded and detected on.
    pub fn workers(&self) -> &Workers {
        &self.workers
    }

    /// The faces of the photo `bytes` that pass `params` (probability, biggest first, limit), embedded
    /// when `embed` is set. The photo waits for a worker in arrival order.
    pub async fn faces(&self, bytes: Bytes, params: &FaceParams, embed: bool) -> ApiResult<PhotoFaces> {
        let pipeline = self.pipeline.clone();
        let params = params.clone();
        let start = Instant::now();
        let found = self
            .workers
            .run(move || detect_and_align(&pipeline, bytes, &params))
            .await??;
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

    /// Runs `add` on the gallery on a blocking thread: a change that only adds faces or subjects, which
    /// the index takes in by appending them.
    pub async fn add_to_gallery<T: Send + 'static>(
        &self,
        add: impl FnOnce(&mut Gallery) -> facenet::gallery::Result<T> + Send + 'static,
    ) -> ApiResult<T> {
        self.write_gallery(add, |changes| &changes.appended).await
    }

    /// Runs `change` on the gallery on a blocking thread: any change; the index reloads before the next
    /// search and the keys before the next check.
    pub async fn change_gallery<T: Send + 'static>(
        &self,
        change: impl FnOnce(&mut Gallery) -> facenet::gallery::Result<T> + Send + 'static,
    ) -> ApiResult<T> {
        let result = self.write_gallery(change, |changes| &changes.rewritten).await;
        *self.keys.lock().unwrap_or_else(|p| p.into_inner()) = None;
        result
    }

    async fn write_gallery<T: Send + 'static>(
        &self,
        write: impl FnOnce(&mut Gallery) -> facenet::gallery::Result<T> + Send + 'static,
        counter: fn(&Changes) -> &AtomicU64,
    ) -> ApiResult<T> {
        let gallery = self.gallery.clone();
        let changes = self.changes.clone();
        tokio::task::spawn_blocking(move || {
            let mut gallery = gallery.lock().unwrap_or_else(|p| p.into_inner());
            let result = write(&mut gallery);
            counter(&changes).fetch_add(1, Ordering::SeqCst);
            result
        })
        .await
        .map_err(|e| ApiError::internal(format!("gallery task failed: {e}")))?
        .map_err(ApiError::from)
    }

    /// Runs `search` on the search index, brought up to date with the changes made before the call.
    pub async fn with_index<T>(&self, search: impl FnOnce(&SearchIndex) -> T) -> ApiResult<T> {
        if !self.index_is_current() {
            self.update_index().await?;
        }
        let cached = self.index.read().unwrap_or_else(|p| p.into_inner());
        let cached = cached
            .as_ref()
            .ok_or_else(|| ApiError::internal("the search index is missing"))?;
        Ok(search(&cached.index))
    }

    fn index_is_current(&self) -> bool {
        let cached = self.index.read().unwrap_or_else(|p| p.into_inner());
        cached
            .as_ref()
            .is_some_and(|c| (c.appended, c.rewritten) == self.changes.now())
    }

    /// Appends the faces added since the last update, or reloads the index after any other change.
    async fn update_index(&self) -> ApiResult<()> {
        let gallery = self.gallery.clone();
        let changes = self.changes.clone();
        let index = self.index.clone();
        tokio::task::spawn_blocking(move || {
            let gallery = gallery.lock().unwrap_or_else(|p| p.into_inner());
            let (appended, rewritten) = changes.now();
            let mut cached = index.write().unwrap_or_else(|p| p.into_inner());
            match cached.as_mut() {
                Some(c) if c.rewritten == rewritten => {
                    if c.appended != appended {
                        c.index.append_new_faces(&gallery)?;
                        c.appended = appended;
                    }
                }
                _ => {
                    *cached = Some(CachedIndex {
                        index: SearchIndex::open(&gallery, SearchEngine::Auto)?,
                        appended,
                        rewritten,
                    })
                }
            }
            Ok(())
        })
        .await
        .map_err(|e| ApiError::internal(format!("index task failed: {e}")))?
    }

    /// The API keys, read from the gallery at most [`KEYS_TTL`] ago (or since the last change made
    /// through the engine).
    pub async fn api_keys(&self) -> ApiResult<Arc<Vec<ApiKey>>> {
        if let Some(keys) = self.fresh_keys() {
            return Ok(keys);
        }
        let _reloading = self.keys_reload.lock().await;
        if let Some(keys) = self.fresh_keys() {
            return Ok(keys);
        }
        let keys = Arc::new(self.read_gallery(|g| g.api_keys()).await?);
        *self.keys.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), keys.clone()));
        Ok(keys)
    }

    fn fresh_keys(&self) -> Option<Arc<Vec<ApiKey>>> {
        match &*self.keys.lock().unwrap_or_else(|p| p.into_inner()) {
            Some((read_at, keys)) if read_at.elapsed() < KEYS_TTL => Some(keys.clone()),
            _ => None,
        }
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

/// Decodes `bytes` (pixel limit checked before decoding; the bytes are let go once decoded), detects and
/// aligns its faces and keeps those `params` asks for.
fn detect_and_align(
    pipeline: &FacePipeline,
    bytes: Bytes,
    params: &FaceParams,
) -> ApiResult<Vec<(Detection, AlignedFace)>> {
    let image = load_rgb_from_memory(&bytes, Path::new("uploaded image"), &pipeline.load_options())?;
    drop(bytes);
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
