//! What the training tests share: a tiny NNS2 configuration, a small synthetic set, one run at a time
//! (burn's device RNG is seeded process-wide) and the loss curve of a run.

#![allow(dead_code)] // each test binary uses part of it

use facenet_core::mining::{BatchShape, NegativeRule};
use facenet_nn::{Arch, FaceNetConfig, InputSize};
use facenet_train::metrics::{METRICS_FILE, read_metrics};
use facenet_train::{TrainOutcome, TrainingConfig, train};
use facenet_vision::dataset::FaceLoader;
use facenet_vision::synth::{Layout, SynthSpec, write_dataset};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Mutex, MutexGuard};

/// NNS2, 16-D embeddings, 6 identities × 4 photos (+ 4 negatives) per batch, 12 triplets per step;
/// `input` overrides the architecture's input size.
pub fn tiny_config(data: &Path, input: Option<InputSize>, steps: u64, seed: u64) -> TrainingConfig {
    let mut config = TrainingConfig::new(
        FaceNetConfig::new(Arch::Nns2).with_embedding_dim(16).with_input(input),
        data.to_path_buf(),
    );
    config.batch = BatchShape {
        people_per_batch: 6,
        images_per_person: 4,
        random_negatives: 4,
    };
    config.triplets_per_step = 12;
    config.rule = NegativeRule::Tf;
    config.steps = steps;
    config.checkpoint_every = 0;
    config.validate_every = 0;
    config.seed = seed;
    config
}

/// 10 synthetic identities × 5 photos of 72 px in `dir`.
pub fn synthetic_set(dir: &Path) {
    let spec = SynthSpec {
        identities: 10,
        per_identity: 5,
        size: 72,
        seed: 21,
    };
    write_dataset(&spec, Layout::Numbered, dir, &|| {}).unwrap();
}

/// burn seeds its device RNG process-wide, so runs in one test process take turns: a concurrent run
/// drawing weights between another's seed and its initialisation would change both.
static ONE_RUN_AT_A_TIME: Mutex<()> = Mutex::new(());

/// This test's turn at burn's RNG: hold it while seeding and drawing.
pub fn rng_turn() -> MutexGuard<'static, ()> {
    ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Trains `config` into `run_dir`, photos loaded at the model's input size.
pub fn run(config: &TrainingConfig, run_dir: &Path, resume: bool) -> facenet_nn::Result<TrainOutcome> {
    let _turn = rng_turn();
    let input = config.model.input_size();
    let loader = FaceLoader::crops(input.width as u32, input.height as u32);
    train(config, run_dir, &loader, resume, &AtomicBool::new(false), &mut |_| {})
}

/// Trains `config(steps)` into `whole` in one go, and into `split` for `steps / 2` steps and then, resumed
/// from its checkpoint (on the same device), to `steps`.
pub fn whole_and_resumed(config: impl Fn(u64) -> TrainingConfig, steps: u64, whole: &Path, split: &Path) {
    run(&config(steps), whole, false).unwrap();
    run(&config(steps / 2), split, false).unwrap();
    let resumed = TrainingConfig {
        steps,
        device: config(steps).device,
        ..TrainingConfig::load(split).unwrap()
    };
    run(&resumed, split, true).unwrap();
}

/// (step, loss) of every metrics line with a loss.
pub fn step_losses(run_dir: &Path) -> Vec<(u64, f64)> {
    read_metrics(&run_dir.join(METRICS_FILE))
        .unwrap()
        .into_iter()
        .filter_map(|l| Some((l.step, l.loss?)))
        .collect()
}
