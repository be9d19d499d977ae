//! Speed of every FaceNet architecture on the Flex CPU backend: inference img/s at batch 1 and 32, and
//! one training step (forward, triplet loss, backward, AdaGrad) of NN4 at batch 64 and of
//! Inception-ResNet-v1 (the pretrained FaceNet's network, `facenet train --init facenet`) at batch 32 and 64,
//! in img/s. The PyTorch twin of the Inception-ResNet-v1 figures is `scripts/bench_irv1_train_torch.py`
//! (facenet-pytorch's `InceptionResnetV1`); `scripts/bench_irv1_train.sh` runs both.
//!
//! ```text
//! RAYON_NUM_THREADS=2 cargo bench -p facenet-nn --bench arch            # all
//! RAYON_NUM_THREADS=2 cargo bench -p facenet-nn --bench arch -- nn4     # one architecture
//! ```
//! The PyTorch twin of the NN4 figures is `scripts/bench_nn4_torch.py` (same layers, same batch, same
//! threads). Batch B trains on B / 3 triplets; batch 64 on 21 (rows 0–20 anchors, 21–41 positives, 42–62 negatives; row 63
//! goes through the network too), as the twin does.
//!
//! Measured 2026-11-28 22:19 UTC on the otherwise idle 2-core development machine (AMD EPYC, Zen 4; load
//! average 0.9–1.0 around the run), 2 threads, before Flex's `rayon`/`simd` features were enabled (see the
//! workspace Cargo.toml) and before 1×1 convolutions became matrix products ([`facenet_nn::layers`]):
//!
//! | img/s | nn1 | nn2 | nn3 | nn4 | nns1 | nns2 |
//! |---|---|---|---|---|---|---|
//! | inference, batch 1 | 11.0 | 12.5 | 23.4 | 52.4 | 51.5 | 188 |
//! | inference, batch 32 | 14.3 | 12.5 | 24.7 | 66.8 | 50.5 | 214 |
//! | training, batch 64 | | | | 18.5 | | |
//!
//! After both changes, idle, 2 threads: NN4 training at 00:18 UTC 2026-11-29 (load 0.5 at the start),
//! inference of every architecture at 01:30 UTC (load 0.6 at the start):
//!
//! | img/s | nn1 | nn2 | nn3 | nn4 | nns1 | nns2 |
//! |---|---|---|---|---|---|---|
//! | inference, batch 1 | 11.8 | 14.7 | 24.5 | 49.9 | 56.2 | 226 |
//! | inference, batch 32 | 19.2 | 15.2 | 33.3 | 86.8 | 68.1 | 390 |
//! | training, batch 64 | | | | **24.0** | | |
//!
//! (NN4 at batch 32 gave 100.4 img/s in the 00:18 run: runs differ by ~15 %.)
//!
//! PyTorch 2.15 twin, idle, 2 threads (00:19 UTC, right after): NN4 training 50.7 img/s, inference 45.2
//! (batch 1) and 143.8 (batch 32) img/s. So burn trains NN4 at 0.47× PyTorch's speed and infers at 1.1×
//! (batch 1) and 0.60–0.70× (batch 32).
//!
//! After the Flex kernels of this crate took over the training step's convolution backward passes
//! ([`facenet_kernels::gemm_conv`]: every k×k and 1×1 conv; the first conv as one im2col product,
//! [`facenet_nn::layers`]), L2 and max pooling ([`facenet_kernels::windows`]), and gemm's AVX-512 kernels were
//! enabled (workspace Cargo.toml), idle, 2 threads, 03:07 UTC 2026-11-29 (load 0.2 at the start):
//!
//! | img/s | nn1 | nn2 | nn3 | nn4 | nns1 | nns2 |
//! |---|---|---|---|---|---|---|
//! | inference, batch 1 | 11.8 | 14.7 | 27.7 | 51.3 | 66.5 | 459 |
//! | inference, batch 32 | 25.2 | 22.7 | 45.5 | 107.1 | 102.8 | 837 |
//! | training, batch 64 | | | | **36.6** | | |
//!
//! The NN4 training step went 22.6 → 26.2 (k×k conv backward) → 28.8 (window sum) → 34.6–36.8 (1×1
//! conv backward, AVX-512 gemm) → 36.5 img/s (max pool), each measured back to back with the previous
//! binary. PyTorch twin right after (03:10 UTC): training 48.7 img/s, inference 42.4 (batch 1) and 145.6
//! (batch 32); at 02:36 it gave 56.9 / 55.4 / 147.8. So burn now trains NN4 at **0.64–0.75×** PyTorch's speed,
//! and infers at 0.9–1.2× (batch 1) and 0.74× (batch 32). What is left of the step (perf): gemm 47 %
//! (PyTorch's oneDNN kernels are faster on the same shapes), batch norm's layout copies 6 %, LRN's `powf`
//! 4 %, the window loops 8 %, allocation and zeroing ~6 %. Under load PyTorch falls much further than burn (OpenMP threads spin
//! and wait for each other): at load 4–5, 7.1 img/s training against burn's 12.5; compare idle figures only.
//!
//! Then (2026-11-29, 04:30–06:00 UTC) the rest of the training step became Flex operations of this crate
//! with handwritten backward passes — batch norm + ReLU ([`facenet_kernels::batch_norm`]), LRN
//! ([`facenet_kernels::lrn`]), L2 pooling as one operation ([`facenet_kernels::windows`]) — glibc's malloc stopped
//! unmapping freed buffers ([`facenet_kernels::memory`]), and the convolutions run 8 images per matrix product,
//! forward too, in training and inference ([`facenet_kernels::gemm_conv`]). Idle, 2 threads, 05:58 UTC (load 1.6
//! at the start, from the machine's own background):
//!
//! | img/s | nn1 | nn2 | nn3 | nn4 | nns1 | nns2 |
//! |---|---|---|---|---|---|---|
//! | inference, batch 1 | 13.9 | 20.1 | 38.4 | 82.2 | 94.2 | 581 |
//! | inference, batch 32 | 34.8 | 31.4 | 68.8 | 191.7 | 161.1 | 1200 |
//! | training, batch 64 | | | | **66.9** | | |
//!
//! The NN4 step went 35–36 (start) → 39–40 (malloc) → 43–44 (batch norm) → 49–51 (LRN) → 56–57 (8–16
//! images per product, vectorised batch-norm sums) → 58–60 (separable window sums) → 63–64 (L2 pooling as
//! one operation) img/s, medians of 10 steps measured back to back with the previous binary. PyTorch twin
//! right after (06:01 UTC): training 53.1 img/s, inference 48.7 (batch 1) and 148.2 (batch 32); at 05:05
//! and 05:41 it trained at 56.2 and 55.0. So burn now trains NN4 at **1.19–1.26×** PyTorch's speed and
//! infers at 1.7× (batch 1) and 1.3× (batch 32). What is left of the step (perf): gemm 59 % (of which
//! packing 11 %), im2col / col2im and the side-by-side copies ~13 %, Inception's concatenation 4 %, max
//! pooling 5 %, batch norm 5 %, LRN 3 %.

use burn::optim::{AdaGradConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Tensor};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use facenet_nn::{Arch, FaceNetConfig, triplet_loss};
use std::time::Duration;

fn random_batch(arch: Arch, batch: usize, device: &Device) -> Tensor<4> {
    let input = arch.input_size();
    Tensor::random(
        [batch, 3, input.height, input.width],
        Distribution::Normal(0.0, 1.0),
        device,
    )
}

fn inference(c: &mut Criterion) {
    facenet_kernels::memory::keep_freed_memory();
    let device = Device::flex();
    let mut group = c.benchmark_group("inference");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for arch in Arch::ALL {
        let model = FaceNetConfig::new(arch).init(&device);
        for batch in [1, 32] {
            let x = random_batch(arch, batch, &device);
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_function(format!("{arch}/batch{batch}"), |b| {
                b.iter(|| model.forward(x.clone()).into_data())
            });
        }
    }
    group.finish();
}

fn training(c: &mut Criterion) {
    facenet_kernels::memory::keep_freed_memory();
    let device = Device::flex().autodiff();
    let mut group = c.benchmark_group("training");
    group
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(15));
    let nets = [
        (FaceNetConfig::new(Arch::Nn4), vec![64]),
        (facenet_nn::finetune::pretrained_config(), vec![32, 64]),
    ];
    for (config, batches) in nets {
        let arch = config.arch;
        for batch in batches {
            let triplets = batch / 3;
            group.throughput(Throughput::Elements(batch as u64));
            let mut model = Some(config.init(&device));
            let mut optim = AdaGradConfig::new().init();
            let x = random_batch(arch, batch, &device);
            group.bench_function(format!("{arch}/batch{batch}"), |b| {
                b.iter(|| {
                    let m = model.take().expect("the model is put back after every step");
                    let y = m.forward(x.clone()); // [batch, d]
                    let [a, p, n] = [0, 1, 2].map(|i| y.clone().narrow(0, i * triplets, triplets));
                    let loss = triplet_loss(a, p, n, 0.2);
                    let grads = GradientsParams::from_grads(loss.backward(), &m);
                    model = Some(optim.step(0.05, m, grads));
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, training, inference);
criterion_main!(benches);
