//! The CPU work of a photo (decode → detect → align) runs on a fixed pool of worker threads, one per core
//! by default, fed by one first-in-first-out queue: requests are served in arrival order, and at most
//! `workers` photos are decoded (with their MTCNN image pyramids, a few hundred MB for a large photo) at
//! once, whatever the number of clients. Without the bound, 200 concurrent uploads were 200 decoded photos
//! and pyramids at once (RSS 10 GB) competing for the same cores. A fixed set of threads also keeps the
//! number of malloc arenas that hold those buffers fixed. The embeddings are batched across requests
//! separately ([`crate::batching`]).

use crate::errors::{ApiError, ApiResult};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce() + Send>;

/// How many photos wait for a worker, how many are being worked on, and the most at once.
#[derive(Debug, Default)]
pub struct WorkerLoad {
    waiting: AtomicUsize,
    running: AtomicUsize,
    peak_running: AtomicUsize,
}

impl WorkerLoad {
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    pub fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    /// The most jobs that ran at once since the start.
    pub fn peak_running(&self) -> usize {
        self.peak_running.load(Ordering::Relaxed)
    }

    fn started(&self) {
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        let now = self.running.fetch_add(1, Ordering::Relaxed) + 1;
        self.peak_running.fetch_max(now, Ordering::Relaxed);
    }

    fn finished(&self) {
        self.running.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The handle jobs are queued through; the workers end when the last handle is dropped.
#[derive(Clone)]
pub struct Workers {
    jobs: Sender<Job>,
    load: Arc<WorkerLoad>,
    count: usize,
}

impl Workers {
    /// Starts `count` worker threads (at least one).
    pub fn start(count: usize) -> Self {
        let count = count.max(1);
        let (jobs, receiver) = channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..count {
            let receiver = receiver.clone();
            std::thread::Builder::new()
                .name(format!("facenet-worker-{i}"))
                .spawn(move || work(&receiver))
                .expect("a worker thread should start");
        }
        Self {
            jobs,
            load: Arc::new(WorkerLoad::default()),
            count,
        }
    }

    /// The number of worker threads.
    pub fn count(&self) -> usize {
        self.count
    }

    pub fn load(&self) -> &Arc<WorkerLoad> {
        &self.load
    }

    /// Runs `job` on a worker once the jobs queued before it have started; its result, or an error if it
    /// panicked.
    pub async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> ApiResult<T> {
        let (reply, answer) = oneshot::channel();
        let load = self.load.clone();
        load.waiting.fetch_add(1, Ordering::Relaxed);
        let queued: Job = Box::new(move || {
            load.started();
            let result = catch_unwind(AssertUnwindSafe(job));
            load.finished();
            // a request that timed out no longer listens: nothing to do
            let _ = reply.send(result);
        });
        self.jobs
            .send(queued)
            .map_err(|_| ApiError::internal("the worker threads have stopped"))?;
        answer
            .await
            .map_err(|_| ApiError::internal("a worker thread dropped a request"))?
            .map_err(|_| ApiError::internal("a worker thread panicked on this request"))
    }
}

fn work(jobs: &Mutex<Receiver<Job>>) {
    loop {
        let next = jobs.lock().unwrap_or_else(|p| p.into_inner()).recv();
        match next {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

/// One worker per core the process may use.
pub fn default_count() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn at_most_count_jobs_run_at_once_and_all_finish() {
        let workers = Workers::start(2);
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let workers = workers.clone();
                tokio::spawn(async move {
                    workers
                        .run(move || {
                            std::thread::sleep(Duration::from_millis(20));
                            i * 2
                        })
                        .await
                })
            })
            .collect();
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap().unwrap());
        }
        assert_eq!(results, (0..12).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(workers.load().peak_running(), 2);
        assert_eq!((workers.load().running(), workers.load().waiting()), (0, 0));
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_and_the_worker_goes_on() {
        let workers = Workers::start(1);
        let error = workers.run(|| panic!("bad photo")).await.unwrap_err();
        assert_eq!(error.status, 500);
        assert_eq!(workers.run(|| 7).await.unwrap(), 7);
    }
}
