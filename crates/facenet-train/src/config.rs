//! [`TrainingConfig`]: everything a run depends on. It is written to `RUN_DIR/config.json`, so a run can
//! be reproduced (or resumed) from its directory alone.

use crate::schedule::LrSchedule;
use facenet_core::mining::{BatchShape, NegativeRule};
use facenet_kernels::device::DeviceChoice;
use facenet_nn::models::FaceNetConfig;
use facenet_nn::{Error, Result};
use facenet_vision::dataset::Augment;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A training run's settings. Defaults are the paper's where it gives them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrainingConfig {
    /// The network: architecture and embedding size.
    pub model: FaceNetConfig,
    /// The folder-per-identity training set.
    pub data: PathBuf,
    /// Identities (the last, by name) kept out of training and used for validation.
    pub held_out: usize,
    /// Photos per held-out identity used in validation (at most).
    pub validation_photos: usize,
    /// Identities × photos per batch plus random negatives (paper: ~45 × 40, ~1800 photos).
    pub batch: BatchShape,
    /// Triplets per optimiser step (each step trains on 3× as many photos).
    pub triplets_per_step: usize,
    /// At most this many steps on one mined batch before the next is mined with the updated network
    /// (0: every triplet the batch yields). Triplets mined by an older network go stale as it learns.
    #[serde(default)]
    pub max_steps_per_batch: usize,
    /// The triplet margin α (paper: 0.2).
    pub alpha: f32,
    /// How negatives are chosen.
    pub rule: NegativeRule,
    /// AdaGrad's base learning rate (paper: 0.05) and its schedule.
    pub lr: f64,
    pub schedule: LrSchedule,
    /// L2 weight decay added to the gradients (0: none).
    pub weight_decay: f64,
    /// Decay of the moving average of the weights that validation and the inference checkpoint use
    /// ([`crate::average`]; davidsandberg/facenet's `--moving_average_decay`, 0.9999 there). 0: none, the
    /// weights of the last step are used.
    #[serde(default)]
    pub average_decay: f64,
    /// Total optimiser steps.
    pub steps: u64,
    /// Seeds the weights, the batches, the mining and the augmentation.
    pub seed: u64,
    pub augment: Augment,
    /// Photos per forward pass when embedding without gradients (mining, validation).
    pub embed_chunk: usize,
    /// Save a checkpoint every this many steps (0: only at the end and on interrupt).
    pub checkpoint_every: u64,
    /// Validate every this many steps (0: only before the first and after the last step).
    pub validate_every: u64,
    /// Stop with a warning when the mean pairwise squared distance of a batch's embeddings falls below this.
    pub collapse_floor: f32,
    /// Made at random by [`TrainingConfig::new`] (8 hex digits; empty in runs older than it) and kept by
    /// resume: part of the trained model's id, so a gallery never takes two runs of one architecture for
    /// one model.
    #[serde(default)]
    pub run_id: String,
    /// A harmonic run ([`crate::harmonic`], FaceNet Sec. 6): the run or checkpoint directory of the frozen
    /// old model whose embeddings the new model's must be comparable with. None: ordinary training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub harmonic_with: Option<PathBuf>,
    /// Start from pretrained weights instead of random ones ([`Init`]); `model` must be that network's.
    #[serde(default)]
    pub init: Option<Init>,
    /// Batch norms use their running statistics and stop updating them ([`facenet_nn::finetune::freeze_batch_norm`]).
    #[serde(default)]
    pub freeze_bn: bool,
    /// The layers up to and including this one are not trained ([`facenet_nn::finetune::freeze_until`]).
    #[serde(default)]
    pub freeze_until: Option<String>,
    /// Where the run trains (`--device`): not saved, so a run started on one device resumes on another.
    /// The initial weights are drawn on the CPU either way, so a seed gives the same start on both.
    #[serde(skip)]
    pub device: DeviceChoice,
}

/// Pretrained weights a run can start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    /// davidsandberg's FaceNet 20180408-102900 ([`facenet_nn::finetune::pretrained_config`]).
    Facenet,
}

impl std::str::FromStr for Init {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "facenet" => Ok(Init::Facenet),
            _ => Err(format!("unknown initialisation '{s}' (expected facenet)")),
        }
    }
}

impl TrainingConfig {
    /// The paper's settings for `model` on `data`.
    pub fn new(model: FaceNetConfig, data: PathBuf) -> Self {
        Self {
            model,
            data,
            held_out: 0,
            validation_photos: 10,
            batch: BatchShape {
                people_per_batch: 45,
                images_per_person: 40,
                random_negatives: 0,
            },
            triplets_per_step: 30,
            max_steps_per_batch: 0,
            alpha: facenet_nn::loss::DEFAULT_MARGIN as f32,
            rule: NegativeRule::RandomSemiHard,
            lr: 0.05,
            schedule: LrSchedule::Constant,
            weight_decay: 0.0,
            average_decay: 0.0,
            steps: 1000,
            seed: 0,
            augment: Augment::default(),
            embed_chunk: 64,
            checkpoint_every: 100,
            validate_every: 100,
            collapse_floor: 1e-4,
            run_id: format!("{:08x}", rand::random::<u32>()),
            harmonic_with: None,
            init: None,
            freeze_bn: false,
            freeze_until: None,
            device: DeviceChoice::Cpu,
        }
    }

    /// Checks the settings a run cannot start with.
    pub fn validate(&self) -> Result<()> {
        let bad = |why: String| Err(Error::Invalid(why));
        if self.batch.people_per_batch < 1 || self.batch.images_per_person < 2 {
            return bad(format!(
                "a batch needs ≥ 1 person and ≥ 2 photos per person, got {} × {}",
                self.batch.people_per_batch, self.batch.images_per_person
            ));
        }
        if self.triplets_per_step == 0 || self.embed_chunk == 0 {
            return bad("triplets per step and the embedding chunk must be ≥ 1".into());
        }
        let positive = |v: f64| v > 0.0 && v.is_finite();
        if !positive(self.alpha as f64) || !positive(self.lr) || self.weight_decay.is_nan() || self.weight_decay < 0.0 {
            return bad(format!(
                "alpha {}, lr {} must be > 0 and weight decay {} ≥ 0",
                self.alpha, self.lr, self.weight_decay
            ));
        }
        if !(0.0..1.0).contains(&self.average_decay) {
            return bad(format!(
                "the weight-average decay {} must be in [0, 1)",
                self.average_decay
            ));
        }
        if self.init == Some(Init::Facenet) && self.model != facenet_nn::finetune::pretrained_config() {
            return bad(format!(
                "--init facenet trains the pretrained network ({}, 512-D, 160×160), not {} {}-D",
                facenet_nn::Arch::InceptionResnetV1,
                self.model.arch,
                self.model.embedding_dim
            ));
        }
        if let Some(name) = &self.freeze_until {
            facenet_nn::finetune::frozen_layers(&self.model, name)?;
        }
        Ok(())
    }

    /// Writes `dir/config.json`.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = dir.join(CONFIG_FILE);
        let text =
            serde_json::to_string_pretty(self).map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))?;
        std::fs::write(&path, text).map_err(|e| Error::Invalid(format!("{}: cannot write: {e}", path.display())))
    }

    /// Reads `dir/config.json`.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::Invalid(format!("{}: cannot read: {e}", path.display())))?;
        serde_json::from_str(&text)
            .map_err(|e| Error::Invalid(format!("{}: not a training config: {e}", path.display())))
    }
}

/// The name of the config file in a run directory.
pub const CONFIG_FILE: &str = "config.json";
