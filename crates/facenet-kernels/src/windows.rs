//! Pooling over `k × k` windows with "same" padding, as plain loops on Flex: L2 pooling
//! (`facenet_nn::layers::L2Pool`: `sqrt(Σ_window x² + ε)`, one operation) and max pooling.
//!
//! burn's routes — squares, an average pool times `k²`, `+ ε` and a square root; a max pool that records
//! indices for its backward — run through Flex's general 3-D pooling kernels and serial element-wise
//! operations, and were ~13 % and ~9 % of an NN4 training step. Over the small planes of these networks a
//! window is a few additions or comparisons per output. Stride-1 window sums (all of NN4's L2 pools) run
//! separably over groups of planes at once; the backward passes add each output's gradient to its window
//! (sum; `dx = x · windowsᵀ(dy / y)` for L2 pooling) or to the input that won it (max). Both are burn
//! backend extensions for Flex with handwritten autodiff nodes, like [`crate::gemm_conv`].

use crate::host::f32s;
use crate::shape::same_output;
use crate::shape::tap_outputs;
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

/// The window sum and max as a burn backend extension.
#[backend_extension(Flex, Autodiff)]
pub trait WindowBackend: Backend {
    /// `x` `[b, c, h, w]` → `[b, c, ⌈h / stride⌉, ⌈w / stride⌉]`: L2 pooling, each output
    /// `sqrt(Σ_window x² + epsilon)` over the `kernel × kernel` window (odd `kernel`) centred on input
    /// `(o·stride, o·stride)`, zeros outside.
    fn l2_pool2d(x: FloatTensor<Self>, kernel: usize, stride: usize, epsilon: f64) -> FloatTensor<Self>;

    /// The same windows' maximum over the inputs inside the image (max pooling with "same" padding).
    fn window_max2d(x: FloatTensor<Self>, kernel: usize, stride: usize) -> FloatTensor<Self>;
}

/// The differentiable L2 pooling of `x` (Flex devices only: see [`crate::device::is_flex`]).
pub fn l2_pool(x: Tensor<4>, kernel: usize, stride: usize, epsilon: f64) -> Tensor<4> {
    Tensor::from_dispatch(Dispatch::l2_pool2d(x.into_dispatch(), kernel, stride, epsilon))
}

/// The differentiable window maximum of `x` (Flex devices only: see [`crate::device::is_flex`]).
pub fn window_max(x: Tensor<4>, kernel: usize, stride: usize) -> Tensor<4> {
    Tensor::from_dispatch(Dispatch::window_max2d(x.into_dispatch(), kernel, stride))
}

/// How a window pooling maps a `[height, width]` plane to its output plane.
#[derive(Clone, Copy, Debug)]
struct Windows {
    kernel: usize,
    stride: usize,
    height: usize,
    width: usize,
    out_h: usize,
    out_w: usize,
}

impl Windows {
    fn new(shape: &[usize], kernel: usize, stride: usize) -> Self {
        let (height, width) = (shape[2], shape[3]);
        let out = |n: usize| same_output(n, kernel, stride);
        Self {
            kernel,
            stride,
            height,
            width,
            out_h: out(height),
            out_w: out(width),
        }
    }

    /// `[b, c, oh, ow]` for an input of `shape` `[b, c, h, w]`.
    fn output_shape(&self, shape: &[usize]) -> Vec<usize> {
        vec![shape[0], shape[1], self.out_h, self.out_w]
    }

    /// The input rows (or columns) that output `o`'s window covers, clipped to `0..size`.
    fn span(&self, o: usize, size: usize) -> std::ops::Range<usize> {
        let start = (o * self.stride) as isize - (self.kernel / 2) as isize;
        let end = (start + self.kernel as isize).min(size as isize);
        start.max(0) as usize..end.max(0) as usize
    }

    /// The window sums of a plane, separably: each row's sums over the window's columns (into `rows`,
    /// `[height, out_w]`), then each output row the sum of its window's rows — vector additions of whole rows.
    fn forward_plane(&self, plane: &[f32], out: &mut [f32], rows: &mut [f32]) {
        rows.fill(0.0);
        for (row, sums) in plane.chunks(self.width).zip(rows.chunks_mut(self.out_w)) {
            self.for_each_column_tap(|outputs, first| {
                add_strided(&mut sums[outputs.clone()], &row[first..], self.stride);
            });
        }
        out.fill(0.0);
        for (oy, out) in out.chunks_mut(self.out_w).enumerate() {
            for y in self.span(oy, self.height) {
                add(out, &rows[y * self.out_w..][..self.out_w]);
            }
        }
    }

    /// `visit(outputs, first input)` for each column offset of the window: outputs `o` in `outputs` read
    /// input column `first + (o − outputs.start)·stride`.
    fn for_each_column_tap(&self, mut visit: impl FnMut(std::ops::Range<usize>, usize)) {
        let pad = self.kernel / 2;
        for tap in 0..self.kernel {
            let outputs = tap_outputs(tap, pad, self.stride, self.width, self.out_w);
            if !outputs.is_empty() {
                let first = outputs.start * self.stride + tap - pad;
                visit(outputs, first);
            }
        }
    }

    /// Each window's maximum, and into `winners` (when given) the index in the plane of the input that won.
    fn max_plane(&self, plane: &[f32], out: &mut [f32], mut winners: Option<&mut [u32]>) {
        for oy in 0..self.out_h {
            let rows = self.span(oy, self.height);
            for ox in 0..self.out_w {
                let cols = self.span(ox, self.width);
                let (mut best, mut winner) = (f32::NEG_INFINITY, rows.start * self.width + cols.start);
                for y in rows.clone() {
                    for x in cols.clone() {
                        let v = plane[y * self.width + x];
                        if v > best {
                            (best, winner) = (v, y * self.width + x);
                        }
                    }
                }
                out[oy * self.out_w + ox] = best;
                if let Some(winners) = winners.as_deref_mut() {
                    winners[oy * self.out_w + ox] = winner as u32;
                }
            }
        }
    }

    /// The input gradient of the window sums, separably: each input row gets the output gradients of the
    /// windows that cover it (into `rows`, `[height, out_w]`), then each input column those of the windows'
    /// columns.
    fn backward_plane(&self, out_grad: &[f32], grad: &mut [f32], rows: &mut [f32]) {
        rows.fill(0.0);
        for (oy, out_grad) in out_grad.chunks(self.out_w).enumerate() {
            for y in self.span(oy, self.height) {
                add(&mut rows[y * self.out_w..][..self.out_w], out_grad);
            }
        }
        grad.fill(0.0);
        for (row_grad, sums) in grad.chunks_mut(self.width).zip(rows.chunks(self.out_w)) {
            self.for_each_column_tap(|outputs, first| {
                add_to_strided(&mut row_grad[first..], &sums[outputs], self.stride);
            });
        }
    }
}

/// `sum += values`, element by element.
fn add(sum: &mut [f32], values: &[f32]) {
    sum.iter_mut().zip(values).for_each(|(s, v)| *s += v);
}

/// `sums[i] += values[i·stride]`.
fn add_strided(sums: &mut [f32], values: &[f32], stride: usize) {
    if stride == 1 {
        add(sums, values);
    } else {
        sums.iter_mut()
            .zip(values.iter().step_by(stride))
            .for_each(|(s, v)| *s += v);
    }
}

/// `sums[i·stride] += values[i]`.
fn add_to_strided(sums: &mut [f32], values: &[f32], stride: usize) {
    if stride == 1 {
        add(sums, values);
    } else {
        sums.iter_mut().step_by(stride).zip(values).for_each(|(s, v)| *s += v);
    }
}

/// Elements per group of planes in [`box_sums`]: a few hundred at least, so that its loops run long.
const CHUNK: usize = 512;

/// The stride-1 window sums (`kernel × kernel`, zeros outside) of every `[h, w]` plane of a `[b, c, h, w]`
/// tensor: sums along the rows, then along the columns, each over many planes at once (groups of planes
/// in parallel). Per plane, rows of 3 to 12 values were too short for the loops to run fast.
fn box_sums(values: &[f32], shape: &[usize], kernel: usize) -> Vec<f32> {
    let (height, width) = (shape[2], shape[3]);
    let plane = height * width;
    let group = plane * CHUNK.div_ceil(plane);
    let (rows, columns) = (
        Axis::new(1, width, kernel, group),
        Axis::new(width, height, kernel, group),
    );
    let mut out = vec![0.0f32; values.len()];
    out.par_chunks_mut(group)
        .zip(values.par_chunks(group))
        .for_each(|(out, values)| {
            out.copy_from_slice(&columns.window_sums(&rows.window_sums(values)));
        });
    out
}

/// An axis of the planes: `length` positions `unit` elements apart — the rows (unit 1, length w) or the
/// columns (unit w, length h) — with, per offset `d` of a window, which elements have their `d`-th
/// neighbour along the axis on the same line.
struct Axis {
    unit: usize,
    same_line: Vec<Vec<bool>>,
}

impl Axis {
    /// For windows of `kernel` along the axis, over groups of planes of `group` elements.
    fn new(unit: usize, length: usize, kernel: usize, group: usize) -> Self {
        let same_line = (1..=kernel / 2)
            .map(|d| (0..group).map(|i| (i / unit) % length + d < length).collect())
            .collect();
        Self { unit, same_line }
    }

    /// `out[i] = Σ_{|d| ≤ kernel/2} values[i + d·unit]` over the neighbours on `i`'s line, for a group of
    /// planes: each offset is two shifted additions over the whole group.
    fn window_sums(&self, values: &[f32]) -> Vec<f32> {
        let mut out = values.to_vec();
        for (d, same_line) in self.same_line.iter().enumerate() {
            let shift = (d + 1) * self.unit;
            if shift >= values.len() {
                break;
            }
            let end = values.len() - shift;
            // same_line[i]: whether i + shift is on i's line (then i is on the line of i + shift too)
            add_kept(&mut out[..end], &values[shift..], &same_line[..end]);
            add_kept(&mut out[shift..], &values[..end], &same_line[..end]);
        }
        out
    }
}

/// `sums[i] += values[i]` where `keep[i]`.
fn add_kept(sums: &mut [f32], values: &[f32], keep: &[bool]) {
    for ((sum, &value), &keep) in sums.iter_mut().zip(values).zip(keep) {
        *sum += if keep { value } else { 0.0 };
    }
}

/// Applies `per_plane(input plane, output plane, scratch)` to every `[b, c]` plane in parallel; `scratch`
/// holds a plane's row sums (`[height, out_w]`).
fn map_planes(
    windows: &Windows,
    input: &[f32],
    [in_plane, out_plane]: [usize; 2],
    per_plane: impl Fn(&[f32], &mut [f32], &mut [f32]) + Sync,
) -> Vec<f32> {
    let mut out = vec![0.0f32; input.len() / in_plane * out_plane];
    let scratch = || vec![0.0f32; windows.height * windows.out_w];
    out.par_chunks_mut(out_plane)
        .zip(input.par_chunks(in_plane))
        .for_each_init(scratch, |rows, (out, input)| per_plane(input, out, rows));
    out
}

/// The window sums of every plane of `values` (`[b, c, h, w]` as `shape` says).
fn window_sums(values: &[f32], shape: &[usize], kernel: usize, stride: usize) -> Vec<f32> {
    if stride == 1 {
        return box_sums(values, shape, kernel);
    }
    let windows = Windows::new(shape, kernel, stride);
    let planes = [windows.height * windows.width, windows.out_h * windows.out_w];
    map_planes(&windows, values, planes, |plane, out, rows| {
        windows.forward_plane(plane, out, rows)
    })
}

/// The transpose of [`window_sums`]: each input the sum of `out_values` over the outputs whose window covers
/// it (`shape` is the input's).
fn window_sums_transposed(out_values: &[f32], shape: &[usize], kernel: usize, stride: usize) -> Vec<f32> {
    if stride == 1 {
        // a stride-1 window sum is its own transpose: the outputs whose window covers an input are the
        // (clipped) window centred on it
        return box_sums(out_values, shape, kernel);
    }
    let windows = Windows::new(shape, kernel, stride);
    let planes = [windows.out_h * windows.out_w, windows.height * windows.width];
    map_planes(&windows, out_values, planes, |out_values, values, rows| {
        windows.backward_plane(out_values, values, rows)
    })
}

/// L2 pooling of `x`: `sqrt(window_sums(x²) + epsilon)`.
fn l2_pool_forward(x: &FlexTensor, kernel: usize, stride: usize, epsilon: f64) -> FlexTensor {
    let shape = x.layout().shape().to_vec();
    let squares: Vec<f32> = f32s(x).par_iter().map(|v| v * v).collect();
    let mut values = window_sums(&squares, &shape, kernel, stride);
    let epsilon = epsilon as f32;
    values.par_iter_mut().for_each(|v| *v = (*v + epsilon).sqrt());
    FlexTensor::from_data(TensorData::new(
        values,
        Windows::new(&shape, kernel, stride).output_shape(&shape),
    ))
}

impl WindowBackend for Flex {
    fn l2_pool2d(x: FlexTensor, kernel: usize, stride: usize, epsilon: f64) -> FlexTensor {
        l2_pool_forward(&x, kernel, stride, epsilon)
    }

    fn window_max2d(x: FlexTensor, kernel: usize, stride: usize) -> FlexTensor {
        let shape = x.layout().shape().to_vec();
        let windows = Windows::new(&shape, kernel, stride);
        let planes = [windows.height * windows.width, windows.out_h * windows.out_w];
        let values = map_planes(&windows, &f32s(&x), planes, |plane, out, _| {
            windows.max_plane(plane, out, None)
        });
        FlexTensor::from_data(TensorData::new(values, windows.output_shape(&shape)))
    }
}

/// The window maxima of `x` and, per output, the index in its plane of the input that won.
fn max_with_winners(x: &FlexTensor, windows: &Windows) -> (FlexTensor, Vec<u32>) {
    let shape = x.layout().shape().to_vec();
    let (in_plane, out_plane) = (windows.height * windows.width, windows.out_h * windows.out_w);
    let planes = shape[0] * shape[1];
    let mut values = vec![0.0f32; planes * out_plane];
    let mut winners = vec![0u32; planes * out_plane];
    values
        .par_chunks_mut(out_plane)
        .zip(winners.par_chunks_mut(out_plane))
        .zip(f32s(x).par_chunks(in_plane))
        .for_each(|((out, winners), plane)| windows.max_plane(plane, out, Some(winners)));
    let output = FlexTensor::from_data(TensorData::new(values, windows.output_shape(&shape)));
    (output, winners)
}

impl<C: CheckpointStrategy> WindowBackend for Autodiff<Flex, C> {
    fn l2_pool2d(x: FloatTensor<Self>, kernel: usize, stride: usize, epsilon: f64) -> FloatTensor<Self> {
        let (x, x_node) = x.into_parts();
        let output = l2_pool_forward(&x, kernel, stride, epsilon);
        match L2PoolBackward.prepare::<C>([x_node]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => prep.finish((x, output.clone(), kernel, stride), output),
            OpsKind::UnTracked(prep) => prep.finish(output),
        }
    }

    fn window_max2d(x: FloatTensor<Self>, kernel: usize, stride: usize) -> FloatTensor<Self> {
        let (x, x_node) = x.into_parts();
        let shape = x.layout().shape().to_vec();
        match WindowMaxBackward.prepare::<C>([x_node]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let (output, winners) = max_with_winners(&x, &Windows::new(&shape, kernel, stride));
                prep.finish((shape, kernel, stride, winners), output)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::window_max2d(x, kernel, stride)),
        }
    }
}

#[derive(Debug)]
struct WindowMaxBackward;

impl Backward<Flex, 1> for WindowMaxBackward {
    /// The input's shape, the kernel, the stride and each output's winning input.
    type State = (Vec<usize>, usize, usize, Vec<u32>);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [node_x] = ops.parents;
        let output_grad = grads.consume::<Flex>(&ops.node);
        let Some(node) = node_x else { return };
        let (shape, kernel, stride, winners) = ops.state;
        let windows = Windows::new(&shape, kernel, stride);
        let (in_plane, out_plane) = (windows.height * windows.width, windows.out_h * windows.out_w);
        let mut grad = vec![0.0f32; shape[0] * shape[1] * in_plane];
        grad.par_chunks_mut(in_plane)
            .zip(f32s(&output_grad).par_chunks(out_plane))
            .zip(winners.par_chunks(out_plane))
            .for_each(|((grad, out_grad), winners)| {
                out_grad
                    .iter()
                    .zip(winners)
                    .for_each(|(g, &winner)| grad[winner as usize] += g);
            });
        grads.register::<Flex>(node.id, FlexTensor::from_data(TensorData::new(grad, shape)));
    }
}

#[derive(Debug)]
struct L2PoolBackward;

impl Backward<Flex, 1> for L2PoolBackward {
    /// The input, the output, the kernel and the stride.
    type State = (FlexTensor, FlexTensor, usize, usize);

    /// `y_o = sqrt(Σ_{i ∈ window(o)} x_i² + ε)`, so `dx_i = x_i · Σ_{o : i ∈ window(o)} dy_o / y_o`.
    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [node_x] = ops.parents;
        let output_grad = grads.consume::<Flex>(&ops.node);
        let Some(node) = node_x else { return };
        let (x, output, kernel, stride) = ops.state;
        let shape = x.layout().shape().to_vec();
        let ratios: Vec<f32> = f32s(&output_grad)
            .par_iter()
            .zip(f32s(&output).par_iter())
            .map(|(dy, y)| dy / y)
            .collect();
        let mut values = window_sums_transposed(&ratios, &shape, kernel, stride);
        values
            .par_iter_mut()
            .zip(f32s(&x).par_iter())
            .for_each(|(g, x)| *g *= x);
        grads.register::<Flex>(node.id, FlexTensor::from_data(TensorData::new(values, shape)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::module::avg_pool2d;
    use burn::tensor::ops::{AvgPoolOptions, MaxPoolOptions};
    use burn::tensor::{Device, Distribution};

    /// burn's version: an average pool that counts the padding, times the window's area.
    fn burns(x: Tensor<4>, kernel: usize, stride: usize) -> Tensor<4> {
        let options = AvgPoolOptions::new([kernel, kernel])
            .with_stride([stride, stride])
            .with_padding([kernel / 2, kernel / 2])
            .with_count_include_pad(true);
        avg_pool2d(x, options).mul_scalar((kernel * kernel) as f64)
    }

    fn max_abs_diff(a: Tensor<4>, b: Tensor<4>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    type Pooling = fn(Tensor<4>, usize, usize) -> Tensor<4>;

    /// `ours` and `theirs` give the same values and the same input gradient for each (kernel, stride, size).
    fn assert_same_pooling(ours: Pooling, theirs: Pooling, cases: &[(usize, usize, [usize; 2])]) {
        let device = Device::flex().autodiff();
        for &(kernel, stride, [height, width]) in cases {
            let x = Tensor::<4>::random([2, 3, height, width], Distribution::Normal(0.0, 1.0), &device).require_grad();
            let (ours, theirs) = (ours(x.clone(), kernel, stride), theirs(x.clone(), kernel, stride));
            assert_eq!(ours.dims(), theirs.dims());
            assert!(
                max_abs_diff(ours.clone().inner(), theirs.clone().inner()) < 1e-5,
                "k {kernel} s {stride}"
            );
            let target = Tensor::<4>::random(ours.dims(), Distribution::Normal(0.0, 1.0), &device);
            let grad_of = |y: Tensor<4>| x.grad(&(y * target.clone()).sum().backward()).expect("a gradient");
            assert!(
                max_abs_diff(grad_of(ours), grad_of(theirs)) < 1e-5,
                "grad k {kernel} s {stride}"
            );
        }
    }

    fn l2(x: Tensor<4>, kernel: usize, stride: usize) -> Tensor<4> {
        l2_pool(x, kernel, stride, 1e-6)
    }

    /// burn's L2 pooling: the root of the squares' window sums plus ε.
    fn burns_l2(x: Tensor<4>, kernel: usize, stride: usize) -> Tensor<4> {
        burns(x.square(), kernel, stride).add_scalar(1e-6).sqrt()
    }

    #[test]
    fn l2_pool_equals_burns_in_values_and_gradients() {
        // stride 1 at 13×11: planes in two parallel groups, the second one short
        let cases = [
            (3, 1, [6, 5]),
            (3, 2, [7, 8]),
            (5, 2, [9, 6]),
            (1, 1, [2, 3]),
            (5, 1, [7, 4]),
            (3, 1, [1, 2]),
            (5, 1, [2, 2]),
            (3, 1, [13, 11]),
        ];
        assert_same_pooling(l2, burns_l2, &cases);
    }

    /// burn's max pool with the same "same" padding.
    fn burns_max(x: Tensor<4>, kernel: usize, stride: usize) -> Tensor<4> {
        let p = kernel / 2;
        let options = MaxPoolOptions::new([kernel, kernel])
            .with_stride([stride, stride])
            .with_padding([p, p]);
        burn::tensor::module::max_pool2d(x, options)
    }

    #[test]
    fn max_equals_burns_max_pool_in_values_and_gradients() {
        assert_same_pooling(
            window_max,
            burns_max,
            &[(3, 1, [6, 5]), (3, 2, [7, 8]), (5, 2, [9, 6]), (3, 2, [1, 2])],
        );
    }

    #[test]
    fn runs_without_autodiff_too() {
        let device = Device::flex();
        let x = Tensor::<4>::random([1, 2, 5, 4], Distribution::Normal(0.0, 1.0), &device);
        assert!(max_abs_diff(l2(x.clone(), 3, 2), burns_l2(x.clone(), 3, 2)) < 1e-5);
        assert!(max_abs_diff(l2(x.clone(), 3, 1), burns_l2(x.clone(), 3, 1)) < 1e-5);
        assert!(max_abs_diff(window_max(x.clone(), 3, 2), burns_max(x, 3, 2)) < 1e-6);
    }
}
