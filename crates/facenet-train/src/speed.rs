//! Network speed on a device, in images a second, on random inputs: a training step of the triplet loss
//! (FaceNet Eq. 1: forward, loss, backward, AdaGrad, as [`crate::train`] does them minus the data), or the
//! forward pass alone. `facenet bench train` prints it; `scripts/gpu_bench.sh` runs it on a GPU (random
//! weights: the speed does not depend on them, and no model file is needed);
//! `crates/facenet-nn/benches/arch.rs` is the CPU twin under criterion.

use burn::optim::{AdaGradConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Tensor};
use facenet_nn::{FaceNetConfig, triplet_loss};
use serde::Serialize;
use std::time::Instant;

/// Untimed passes first (the GPU compiles its shaders then).
const WARM_UP: usize = 2;
/// Timed passes at least, whatever the time.
const MIN_PASSES: usize = 3;

/// What is timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Pass {
    /// Forward, triplet loss, backward and AdaGrad.
    Train,
    /// The forward pass alone, without gradients (inference).
    Forward,
}

/// One measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Throughput {
    pub arch: String,
    pub pass: Pass,
    pub batch: usize,
    pub passes: usize,
    pub seconds: f64,
    pub images_per_s: f64,
}

/// Times `pass` of `config`'s network on `device` on batches of `batch` random images (a training step
/// takes `batch / 3` triplets): two untimed, then passes until `min_seconds` have passed. Each pass
/// reads a value back, so the device cannot run ahead of the clock by more than one pass.
pub fn throughput(config: &FaceNetConfig, pass: Pass, batch: usize, device: &Device, min_seconds: f64) -> Throughput {
    let device = match pass {
        Pass::Train => device.clone().autodiff(),
        Pass::Forward => device.clone(),
    };
    let input = config.input_size();
    let x = Tensor::<4>::random(
        [batch, 3, input.height, input.width],
        Distribution::Normal(0.0, 1.0),
        &device,
    );
    let triplets = batch / 3;
    let mut model = config.init(&device);
    let mut optim = AdaGradConfig::new().init();
    let mut run = || match pass {
        Pass::Forward => model.forward(x.clone()).sum().into_scalar::<f32>(),
        Pass::Train => {
            let y = model.forward(x.clone()); // [batch, d]
            let [a, p, n] = [0, 1, 2].map(|i| y.clone().narrow(0, i * triplets, triplets));
            let loss = triplet_loss(a, p, n, 0.2);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(0.05, model.clone(), grads);
            loss.into_scalar::<f32>()
        }
    };
    for _ in 0..WARM_UP {
        run();
    }
    let start = Instant::now();
    let mut passes = 0;
    while passes < MIN_PASSES || start.elapsed().as_secs_f64() < min_seconds {
        run();
        passes += 1;
    }
    let seconds = start.elapsed().as_secs_f64();
    Throughput {
        arch: config.arch.to_string(),
        pass,
        batch,
        passes,
        seconds,
        images_per_s: (passes * batch) as f64 / seconds,
    }
}
