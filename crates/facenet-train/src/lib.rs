//! Triplet training (FaceNet, Schroff et al. 2015, Sec. 3–4): identity-balanced batches, online
//! semi-hard mining over every anchor-positive pair ([`facenet_core::mining`]), the triplet loss
//! ([`facenet_nn::loss`]) and AdaGrad at 0.05 with a schedule; any [`facenet_nn::FaceNet`] architecture.
//!
//! - [`TrainingConfig`]: every setting, saved as `RUN_DIR/config.json`.
//!   With `init` ([`Init::Facenet`]) a run fine-tunes the pretrained FaceNet ([`facenet_nn::finetune`]: its
//!   batch norms calibrated on the first batch), with `freeze_until` / `freeze_bn` only part of it.
//! - [`train`]: the loop; checkpoints ([`state`]), `metrics.jsonl` ([`metrics`]), held-out validation
//!   ([`embed`]), the collapse guard and Ctrl-C handling.
//! - [`LrSchedule`]: constant, step decay, or a `step:lr` table.
//! - [`average::WeightAverage`]: the moving average of the weights that validation and checkpoints use.
//! - [`harmonic`]: `--harmonic-with OLD_RUN`, a new model compatible with a frozen old one (Sec. 6).
//! - [`speed`]: training steps timed on a device (`facenet bench train`).

pub mod average;
mod config;
pub mod embed;
pub mod harmonic;
pub mod metrics;
mod schedule;
pub mod speed;
pub mod state;
mod trainer;

pub use config::{CONFIG_FILE, Init, TrainingConfig};
pub use schedule::LrSchedule;
pub use trainer::{Event, StopReason, TrainOutcome, train};
