//! The training loop (FaceNet Sec. 3–4): draw an identity-balanced batch, embed it without gradients,
//! mine a semi-hard triplet per anchor-positive pair, then take AdaGrad steps over those triplets
//! `triplets_per_step` at a time; when they are used up, the next batch (already loaded and augmented by a
//! background thread) is mined with the updated network. Validation on held-out identities (of the moving
//! average of the weights when the run keeps one), checkpoints, the collapse guard and interruption (Ctrl-C)
//! all happen between steps.

use crate::average::WeightAverage;
use crate::config::{Init, TrainingConfig};
use crate::embed::{PhotoBatch, Validation, embed_all, mean_pairwise_distance, validate};
use crate::harmonic::{self, FrozenModel};
use crate::metrics::{MetricsLine, MetricsLog};
use crate::state::{self, RunState};
use burn::module::Module;
use burn::optim::{AdaGradConfig, GradientsParams, ModuleOptimizer, decay::WeightDecayConfig};
use burn::tensor::{Device, Tensor};
use facenet_core::harmonic::mine_harmonic;
use facenet_core::mining::{MiningStats, Sample, Triplet, mine_triplets, sample_batch, squared_distances};
use facenet_kernels::device::{default_training_device, is_flex, training_device_for};
use facenet_nn::finetune::{calibrate, freeze_batch_norm, freeze_until, load_pretrained};
use facenet_nn::layers::initialized;
use facenet_nn::models::FaceNet;
use facenet_nn::{Error, Result, triplet_loss};
use facenet_vision::dataset::{Augment, FaceDataset, FaceLoader, Prefetcher, ScanReport};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// All steps done.
    Completed,
    /// The stop flag was raised (Ctrl-C); a checkpoint was written.
    Interrupted,
    /// The embeddings collapsed (mean pairwise distance below the floor); a checkpoint was written.
    Collapsed { mean_distance: f64 },
}

/// What a run did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TrainOutcome {
    pub steps: u64,
    pub reason: StopReason,
    /// Held-out validation before the first step of this run and after its last.
    pub first_validation: Option<Validation>,
    pub last_validation: Option<Validation>,
    /// What the data scan left out.
    pub scan: ScanReport,
}

/// Something the loop reports as it goes (for a progress bar and logs).
#[derive(Debug, Clone)]
pub enum Event<'a> {
    /// The data was scanned: training and held-out photo counts.
    Started {
        step: u64,
        total: u64,
        train_photos: usize,
        held_out_photos: usize,
        scan: &'a ScanReport,
    },
    /// A metrics line was written.
    Metrics(&'a MetricsLine),
    /// A warning (collapse).
    Warning(&'a str),
}

/// Trains `config` into `run_dir` (created; `config.json` written). With `resume`, continues from the
/// run's checkpoint. `stop` is polled between steps (set it from a Ctrl-C handler). burn's device RNG is
/// seeded process-wide: two runs in one process at once are not reproducible.
pub fn train(
    config: &TrainingConfig,
    run_dir: &Path,
    loader: &FaceLoader,
    resume: bool,
    stop: &AtomicBool,
    observer: &mut dyn FnMut(Event),
) -> Result<TrainOutcome> {
    config.validate()?;
    std::fs::create_dir_all(run_dir)
        .map_err(|e| Error::Invalid(format!("{}: cannot create: {e}", run_dir.display())))?;
    config.save(run_dir)?;
    let (dataset, scan) = FaceDataset::open(&config.data, loader)?;
    let (train_set, held_out) = if config.held_out > 0 {
        dataset.split_held_out(config.held_out).map(|(a, b)| (a, Some(b)))?
    } else {
        (dataset, None)
    };
    let validation_set = held_out
        .map(|h| load_validation_set(&h, loader, config.validation_photos))
        .transpose()?;

    let device = training_device_for(config.device)?;
    let old_model = config
        .harmonic_with
        .as_deref()
        .map(|old_run| harmonic::load_old_model(old_run, &config.model, &device))
        .transpose()?; // before seeding: loading draws initial weights too
    let checkpoint = harmonic::checkpoint_config(config, old_model.as_ref());
    let mut model = initial_model(config, &device, resume)?;
    let mut calibration_pending = config.init.is_some() && !resume;
    let mut optimizer = adagrad(config);
    let mut run = RunState::default();
    let mut average = (config.average_decay > 0.0).then(|| WeightAverage::new(config.average_decay, &model));
    if resume {
        let loaded = state::load(run_dir, model, optimizer)?;
        (model, optimizer, run) = (loaded.model, loaded.optimizer, loaded.state);
        if config.average_decay > 0.0 {
            average = Some(WeightAverage::new(
                config.average_decay,
                loaded.averaged.as_ref().unwrap_or(&model),
            ));
        }
    }
    let mut log = MetricsLog::open(run_dir, resume.then_some(run.step))?;
    let train_set = Arc::new(train_set);
    let held_out_photos = validation_set.as_ref().map_or(0, |(p, _)| p.count());
    observer(Event::Started {
        step: run.step,
        total: config.steps,
        train_photos: train_set.photo_count(),
        held_out_photos,
        scan: &scan,
    });

    let mut loop_state = Loop {
        config,
        device,
        log: &mut log,
        observer,
        first_validation: None,
        last_validation: None,
    };
    let start_round = match (&run.round, run.pending.is_empty()) {
        (Some(r), false) => *r,
        (Some(r), true) => r + 1,
        (None, _) => 0,
    };
    let rounds = prefetch_rounds(config, Arc::clone(&train_set), loader.clone(), start_round);
    if run.step == 0 || !resume {
        loop_state.validate(&evaluated(&model, average.as_ref()), validation_set.as_ref(), run.step)?;
    }
    let mut round_photos: Option<PhotoBatch> = None;
    let mut round_old: Option<Vec<f32>> = None; // the old model's embeddings of the round (harmonic runs)
    if !run.pending.is_empty() {
        let photos = next_round(&rounds)?.photos;
        round_old = embed_old(old_model.as_ref(), &photos, config.embed_chunk)?;
        round_photos = Some(photos);
    }
    let mut reason = StopReason::Completed;
    let mut empty_rounds = 0;
    while run.step < config.steps {
        let started = Instant::now();
        let mut mined = None;
        let mut embedded_photos = 0;
        if run.pending.is_empty() {
            let round = next_round(&rounds)?;
            if calibration_pending {
                model = calibrated(model, &round.photos, config.embed_chunk, &loop_state.device);
                average = average.map(|_| WeightAverage::new(config.average_decay, &model));
                calibration_pending = false;
            }
            round_old = embed_old(old_model.as_ref(), &round.photos, config.embed_chunk)?;
            let (triplets, stats, mean_distance) = loop_state.mine(&model, &round, round_old.as_deref())?;
            embedded_photos = round.photos.count();
            if mean_distance < config.collapse_floor as f64 {
                let warning = format!(
                    "embeddings collapsed: mean pairwise squared distance {mean_distance:.2e} < floor {:.2e} at step {}; stopping",
                    config.collapse_floor, run.step
                );
                tracing::warn!("{warning}");
                (loop_state.observer)(Event::Warning(&warning));
                reason = StopReason::Collapsed { mean_distance };
                break;
            }
            run.round = Some(round.index);
            run.pending = triplets;
            round_photos = Some(round.photos);
            mined = Some(stats);
            if run.pending.is_empty() {
                empty_rounds += 1;
                if empty_rounds == MAX_EMPTY_ROUNDS {
                    return Err(Error::Invalid(format!(
                        "no triplets in {MAX_EMPTY_ROUNDS} batches in a row under rule {:?}; try the tf rule or larger batches",
                        config.rule
                    )));
                }
                continue; // nothing to learn from this batch: draw the next
            }
            empty_rounds = 0;
        }
        let take = config.triplets_per_step.min(run.pending.len());
        let chunk: Vec<Triplet> = run.pending.drain(..take).collect();
        let photos = round_photos
            .as_ref()
            .expect("a round is loaded whenever triplets are pending");
        let lr = config.schedule.lr_at(config.lr, run.step);
        let (next_model, loss, active) = train_step(
            model,
            &mut optimizer,
            photos,
            round_old.as_deref(),
            &chunk,
            config.alpha,
            lr,
            &loop_state.device,
        )?;
        model = next_model;
        run.step += 1;
        if let Some(average) = average.as_mut() {
            average.update(&model, run.step);
        }
        let elapsed = started.elapsed().as_secs_f64().max(1e-9);
        let line = MetricsLine {
            step: run.step,
            loss: Some(loss),
            lr: Some(lr),
            active_triplets: Some(active),
            images_per_s: Some((3 * chunk.len() + embedded_photos) as f64 / elapsed),
            triplets: Some(chunk.len()),
            mining: mined,
            validation: None,
        };
        loop_state.write(&line)?;
        let last = run.step == config.steps;
        if last || (config.validate_every > 0 && run.step % config.validate_every == 0) {
            loop_state.validate(&evaluated(&model, average.as_ref()), validation_set.as_ref(), run.step)?;
        }
        let interrupted = stop.load(Ordering::SeqCst);
        if last || interrupted || (config.checkpoint_every > 0 && run.step % config.checkpoint_every == 0) {
            state::save(run_dir, &model, average.as_ref(), &checkpoint, &optimizer, &run)?;
        }
        if interrupted && !last {
            reason = StopReason::Interrupted;
            break;
        }
    }
    if reason != StopReason::Completed {
        state::save(run_dir, &model, average.as_ref(), &checkpoint, &optimizer, &run)?;
        if loop_state.last_validation.is_none() || matches!(reason, StopReason::Interrupted) {
            loop_state.validate(&evaluated(&model, average.as_ref()), validation_set.as_ref(), run.step)?;
        }
    }
    Ok(TrainOutcome {
        steps: run.step,
        reason,
        first_validation: loop_state.first_validation,
        last_validation: loop_state.last_validation,
        scan,
    })
}

/// The network a run starts from, on `device`: fresh weights drawn from the seed, or the pretrained ones of
/// `config.init` (not when resuming: the checkpoint has the weights), made on the CPU and then moved, so the
/// CPU and a GPU start from the same weights; with the run's frozen parts frozen (freezing is not part of a
/// checkpoint).
fn initial_model(config: &TrainingConfig, device: &Device, resume: bool) -> Result<FaceNet> {
    let cpu = default_training_device();
    cpu.seed(config.seed);
    let model = match (config.init, resume) {
        (Some(Init::Facenet), false) => load_pretrained(&facenet_assets::Cache::from_env()?, &cpu)?,
        _ => config.model.init(&cpu),
    };
    model.check_fits(device, &config.model.arch.to_string())?;
    let model = match is_flex(device) {
        true => model,
        false => initialized(model).fork(device),
    };
    let model = match &config.freeze_until {
        Some(name) => freeze_until(model, &config.model, name)?,
        None => model,
    };
    Ok(if config.freeze_bn {
        freeze_batch_norm(model)
    } else {
        model
    })
}

/// `model` with its batch norms calibrated ([`facenet_nn::finetune::calibrate`]) on at most `count`
/// photos spread evenly over the batch (a batch lists each identity's photos together).
fn calibrated(model: FaceNet, photos: &PhotoBatch, count: usize, device: &Device) -> FaceNet {
    let step = photos.count().div_ceil(count.max(1)).max(1);
    let indices: Vec<usize> = (0..photos.count()).step_by(step).collect();
    let x = photos.gather(&indices, &device.clone().inner());
    calibrate(model.valid(), x).train()
}

/// The network that validation sees: the averaged weights when the run keeps an average.
fn evaluated(model: &FaceNet, average: Option<&WeightAverage>) -> FaceNet {
    average.map_or_else(|| model.clone(), |a| a.apply(model))
}

/// Batches in a row without a single triplet after which the run gives up.
const MAX_EMPTY_ROUNDS: usize = 20;

/// AdaGrad with the run's weight decay.
fn adagrad(config: &TrainingConfig) -> ModuleOptimizer {
    let decay = (config.weight_decay > 0.0).then(|| WeightDecayConfig::new(config.weight_decay as f32));
    AdaGradConfig::new().with_weight_decay(decay).init()
}

/// The frozen old model's embeddings of `photos` in a harmonic run, else None.
fn embed_old(old: Option<&FrozenModel>, photos: &PhotoBatch, chunk: usize) -> Result<Option<Vec<f32>>> {
    old.map(|old| old.embed(&photos.photos, chunk)).transpose()
}

/// One optimiser step on `triplets` of `photos`: forward the 3k photos (anchors, positives, negatives;
/// in a harmonic run, rows of the old model's embeddings `old` are constants: [`harmonic::mixed_rows`]),
/// triplet loss, backward, AdaGrad. Returns the model, the loss and the fraction of active triplets.
#[allow(clippy::too_many_arguments)]
fn train_step(
    model: FaceNet,
    optimizer: &mut ModuleOptimizer,
    photos: &PhotoBatch,
    old: Option<&[f32]>,
    triplets: &[Triplet],
    alpha: f32,
    lr: f64,
    device: &Device,
) -> Result<(FaceNet, f64, f64)> {
    let k = triplets.len();
    let indices: Vec<usize> = [
        |t: &Triplet| t.anchor,
        |t: &Triplet| t.positive,
        |t: &Triplet| t.negative,
    ]
    .iter()
    .flat_map(|role| triplets.iter().map(role))
    .collect();
    let embeddings = harmonic::mixed_rows(&model, photos, old, &indices, device); // [3k, d]
    let dim = embeddings.dims()[1];
    let values = embeddings
        .clone()
        .into_data()
        .try_to_vec::<f32>()
        .map_err(|e| Error::Invalid(format!("embedding readback: {e:?}")))?;
    let active = fraction_active(&values, dim, k, alpha);
    let part = |i: usize| -> Tensor<2> { embeddings.clone().slice([i * k..(i + 1) * k, 0..dim]) };
    let loss = triplet_loss(part(0), part(1), part(2), alpha as f64); // [1]
    let loss_value = loss.clone().into_scalar::<f32>() as f64;
    let grads = GradientsParams::from_grads(loss.backward(), &model);
    Ok((optimizer.step(lr, model, grads), loss_value, active))
}

/// Of k triplets whose embeddings are rows [anchors; positives; negatives], the fraction with
/// d_ap − d_an + α > 0.
fn fraction_active(values: &[f32], dim: usize, k: usize, alpha: f32) -> f64 {
    let row = |i: usize| &values[i * dim..(i + 1) * dim];
    let active = (0..k)
        .filter(|&i| {
            let d_ap = facenet_core::distance::squared_l2(row(i), row(k + i));
            let d_an = facenet_core::distance::squared_l2(row(i), row(2 * k + i));
            d_ap - d_an + alpha > 0.0
        })
        .count();
    active as f64 / k.max(1) as f64
}

/// One identity-balanced batch, loaded and augmented.
struct Round {
    index: u64,
    samples: Vec<Sample>,
    anchors: usize,
    photos: PhotoBatch,
}

/// Seeds for the parts of round `round`: 0 sampling, 1 augmentation, 2 mining.
fn round_seed(seed: u64, round: u64, part: u64) -> u64 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(round.wrapping_mul(4).wrapping_add(part));
    rand::Rng::random(&mut rng)
}

/// Loads rounds `start..` on a background thread, two ahead.
fn prefetch_rounds(
    config: &TrainingConfig,
    dataset: Arc<FaceDataset>,
    loader: FaceLoader,
    start: u64,
) -> Prefetcher<Result<Round>> {
    let (seed, shape, augment) = (config.seed, config.batch, config.augment);
    let counts = dataset.photos_per_identity();
    Prefetcher::new(start..u64::MAX, 2, move |index| {
        let (samples, anchors) = sample_batch(
            &counts,
            &shape,
            &mut ChaCha8Rng::seed_from_u64(round_seed(seed, index, 0)),
        );
        let photos = loader.load_batch(&dataset, &samples, &augment, round_seed(seed, index, 1))?;
        Ok(Round {
            index,
            samples,
            anchors,
            photos: PhotoBatch { photos },
        })
    })
}

fn next_round(rounds: &Prefetcher<Result<Round>>) -> Result<Round> {
    rounds
        .next_item()
        .ok_or_else(|| Error::Invalid("the batch loader stopped".into()))?
}

/// The held-out photos (at most `per_identity` each, unaugmented) and their identity labels.
fn load_validation_set(
    held_out: &FaceDataset,
    loader: &FaceLoader,
    per_identity: usize,
) -> Result<(PhotoBatch, Vec<usize>)> {
    let samples = held_out.first_photos(per_identity);
    let photos = loader.load_batch(held_out, &samples, &Augment::none(), 0)?;
    Ok((PhotoBatch { photos }, samples.iter().map(|s| s.identity).collect()))
}

/// What the loop carries besides the model: where metrics go and the validations seen.
struct Loop<'a, 'o> {
    config: &'a TrainingConfig,
    device: Device,
    log: &'a mut MetricsLog,
    observer: &'a mut (dyn FnMut(Event) + 'o),
    first_validation: Option<Validation>,
    last_validation: Option<Validation>,
}

impl Loop<'_, '_> {
    fn write(&mut self, line: &MetricsLine) -> Result<()> {
        self.log.append(line)?;
        (self.observer)(Event::Metrics(line));
        Ok(())
    }

    fn validate(&mut self, model: &FaceNet, set: Option<&(PhotoBatch, Vec<usize>)>, step: u64) -> Result<()> {
        let Some((photos, labels)) = set else { return Ok(()) };
        let embeddings = embed_all(model, photos, self.config.embed_chunk, &self.device)?;
        let validation = validate(&embeddings, self.config.model.embedding_dim, labels)?;
        self.first_validation.get_or_insert(validation);
        self.last_validation = Some(validation);
        self.write(&MetricsLine {
            step,
            validation: Some(validation),
            ..MetricsLine::default()
        })
    }

    /// Embeds the round, mines its triplets (shuffled, at most `max_steps_per_batch` steps' worth; mixed
    /// with the old model's embeddings `old` in a harmonic run) and returns them with the statistics and
    /// the embeddings' mean pairwise distance.
    fn mine(
        &mut self,
        model: &FaceNet,
        round: &Round,
        old: Option<&[f32]>,
    ) -> Result<(Vec<Triplet>, MiningStats, f64)> {
        let dim = self.config.model.embedding_dim;
        let embeddings = embed_all(model, &round.photos, self.config.embed_chunk, &self.device)?;
        let labels: Vec<usize> = round.samples.iter().map(|s| s.identity).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(round_seed(self.config.seed, round.index, 2));
        let (alpha, rule) = (self.config.alpha, self.config.rule);
        let (mut triplets, stats) = match old {
            Some(old) => mine_harmonic(&embeddings, old, dim, &labels, round.anchors, alpha, rule, &mut rng)?,
            None => {
                let distances = squared_distances(&embeddings, dim)?;
                mine_triplets(&distances, &labels, round.anchors, alpha, rule, &mut rng)?
            }
        };
        triplets.shuffle(&mut rng);
        if self.config.max_steps_per_batch > 0 {
            triplets.truncate(self.config.max_steps_per_batch * self.config.triplets_per_step);
        }
        tracing::info!(
            round = round.index,
            triplets = stats.triplets,
            pairs = stats.pairs,
            fraction_active = stats.fraction_active,
            mean_d_ap = stats.mean_d_ap,
            mean_d_an = stats.mean_d_an,
            "mined"
        );
        Ok((triplets, stats, mean_pairwise_distance(&embeddings, dim)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_fraction_counts_positive_hinges() {
        // k = 2, dim 1: anchors [0, 0], positives [0.1, 1], negatives [1, 0.5].
        let values = [0.0, 0.0, 0.1, 1.0, 1.0, 0.5];
        assert_eq!(fraction_active(&values, 1, 2, 0.2), 0.5);
    }

    #[test]
    fn round_seeds_differ_by_round_and_part() {
        assert_ne!(round_seed(1, 0, 0), round_seed(1, 1, 0));
        assert_ne!(round_seed(1, 0, 0), round_seed(1, 0, 1));
        assert_eq!(round_seed(1, 3, 2), round_seed(1, 3, 2));
    }
}
