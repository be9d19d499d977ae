//! Inception-ResNet-v1 as trainable burn layers, channels-first, built from the same
//! [`InceptionResnetV1Spec`](super::spec::InceptionResnetV1Spec) stage by stage as davidsandberg/facenet's
//! `src/models/inception_resnet_v1.py` builds it (Szegedy et al. 2016, arXiv:1602.07261, Figures 10–14):
//! every conv is conv (no bias) → batch norm (ε 0.001, running-average decay 0.995 as davidsandberg's
//! `batch_norm_decay`) → ReLU ([`TfConv`]); a residual block is `relu?(x + scale · up(concat(branches)))`
//! with the up-projection a 1×1 conv with bias and no norm ([`ResidualBlock`]); a reduction concatenates
//! strided conv chains and the 3×3/2 VALID max pool ([`ReductionBlock`]). The network around them (global
//! average pool, bottleneck fc + batch norm, L2) is [`crate::models::FaceNet`]'s.
//!
//! Convolutions go through [`crate::layers::conv_forward`], so the square "same" and the 1×1 convs run on
//! the Flex kernels; a stride-1 VALID conv is the "same" conv with its border outputs cut off (the same
//! values); strided VALID convs, the 1×7 / 7×1 / 1×3 / 3×1 convs and the VALID max pools use burn's generic
//! operations.
//!
//! Each layer can also be *calibrated* ([`TfConv::calibrate`]): its batch norm is re-parameterised so that
//! its running statistics are the statistics of the conv's output on a given batch while the layer computes
//! the same function in inference mode as before (see [`restore_batch_norm`]); the pretrained network is
//! restored this way ([`crate::finetune`]).

use super::spec::{ConvSpec, Padding};
use crate::layers::{batch_norm_relu, conv_forward};
use burn::module::{Module, RunningState};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

/// The batch norm's ε in davidsandberg's network (TensorFlow's `slim.batch_norm` default).
pub const BATCH_NORM_EPSILON: f64 = 0.001;
/// Weight of a batch's statistics in the running averages: 1 − davidsandberg's decay 0.995.
pub const BATCH_NORM_MOMENTUM: f64 = 0.005;

/// A batch norm of `channels` with davidsandberg's ε and decay.
pub fn batch_norm(channels: usize, device: &Device) -> BatchNorm {
    BatchNormConfig::new(channels)
        .with_epsilon(BATCH_NORM_EPSILON)
        .with_momentum(BATCH_NORM_MOMENTUM)
        .init(device)
}

/// Conv (no bias) → batch norm → ReLU with TensorFlow's padding.
#[derive(Module, Debug)]
pub struct TfConv {
    pub conv: Conv2d,
    pub bn: BatchNorm,
    /// Outputs cut off on every side of the conv's output: a stride-1 VALID conv runs as the "same" conv
    /// and loses its `kernel / 2` border (0 for every other conv).
    pub crop: usize,
}

impl TfConv {
    /// The conv of `spec` with fresh weights.
    pub fn new(spec: &ConvSpec, device: &Device) -> Self {
        let (kh, kw) = spec.kernel;
        let (padding, crop) = match spec.padding {
            Padding::Valid if spec.stride == 1 && kh == kw => {
                (PaddingConfig2d::Explicit(kh / 2, kw / 2, kh / 2, kw / 2), kh / 2)
            }
            Padding::Valid => (PaddingConfig2d::Valid, 0),
            Padding::Same if spec.stride == 1 => (PaddingConfig2d::Explicit(kh / 2, kw / 2, kh / 2, kw / 2), 0),
            Padding::Same => (PaddingConfig2d::Same, 0),
        };
        let conv = Conv2dConfig::new([spec.c_in, spec.out], [kh, kw])
            .with_stride([spec.stride, spec.stride])
            .with_padding(padding)
            .with_bias(false)
            .init(device);
        Self {
            conv,
            bn: batch_norm(spec.out, device),
            crop,
        }
    }

    /// # Shapes
    /// `[b, c_in, h, w]` → `[b, c_out, h', w']` (TensorFlow's output size for the padding)
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        batch_norm_relu(&self.bn, self.conv_output(x))
    }

    /// The conv's output before the norm, the VALID border cut off.
    fn conv_output(&self, x: Tensor<4>) -> Tensor<4> {
        let y = conv_forward(&self.conv, x);
        if self.crop == 0 {
            return y;
        }
        let [_, _, h, w] = y.dims();
        let c = self.crop;
        y.narrow(2, c, h - 2 * c).narrow(3, c, w - 2 * c)
    }

    /// Re-parameterises the batch norm on `x` (see [`restore_batch_norm`]) and returns the layer's output,
    /// in inference mode. Run outside autodiff.
    pub fn calibrate(&mut self, x: Tensor<4>) -> Tensor<4> {
        let y = self.conv_output(x);
        restore_batch_norm(&mut self.bn, batch_statistics(y.clone()));
        batch_norm_relu(&self.bn, y)
    }
}

/// Per-channel mean and biased variance of `[b, c, h, w]` (or `[b, c]` as `[b, c, 1, 1]`).
pub fn batch_statistics(y: Tensor<4>) -> (Tensor<1>, Tensor<1>) {
    let [b, c, h, w] = y.dims();
    let per_channel = y.swap_dims(0, 1).reshape([c, b * h * w]);
    let (var, mean) = per_channel.var_mean_bias(1);
    (mean.reshape([c]), var.reshape([c]))
}

/// Sets the running statistics of `bn` to `(mean, var)` (a batch's) and `γ`, `β` so that inference-mode
/// output is unchanged: with the old `(m₀, v₀, γ₀, β₀)`,
/// `γ = γ₀ · √(v + ε) / √(v₀ + ε)` and `β = β₀ + (m − m₀) · γ₀ / √(v₀ + ε)`, so
/// `γ (y − m) / √(v + ε) + β = γ₀ (y − m₀) / √(v₀ + ε) + β₀` for every `y`. From a restored pretrained conv
/// (`m₀ = 0`, `v₀ = 1`, `γ₀ = √(1 + ε)`, `β₀` = the folded offset) this is `γ = √(v + ε)`,
/// `β = m + offset`: the batch norm then also reproduces the pretrained conv in *training* mode on that
/// batch, whose statistics are exactly `(m, v)`.
pub fn restore_batch_norm(bn: &mut BatchNorm, (mean, var): (Tensor<1>, Tensor<1>)) {
    let eps = bn.epsilon;
    let (m0, v0) = (bn.running_mean.value(), bn.running_var.value());
    let gain0 = bn.gamma.val() / v0.add_scalar(eps).sqrt(); // γ₀ / √(v₀ + ε)
    let gamma = gain0.clone() * var.clone().add_scalar(eps).sqrt();
    let beta = bn.beta.val() + (mean.clone() - m0) * gain0;
    bn.gamma = bn.gamma.clone().map(|_| gamma);
    bn.beta = bn.beta.clone().map(|_| beta);
    bn.running_mean = RunningState::new(mean);
    bn.running_var = RunningState::new(var);
}

/// Runs `x` through a chain of convs.
fn chain(convs: &[TfConv], x: Tensor<4>) -> Tensor<4> {
    convs.iter().fold(x, |x, conv| conv.forward(x))
}

/// Calibrates a chain of convs on `x` (see [`TfConv::calibrate`]).
fn calibrate_chain(convs: &mut [TfConv], x: Tensor<4>) -> Tensor<4> {
    convs.iter_mut().fold(x, |x, conv| conv.calibrate(x))
}

/// `relu?(x + scale · up(concat(branches(x))))`.
#[derive(Module, Debug)]
pub struct ResidualBlock {
    pub branches: Vec<Vec<TfConv>>,
    /// 1×1 conv with bias back to the block's width; no norm, no ReLU.
    pub up: Conv2d,
    pub scale: f64,
    pub relu: bool,
}

impl ResidualBlock {
    /// The block of `branches` and `up` with fresh weights.
    pub fn new(branches: &[Vec<ConvSpec>], up: &ConvSpec, scale: f32, relu: bool, device: &Device) -> Self {
        Self {
            branches: branches
                .iter()
                .map(|b| b.iter().map(|c| TfConv::new(c, device)).collect())
                .collect(),
            up: Conv2dConfig::new([up.c_in, up.out], [1, 1])
                .with_padding(PaddingConfig2d::Explicit(0, 0, 0, 0))
                .init(device),
            scale: scale as f64,
            relu,
        }
    }

    /// # Shapes
    /// `[b, c, h, w]` → `[b, c, h, w]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let mids = self.branches.iter().map(|b| chain(b, x.clone())).collect();
        self.merge(x, mids)
    }

    /// Calibrates every conv of the block on `x` and returns the block's output.
    pub fn calibrate(&mut self, x: Tensor<4>) -> Tensor<4> {
        let mids = self
            .branches
            .iter_mut()
            .map(|b| calibrate_chain(b, x.clone()))
            .collect();
        self.merge(x, mids)
    }

    fn merge(&self, x: Tensor<4>, mids: Vec<Tensor<4>>) -> Tensor<4> {
        let y = x + conv_forward(&self.up, Tensor::cat(mids, 1)).mul_scalar(self.scale);
        if self.relu { relu(y) } else { y }
    }
}

/// The concatenation of strided branches; an empty branch is the 3×3/2 VALID max pool.
#[derive(Module, Debug)]
pub struct ReductionBlock {
    pub branches: Vec<Vec<TfConv>>,
    pub pool: MaxPool2d,
}

impl ReductionBlock {
    /// The block of `branches` (None: the max pool) with fresh weights.
    pub fn new(branches: &[Option<&[ConvSpec]>], device: &Device) -> Self {
        Self {
            branches: branches
                .iter()
                .map(|b| b.map_or_else(Vec::new, |convs| convs.iter().map(|c| TfConv::new(c, device)).collect()))
                .collect(),
            pool: valid_max_pool(),
        }
    }

    /// # Shapes
    /// `[b, c, h, w]` → `[b, c', (h − 3) / 2 + 1, (w − 3) / 2 + 1]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let outputs = self
            .branches
            .iter()
            .map(|b| match b.is_empty() {
                true => self.pool.forward(x.clone()),
                false => chain(b, x.clone()),
            })
            .collect();
        Tensor::cat(outputs, 1)
    }

    /// Calibrates every conv of the block on `x` and returns the block's output.
    pub fn calibrate(&mut self, x: Tensor<4>) -> Tensor<4> {
        let pool = &self.pool;
        let outputs = self
            .branches
            .iter_mut()
            .map(|b| match b.is_empty() {
                true => pool.forward(x.clone()),
                false => calibrate_chain(b, x.clone()),
            })
            .collect();
        Tensor::cat(outputs, 1)
    }
}

/// The 3×3/2 VALID max pool of the stem and the reductions.
pub fn valid_max_pool() -> MaxPool2d {
    MaxPool2dConfig::new([3, 3]).with_strides([2, 2]).init()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    fn conv_spec(kernel: (usize, usize), stride: usize, padding: Padding) -> ConvSpec {
        ConvSpec {
            scope: "t".into(),
            c_in: 3,
            out: 4,
            kernel,
            stride,
            padding,
        }
    }

    #[test]
    fn output_sizes_follow_tensorflows_padding() {
        let device = Device::flex();
        let x = Tensor::<4>::random([2, 3, 11, 10], Distribution::Normal(0.0, 1.0), &device);
        for (kernel, stride, padding) in [
            ((3, 3), 1, Padding::Valid),
            ((3, 3), 2, Padding::Valid),
            ((1, 7), 1, Padding::Same),
            ((3, 1), 1, Padding::Same),
            ((3, 3), 1, Padding::Same),
        ] {
            let spec = conv_spec(kernel, stride, padding);
            let (h, w) = spec.output((11, 10));
            assert_eq!(
                TfConv::new(&spec, &device).forward(x.clone()).dims(),
                [2, 4, h, w],
                "{spec:?}"
            );
        }
    }

    #[test]
    fn a_cropped_same_conv_equals_the_valid_conv() {
        let device = Device::flex();
        let unit = TfConv::new(&conv_spec((3, 3), 1, Padding::Valid), &device);
        let mut valid = unit.conv.clone();
        valid.padding = PaddingConfig2d::Valid;
        let x = Tensor::<4>::random([2, 3, 9, 8], Distribution::Normal(0.0, 1.0), &device);
        let diff = (unit.conv_output(x.clone()) - valid.forward(x))
            .abs()
            .max()
            .into_scalar::<f32>();
        assert!(diff < 1e-5, "{diff}");
    }

    #[test]
    fn calibration_keeps_the_inference_output_and_takes_the_batch_statistics() {
        let device = Device::flex();
        let mut unit = TfConv::new(&conv_spec((3, 3), 1, Padding::Same), &device);
        let x = Tensor::<4>::random([4, 3, 6, 6], Distribution::Normal(0.5, 2.0), &device);
        // a restored pretrained conv: identity norm plus an offset
        unit.bn.beta = unit.bn.beta.clone().map(|b| b.add_scalar(0.3));
        let before = unit.forward(x.clone());
        let after = unit.calibrate(x.clone());
        let diff = (before - after.clone()).abs().max().into_scalar::<f32>();
        assert!(diff < 1e-4, "{diff}");
        let (mean, var) = batch_statistics(unit.conv_output(x));
        let (m, v) = (unit.bn.running_mean.value(), unit.bn.running_var.value());
        assert!((m - mean).abs().max().into_scalar::<f32>() < 1e-6);
        assert!((v - var).abs().max().into_scalar::<f32>() < 1e-6);
    }
}
