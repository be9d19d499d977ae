//! `/metrics` in the Prometheus text format (exposition format 0.0.4): requests by endpoint and status,
//! latency histograms by endpoint, the sizes of the embedding batches, the depth of the queue of
//! requests waiting for the engine, and the load of the worker pool (photos waiting, in work, the peak).

use crate::workers::{WorkerLoad, Workers};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Upper bounds of the latency buckets, seconds.
const LATENCY_BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
/// Upper bounds of the batch-size buckets, faces.
const BATCH_BUCKETS: [f64; 8] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0];

#[derive(Debug, Clone, Default)]
struct Histogram {
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, bounds: &[f64], value: f64) {
        if self.counts.is_empty() {
            self.counts = vec![0; bounds.len()];
        }
        for (count, bound) in self.counts.iter_mut().zip(bounds) {
            if value <= *bound {
                *count += 1;
            }
        }
        self.sum += value;
        self.count += 1;
    }

    fn write(&self, out: &mut String, name: &str, labels: &str, bounds: &[f64]) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, bound) in bounds.iter().enumerate() {
            let count = self.counts.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {count}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", self.count);
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let _ = writeln!(out, "{name}_sum{braces} {}", self.sum);
        let _ = writeln!(out, "{name}_count{braces} {}", self.count);
    }
}

#[derive(Debug, Default)]
struct Recorded {
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    batches: Histogram,
}

/// The server's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    recorded: Mutex<Recorded>,
    queue_depth: AtomicUsize,
    workers: OnceLock<(usize, Arc<WorkerLoad>)>,
}

impl Metrics {
    /// One answered request: its route (the path pattern), status and time.
    pub fn record_request(&self, endpoint: &str, status: u16, seconds: f64) {
        let mut recorded = self.recorded.lock().unwrap_or_else(|p| p.into_inner());
        *recorded.requests.entry((endpoint.to_string(), status)).or_default() += 1;
        recorded
            .latency
            .entry(endpoint.to_string())
            .or_default()
            .observe(&LATENCY_BUCKETS, seconds);
    }

    /// One forward pass of `faces` faces.
    pub fn record_batch(&self, faces: usize) {
        let mut recorded = self.recorded.lock().unwrap_or_else(|p| p.into_inner());
        recorded.batches.observe(&BATCH_BUCKETS, faces as f64);
    }

    /// A request entered (+1) or left (−1) the engine's queue.
    pub fn queue_entered(&self) {
        self.queue_depth.fetch_add(1, Ordering::Relaxed);
    }

    pub fn queue_left(&self) {
        self.queue_depth.fetch_sub(1, Ordering::Relaxed);
    }

    /// Reports the load of `workers` (the first pool given; an engine has one).
    pub fn watch_workers(&self, workers: &Workers) {
        let _ = self.workers.set((workers.count(), workers.load().clone()));
    }

    /// The Prometheus text.
    pub fn render(&self) -> String {
        let recorded = self.recorded.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::new();
        out.push_str("# HELP facenet_http_requests_total Requests answered, by route and status.\n");
        out.push_str("# TYPE facenet_http_requests_total counter\n");
        for ((endpoint, status), count) in &recorded.requests {
            let _ = writeln!(
                out,
                "facenet_http_requests_total{{endpoint=\"{endpoint}\",status=\"{status}\"}} {count}"
            );
        }
        out.push_str("# HELP facenet_http_request_duration_seconds Time to answer, by route.\n");
        out.push_str("# TYPE facenet_http_request_duration_seconds histogram\n");
        for (endpoint, histogram) in &recorded.latency {
            histogram.write(
                &mut out,
                "facenet_http_request_duration_seconds",
                &format!("endpoint=\"{endpoint}\""),
                &LATENCY_BUCKETS,
            );
        }
        out.push_str("# HELP facenet_embedding_batch_faces Faces per embedding forward pass.\n");
        out.push_str("# TYPE facenet_embedding_batch_faces histogram\n");
        recorded
            .batches
            .write(&mut out, "facenet_embedding_batch_faces", "", &BATCH_BUCKETS);
        out.push_str("# HELP facenet_queue_depth Requests holding or waiting for the engine.\n");
        out.push_str("# TYPE facenet_queue_depth gauge\n");
        let _ = writeln!(out, "facenet_queue_depth {}", self.queue_depth.load(Ordering::Relaxed));
        if let Some((count, load)) = self.workers.get() {
            write_worker_load(&mut out, *count, load);
        }
        out
    }
}

fn write_worker_load(out: &mut String, count: usize, load: &WorkerLoad) {
    for (name, help, value) in [
        (
            "facenet_workers",
            "Worker threads that decode and detect photos.",
            count,
        ),
        ("facenet_photos_waiting", "Photos waiting for a worker.", load.waiting()),
        (
            "facenet_photos_in_work",
            "Photos being decoded and detected now.",
            load.running(),
        ),
        (
            "facenet_photos_in_work_peak",
            "The most photos decoded and detected at once since the start.",
            load.peak_running(),
        ),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}");
    }
}
