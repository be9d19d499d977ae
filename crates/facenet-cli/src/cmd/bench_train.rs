//! `facenet bench train`: training speed of a network (`facenet::train::speed`: forward, triplet loss,
//! backward and AdaGrad on random inputs), or with `--forward-only` its inference speed, images a second at
//! each `--batch`, on `--device`. The GPU's figures come from `scripts/gpu_bench.sh`; the CPU's twin under
//! criterion is `cargo bench --bench arch`.

use super::Status;
use crate::output::Ctx;
use facenet::kernels::device::{DeviceChoice, describe, device_for};
use facenet::nn::finetune::pretrained_config;
use facenet::nn::{Arch, FaceNetConfig};
use facenet::train::speed::{Pass, throughput};

#[derive(Debug, clap::Args)]
pub struct BenchTrainArgs {
    /// Architecture: nn1, nn2, nn3, nn4, nns1, nns2, inception-resnet-v1 (the pretrained FaceNet's network,
    /// 512-D, 160×160).
    #[arg(long, default_value = "nn4")]
    arch: Arch,
    /// Images per step (a third of them anchors, positives, negatives).
    #[arg(value_parser = super::ranges::batch, long = "batch", default_values_t = [64])]
    batches: Vec<usize>,
    /// Where to train: `cpu` or `gpu` (a build with `--features gpu`).
    #[arg(long, default_value = "cpu", value_parser = clap::value_parser!(DeviceChoice))]
    device: DeviceChoice,
    /// Time the forward pass alone (inference, no gradients) instead of a training step.
    #[arg(long)]
    forward_only: bool,
    /// Time each batch size for at least this many seconds (after two untimed steps).
    #[arg(value_parser = super::ranges::seconds, long, default_value_t = 10.0)]
    seconds: f64,
}

pub fn run(args: BenchTrainArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let pass = if args.forward_only { Pass::Forward } else { Pass::Train };
    anyhow::ensure!(
        pass == Pass::Forward || args.batches.iter().all(|&b| b >= 3),
        "--batch must be at least 3 (one triplet) for a training step"
    );
    let device = device_for(args.device)?;
    let config = match args.arch {
        Arch::InceptionResnetV1 => pretrained_config(),
        arch => FaceNetConfig::new(arch),
    };
    if !ctx.json {
        println!("device: {}", describe(args.device)?);
    }
    let mut rows = Vec::new();
    for &batch in &args.batches {
        let t = throughput(&config, pass, batch, &device, args.seconds);
        if !ctx.json {
            println!(
                "{}  {:?}  batch {:>4}  {:>8.1} img/s  ({} passes in {:.1} s)",
                t.arch, t.pass, t.batch, t.images_per_s, t.passes, t.seconds
            );
        }
        rows.push(t);
    }
    if ctx.json {
        ctx.print_json(&rows)?;
    }
    Ok(Status::Ok)
}
