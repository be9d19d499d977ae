//! A training checkpoint: the model, the moving average of its weights when the run keeps one, and
//! AdaGrad's accumulated squared gradients (burnpack files, written by burn's `save_file` /
//! `ModuleOptimizer::save`, which keep parameter ids so the optimiser state and the average map back onto
//! the loaded model), and where the run stands ([`RunState`]: step, current mining round and its
//! triplets not yet trained on). Everything else (batches, augmentation, mining randomness) is derived
//! from the seed and the round, so a resumed run continues exactly as an uninterrupted one.
//!
//! Beside it, every save also writes the inference form ([`facenet_nn::checkpoint`]: `RUN_DIR/model/` with
//! `config.json` and `model.safetensors`), which `facenet embed --model RUN_DIR/model` loads.

use crate::average::WeightAverage;
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use facenet_core::mining::Triplet;
use facenet_nn::checkpoint::{CheckpointConfig, save_checkpoint};
use facenet_nn::models::FaceNet;
use facenet_nn::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Where a run stands between two steps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// Optimiser steps done.
    pub step: u64,
    /// The mining round whose triplets are being trained on (None before the first).
    pub round: Option<u64>,
    /// That round's triplets not yet trained on, in training order.
    pub pending: Vec<Triplet>,
}

/// The checkpoint folder of a run.
pub fn checkpoint_dir(run_dir: &Path) -> PathBuf {
    run_dir.join("checkpoint")
}

/// The inference checkpoint of a run (what `--model` loads).
pub fn inference_dir(run_dir: &Path) -> PathBuf {
    run_dir.join(facenet_nn::checkpoint::RUN_MODEL_DIR)
}

const MODEL_FILE: &str = "model.bpk";
const OPTIMIZER_FILE: &str = "optimizer.bpk";
const AVERAGE_FILE: &str = "average.bpk";
const STATE_FILE: &str = "state.json";

/// Writes model, optimiser, weight average (if any) and state into `run_dir/checkpoint/`, replacing the
/// previous checkpoint only once the new one is complete; then the inference checkpoint (`checkpoint` at
/// the current step) into `run_dir/model/`: the averaged weights when there is an average, else `model`'s.
pub fn save(
    run_dir: &Path,
    model: &FaceNet,
    average: Option<&WeightAverage>,
    checkpoint: &CheckpointConfig,
    optimizer: &ModuleOptimizer,
    state: &RunState,
) -> Result<()> {
    let averaged = average.map(|a| a.apply(model));
    save_training(run_dir, model, averaged.as_ref(), optimizer, state)?;
    let config = CheckpointConfig {
        step: state.step,
        ..checkpoint.clone()
    };
    save_checkpoint(&inference_dir(run_dir), averaged.as_ref().unwrap_or(model), &config)
}

fn save_training(
    run_dir: &Path,
    model: &FaceNet,
    averaged: Option<&FaceNet>,
    optimizer: &ModuleOptimizer,
    state: &RunState,
) -> Result<()> {
    let partial = run_dir.join("checkpoint.partial");
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        Error::Invalid(format!("{}: cannot write {what}: {e}", partial.display()))
    };
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(|e| fail("folder", &e))?;
    }
    std::fs::create_dir_all(&partial).map_err(|e| fail("folder", &e))?;
    // `valid()` folds the batch-norm statistics burn accumulates lazily into the saved copy.
    model
        .valid()
        .save_file(partial.join(MODEL_FILE))
        .map_err(|e| fail(MODEL_FILE, &format!("{e:?}")))?;
    if let Some(averaged) = averaged {
        averaged
            .clone()
            .save_file(partial.join(AVERAGE_FILE))
            .map_err(|e| fail(AVERAGE_FILE, &format!("{e:?}")))?;
    }
    optimizer
        .save(partial.join(OPTIMIZER_FILE))
        .map_err(|e| fail(OPTIMIZER_FILE, &format!("{e:?}")))?;
    let json = serde_json::to_string(state).map_err(|e| fail(STATE_FILE, &e))?;
    std::fs::write(partial.join(STATE_FILE), json).map_err(|e| fail(STATE_FILE, &e))?;
    let target = checkpoint_dir(run_dir);
    if target.exists() {
        std::fs::remove_dir_all(&target).map_err(|e| fail("previous checkpoint", &e))?;
    }
    std::fs::rename(&partial, &target).map_err(|e| fail("checkpoint", &e))
}

/// A loaded training checkpoint.
pub struct Loaded {
    pub model: FaceNet,
    pub optimizer: ModuleOptimizer,
    pub state: RunState,
    /// The network with the averaged weights, when the run keeps an average.
    pub averaged: Option<FaceNet>,
}

/// Loads the checkpoint of `run_dir` into a freshly built `model` and `optimizer`.
pub fn load(run_dir: &Path, model: FaceNet, optimizer: ModuleOptimizer) -> Result<Loaded> {
    let dir = checkpoint_dir(run_dir);
    let fail = |file: &str, e: &dyn std::fmt::Display| {
        Error::Invalid(format!("{}: cannot load: {e}", dir.join(file).display()))
    };
    let average_file = dir.join(AVERAGE_FILE);
    let averaged = match average_file.is_file() {
        true => Some(
            model
                .valid()
                .try_load_file(&average_file)
                .map_err(|e| fail(AVERAGE_FILE, &format!("{e:?}")))?,
        ),
        false => None,
    };
    let model = model
        .try_load_file(dir.join(MODEL_FILE))
        .map_err(|e| fail(MODEL_FILE, &format!("{e:?}")))?;
    let optimizer = optimizer
        .load(dir.join(OPTIMIZER_FILE))
        .map_err(|e| fail(OPTIMIZER_FILE, &format!("{e:?}")))?;
    let text = std::fs::read_to_string(dir.join(STATE_FILE)).map_err(|e| fail(STATE_FILE, &e))?;
    let state = serde_json::from_str(&text).map_err(|e| fail(STATE_FILE, &e))?;
    Ok(Loaded {
        model,
        optimizer,
        state,
        averaged,
    })
}
