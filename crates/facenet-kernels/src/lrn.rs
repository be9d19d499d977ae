//! Local response normalisation across channels (`facenet_nn::layers::Lrn`) as one Flex operation with a
//! handwritten backward pass.
//!
//! burn builds it from tensor operations — a channel concatenation, `size` shifted slices, `powf` and a
//! division — that run one after the other on the calling thread and record as many autodiff nodes: NN4's
//! two LRN layers were ~9 % of a training step, all serial. Here each image is one parallel task. With
//! `s_c = k + α/size · Σ_{c' ∈ window(c)} x_{c'}²` (the window centred on `c`, zeros outside):
//!
//! - forward: `y_c = x_c · s_c^(−β)`;
//! - backward: `dx_c = dy_c · s_c^(−β) − 2αβ/size · x_c · Σ_{c' : c ∈ window(c')} dy_{c'} · x_{c'} · s_{c'}^(−β−1)`.
//!
//! For β = 3/4 (the paper's networks) `s^(−β)` is `1/(√s·√√s)`, two square roots instead of a `powf`.

use crate::host::f32s;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{Tensor, TensorData};
use burn_autodiff::Autodiff;
use burn_autodiff::checkpoint::base::Checkpointer;
use burn_autodiff::checkpoint::strategy::CheckpointStrategy;
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind};
use burn_flex::FlexTensor;
use rayon::prelude::*;

/// Local response normalisation as a burn backend extension.
#[backend_extension(Flex, Autodiff)]
pub trait LrnBackend: Backend {
    /// `x` `[b, c, h, w]` → `[b, c, h, w]`, normalised across windows of `size` channels.
    fn local_response_norm(x: FloatTensor<Self>, size: usize, alpha: f64, beta: f64, k: f64) -> FloatTensor<Self>;
}

/// The differentiable LRN of `x` (Flex devices only: see [`crate::device::is_flex`]).
pub fn local_response_norm(x: Tensor<4>, size: usize, alpha: f64, beta: f64, k: f64) -> Tensor<4> {
    Tensor::from_dispatch(Dispatch::local_response_norm(x.into_dispatch(), size, alpha, beta, k))
}

/// One LRN's parameters and the shape it runs on.
#[derive(Clone, Copy, Debug)]
struct Norm {
    size: usize,
    alpha: f32,
    beta: f32,
    k: f32,
    channels: usize,
    plane: usize,
}

impl Norm {
    fn new(shape: &[usize], size: usize, alpha: f64, beta: f64, k: f64) -> Self {
        let plane = shape[2..].iter().product();
        Self {
            size,
            alpha: alpha as f32,
            beta: beta as f32,
            k: k as f32,
            channels: shape[1],
            plane,
        }
    }

    /// The channels in channel `c`'s window: `before` below it and `size − 1 − before` above it.
    fn window(&self, c: usize) -> std::ops::Range<usize> {
        let before = (self.size - 1) / 2;
        c.saturating_sub(before)..(c + self.size - before).min(self.channels)
    }

    /// The channels whose window holds channel `c`.
    fn windows_holding(&self, c: usize) -> std::ops::Range<usize> {
        let after = self.size - 1 - (self.size - 1) / 2;
        c.saturating_sub(after)..(c + (self.size - 1) / 2 + 1).min(self.channels)
    }

    /// `s^(−β)`.
    fn inverse_power(&self, s: f32) -> f32 {
        if self.beta == 0.75 {
            let root = s.sqrt();
            1.0 / (root * root.sqrt())
        } else {
            s.powf(-self.beta)
        }
    }

    /// One image's `s` `[channels, plane]`.
    fn scale(&self, image: &[f32], scale: &mut [f32]) {
        let plane = self.plane;
        let factor = self.alpha / self.size as f32;
        for (c, s) in scale.chunks_mut(plane).enumerate() {
            s.fill(0.0);
            for source in self.window(c) {
                s.iter_mut()
                    .zip(&image[source * plane..][..plane])
                    .for_each(|(s, &x)| *s += x * x);
            }
            s.iter_mut().for_each(|s| *s = self.k + factor * *s);
        }
    }

    /// One image's output, with its `s` in `scale`.
    fn forward(&self, image: &[f32], out: &mut [f32], scale: &mut [f32]) {
        self.scale(image, scale);
        out.iter_mut()
            .zip(image)
            .zip(scale.iter())
            .for_each(|((y, &x), &s)| *y = x * self.inverse_power(s));
    }

    /// One image's input gradient; `scale` and `terms` are scratch of the image's size.
    fn backward(&self, image: &[f32], out_grad: &[f32], grad: &mut [f32], scale: &mut [f32], terms: &mut [f32]) {
        let plane = self.plane;
        self.scale(image, scale);
        // terms = dy · x · s^(−β−1); grad = dy · s^(−β)
        let values = image.iter().zip(out_grad).zip(scale.iter());
        for ((grad, term), ((&x, &dy), &s)) in grad.iter_mut().zip(terms.iter_mut()).zip(values) {
            let power = self.inverse_power(s);
            *grad = dy * power;
            *term = dy * x * power / s;
        }
        let factor = 2.0 * self.alpha * self.beta / self.size as f32;
        for (c, grad) in grad.chunks_mut(plane).enumerate() {
            let x = &image[c * plane..][..plane];
            for holder in self.windows_holding(c) {
                let terms = &terms[holder * plane..][..plane];
                grad.iter_mut()
                    .zip(x)
                    .zip(terms)
                    .for_each(|((g, &x), &t)| *g -= factor * x * t);
            }
        }
    }
}

/// `per_image(input image, output image)` over every image of `input` in parallel.
fn map_images(input: &[f32], image: usize, per_image: impl Fn(&[f32], &mut [f32]) + Sync) -> Vec<f32> {
    let mut out = vec![0.0f32; input.len()];
    out.par_chunks_mut(image)
        .zip(input.par_chunks(image))
        .for_each(|(out, input)| per_image(input, out));
    out
}

impl LrnBackend for Flex {
    fn local_response_norm(x: FlexTensor, size: usize, alpha: f64, beta: f64, k: f64) -> FlexTensor {
        let shape = x.layout().shape().to_vec();
        let norm = Norm::new(&shape, size, alpha, beta, k);
        let image = norm.channels * norm.plane;
        let values = map_images(&f32s(&x), image, |image, out| {
            norm.forward(image, out, &mut vec![0.0; out.len()])
        });
        FlexTensor::from_data(TensorData::new(values, shape))
    }
}

impl<C: CheckpointStrategy> LrnBackend for Autodiff<Flex, C> {
    fn local_response_norm(x: FloatTensor<Self>, size: usize, alpha: f64, beta: f64, k: f64) -> FloatTensor<Self> {
        let (x, x_node) = x.into_parts();
        let output = Flex::local_response_norm(x.clone(), size, alpha, beta, k);
        match LrnBackward.prepare::<C>([x_node]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => prep.finish((x, [alpha, beta, k], size), output),
            OpsKind::UnTracked(prep) => prep.finish(output),
        }
    }
}

#[derive(Debug)]
struct LrnBackward;

impl Backward<Flex, 1> for LrnBackward {
    /// The input, `[α, β, k]` and the window size.
    type State = (FlexTensor, [f64; 3], usize);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [node_x] = ops.parents;
        let output_grad = grads.consume::<Flex>(&ops.node);
        let Some(node) = node_x else { return };
        let (x, [alpha, beta, k], size) = ops.state;
        let shape = x.layout().shape().to_vec();
        let norm = Norm::new(&shape, size, alpha, beta, k);
        let image = norm.channels * norm.plane;
        let (x, output_grad) = (f32s(&x), f32s(&output_grad));
        let mut grad = vec![0.0f32; x.len()];
        grad.par_chunks_mut(image)
            .zip(x.par_chunks(image))
            .zip(output_grad.par_chunks(image))
            .for_each(|((grad, image), out_grad)| {
                let (mut scale, mut terms) = (vec![0.0; image.len()], vec![0.0; image.len()]);
                norm.backward(image, out_grad, grad, &mut scale, &mut terms);
            });
        grads.register::<Flex>(node.id, FlexTensor::from_data(TensorData::new(grad, shape)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::LocalResponseNormConfig;
    use burn::tensor::{Device, Distribution};

    fn max_abs_diff(a: Tensor<4>, b: Tensor<4>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    #[test]
    fn equals_burns_local_response_norm_in_values_and_gradients() {
        let device = Device::flex().autodiff();
        // even and odd windows, windows wider than the channels, β = 3/4 (square roots) and another β (powf)
        for (size, channels, beta, k) in [
            (5, 7, 0.75, 2.0),
            (4, 6, 0.75, 1.0),
            (3, 2, 0.5, 1.0),
            (6, 3, 0.75, 1.0),
        ] {
            let x = Tensor::<4>::random([3, channels, 4, 5], Distribution::Normal(0.0, 3.0), &device).require_grad();
            let ours = local_response_norm(x.clone(), size, 0.3, beta, k);
            let burns = LocalResponseNormConfig::new(size)
                .with_alpha(0.3)
                .with_beta(beta)
                .with_k(k)
                .init()
                .forward(x.clone());
            assert!(
                max_abs_diff(ours.clone().inner(), burns.clone().inner()) < 1e-5,
                "size {size} β {beta}"
            );
            let target = Tensor::<4>::random([3, channels, 4, 5], Distribution::Normal(0.0, 1.0), &device);
            let grad_of = |y: Tensor<4>| x.grad(&(y * target.clone()).sum().backward()).expect("a gradient");
            assert!(
                max_abs_diff(grad_of(ours), grad_of(burns)) < 1e-4,
                "grad size {size} β {beta}"
            );
        }
    }

    #[test]
    fn runs_without_autodiff_too() {
        let device = Device::flex();
        let x = Tensor::<4>::random([2, 5, 3, 3], Distribution::Normal(0.0, 3.0), &device);
        let burns = LocalResponseNormConfig::new(5)
            .with_alpha(1e-2)
            .with_beta(0.75)
            .with_k(1.0)
            .init()
            .forward(x.clone());
        assert!(max_abs_diff(local_response_norm(x, 5, 1e-2, 0.75, 1.0), burns) < 1e-5);
    }
}
