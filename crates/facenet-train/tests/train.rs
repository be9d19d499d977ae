//! Triplet training end to end on synthetic identities: the loss falls on a tiny run (whose directory then
//! loads as an inference checkpoint), capped reuse re-mines on time, a run resumed from its checkpoint
//! repeats an uninterrupted one step for step, and the triplet loss matches a float64 hand computation.

mod common;

use burn::tensor::{Device, Tensor};
use common::{run, step_losses, synthetic_set, tiny_config, whole_and_resumed};
use facenet_core::mining::{BatchShape, NegativeRule};
use facenet_nn::checkpoint::{load_checkpoint, read_checkpoint_config};
use facenet_nn::triplet_loss;
use facenet_train::metrics::{METRICS_FILE, read_metrics};
use facenet_train::{Init, StopReason, TrainingConfig};
use facenet_vision::synth::{Layout, SynthSpec, write_dataset};
use std::path::Path;

#[test]
fn smoke_training_lowers_the_loss() {
    let dir = tempfile::tempdir().unwrap();
    synthetic_set(&dir.path().join("data"));
    let run_dir = dir.path().join("run");
    let config = tiny_config(&dir.path().join("data"), None, 36, 3);
    assert_eq!(run(&config, &run_dir, false).unwrap().reason, StopReason::Completed);
    let losses: Vec<f64> = step_losses(&run_dir).into_iter().map(|(_, l)| l).collect();
    assert_eq!(losses.len(), 36);
    let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
    let (first, last) = (mean(&losses[..8]), mean(&losses[losses.len() - 8..]));
    assert!(
        last < first * 0.8,
        "loss should fall: first 8 steps {first:.4}, last 8 steps {last:.4}"
    );
    assert!(run_dir.join("config.json").is_file() && run_dir.join("checkpoint/state.json").is_file());
    // the run directory is also an inference checkpoint (`--model RUN_DIR`): the final weights, step 36
    let (_, inference) = load_checkpoint(&run_dir, &Device::flex()).unwrap();
    assert_eq!((inference.step, inference.model.clone()), (36, config.model.clone()));
}

#[test]
fn capped_reuse_mines_a_new_batch_every_k_steps() {
    let dir = tempfile::tempdir().unwrap();
    synthetic_set(&dir.path().join("data"));
    let run_dir = dir.path().join("run");
    let mut config = tiny_config(&dir.path().join("data"), None, 5, 3);
    config.max_steps_per_batch = 2;
    run(&config, &run_dir, false).unwrap();
    let lines = read_metrics(&run_dir.join(METRICS_FILE)).unwrap();
    let mined: Vec<u64> = lines.iter().filter(|l| l.mining.is_some()).map(|l| l.step).collect();
    assert_eq!(
        mined,
        [1, 3, 5],
        "a batch yields ~70 triplets (6 steps of 12) but is used for 2 steps"
    );
}

#[test]
fn resumed_run_repeats_the_uninterrupted_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    synthetic_set(&data);
    let (whole, split) = (dir.path().join("whole"), dir.path().join("split"));
    let config = |steps| TrainingConfig {
        average_decay: 0.9,
        held_out: 2,
        ..tiny_config(&data, None, steps, 3)
    };
    whole_and_resumed(config, 8, &whole, &split);
    let (a, b) = (step_losses(&whole), step_losses(&split));
    assert_eq!(a.len(), 8);
    assert_eq!(a, b, "K + resume + K must give the loss curve of 2K steps in one go");
    // the weight average is resumed too: the last validation (of the averaged weights) is the same
    let last_validation = |dir: &Path| {
        read_metrics(&dir.join(METRICS_FILE))
            .unwrap()
            .into_iter()
            .filter_map(|l| l.validation)
            .next_back()
            .unwrap()
    };
    assert_eq!(last_validation(&whole), last_validation(&split));
}

#[test]
fn weight_average_is_what_validation_and_the_inference_checkpoint_see() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    synthetic_set(&data);
    let (plain, averaged) = (dir.path().join("plain"), dir.path().join("averaged"));
    run(
        &TrainingConfig {
            held_out: 2,
            ..tiny_config(&data, None, 6, 3)
        },
        &plain,
        false,
    )
    .unwrap();
    run(
        &TrainingConfig {
            held_out: 2,
            average_decay: 0.9,
            ..tiny_config(&data, None, 6, 3)
        },
        &averaged,
        false,
    )
    .unwrap();
    // the same steps (averaging does not touch training) ...
    assert_eq!(step_losses(&plain), step_losses(&averaged));
    // ... but another network is validated and saved for inference
    let embedding_of_ones = |run_dir: &Path| {
        let (model, _) = load_checkpoint(run_dir, &Device::flex()).unwrap();
        model
            .forward(Tensor::ones([1, 3, 140, 116], &Device::flex()))
            .into_data()
            .try_to_vec::<f32>()
            .unwrap()
    };
    assert_ne!(embedding_of_ones(&plain), embedding_of_ones(&averaged));
    assert!(averaged.join("checkpoint/average.bpk").is_file() && !plain.join("checkpoint/average.bpk").exists());
}

/// L = mean_i [ ‖a−p‖² − ‖a−n‖² + α ]₊ in float64, on fixed 3-D triplets (one with a positive hinge, two with a zero hinge).
#[test]
fn triplet_loss_matches_a_float64_hand_computation() {
    let anchors = [[0.6, 0.0, 0.8], [1.0, 0.0, 0.0], [0.0, 0.6, 0.8]];
    let positives = [[0.0, 0.6, 0.8], [0.8, 0.6, 0.0], [0.0, 0.8, 0.6]];
    let negatives = [[0.8, 0.0, 0.6], [0.0, 1.0, 0.0], [-0.6, 0.0, 0.8]];
    let alpha = 0.2f64;
    let sq = |x: [f64; 3], y: [f64; 3]| (0..3).map(|i| (x[i] - y[i]).powi(2)).sum::<f64>();
    let expected = (0..3)
        .map(|i| (sq(anchors[i], positives[i]) - sq(anchors[i], negatives[i]) + alpha).max(0.0))
        .sum::<f64>()
        / 3.0;
    let device = Device::flex();
    let t = |rows: [[f64; 3]; 3]| Tensor::<2>::from_floats(rows.map(|r| r.map(|v| v as f32)), &device);
    let loss = triplet_loss(t(anchors), t(positives), t(negatives), alpha).into_scalar::<f32>() as f64;
    assert!((loss - expected).abs() < 1e-6, "burn {loss} vs float64 {expected}");
    assert!(expected > 0.0);
}

/// `--init facenet`: a fine-tuning run of the pretrained FaceNet (all but Block8 and the bottleneck frozen,
/// to keep it fast) resumed from its checkpoint repeats the uninterrupted run, and its directory is a
/// 512-D inference checkpoint of the 160×160 network.
#[test]
fn a_finetuning_run_of_the_pretrained_facenet_resumes_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let spec = SynthSpec {
        identities: 4,
        per_identity: 3,
        size: 160,
        seed: 5,
    };
    write_dataset(&spec, Layout::Numbered, &data, &|| {}).unwrap();
    let config = |steps| {
        let mut config = TrainingConfig::new(facenet_nn::finetune::pretrained_config(), data.clone());
        config.init = Some(Init::Facenet);
        config.freeze_until = Some("Repeat_2/block8_5".into());
        config.batch = BatchShape {
            people_per_batch: 3,
            images_per_person: 2,
            random_negatives: 0,
        };
        config.triplets_per_step = 1;
        config.rule = NegativeRule::Tf;
        config.steps = steps;
        config.checkpoint_every = 0;
        config.validate_every = 0;
        config.embed_chunk = 8;
        config
    };
    let (whole, split) = (dir.path().join("whole"), dir.path().join("split"));
    run(&config(2), &whole, false).unwrap();
    run(&config(1), &split, false).unwrap();
    run(&config(2), &split, true).unwrap();
    let (a, b) = (step_losses(&whole), step_losses(&split));
    assert_eq!(a.len(), 2);
    assert_eq!(a, b, "1 + resume + 1 must give the losses of 2 steps in one go");
    let (_, inference) = load_checkpoint(&whole, &Device::flex()).unwrap();
    assert_eq!(inference.model, facenet_nn::finetune::pretrained_config());
    assert_eq!(
        (inference.input.height, inference.input.width, inference.step),
        (160, 160, 2)
    );
}

/// Each run's model has an id of its own (the architecture's plus the run's id), kept by resume: a gallery
/// of one run never takes another run's probes for its model.
#[test]
fn two_runs_of_one_architecture_are_two_models() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    synthetic_set(&data);
    let (first, second) = (dir.path().join("first"), dir.path().join("second"));
    run(&tiny_config(&data, None, 2, 3), &first, false).unwrap();
    run(&tiny_config(&data, None, 2, 3), &second, false).unwrap();
    let id = |run_dir: &Path| read_checkpoint_config(run_dir).unwrap().id;
    let (first_id, second_id) = (id(&first), id(&second));
    assert!(first_id.starts_with("facenet-nns2-16d-"), "{first_id}");
    assert_ne!(first_id, second_id, "two runs, two models");
    let resumed = TrainingConfig {
        steps: 3,
        ..TrainingConfig::load(&first).unwrap()
    };
    run(&resumed, &first, true).unwrap();
    assert_eq!(id(&first), first_id, "resume keeps the run's id");
}
