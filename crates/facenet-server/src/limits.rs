//! Limits that keep the server answering under load and bad input: a bounded number of requests admitted
//! to the engine at once (more → 503 with `Retry-After`), a time limit per request (→ 504), the body size
//! limit (→ 413) and the number of photos decoded and detected at once (the [`crate::workers`], one per
//! core). The router applies the first three (see [`crate::app`]: its `admit` middleware holds the queue
//! and the time limit). The pixel limit is checked on the image's declared size before decoding
//! (`LoadOptions::max_pixels` of the pipeline).
//!
//! Memory is bounded by them: RSS ≤ an idle server (the models, ≈ 200 MB for FaceNet + MTCNN) +
//! `workers` × one photo's decode and detection (its RGB image, f32 copy and MTCNN pyramid; grows with
//! the pixel count, capped by the pixel limit) + `queue` × `body_bytes` for the bodies of admitted
//! requests (each let go once decoded, or once stored for an added example) + the search index.

use std::time::Duration;

/// The server's limits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Largest request body, bytes (CompreFace-like default: 10 MB).
    pub body_bytes: usize,
    /// Requests admitted to the engine at once; more are refused with 503.
    pub queue: usize,
    /// Time limit of one request.
    pub timeout: Duration,
    /// What a 503 tells the client to wait, seconds.
    pub retry_after_s: u32,
    /// Photos decoded and detected at once (worker threads); default: one per core.
    pub workers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 10 * 1024 * 1024,
            queue: 256,
            timeout: Duration::from_secs(30),
            retry_after_s: 1,
            workers: crate::workers::default_count(),
        }
    }
}
