//! The building blocks every FaceNet network shares: [`ConvUnit`] (conv + optional batch norm + ReLU),
//! [`Pool`] (max or [`L2Pool`]), [`Lrn`], [`Fc`] (dense or maxout) and [`l2_normalize`].
//! Their open parameters come from [`crate::options::ArchOptions`]; the formulas are stated on each type.

use crate::options::{ArchOptions, LrnOptions};
use burn::module::{Module, ModuleVisitor, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{BatchNorm, BatchNormConfig, Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::module::avg_pool2d;
use burn::tensor::ops::AvgPoolOptions;
use burn::tensor::{Device, Tensor, TensorData};
use facenet_kernels::batch_norm::batch_norm_relu_train;
use facenet_kernels::device::{is_flex, is_flex_autodiff};
use facenet_kernels::gemm_conv::{PatchGeometry, conv_same};
use facenet_kernels::lrn::local_response_norm;
use facenet_kernels::windows::{l2_pool, window_max};
use serde::{Deserialize, Serialize};

/// `module` with every parameter drawn now, on its own device. burn draws parameters lazily, on first use:
/// a module moved to another device before that would draw them there, from that device's random numbers,
/// not from the seed of the device it was built on.
pub fn initialized<M: Module>(module: M) -> M {
    struct Draw;
    impl ModuleVisitor for Draw {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            param.val();
        }
    }
    module.visit(&mut Draw);
    module
}

/// "Same" padding for an odd `kernel`: `kernel / 2` on every side, so stride `s` gives `⌈n / s⌉`.
pub fn same_padding(kernel: usize) -> PaddingConfig2d {
    let p = kernel / 2;
    PaddingConfig2d::Explicit(p, p, p, p)
}

/// A `kernel × kernel` convolution with "same" padding, then batch norm (if enabled), then ReLU.
#[derive(Module, Debug)]
pub struct ConvUnit {
    pub conv: Conv2d,
    pub bn: Option<BatchNorm>,
}

impl ConvUnit {
    /// `channels_in → channels_out`; the conv has a bias only when there is no batch norm.
    pub fn new(
        channels_in: usize,
        channels_out: usize,
        kernel: usize,
        stride: usize,
        options: &ArchOptions,
        device: &Device,
    ) -> Self {
        let conv = Conv2dConfig::new([channels_in, channels_out], [kernel, kernel])
            .with_stride([stride, stride])
            .with_padding(same_padding(kernel))
            .with_bias(!options.batch_norm)
            .with_initializer(options.init.initializer())
            .init(device);
        let bn = options
            .batch_norm
            .then(|| BatchNormConfig::new(channels_out).init(device));
        Self { conv, bn }
    }

    /// # Shapes
    /// `[b, c_in, h, w]` → `[b, c_out, ⌈h/s⌉, ⌈w/s⌉]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let x = conv_forward(&self.conv, x);
        match &self.bn {
            Some(bn) => batch_norm_relu(bn, x),
            None => relu(x),
        }
    }
}

/// `conv(x)` on the fastest route for its shape and device: the image conv, the batched "same" conv, the
/// pointwise matrix product, else burn's generic convolution (any padding, non-square kernels).
///
/// # Shapes
/// `[b, c_in, h, w]` → `[b, c_out, h', w']`
pub fn conv_forward(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    if is_image_conv(conv, &x) {
        image_conv(conv, x)
    } else if is_flex_same_conv(conv, &x) {
        with_bias(conv_same(x, conv.weight.val(), conv.stride[0]), conv)
    } else if is_pointwise(conv) {
        pointwise_conv(conv, x)
    } else {
        conv.forward(x)
    }
}

/// `relu(bn(x))`: with the batch's statistics when training on Flex with the layer's training flag on (one
/// kernel), else burn's batch norm (running statistics outside training or when the flag is off).
pub fn batch_norm_relu(bn: &BatchNorm, x: Tensor<4>) -> Tensor<4> {
    if is_flex_autodiff(&x.device()) && bn.training.is_enabled() {
        batch_norm_relu_train(bn, x)
    } else {
        relu(bn.forward(x))
    }
}

/// A 1×1 convolution with stride 1 and no padding: a matrix product per image.
fn is_pointwise(conv: &Conv2d) -> bool {
    conv.kernel_size == [1, 1]
        && conv.stride == [1, 1]
        && conv.dilation == [1, 1]
        && conv.groups == 1
        && matches!(
            conv.padding,
            PaddingConfig2d::Explicit(0, 0, 0, 0) | PaddingConfig2d::Valid
        )
}

/// A pointwise convolution as a batched matrix product on the NCHW data as it lies:
/// `y_b = W · x_b + bias`, `W` `[c_out, c_in]`, `x_b` `[c_in, h·w]`. Same values as the convolution. Used
/// where [`conv_same`] is not (devices other than Flex): its backward is two matrix products, whereas
/// burn's generic conv backward computes the weight gradient as a convolution whose kernel is the whole
/// output map (a matrix-vector product per input channel). Most of the Inception nets' layers are 1×1.
fn pointwise_conv(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let [batch, channels_in, height, width] = x.dims();
    let [channels_out, ..] = conv.weight.dims();
    let weight: Tensor<3> = conv.weight.val().reshape([1, channels_out, channels_in]);
    let y = weight.matmul(x.reshape([batch, channels_in, height * width]));
    let y = match &conv.bias {
        Some(bias) => y + bias.val().reshape([1, channels_out, 1]),
        None => y,
    };
    y.reshape([batch, channels_out, height, width])
}

/// A square, odd, "same"-padded conv with equal strides, no dilation and no groups: what [`conv_same`] and
/// [`image_conv`] compute.
fn is_same_conv(conv: &Conv2d) -> bool {
    let [_, _, kernel, _] = conv.weight.dims();
    let p = kernel / 2;
    kernel % 2 == 1
        && conv.kernel_size == [kernel, kernel]
        && conv.stride[0] == conv.stride[1]
        && conv.dilation == [1, 1]
        && conv.groups == 1
        && conv.padding == PaddingConfig2d::Explicit(p, p, p, p)
}

/// A convolution of the network's input image on Flex: a few channels outside the autodiff graph.
fn is_image_conv(conv: &Conv2d, x: &Tensor<4>) -> bool {
    conv.weight.dims()[1] <= IMAGE_CHANNELS && !x.is_tracked() && is_flex(&x.device()) && is_same_conv(conv)
}

/// A "same" conv on Flex, in training or inference: what [`conv_same`] computes (several images per matrix
/// product, and its own backward pass).
fn is_flex_same_conv(conv: &Conv2d, x: &Tensor<4>) -> bool {
    is_flex(&x.device()) && is_same_conv(conv)
}

/// `y` plus the conv's bias per output channel, when it has one.
fn with_bias(y: Tensor<4>, conv: &Conv2d) -> Tensor<4> {
    match &conv.bias {
        Some(bias) => {
            let channels = bias.dims()[0];
            y + bias.val().reshape([1, channels, 1, 1])
        }
        None => y,
    }
}

/// Most input channels a conv may have to go through [`image_conv`] (RGB, RGBA).
const IMAGE_CHANNELS: usize = 4;

/// The first convolution as one batched matrix product over the image's patches (im2col): `y_b = W · P_b + bias`,
/// `W` `[c_out, c_in·k·k]`, `P_b` `[c_in·k·k, oh·ow]`. Same values as the convolution. The image needs no
/// gradient, so the patches are gathered once, outside the autodiff graph, and the backward pass is one matrix
/// product for the weight gradient; Flex's direct kernel for 3 input channels (NNS2's conv1) and burn's generic
/// weight gradient are several times slower.
fn image_conv(conv: &Conv2d, x: Tensor<4>) -> Tensor<4> {
    let [batch, channels_in, height, width] = x.dims();
    let [channels_out, _, kernel, _] = conv.weight.dims();
    let geometry = PatchGeometry::same(channels_in, height, width, kernel, conv.stride[0]);
    let (out_h, out_w) = geometry.out_size();
    let device = x.device();
    let pixels = x
        .into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("a float tensor holds f32 values");
    let patches = Tensor::<3>::from_data(
        TensorData::new(
            geometry.patches(&pixels, batch),
            [batch, geometry.rows(), geometry.positions()],
        ),
        &device,
    );
    let weight: Tensor<3> = conv.weight.val().reshape([1, channels_out, geometry.rows()]);
    with_bias(
        weight.matmul(patches).reshape([batch, channels_out, out_h, out_w]),
        conv,
    )
}

/// A square max pool with equal strides, "same" padding, no dilation: what [`window_max`] computes.
fn is_same_max_pool(pool: &MaxPool2d) -> bool {
    let [kernel, _] = pool.kernel_size;
    pool.kernel_size == [kernel, kernel]
        && kernel % 2 == 1
        && pool.stride[0] == pool.stride[1]
        && pool.dilation == [1, 1]
        && !pool.ceil_mode
        && pool.padding == same_padding(kernel)
}

/// Which pooling a table row names: "m" (max) or "L2".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PoolKind {
    Max,
    L2,
}

/// L2 pooling: `y = sqrt(Σ_window x² + ε)` over a `kernel × kernel` window, zero padding ("same").
#[derive(Module, Debug)]
pub struct L2Pool {
    pub kernel: usize,
    pub stride: usize,
    pub epsilon: f64,
}

impl L2Pool {
    /// # Shapes
    /// `[b, c, h, w]` → `[b, c, ⌈h/s⌉, ⌈w/s⌉]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let (k, s) = (self.kernel, self.stride);
        if is_flex(&x.device()) {
            return l2_pool(x, k, s, self.epsilon);
        }
        // mean over the window × window area = sum over the window (padding counts as zeros)
        let options = AvgPoolOptions::new([k, k])
            .with_stride([s, s])
            .with_padding([k / 2, k / 2])
            .with_count_include_pad(true);
        avg_pool2d(x.square(), options)
            .mul_scalar((k * k) as f64)
            .add_scalar(self.epsilon)
            .sqrt()
    }
}

/// A max or L2 pool with "same" padding.
#[derive(Module, Debug)]
pub enum Pool {
    Max(MaxPool2d),
    L2(L2Pool),
}

impl Pool {
    pub fn new(kind: PoolKind, kernel: usize, stride: usize, options: &ArchOptions) -> Self {
        match kind {
            PoolKind::Max => Pool::Max(
                MaxPool2dConfig::new([kernel, kernel])
                    .with_strides([stride, stride])
                    .with_padding(same_padding(kernel))
                    .init(),
            ),
            PoolKind::L2 => Pool::L2(L2Pool {
                kernel,
                stride,
                epsilon: options.l2_pool_epsilon,
            }),
        }
    }

    /// # Shapes
    /// `[b, c, h, w]` → `[b, c, ⌈h/s⌉, ⌈w/s⌉]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        match self {
            Pool::Max(pool) if is_flex(&x.device()) && is_same_max_pool(pool) => {
                window_max(x, pool.kernel_size[0], pool.stride[0])
            }
            Pool::Max(pool) => pool.forward(x),
            Pool::L2(pool) => pool.forward(x),
        }
    }
}

/// Local response normalisation across channels:
/// `y_c = x_c / (k + α/size · Σ_{c' ∈ window(c)} x_{c'}²)^β`, the window centred on `c`, zero outside.
#[derive(Module, Debug)]
pub struct Lrn {
    pub size: usize,
    pub alpha: f64,
    pub beta: f64,
    pub k: f64,
}

impl Lrn {
    pub fn new(options: &LrnOptions) -> Self {
        Self {
            size: options.size,
            alpha: options.alpha,
            beta: options.beta,
            k: options.k,
        }
    }

    /// # Shapes
    /// `[b, c, h, w]` → `[b, c, h, w]`
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        if is_flex(&x.device()) {
            local_response_norm(x, self.size, self.alpha, self.beta, self.k)
        } else {
            self.forward_by_tensor_ops(x)
        }
    }

    /// The same from burn's tensor operations, for devices other than Flex.
    fn forward_by_tensor_ops(&self, x: Tensor<4>) -> Tensor<4> {
        let [b, c, h, w] = x.dims();
        let before = (self.size - 1) / 2;
        let after = self.size - 1 - before;
        let squared = x.clone().square();
        // zero channels on both sides, then the window sum is a sum of `size` shifted slices
        let device = x.device();
        let padded = Tensor::cat(
            vec![
                Tensor::zeros([b, before, h, w], &device),
                squared,
                Tensor::zeros([b, after, h, w], &device),
            ],
            1,
        );
        let window_sum = (0..self.size)
            .map(|shift| padded.clone().narrow(1, shift, c))
            .reduce(|sum, slice| sum + slice)
            .expect("an LRN window should have at least one channel");
        x / window_sum
            .mul_scalar(self.alpha / self.size as f64)
            .add_scalar(self.k)
            .powf_scalar(self.beta)
    }
}

/// A fully connected layer with ReLU (`pieces == 1`) or maxout over `pieces` adjacent units
/// (`y_i = max_j (W x + b)_{pieces·i + j}`, Goodfellow et al. 2013; NN1's fc1/fc2 use `pieces = 2`).
#[derive(Module, Debug)]
pub struct Fc {
    pub linear: Linear,
    pub pieces: usize,
}

impl Fc {
    pub fn new(inputs: usize, outputs: usize, pieces: usize, options: &ArchOptions, device: &Device) -> Self {
        let linear = LinearConfig::new(inputs, outputs * pieces)
            .with_initializer(options.init.initializer())
            .init(device);
        Self { linear, pieces }
    }

    /// # Shapes
    /// `[b, inputs]` → `[b, outputs]`
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let y = self.linear.forward(x); // [b, outputs·pieces]
        if self.pieces == 1 {
            return relu(y);
        }
        let [b, units] = y.dims();
        let outputs = units / self.pieces;
        y.reshape([b, outputs, self.pieces]).max_dim(2).reshape([b, outputs])
    }
}

/// Row-wise L2 normalisation: `y = x / sqrt(Σ x² + ε)`, ε = 1e-12 (only guards the zero vector).
///
/// # Shapes
/// `[b, d]` → `[b, d]`
pub fn l2_normalize(x: Tensor<2>) -> Tensor<2> {
    let norm = x.clone().square().sum_dim(1).add_scalar(1e-12).sqrt(); // [b, 1]
    x / norm
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::LocalResponseNormConfig;
    use burn::tensor::Distribution;

    fn max_abs_diff(a: Tensor<4>, b: Tensor<4>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    #[test]
    fn lrn_matches_burns_local_response_norm() {
        let device = Device::flex();
        let x = Tensor::<4>::random([2, 7, 3, 4], Distribution::Normal(0.0, 3.0), &device);
        let options = LrnOptions::new().with_alpha(0.3).with_beta(0.75).with_k(2.0);
        let ours = Lrn::new(&options).forward_by_tensor_ops(x.clone());
        let burns = LocalResponseNormConfig::new(5)
            .with_alpha(0.3)
            .with_beta(0.75)
            .with_k(2.0)
            .init()
            .forward(x);
        assert!(max_abs_diff(ours, burns) < 1e-5);
    }

    #[test]
    fn pointwise_conv_equals_burns_conv_in_values_and_gradients() {
        let device = Device::flex().autodiff();
        let conv = Conv2dConfig::new([5, 7], [1, 1])
            .with_padding(same_padding(1))
            .init(&device);
        assert!(is_pointwise(&conv));
        let x = Tensor::<4>::random([3, 5, 4, 6], Distribution::Normal(0.0, 1.0), &device).require_grad();
        let target = Tensor::<4>::random([3, 7, 4, 6], Distribution::Normal(0.0, 1.0), &device);
        let grads_of = |y: Tensor<4>| {
            let grads = (y * target.clone()).sum().backward();
            let grad = |t: Tensor<4>| t.grad(&grads).expect("a gradient");
            (
                grad(x.clone()),
                conv.weight.val().grad(&grads).expect("a weight gradient"),
            )
        };
        let (ours, theirs) = (pointwise_conv(&conv, x.clone()), conv.forward(x.clone()));
        assert!(max_abs_diff(ours.clone().inner(), theirs.clone().inner()) < 1e-5);
        let ((dx_ours, dw_ours), (dx_theirs, dw_theirs)) = (grads_of(ours), grads_of(theirs));
        assert!(max_abs_diff(dx_ours, dx_theirs) < 1e-4);
        assert!(max_abs_diff(dw_ours, dw_theirs) < 1e-4);
    }

    #[test]
    fn image_conv_equals_burns_conv_in_values_and_weight_gradients() {
        let device = Device::flex().autodiff();
        for (kernel, stride, [height, width]) in [(5, 2, [9, 7]), (7, 2, [8, 11]), (3, 1, [5, 6])] {
            let conv = Conv2dConfig::new([3, 4], [kernel, kernel])
                .with_stride([stride, stride])
                .with_padding(same_padding(kernel))
                .init(&device);
            let x = Tensor::<4>::random([2, 3, height, width], Distribution::Normal(0.0, 1.0), &device);
            // an activation inside the graph (tracked, not a leaf) goes through the differentiable conv instead
            let activation = x.clone().require_grad().mul_scalar(2.0);
            assert!(is_image_conv(&conv, &x) && !is_image_conv(&conv, &activation));
            assert!(is_flex_same_conv(&conv, &activation) && is_flex_same_conv(&conv, &x.clone().inner()));
            let (ours, theirs) = (image_conv(&conv, x.clone()), conv.forward(x));
            assert_eq!(ours.dims(), theirs.dims());
            let target = Tensor::<4>::random(ours.dims(), Distribution::Normal(0.0, 1.0), &device);
            let grads_of = |y: Tensor<4>| {
                let grads = (y * target.clone()).sum().backward();
                let grad = |t: Tensor<1>| t.grad(&grads).expect("a gradient");
                (
                    conv.weight.val().grad(&grads).expect("a weight gradient"),
                    grad(conv.bias.as_ref().unwrap().val()),
                )
            };
            assert!(
                max_abs_diff(ours.clone().inner(), theirs.clone().inner()) < 1e-5,
                "k {kernel} s {stride}"
            );
            let ((dw_ours, db_ours), (dw_theirs, db_theirs)) = (grads_of(ours), grads_of(theirs));
            assert!(max_abs_diff(dw_ours, dw_theirs) < 1e-4, "k {kernel} s {stride}");
            assert!((db_ours - db_theirs).abs().max().into_scalar::<f32>() < 1e-4);
        }
    }

    #[test]
    fn l2_pool_is_root_of_window_sum_of_squares() {
        let device = Device::flex();
        // one channel, 3×3 of ones: the centre window sees 9 ones, a corner window 4
        let x = Tensor::<4>::ones([1, 1, 3, 3], &device);
        let pool = L2Pool {
            kernel: 3,
            stride: 1,
            epsilon: 0.0,
        };
        let y = pool.forward(x).into_data().try_to_vec::<f32>().unwrap();
        assert!((y[4] - 3.0).abs() < 1e-5, "centre {}", y[4]);
        assert!((y[0] - 2.0).abs() < 1e-5, "corner {}", y[0]);
    }

    #[test]
    fn maxout_takes_the_larger_of_each_pair() {
        let device = Device::flex();
        let mut fc = Fc::new(1, 2, 2, &ArchOptions::new(), &device);
        // weights [1, 4] = [1, -1, 2, 3], zero bias: x = 1 → units (1, -1, 2, 3) → maxout (1, 3)
        fc.linear.weight = burn::module::Param::from_tensor(Tensor::from_floats([[1.0, -1.0, 2.0, 3.0]], &device));
        fc.linear.bias = None;
        let y = fc
            .forward(Tensor::from_floats([[1.0]], &device))
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert_eq!(y, vec![1.0, 3.0]);
    }

    #[test]
    fn l2_normalize_gives_unit_rows() {
        let device = Device::flex();
        let x = Tensor::<2>::random([4, 16], Distribution::Normal(0.0, 5.0), &device);
        let norms = l2_normalize(x)
            .square()
            .sum_dim(1)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        assert!(norms.iter().all(|n| (n - 1.0).abs() < 1e-5), "{norms:?}");
    }
}
