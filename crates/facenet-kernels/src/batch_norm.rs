//! Batch normalisation with the batch's statistics, then ReLU — the training path of every
//! `facenet_nn::layers::ConvUnit` with batch norm — as one Flex operation with a handwritten backward pass.
//!
//! burn computes a training batch norm from tensor operations that swap the batch and channel axes (a copy
//! of the activation), and runs them on the calling thread: with the ReLU after it, ~12 % of an NN4
//! training step went to batch norm, all of it serial. Here, with `N` values per channel:
//!
//! - forward: per channel, `μ` and the biased variance `σ²` (each image plane's mean and squared deviations,
//!   planes in parallel, combined in f64); then per image, `y = max(0, γ·(x − μ)/√(σ² + ε) + β)`;
//! - backward: with `dz = dy·[y > 0]` and `x̂ = (x − μ)/√(σ² + ε)`: `dβ = Σ dz`, `dγ = Σ dz·x̂`,
//!   `dx = γ/√(σ² + ε) · (dz − dβ/N − x̂·dγ/N)`.
//!
//! The values are burn's `batch_norm_train` followed by `relu` (tested, values and all three gradients);
//! the running statistics are updated as burn's [`BatchNorm`] does. Sums run in a fixed order, so training
//! stays reproducible whatever the number of threads.

use crate::host::f32s;
use burn::backend::tensor::FloatTensor;
use burn::backend::{AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::nn::BatchNorm;
use burn::tensor::{Tensor, TensorData};
use burn_autodiff::Autodiff;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::checkpoint::strategy::CheckpointStrategy;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind};
use burn_flex::FlexTensor;
use rayon::prelude::*;
use std::ops::Range;

/// Batch norm with the batch's statistics followed by ReLU, as a burn backend extension.
#[backend_extension(Flex, Autodiff)]
pub trait BatchNormReluBackend: Backend {
    /// `x` `[b, c, h, w]`, `gamma` and `beta` `[c]`: the output `[b, c, h, w]` and the batch's mean and biased
    /// variance per channel (`[c]` each, outside the autodiff graph).
    fn batch_norm_relu_train(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
}

/// `relu(bn(x))` with the batch's statistics, differentiable, updating `bn`'s running mean and variance as
/// burn's [`BatchNorm::forward`] does in training. Flex devices only (see [`crate::device::is_flex`]).
pub fn batch_norm_relu_train(bn: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    let (output, mean, variance) = Dispatch::batch_norm_relu_train(
        x.into_dispatch(),
        bn.gamma.val().into_dispatch(),
        bn.beta.val().into_dispatch(),
        bn.epsilon,
    );
    let (mean, variance) = (Tensor::<1>::from_dispatch(mean), Tensor::<1>::from_dispatch(variance));
    let momentum = bn.momentum;
    let blend = |running: Tensor<1>, batch: Tensor<1>| {
        let device = batch.device();
        running
            .to_device(&device)
            .mul_scalar(1.0 - momentum)
            .add(batch.mul_scalar(momentum))
            .detach()
    };
    bn.running_mean.update(blend(bn.running_mean.value_sync(), mean));
    bn.running_var.update(blend(bn.running_var.value_sync(), variance));
    Tensor::from_dispatch(output)
}

/// Where each channel's values lie in an NCHW tensor: `batch` planes of `plane` values, `channels` apart.
#[derive(Clone, Copy, Debug)]
struct Layout {
    batch: usize,
    channels: usize,
    plane: usize,
}

impl Layout {
    fn of(x: &FlexTensor) -> Self {
        let shape = x.layout().shape().to_vec();
        Self {
            batch: shape[0],
            channels: shape[1],
            plane: shape[2..].iter().product(),
        }
    }

    fn count(&self) -> usize {
        self.batch * self.plane
    }

    /// `per_plane(channel, its range in the tensor)` for every image plane, images in parallel; the results
    /// in the tensor's order (image, then channel).
    fn per_plane<T: Send>(&self, per_plane: impl Fn(usize, Range<usize>) -> T + Sync) -> Vec<T> {
        let (channels, plane) = (self.channels, self.plane);
        (0..self.batch)
            .into_par_iter()
            .flat_map_iter(|b| (0..channels).map(move |c| (c, (b * channels + c) * plane)))
            .map(|(c, start)| per_plane(c, start..start + plane))
            .collect()
    }

    /// Channel `c`'s entries of a [`Self::per_plane`] result, in image order.
    fn of_channel<'a, T>(&self, per_plane: &'a [T], c: usize) -> impl Iterator<Item = &'a T> + 'a {
        per_plane[c..].iter().step_by(self.channels)
    }

    /// A new tensor's values, each image plane written by `per_plane(channel, its range in the tensor,
    /// output plane)`, images in parallel.
    fn map_planes(&self, per_plane: impl Fn(usize, Range<usize>, &mut [f32]) + Sync) -> Vec<f32> {
        let image = self.channels * self.plane;
        let mut out = vec![0.0f32; self.batch * image];
        out.par_chunks_mut(image).enumerate().for_each(|(b, out)| {
            for (c, out) in out.chunks_mut(self.plane).enumerate() {
                let start = b * image + c * self.plane;
                per_plane(c, start..start + self.plane, out);
            }
        });
        out
    }
}

/// Lanes of the partial sums below: wide enough for the compiler to keep them in vector registers.
const LANES: usize = 16;

/// `Σ term(inputs at i)` over a plane, in `LANES` interleaved partial sums (vectorisable, and in a fixed
/// order).
fn lane_sum<const N: usize>(inputs: [&[f32]; N], term: impl Fn([f32; N]) -> f32) -> f32 {
    let len = inputs[0].len();
    let whole = len / LANES * LANES;
    // arrays, not slices: no bounds checks inside the lane loop, so it vectorises
    let blocks: [&[[f32; LANES]]; N] = inputs.map(|values| values[..whole].as_chunks::<LANES>().0);
    let mut lanes = [0.0f32; LANES];
    for i in 0..whole / LANES {
        let block: [&[f32; LANES]; N] = blocks.map(|blocks| &blocks[i]);
        for (lane, sum) in lanes.iter_mut().enumerate() {
            *sum += term(block.map(|values| values[lane]));
        }
    }
    lanes.iter().sum::<f32>() + (whole..len).map(|i| term(inputs.map(|values| values[i]))).sum::<f32>()
}

/// A plane's mean and sum of squared deviations from it (two passes over the plane, which is in cache).
fn plane_moments(plane: &[f32]) -> (f64, f64) {
    let sum = lane_sum([plane], |[x]| x);
    let mean = sum / plane.len() as f32;
    let squares = lane_sum([plane], |[x]| (x - mean) * (x - mean));
    (f64::from(mean), f64::from(squares))
}

/// A channel's mean and biased variance from its planes' [`plane_moments`], combined in f64 (Chan et al.'s
/// pairwise update).
fn mean_and_variance<'a>(plane: usize, moments: impl Iterator<Item = &'a (f64, f64)>) -> (f64, f64) {
    let n = plane as f64;
    let (mut count, mut mean, mut squares) = (0.0f64, 0.0f64, 0.0f64);
    for &(plane_mean, plane_squares) in moments {
        let delta = plane_mean - mean;
        let total = count + n;
        mean += delta * n / total;
        squares += plane_squares + delta * delta * count * n / total;
        count = total;
    }
    (mean, squares / count)
}

/// What the backward pass needs besides the output's gradient.
#[derive(Clone, Debug)]
struct Saved {
    x: FlexTensor,
    output: FlexTensor,
    gamma: Vec<f32>,
    mean: Vec<f32>,
    inv_std: Vec<f32>,
}

/// The forward pass: the output and the statistics, plus the per-channel values the backward pass needs.
fn forward(x: &FlexTensor, gamma: &FlexTensor, beta: &FlexTensor, epsilon: f64) -> (FlexTensor, Saved, Vec<f32>) {
    let layout = Layout::of(x);
    let values = f32s(x);
    let (gamma, beta) = (f32s(gamma).into_owned(), f32s(beta));
    let moments = layout.per_plane(|_, range| plane_moments(&values[range]));
    let statistics: Vec<(f64, f64)> = (0..layout.channels)
        .map(|c| mean_and_variance(layout.plane, layout.of_channel(&moments, c)))
        .collect();
    let mean: Vec<f32> = statistics.iter().map(|&(mean, _)| mean as f32).collect();
    let variance: Vec<f32> = statistics.iter().map(|&(_, variance)| variance as f32).collect();
    let inv_std: Vec<f32> = statistics
        .iter()
        .map(|&(_, variance)| (1.0 / (variance + epsilon).sqrt()) as f32)
        .collect();
    let scale: Vec<f32> = gamma.iter().zip(&inv_std).map(|(g, s)| g * s).collect();
    let shift: Vec<f32> = (0..layout.channels).map(|c| beta[c] - mean[c] * scale[c]).collect();
    let output = layout.map_planes(|c, range, out| {
        let (scale, shift) = (scale[c], shift[c]);
        out.iter_mut()
            .zip(&values[range])
            .for_each(|(y, &x)| *y = (x * scale + shift).max(0.0));
    });
    let output = FlexTensor::from_data(TensorData::new(output, x.layout().shape().to_vec()));
    let saved = Saved {
        x: x.clone(),
        output: output.clone(),
        gamma,
        mean,
        inv_std,
    };
    (output, saved, variance)
}

fn channel_tensor(values: Vec<f32>) -> FlexTensor {
    let len = values.len();
    FlexTensor::from_data(TensorData::new(values, vec![len]))
}

impl BatchNormReluBackend for Flex {
    fn batch_norm_relu_train(
        x: FlexTensor,
        gamma: FlexTensor,
        beta: FlexTensor,
        epsilon: f64,
    ) -> (FlexTensor, FlexTensor, FlexTensor) {
        let (output, saved, variance) = forward(&x, &gamma, &beta, epsilon);
        (output, channel_tensor(saved.mean), channel_tensor(variance))
    }
}

impl<C: CheckpointStrategy> BatchNormReluBackend for Autodiff<Flex, C> {
    fn batch_norm_relu_train(
        x: FloatTensor<Self>,
        gamma: FloatTensor<Self>,
        beta: FloatTensor<Self>,
        epsilon: f64,
    ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
        let (x, x_node) = x.into_parts();
        let (gamma, gamma_node) = gamma.into_parts();
        let (beta, beta_node) = beta.into_parts();
        let (output, saved, variance) = forward(&x, &gamma, &beta, epsilon);
        let (mean, variance) = (
            Self::from_inner(channel_tensor(saved.mean.clone())),
            Self::from_inner(channel_tensor(variance)),
        );
        let output = match BatchNormReluBackward
            .prepare::<C>([x_node, gamma_node, beta_node])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(saved, output),
            OpsKind::UnTracked(prep) => prep.finish(output),
        };
        (output, mean, variance)
    }
}

#[derive(Debug)]
struct BatchNormReluBackward;

impl Backward<Flex, 3> for BatchNormReluBackward {
    type State = Saved;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        let output_grad = grads.consume::<Flex>(&ops.node);
        let saved = ops.state;
        let layout = Layout::of(&saved.x);
        let (x, output, dy) = (f32s(&saved.x), f32s(&saved.output), f32s(&output_grad));
        let (gamma_grad, beta_grad) = parameter_grads(&layout, &saved, &x, &output, &dy);
        if let Some(node) = node_x {
            let x_grad = input_grad(&layout, &saved, &gamma_grad, &beta_grad, [&x, &output, &dy]);
            grads.register::<Flex>(
                node.id,
                FlexTensor::from_data(TensorData::new(x_grad, saved.x.layout().shape().to_vec())),
            );
        }
        if let Some(node) = node_gamma {
            grads.register::<Flex>(node.id, channel_tensor(gamma_grad));
        }
        if let Some(node) = node_beta {
            grads.register::<Flex>(node.id, channel_tensor(beta_grad));
        }
    }
}

/// `(dγ, dβ)` per channel: `Σ dz·x̂` and `Σ dz`, `dz = dy·[y > 0]`; each plane's sums in f32 (planes in
/// parallel), each channel's in f64.
fn parameter_grads(layout: &Layout, saved: &Saved, x: &[f32], output: &[f32], dy: &[f32]) -> (Vec<f32>, Vec<f32>) {
    let sums = layout.per_plane(|c, range| {
        let mean = saved.mean[c];
        let inputs = [&x[range.clone()], &output[range.clone()], &dy[range]];
        let dz = |y: f32, dy: f32| if y > 0.0 { dy } else { 0.0 };
        let dz_sum = lane_sum([inputs[1], inputs[2]], |[y, dy]| dz(y, dy));
        let dz_x_sum = lane_sum(inputs, |[x, y, dy]| dz(y, dy) * (x - mean));
        [dz_x_sum, dz_sum]
    });
    (0..layout.channels)
        .map(|c| {
            let (dz_xhat, dz) = layout
                .of_channel(&sums, c)
                .fold((0.0f64, 0.0f64), |(a, b), &[dz_x, dz]| {
                    (a + f64::from(dz_x), b + f64::from(dz))
                });
            ((dz_xhat * f64::from(saved.inv_std[c])) as f32, dz as f32)
        })
        .unzip()
}

/// `dx = γ/σ · (dz − dβ/N − x̂·dγ/N)` (with `1/σ = inv_std`), images in parallel.
fn input_grad(layout: &Layout, saved: &Saved, gamma_grad: &[f32], beta_grad: &[f32], inputs: [&[f32]; 3]) -> Vec<f32> {
    let n = layout.count() as f32;
    let [x, y, dy] = inputs;
    layout.map_planes(|c, range, out| {
        let (x, y, dy) = (&x[range.clone()], &y[range.clone()], &dy[range]);
        let scale = saved.gamma[c] * saved.inv_std[c];
        // dx = scale·dz + slope·(x − μ) − scale·dβ/N, slope = −scale·inv_std·dγ/N
        let slope = -scale * saved.inv_std[c] * gamma_grad[c] / n;
        let offset = -slope * saved.mean[c] - scale * beta_grad[c] / n;
        for (out, ((&x, &y), &dy)) in out.iter_mut().zip(x.iter().zip(y).zip(dy)) {
            let dz = if y > 0.0 { dy } else { 0.0 };
            *out = scale * dz + slope * x + offset;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::BatchNormConfig;
    use burn::tensor::activation::relu;
    use burn::tensor::{Device, Distribution};

    fn max_abs_diff<const D: usize>(a: Tensor<D>, b: Tensor<D>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    #[test]
    fn equals_burns_batch_norm_then_relu_in_values_gradients_and_running_statistics() {
        let device = Device::flex().autodiff();
        for (shape, shift) in [([5, 3, 4, 6], 0.0), ([2, 7, 3, 3], 2.5), ([33, 2, 1, 1], -1.0)] {
            let ours = BatchNormConfig::new(shape[1]).init(&device);
            let theirs = BatchNormConfig::new(shape[1]).init(&device);
            // different γ and β per channel, so that a mixed-up channel shows
            let gamma = Tensor::<1>::random([shape[1]], Distribution::Normal(1.0, 0.5), &device);
            let beta = Tensor::<1>::random([shape[1]], Distribution::Normal(0.0, 0.5), &device);
            let with = |mut bn: BatchNorm| {
                bn.gamma = burn::module::Param::from_tensor(gamma.clone());
                bn.beta = burn::module::Param::from_tensor(beta.clone());
                bn
            };
            let (ours, theirs) = (with(ours), with(theirs));
            let x = Tensor::<4>::random(shape, Distribution::Normal(shift, 2.0), &device).require_grad();
            let target = Tensor::<4>::random(shape, Distribution::Normal(0.0, 1.0), &device);
            let (y_ours, y_theirs) = (batch_norm_relu_train(&ours, x.clone()), relu(theirs.forward(x.clone())));
            assert!(
                max_abs_diff(y_ours.clone().inner(), y_theirs.clone().inner()) < 1e-5,
                "{shape:?}"
            );
            let grads_of = |y: Tensor<4>, bn: &BatchNorm| {
                let grads = (y * target.clone()).sum().backward();
                let grad = |t: Tensor<1>| t.grad(&grads).expect("a parameter gradient");
                (
                    x.grad(&grads).expect("an input gradient"),
                    grad(bn.gamma.val()),
                    grad(bn.beta.val()),
                )
            };
            let ((dx, dgamma, dbeta), (dx_burn, dgamma_burn, dbeta_burn)) =
                (grads_of(y_ours, &ours), grads_of(y_theirs, &theirs));
            assert!(max_abs_diff(dx, dx_burn) < 1e-4, "dx {shape:?}");
            assert!(max_abs_diff(dgamma, dgamma_burn) < 1e-4, "dγ {shape:?}");
            assert!(max_abs_diff(dbeta, dbeta_burn) < 1e-4, "dβ {shape:?}");
            let running = |bn: &BatchNorm| (bn.running_mean.value(), bn.running_var.value());
            let ((mean, var), (mean_burn, var_burn)) = (running(&ours), running(&theirs));
            assert!(
                max_abs_diff(mean, mean_burn) < 1e-5 && max_abs_diff(var, var_burn) < 1e-4,
                "running {shape:?}"
            );
        }
    }

    #[test]
    fn statistics_survive_a_large_offset() {
        // values 1e4 + {−1, +1}: variance 1, where E[x²] − E[x]² in f32 would lose it
        let planes = [[1e4f32 - 1.0, 1e4 + 1.0], [1e4 + 1.0, 1e4 - 1.0]];
        let moments: Vec<_> = planes.iter().map(|plane| plane_moments(plane)).collect();
        let (mean, variance) = mean_and_variance(2, moments.iter());
        assert!(
            (mean - 1e4).abs() < 1e-9 && (variance - 1.0).abs() < 1e-9,
            "{mean} {variance}"
        );
    }

    #[test]
    fn lane_sum_adds_every_term() {
        for len in [0, 1, 15, 16, 17, 100] {
            let values: Vec<f32> = (0..len).map(|i| i as f32).collect();
            let expected = (0..len).sum::<usize>() as f32;
            assert_eq!(
                lane_sum([&values[..], &values[..]], |[v, w]| v + w),
                2.0 * expected,
                "len {len}"
            );
        }
    }
}
