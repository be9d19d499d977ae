//! Limits that keep the server answering under load and bad input: a bounded number of requests admitted
//! to the engine at once (more → 503 with `Retry-After`), a time limit per request (→ 504), and the body
//! size limit (→ 413); the router applies them (see [`crate::app`]: its `admit` middleware holds the queue and the time limit). The pixel limit is checked on the
//! image's declared size before decoding (`LoadOptions::max_pixels` of the pipeline).

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
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            body_bytes: 10 * 1024 * 1024,
            queue: 256,
            timeout: Duration::from_secs(30),
            retry_after_s: 1,
        }
    }
}
