//! Harmonic training (`--harmonic-with`, FaceNet Sec. 6) end to end on synthetic identities, at a tiny
//! size: a harmonic run against an old model of another input size resumes step for step, its model
//! declares the old one compatible, its evaluation compares the two, and an old model of another
//! embedding size is refused.

mod common;

use burn::tensor::Device;
use common::{run, step_losses, synthetic_set, tiny_config};
use facenet_nn::InputSize;
use facenet_nn::checkpoint::read_checkpoint_config;
use facenet_nn::embedder::FaceNetEmbedder;
use facenet_train::TrainingConfig;
use facenet_train::harmonic::evaluate_compatibility;
use facenet_train::metrics::{METRICS_FILE, read_metrics};
use facenet_vision::Embedder;
use facenet_vision::dataset::FaceLoader;
use std::path::{Path, PathBuf};

const OLD_INPUT: InputSize = InputSize { height: 70, width: 58 };

/// The tiny configuration with 2 identities held out for validation.
fn small_config(data: &Path, input: Option<InputSize>, steps: u64) -> TrainingConfig {
    TrainingConfig {
        held_out: 2,
        ..tiny_config(data, input, steps, 5)
    }
}

/// A synthetic set and an old run (NNS2 at 70×58, 3 steps) trained on it.
fn data_and_old_run(dir: &Path) -> (PathBuf, PathBuf) {
    let data = dir.join("data");
    synthetic_set(&data);
    let old = dir.join("old");
    run(&small_config(&data, Some(OLD_INPUT), 3), &old, false).unwrap();
    (data, old)
}

#[test]
fn a_harmonic_run_resumes_exactly_and_declares_its_old_model_compatible() {
    let dir = tempfile::tempdir().unwrap();
    let (data, old) = data_and_old_run(dir.path());
    let harmonic = |steps| TrainingConfig {
        harmonic_with: Some(old.clone()),
        ..small_config(&data, None, steps)
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
    let mut config = small_config(&data, None, 2);
    config.model.embedding_dim = 32;
    config.harmonic_with = Some(old.clone());
    let err = run(&config, &dir.path().join("new"), false).unwrap_err().to_string();
    assert!(
        err.contains("--harmonic-with") && err.contains("16-D") && err.contains("32-D"),
        "{err}"
    );
}
