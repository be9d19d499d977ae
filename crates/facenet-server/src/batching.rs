//! Shared forward passes: faces from requests that arrive within a few milliseconds of each other are
//! embedded as one batch. Requests send their aligned faces to one batching thread over a channel; it
//! takes the first job, gathers what else arrives within the window (up to a batch size), runs the
//! embedder once and answers each job with its own embeddings.

use crate::errors::{ApiError, ApiResult};
use crate::metrics::Metrics;
use facenet::{AlignedFace, Embedding, FacePipeline};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How batches are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchConfig {
    /// How long the first job of a batch waits for others.
    pub window: Duration,
    /// At most this many faces per forward pass.
    pub max_faces: usize,
}

impl Default for BatchConfig {
    fn default() -> Self {
        Self {
            window: Duration::from_millis(5),
            max_faces: 32,
        }
    }
}

struct Job {
    faces: Vec<AlignedFace>,
    reply: oneshot::Sender<Result<Vec<Embedding>, String>>,
}

/// The handle requests embed through; the batching thread ends when the last handle is dropped.
#[derive(Clone)]
pub struct Batcher {
    jobs: Sender<Job>,
}

impl Batcher {
    /// Starts the batching thread over `pipeline`'s embedder.
    pub fn start(pipeline: Arc<FacePipeline>, config: BatchConfig, metrics: Arc<Metrics>) -> Self {
        let (jobs, receiver) = channel();
        std::thread::Builder::new()
            .name("facenet-batcher".into())
            .spawn(move || run_batches(&pipeline, config, &metrics, receiver))
            .expect("the batching thread should start");
        Self { jobs }
    }

    /// The embeddings of `faces`, computed in a batch with other requests' faces.
    pub async fn embed(&self, faces: Vec<AlignedFace>) -> ApiResult<Vec<Embedding>> {
        if faces.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Job { faces, reply })
            .map_err(|_| ApiError::internal("the embedding thread has stopped"))?;
        answer
            .await
            .map_err(|_| ApiError::internal("the embedding thread dropped a request"))?
            .map_err(ApiError::internal)
    }
}

fn run_batches(pipeline: &FacePipeline, config: BatchConfig, metrics: &Metrics, jobs: Receiver<Job>) {
    while let Ok(first) = jobs.recv() {
        let batch = gather(first, &jobs, config);
        embed_batch(pipeline, metrics, batch);
    }
}

/// `first` and the jobs that arrive within the window, up to `max_faces` faces.
fn gather(first: Job, jobs: &Receiver<Job>, config: BatchConfig) -> Vec<Job> {
    let deadline = Instant::now() + config.window;
    let mut faces = first.faces.len();
    let mut batch = vec![first];
    while faces < config.max_faces {
        let left = deadline.saturating_duration_since(Instant::now());
        match jobs.recv_timeout(left) {
            Ok(job) => {
                faces += job.faces.len();
                batch.push(job);
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
        }
    }
    batch
}

fn embed_batch(pipeline: &FacePipeline, metrics: &Metrics, batch: Vec<Job>) {
    let counts: Vec<usize> = batch.iter().map(|j| j.faces.len()).collect();
    let mut replies = Vec::with_capacity(batch.len());
    let mut faces = Vec::with_capacity(counts.iter().sum());
    for job in batch {
        faces.extend(job.faces);
        replies.push(job.reply);
    }
    metrics.record_batch(faces.len());
    match pipeline.embed_aligned(&faces) {
        Ok(embeddings) => {
            let mut rest = embeddings.into_iter();
            for (reply, count) in replies.into_iter().zip(counts) {
                // a request that timed out no longer listens: nothing to do
                let _ = reply.send(Ok(rest.by_ref().take(count).collect()));
            }
        }
        Err(error) => {
            for reply in replies {
                let _ = reply.send(Err(format!("embedding failed: {error}")));
            }
        }
    }
}
