//! Harmonic training (`--harmonic-with`, FaceNet Sec. 6) end to end on synthetic identities, at a tiny
//! size: a harmonic run against an old model of another input size resumes step for step, its model
//! declares the old one compatible, its evaluation compares the two, and an old model of another
//! embedding size is refused.

use burn::tensor::Device;
use facenet_core::mining::{BatchShape, NegativeRule};
use facenet_nn::checkpoint::read_checkpoint_config;
use facenet_nn::embedder::FaceNetEmbedder;
use facenet_nn::{Arch, FaceNetConfig, InputSize};
use facenet_train::harmonic::evaluate_compatibility;
use facenet_train::metrics::{METRICS_FILE, read_metrics};
use facenet_train::{TrainingConfig, train};
use facenet_vision::Embedder;
use facenet_vision::dataset::FaceLoader;
use facenet_vision::synth::{Layout, SynthSpec, write_dataset};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

const OLD_INPUT: InputSize = InputSize { height: 70, width: 58 };

/// NNS2, 16-D, 6 identities × 4 photos per batch; `input` overrides the architecture's.
fn tiny_config(data: &Path, input: Option<InputSize>, steps: u64) -> TrainingConfig {
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
    config.held_out = 2;
    config.seed = 5;
    config
}

/// burn seeds its device RNG process-wide: runs in one test process take turns.
static ONE_RUN_AT_A_TIME: Mutex<()> = Mutex::new(());

fn run(config: &TrainingConfig, run_dir: &Path, resume: bool) -> facenet_nn::Result<()> {
    let _turn = ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let input = config.model.input_size();
    let loader = FaceLoader::crops(input.width as u32, input.height as u32);
    train(config, run_dir, &loader, resume, &AtomicBool::new(false), &mut |_| {}).map(|_| ())
}

/// A synthetic set and an old run (NNS2 at 70×58, 3 steps) trained on it.
fn data_and_old_run(dir: &Path) -> (PathBuf, PathBuf) {
    let data = dir.join("data");
    let spec = SynthSpec {
        identities: 10,
        per_identity: 5,
        size: 72,
        seed: 21,
    };
    write_dataset(&spec, Layout::Numbered, &data, &|| {}).unwrap();
    let old = dir.join("old");
    run(&tiny_config(&data, Some(OLD_INPUT), 3), &old, false).unwrap();
    (data, old)
}

fn step_losses(run_dir: &Path) -> Vec<(u64, f64)> {
    read_metrics(&run_dir.join(METRICS_FILE))
        .unwrap()
        .into_iter()
        .filter_map(|l| Some((l.step, l.loss?)))
        .collect()
}

#[test]
fn a_harmonic_run_resumes_exactly_and_declares_its_old_model_compatible() {
    let dir = tempfile::tempdir().unwrap();
    let (data, old) = data_and_old_run(dir.path());
    let harmonic = |steps| TrainingConfig {
        harmonic_with: Some(old.clone()),
        ..tiny_config(&data, None, steps)
    };
    let (whole, split) = (dir.path().join("whole"), dir.path().join("split"));
    run(&harmonic(6), &whole, false).unwrap();
    run(&harmonic(3), &split, false).unwrap();
    let saved = TrainingConfig::load(&split).unwrap();
    assert_eq!(
        saved.harmonic_with.as_deref(),
        Some(old.as_path()),
        "config.json records the old run"
    );
    run(&TrainingConfig { steps: 6, ..saved }, &split, true).unwrap();
    let (a, b) = (step_losses(&whole), step_losses(&split));
    assert_eq!(a.len(), 6);
    assert_eq!(a, b, "K + resume + K must give the loss curve of 2K steps in one go");
    // mixed mining: ordinary pairs plus both cross directions (which also pair a photo with itself)
    let first_mining = read_metrics(&whole.join(METRICS_FILE))
        .unwrap()
        .into_iter()
        .find_map(|l| l.mining)
        .unwrap();
    assert_eq!(first_mining.pairs, 6 * (4 * 3) + 2 * 6 * (4 * 4));

    let old_id = read_checkpoint_config(&old).unwrap().id;
    let new_config = read_checkpoint_config(&whole).unwrap();
    assert_ne!(new_config.id, old_id);
    assert_eq!(new_config.compatible_with, vec![old_id.clone()]);
    let embedder = FaceNetEmbedder::load(&whole, &Device::flex()).unwrap();
    assert_eq!(embedder.info().compatible_with, vec![old_id]);

    let loader = FaceLoader::crops(96, 96);
    let report = evaluate_compatibility(&old, &whole, &data, &loader, 2, 5).unwrap();
    for v in [report.old, report.new, report.cross] {
        assert!(
            (0.0..=1.0).contains(&v.val) && v.auc > 0.0 && v.mean_distance > 0.0,
            "{v:?}"
        );
    }
    let same = evaluate_compatibility(&old, &old, &data, &loader, 2, 5).unwrap();
    assert_eq!(same.old, same.new);
    assert_eq!(same.old, report.old, "the old model is frozen");
}

#[test]
fn an_old_model_of_another_embedding_size_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (data, old) = data_and_old_run(dir.path());
    let mut config = tiny_config(&data, None, 2);
    config.model.embedding_dim = 32;
    config.harmonic_with = Some(old.clone());
    let err = run(&config, &dir.path().join("new"), false).unwrap_err().to_string();
    assert!(
        err.contains("--harmonic-with") && err.contains("16-D") && err.contains("32-D"),
        "{err}"
    );
}
