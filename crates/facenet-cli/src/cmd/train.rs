//! `facenet train`: triplet training with online semi-hard mining (facenet::train) on a
//! folder-per-identity set; checkpoints, metrics.jsonl, held-out validation, Ctrl-C saves and stops.

use super::Status;
use crate::output::Ctx;
use anyhow::Context;
use facenet::core::mining::{BatchShape, NegativeRule};
use facenet::kernels::device::{DeviceChoice, describe};
use facenet::nn::{Arch, FaceNetConfig, InputSize};
use facenet::report::{Series, line_chart};
use facenet::train::metrics::{METRICS_FILE, read_metrics};
use facenet::train::{Event, Init, LrSchedule, StopReason, TrainingConfig, train};
use facenet::vision::dataset::{Augment, FaceLoader};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[derive(Debug, clap::Args)]
pub struct TrainArgs {
    /// Training set: DIR/identity/photo.{jpg,png} (aligned face crops).
    #[arg(long, required_unless_present = "resume")]
    data: Option<PathBuf>,
    /// Run directory: config.json, checkpoint/, metrics.jsonl, metrics.png.
    #[arg(long)]
    out: PathBuf,
    /// Continue the run in --out from its checkpoint and config.json (--steps may raise the total, --device
    /// may change).
    #[arg(long)]
    resume: bool,
    /// Where to train: `cpu`, or `gpu` (burn's wgpu backend; a build with `--features gpu`).
    #[arg(long, default_value = "cpu", value_parser = clap::value_parser!(DeviceChoice))]
    device: DeviceChoice,
    /// Architecture: nn1, nn2, nn3, nn4, nns1, nns2, inception-resnet-v1.
    #[arg(long, default_value = "nn4")]
    arch: Arch,
    /// Start from pretrained weights: facenet (davidsandberg's 20180408-102900: Inception-ResNet-v1, 512-D,
    /// 160×160 crops; its batch norms are calibrated on the first batch).
    #[arg(long, conflicts_with_all = ["arch", "embedding_dim", "input_size"])]
    init: Option<Init>,
    /// Batch norms normalise with their running statistics, which stop updating (γ and β still train).
    #[arg(long)]
    freeze_bn: bool,
    /// Train only the layers after this one (a layer name of the summary table, e.g. Mixed_6a,
    /// Repeat_1/block17_10, Block8 for inception-resnet-v1).
    #[arg(long)]
    freeze_until: Option<String>,
    /// Embedding size.
    #[arg(value_parser = super::ranges::embedding_dim, long, default_value_t = 128)]
    embedding_dim: usize,
    /// Input size HEIGHTxWIDTH when not the architecture's (the same layers on smaller faces train faster).
    #[arg(long, value_parser = parse_input_size)]
    input_size: Option<InputSize>,
    /// Total optimiser steps.
    #[arg(value_parser = super::ranges::steps, long)]
    steps: Option<u64>,
    /// Identities per batch.
    #[arg(value_parser = super::ranges::count, long, default_value_t = 45)]
    people_per_batch: usize,
    /// Photos per identity in a batch.
    #[arg(value_parser = super::ranges::count, long, default_value_t = 40)]
    images_per_person: usize,
    /// Extra photos of other identities in each batch, used only as negatives.
    #[arg(value_parser = super::ranges::count_or_zero, long, default_value_t = 0)]
    random_negatives: usize,
    /// Triplets per optimiser step.
    #[arg(value_parser = super::ranges::count, long, default_value_t = 30)]
    triplets_per_step: usize,
    /// Train on at most this many steps of a mined batch's triplets before mining the next (0: all of them).
    #[arg(value_parser = super::ranges::count_or_zero, long, default_value_t = 0)]
    max_steps_per_batch: usize,
    /// Triplet margin α.
    #[arg(value_parser = super::ranges::margin_alpha, long, default_value_t = 0.2)]
    alpha: f32,
    /// Negative choice: random-semi-hard, hardest-semi-hard, or tf (smallest d_an > d_ap, else largest).
    #[arg(long, default_value = "random-semi-hard", value_parser = parse_rule)]
    negative_rule: NegativeRule,
    /// AdaGrad learning rate.
    #[arg(value_parser = super::ranges::learning_rate, long, default_value_t = 0.05)]
    lr: f64,
    /// A file of step:lr lines (overrides the step decay).
    #[arg(long)]
    lr_schedule: Option<PathBuf>,
    /// Multiply the learning rate by --lr-decay-factor every this many steps.
    #[arg(value_parser = super::ranges::steps, long)]
    lr_decay_every: Option<u64>,
    #[arg(value_parser = super::ranges::fraction, long, default_value_t = 0.1)]
    lr_decay_factor: f64,
    /// L2 weight decay.
    #[arg(value_parser = super::ranges::fraction, long, default_value_t = 0.0)]
    weight_decay: f64,
    /// Validate and write the inference checkpoint with a moving average of the weights of this decay
    /// (davidsandberg/facenet uses 0.9999; early steps average less: min(decay, (1+t)/(10+t))). 0: off.
    #[arg(value_parser = super::ranges::fraction, long, default_value_t = 0.0)]
    moving_average_decay: f64,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Identities held out for validation (the last ones by name).
    #[arg(value_parser = super::ranges::count_or_zero, long, default_value_t = 0)]
    held_out: usize,
    /// Photos per held-out identity used in validation.
    #[arg(value_parser = super::ranges::count, long, default_value_t = 10)]
    validation_photos: usize,
    /// Validate every V steps (0: only before the first and after the last).
    #[arg(value_parser = super::ranges::steps_or_zero, long, default_value_t = 100)]
    validate_every: u64,
    /// Checkpoint every K steps (0: only at the end and on Ctrl-C).
    #[arg(value_parser = super::ranges::steps_or_zero, long, default_value_t = 100)]
    checkpoint_every: u64,
    /// Photos per forward pass when embedding without gradients.
    #[arg(value_parser = super::ranges::batch, long, default_value_t = 64)]
    embed_chunk: usize,
    /// Stop when the mean pairwise squared distance of a batch's embeddings falls below this.
    #[arg(value_parser = |s: &str| super::ranges::fraction(s).map(|v| v as f32), long, default_value_t = 1e-4)]
    collapse_floor: f32,
    /// Train without augmentation (random crop, flip, colour jitter).
    #[arg(long)]
    no_augment: bool,
    /// Largest fraction the random crop cuts off the side (augmentation).
    #[arg(value_parser = |s: &str| super::ranges::fraction(s).map(|v| v as f32), long, default_value_t = Augment::default().crop)]
    augment_crop: f32,
    /// Brightness, contrast and saturation vary by up to this fraction (augmentation).
    #[arg(value_parser = |s: &str| super::ranges::fraction(s).map(|v| v as f32), long, default_value_t = Augment::default().jitter)]
    augment_jitter: f32,
    /// Harmonic embeddings (FaceNet Sec. 6): train a model whose embeddings compare with those of the
    /// frozen model of this run (or checkpoint) directory, so its galleries stay usable.
    #[arg(long, value_name = "OLD_RUN")]
    harmonic_with: Option<PathBuf>,
}

fn parse_input_size(s: &str) -> Result<InputSize, String> {
    let parsed = s.split_once(['x', '×']).and_then(|(h, w)| {
        Some(InputSize {
            height: h.trim().parse().ok()?,
            width: w.trim().parse().ok()?,
        })
    });
    match parsed {
        Some(size) if size.height >= 16 && size.width >= 16 => Ok(size),
        _ => Err(format!(
            "bad input size '{s}' (expected HEIGHTxWIDTH, each ≥ 16, e.g. 70x58)"
        )),
    }
}

fn parse_rule(s: &str) -> Result<NegativeRule, String> {
    serde_json::from_value(serde_json::Value::String(s.to_string()))
        .map_err(|_| format!("unknown rule '{s}' (expected random-semi-hard, hardest-semi-hard or tf)"))
}

pub fn run(args: TrainArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let mut config = if args.resume {
        resumed_config(&args)?
    } else {
        new_config(&args)?
    };
    config.device = args.device;
    let device = describe(args.device)?; // a GPU that cannot be had is refused before any work
    if !ctx.json {
        eprintln!("device: {device}");
    }
    let input = config.model.input_size();
    let loader = FaceLoader::crops(input.width as u32, input.height as u32);
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).context("cannot install the Ctrl-C handler")?;
    let bar = if ctx.json {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(config.steps)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps, eta {eta} {msg}")
            .expect("progress template should parse"),
    );
    let mut observer = |event: Event| match event {
        Event::Started {
            step,
            train_photos,
            held_out_photos,
            scan,
            ..
        } => {
            bar.set_position(step);
            bar.reset_eta();
            for file in &scan.unreadable {
                bar.suspend(|| eprintln!("skipped unreadable: {file}"));
            }
            for (name, count) in &scan.skipped_identities {
                bar.suspend(|| eprintln!("skipped identity {name}: {count} usable photo(s), need 2"));
            }
            bar.suspend(|| eprintln!("training on {train_photos} photos, validating on {held_out_photos}"));
        }
        Event::Metrics(line) => {
            bar.set_position(line.step);
            if let Some(v) = &line.validation {
                bar.suspend(|| {
                    eprintln!(
                        "step {}: held-out VAL {:.3} @ FAR {:.4}, accuracy {:.3}",
                        line.step, v.val, v.far, v.accuracy
                    )
                });
            } else if let (Some(loss), Some(active)) = (line.loss, line.active_triplets) {
                bar.set_message(format!("loss {loss:.4}, active {:.0}%", active * 100.0));
            }
        }
        Event::Warning(text) => bar.suspend(|| eprintln!("warning: {text}")),
    };
    let outcome = train(&config, &args.out, &loader, args.resume, &stop, &mut observer)?;
    bar.finish_and_clear();
    if let Err(e) = plot_metrics(&args.out) {
        eprintln!("warning: no metrics plot: {e:#}");
    }
    if ctx.json {
        ctx.print_json(&outcome)?;
    } else {
        let how = match outcome.reason {
            StopReason::Completed => "completed".to_string(),
            StopReason::Interrupted => "interrupted (checkpoint saved)".to_string(),
            StopReason::Collapsed { mean_distance } => {
                format!("stopped: embeddings collapsed (mean distance {mean_distance:.2e})")
            }
        };
        println!("{} steps, {how}; run in {}", outcome.steps, args.out.display());
        if let (Some(first), Some(last)) = (outcome.first_validation, outcome.last_validation) {
            println!(
                "held-out VAL @ FAR 1e-3: {:.3} → {:.3}; accuracy {:.3} → {:.3}",
                first.val, last.val, first.accuracy, last.accuracy
            );
        }
    }
    Ok(match outcome.reason {
        StopReason::Completed => Status::Ok,
        _ => Status::SomeFailed,
    })
}

/// `RUN_DIR/metrics.png`: the loss per step and the held-out VAL @ FAR 1e-3 per validation.
fn plot_metrics(run_dir: &Path) -> anyhow::Result<()> {
    let lines = read_metrics(&run_dir.join(METRICS_FILE))?;
    let loss = Series::new(
        "triplet loss",
        lines.iter().filter_map(|l| Some((l.step as f64, l.loss?))).collect(),
    );
    let val = Series::new(
        "held-out VAL @ FAR 1e-3",
        lines
            .iter()
            .filter_map(|l| Some((l.step as f64, l.validation?.val)))
            .collect(),
    );
    line_chart(
        &run_dir.join("metrics.png"),
        "training",
        "step",
        "loss / VAL",
        &[loss, val],
    )?;
    Ok(())
}

fn new_config(args: &TrainArgs) -> anyhow::Result<TrainingConfig> {
    let data = args.data.clone().context("--data is required")?;
    let model = match args.init {
        Some(Init::Facenet) => facenet::nn::finetune::pretrained_config(),
        None => FaceNetConfig::new(args.arch)
            .with_embedding_dim(args.embedding_dim)
            .with_input(args.input_size),
    };
    let mut config = TrainingConfig::new(model, data);
    config.init = args.init;
    config.freeze_bn = args.freeze_bn;
    config.freeze_until = args.freeze_until.clone();
    config.batch = BatchShape {
        people_per_batch: args.people_per_batch,
        images_per_person: args.images_per_person,
        random_negatives: args.random_negatives,
    };
    config.triplets_per_step = args.triplets_per_step;
    config.max_steps_per_batch = args.max_steps_per_batch;
    config.alpha = args.alpha;
    config.rule = args.negative_rule;
    config.lr = args.lr;
    config.schedule = match (&args.lr_schedule, args.lr_decay_every) {
        (Some(path), _) => LrSchedule::read_table(path)?,
        (None, Some(every)) => LrSchedule::StepDecay {
            every,
            factor: args.lr_decay_factor,
        },
        (None, None) => LrSchedule::Constant,
    };
    config.weight_decay = args.weight_decay;
    config.average_decay = args.moving_average_decay;
    config.steps = args.steps.unwrap_or(config.steps);
    config.seed = args.seed;
    config.held_out = args.held_out;
    config.validation_photos = args.validation_photos;
    config.validate_every = args.validate_every;
    config.checkpoint_every = args.checkpoint_every;
    config.embed_chunk = args.embed_chunk;
    config.collapse_floor = args.collapse_floor;
    config.harmonic_with = args.harmonic_with.clone();
    config.augment = if args.no_augment {
        Augment::none()
    } else {
        Augment {
            crop: args.augment_crop,
            jitter: args.augment_jitter,
            ..Augment::default()
        }
    };
    Ok(config)
}

/// The run's own config.json; only --steps may change (to train longer).
fn resumed_config(args: &TrainArgs) -> anyhow::Result<TrainingConfig> {
    let mut config = TrainingConfig::load(&args.out)?;
    if let Some(steps) = args.steps {
        config.steps = steps;
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_sizes_parse_as_height_by_width() {
        assert_eq!(parse_input_size("70x58"), Ok(InputSize { height: 70, width: 58 }));
        assert_eq!(parse_input_size("96×96"), Ok(InputSize::square(96)));
        for bad in ["70", "70x", "8x8", "axb"] {
            assert!(parse_input_size(bad).unwrap_err().contains(bad), "{bad}");
        }
    }
}
