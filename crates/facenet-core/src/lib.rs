//! facenet-core: the math of face recognition, with no deep-learning or image dependency.
//!
//! - [`Embedding`]: an embedding vector (FaceNet's f(x) ∈ Rᵈ, L2-normalised, or a model's raw descriptor).
//! - [`distance`]: squared L2 (FaceNet's D), L2 (dlib's), and batched forms.
//! - [`holdout`]: verification over every pair of a labelled set of embeddings (held-out identities).
//! - [`mining`]: identity-balanced batches and online semi-hard triplet mining (the paper's Sec. 3).
//! - [`harmonic`]: triplets mixing a new model's embeddings with a frozen old model's (the paper's Sec. 6).
//! - [`metrics`]: VAL/FAR, k-fold accuracy, VAL @ FAR, ROC, AUC, EER (the paper's Sec. 5 protocol).
//! - [`protocols`]: LFW and YouTube Faces protocol files, score files, and runners over any embedder.
//! - [`quantize`]: 128-byte int8 embeddings (per-vector scale) and their integer dot product.
//! - [`multiversion!`]: run-time choice of AVX-512, AVX2 or baseline code for a slice loop.
//! - [`cluster`]: agglomerative and Chinese-whispers clustering, pairwise and BCubed precision/recall.
//!
//! All of them work over `&[f32]`, so every model and every store can use them.
//!
//! ```
//! use facenet_core::{Embedding, distance};
//! let a = Embedding::new(vec![1.0, 0.0]).normalized();
//! let b = Embedding::new(vec![0.0, 2.0]).normalized();
//! assert!((distance::squared_l2(a.as_slice(), b.as_slice()) - 2.0).abs() < 1e-6);
//! ```

pub mod cluster;
pub mod distance;
mod embedding;
mod error;
pub mod harmonic;
pub mod holdout;
pub mod metrics;
pub mod mining;
mod multiversion;
pub mod protocols;
pub mod quantize;

pub use embedding::Embedding;
pub use error::{Error, Result};
