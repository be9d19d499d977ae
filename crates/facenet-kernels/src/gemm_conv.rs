//! "Same"-padded `k × k` convolutions for training on the CPU as im2col and matrix products, forward and
//! backward.
//!
//! burn's generic convolution backward computes the input gradient as a transposed convolution and the
//! weight gradient as a convolution whose kernel is the output gradient; on Flex both run several times
//! slower than the forward pass. Flex's forward runs one matrix product per image, of as many columns as the
//! image has output positions: 36 and 9 in NN4's last layers, where the matrix kernels run slowly. Here the
//! images of a task (8) go together: with their patch matrices `P_b = im2col(x_b)` `[c_in·k·k, oh·ow]`
//! side by side, `P = [P_1 … P_8]`, and the weights `W` `[c_out, c_in·k·k]`: forward `Y = W · P`; backward
//! `dW += dY · Pᵀ`, `dP = Wᵀ · dY`, `dx_b = col2im(dP_b)` — three matrix products of the forward's size.
//!
//! The operation is a burn backend extension (`#[backend_extension(Flex, Autodiff)]`) with a handwritten
//! autodiff node, so on the dispatch `Tensor` it is an ordinary differentiable operation; on Flex it serves
//! inference too. The caller (`facenet_nn::layers::ConvUnit`) routes everything else (other backends, dilated or
//! grouped convolutions) to burn's `conv2d`.

use crate::host::f32s;
use crate::matmul::{Matrix, Operand, matmul};
use crate::shape::{same_output, tap_outputs};
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
use std::ops::Range;

/// The convolution with the im2col backward, as a burn backend extension.
#[backend_extension(Flex, Autodiff)]
pub trait GemmConvBackend: Backend {
    /// `x` `[b, c_in, h, w]` convolved with `weight` `[c_out, c_in, k, k]` (odd `k`), stride `stride`,
    /// `k / 2` zeros on every side: `[b, c_out, ⌈h / stride⌉, ⌈w / stride⌉]`.
    fn gemm_conv2d(x: FloatTensor<Self>, weight: FloatTensor<Self>, stride: usize) -> FloatTensor<Self>;
}

/// A "same"-padded convolution without bias of `x` with `weight`, differentiable: the batched im2col
/// forward and backward. Flex devices only (with or without autodiff): other backends do not implement the
/// extension, so callers route them to burn's `conv2d` (see `facenet_nn::layers::ConvUnit`).
pub fn conv_same(x: Tensor<4>, weight: Tensor<4>, stride: usize) -> Tensor<4> {
    Tensor::from_dispatch(Dispatch::gemm_conv2d(x.into_dispatch(), weight.into_dispatch(), stride))
}

impl GemmConvBackend for Flex {
    fn gemm_conv2d(x: FlexTensor, weight: FlexTensor, stride: usize) -> FlexTensor {
        conv_forward(&x, &weight, stride)
    }
}

impl<C: CheckpointStrategy> GemmConvBackend for Autodiff<Flex, C> {
    fn gemm_conv2d(x: FloatTensor<Self>, weight: FloatTensor<Self>, stride: usize) -> FloatTensor<Self> {
        let (x, x_node) = x.into_parts();
        let (weight, weight_node) = weight.into_parts();
        match GemmConvBackward
            .prepare::<C>([x_node, weight_node])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let output = Flex::gemm_conv2d(x.clone(), weight.clone(), stride);
                prep.finish(SavedInputs { x, weight, stride }, output)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::gemm_conv2d(x, weight, stride)),
        }
    }
}

/// What the backward pass needs: the forward's inputs.
#[derive(Clone, Debug)]
struct SavedInputs {
    x: FlexTensor,
    weight: FlexTensor,
    stride: usize,
}

#[derive(Debug)]
struct GemmConvBackward;

impl Backward<Flex, 2> for GemmConvBackward {
    type State = SavedInputs;

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _checkpointer: &mut Checkpointer) {
        let [node_x, node_weight] = ops.parents;
        let output_grad = grads.consume::<Flex>(&ops.node);
        let SavedInputs { x, weight, stride } = ops.state;
        let (x_grad, weight_grad) = conv_backward(&x, &weight, &output_grad, stride, node_x.is_some());
        if let (Some(node), Some(grad)) = (node_x, x_grad) {
            grads.register::<Flex>(node.id, grad);
        }
        if let Some(node) = node_weight {
            grads.register::<Flex>(node.id, weight_grad);
        }
    }
}

/// Images per parallel task. Their patch matrices side by side make one matrix product of `8 · positions`
/// columns per task: an image alone has 36 or 9 output positions in NN4's last layers, too few for the
/// matrix kernels to run fast. Fixed, so that the weight gradient is summed in the same order whatever the
/// number of threads (training is reproducible).
const IMAGES_PER_TASK: usize = 8;

/// The convolution: per task, `Y = W · [P_1 … P_n]`, each image's output block copied to its place.
fn conv_forward(x: &FlexTensor, weight: &FlexTensor, stride: usize) -> FlexTensor {
    let (x_shape, w_shape) = (x.layout().shape().to_vec(), weight.layout().shape().to_vec());
    let (batch, channels_out) = (x_shape[0], w_shape[0]);
    let geometry = PatchGeometry::same(x_shape[1], x_shape[2], x_shape[3], w_shape[2], stride);
    let (x, weight) = (f32s(x), f32s(weight));
    let (image_len, output_len, positions) = (
        geometry.image_len(),
        channels_out * geometry.positions(),
        geometry.positions(),
    );
    let mut output = vec![0.0f32; batch * output_len];
    output
        .par_chunks_mut(IMAGES_PER_TASK * output_len)
        .enumerate()
        .for_each(|(task, output)| {
            let first = task * IMAGES_PER_TASK;
            let count = output.len() / output_len;
            let patches = geometry.patches_side_by_side(&x[first * image_len..(first + count) * image_len], count);
            let mut product = vec![0.0f32; channels_out * count * positions];
            // product [c_out, count·positions] = weight [c_out, rows] · patches [rows, count·positions]
            matmul(
                Matrix {
                    data: &mut product,
                    rows: channels_out,
                    cols: count * positions,
                },
                false,
                Operand {
                    data: &weight,
                    row_stride: geometry.rows(),
                    col_stride: 1,
                },
                Operand {
                    data: &patches,
                    row_stride: count * positions,
                    col_stride: 1,
                },
                geometry.rows(),
            );
            unstack(&product, channels_out, positions, output);
        });
    let (out_h, out_w) = geometry.out_size();
    FlexTensor::from_data(TensorData::new(output, vec![batch, channels_out, out_h, out_w]))
}

/// `count` matrices `[rows, columns]` laid one after another → one matrix `[rows, count·columns]` with them
/// side by side.
fn side_by_side(blocks: &[f32], rows: usize, columns: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(blocks.len());
    for row in 0..rows {
        for block in blocks.chunks(rows * columns) {
            out.extend_from_slice(&block[row * columns..][..columns]);
        }
    }
    out
}

/// The inverse of [`side_by_side`]: the matrix `[rows, count·columns]` → `count` blocks `[rows, columns]`,
/// written into `out`.
fn unstack(matrix: &[f32], rows: usize, columns: usize, out: &mut [f32]) {
    let count = out.len() / (rows * columns);
    for (b, block) in out.chunks_mut(rows * columns).enumerate() {
        for (row, values) in block.chunks_mut(columns).enumerate() {
            values.copy_from_slice(&matrix[row * count * columns + b * columns..][..columns]);
        }
    }
}

/// The gradients with respect to `x` (when `want_x`) and `weight` of the convolution, given the output's:
/// per task, with `P = [P_1 … P_n]` and `dY = [dY_1 … dY_n]` side by side, `dW += dY · Pᵀ` and
/// `dP = Wᵀ · dY`, whose blocks go back to their images (col2im).
fn conv_backward(
    x: &FlexTensor,
    weight: &FlexTensor,
    output_grad: &FlexTensor,
    stride: usize,
    want_x: bool,
) -> (Option<FlexTensor>, FlexTensor) {
    let x_shape = x.layout().shape().to_vec();
    let w_shape = weight.layout().shape().to_vec();
    let (batch, channels_out) = (x_shape[0], w_shape[0]);
    let geometry = PatchGeometry::same(x_shape[1], x_shape[2], x_shape[3], w_shape[2], stride);
    let (x, weight, output_grad) = (f32s(x), f32s(weight), f32s(output_grad));
    let (image_len, grad_len) = (geometry.image_len(), channels_out * geometry.positions());
    let mut x_grad = vec![0.0f32; if want_x { batch * image_len } else { 0 }];
    let task_images: Vec<_> = (0..batch).step_by(IMAGES_PER_TASK).collect();
    let x_grad_tasks: Vec<&mut [f32]> = if want_x {
        x_grad.chunks_mut(IMAGES_PER_TASK * image_len).collect()
    } else {
        task_images.iter().map(|_| <&mut [f32]>::default()).collect()
    };
    let partial_weight_grads: Vec<Vec<f32>> = task_images
        .into_par_iter()
        .zip(x_grad_tasks)
        .map(|(first, x_grad)| {
            let count = IMAGES_PER_TASK.min(batch - first);
            let images = &x[first * image_len..(first + count) * image_len];
            let grads = &output_grad[first * grad_len..(first + count) * grad_len];
            let image_grads = (!x_grad.is_empty()).then_some(x_grad);
            geometry.backward_task(images, &weight, grads, channels_out, image_grads)
        })
        .collect();
    let mut weight_grad = vec![0.0f32; channels_out * geometry.rows()];
    for partial in partial_weight_grads {
        weight_grad
            .iter_mut()
            .zip(partial)
            .for_each(|(sum, value)| *sum += value);
    }
    let tensor = |values: Vec<f32>, shape: Vec<usize>| FlexTensor::from_data(TensorData::new(values, shape));
    (want_x.then(|| tensor(x_grad, x_shape)), tensor(weight_grad, w_shape))
}

/// Where a "same"-padded `kernel × kernel` convolution with `stride` reads a `[channels, height, width]`
/// image: its patch matrix has a row per weight of an output channel, ordered (channel, ky, kx) as in a
/// conv weight `[c_out, c_in, k, k]`, and a column per output position.
pub struct PatchGeometry {
    channels: usize,
    height: usize,
    width: usize,
    kernel: usize,
    stride: usize,
    out_h: usize,
    out_w: usize,
}

impl PatchGeometry {
    pub fn same(channels: usize, height: usize, width: usize, kernel: usize, stride: usize) -> Self {
        let out = |n: usize| same_output(n, kernel, stride);
        Self {
            channels,
            height,
            width,
            kernel,
            stride,
            out_h: out(height),
            out_w: out(width),
        }
    }

    pub fn rows(&self) -> usize {
        self.channels * self.kernel * self.kernel
    }

    pub fn positions(&self) -> usize {
        self.out_h * self.out_w
    }

    pub fn out_size(&self) -> (usize, usize) {
        (self.out_h, self.out_w)
    }

    fn image_len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// A 1×1 convolution with stride 1 reads each pixel once, in order: an image is its own patch matrix.
    fn is_pointwise(&self) -> bool {
        self.kernel == 1 && self.stride == 1
    }

    /// The patch matrices `[batch, rows, positions]` of `batch` NCHW images, zeros outside the image.
    pub fn patches(&self, pixels: &[f32], batch: usize) -> Vec<f32> {
        let patch_len = self.rows() * self.positions();
        let mut out = vec![0.0f32; batch * patch_len];
        out.par_chunks_mut(patch_len)
            .zip(pixels.par_chunks(self.image_len()))
            .for_each(|(patch, image)| self.gather(image, patch, self.positions()));
        out
    }

    /// The patch matrices of `count` NCHW images side by side: `[rows, count·positions]`.
    fn patches_side_by_side(&self, images: &[f32], count: usize) -> Vec<f32> {
        if self.is_pointwise() {
            return side_by_side(images, self.channels, self.positions());
        }
        let row_len = count * self.positions();
        let mut out = vec![0.0f32; self.rows() * row_len];
        for (b, image) in images.chunks(self.image_len()).enumerate() {
            self.gather(image, &mut out[b * self.positions()..], row_len);
        }
        out
    }

    /// For each run of patch-matrix entries inside the image (one output row of one weight),
    /// `visit(first entry, first pixel, length)`; entry `first + i` reads pixel `pixel + i·stride`. The
    /// patch matrix's rows are `row_len` apart.
    fn for_each_run(&self, row_len: usize, mut visit: impl FnMut(usize, usize, usize)) {
        let pad = self.kernel / 2;
        let taps = self.kernel * self.kernel;
        for row in 0..self.rows() {
            let (c, ky, kx) = (row / taps, (row / self.kernel) % self.kernel, row % self.kernel);
            let columns = tap_outputs(kx, pad, self.stride, self.width, self.out_w);
            if columns.is_empty() {
                continue;
            }
            for oy in tap_outputs(ky, pad, self.stride, self.height, self.out_h) {
                let y = oy * self.stride + ky - pad;
                let entry = row * row_len + oy * self.out_w + columns.start;
                let pixel = (c * self.height + y) * self.width + columns.start * self.stride + kx - pad;
                visit(entry, pixel, columns.len());
            }
        }
    }

    /// With stride 1 every entry of a patch row reads the pixel a fixed offset away: for each row,
    /// `visit(first entry, first pixel, length, valid columns)` over the entries from its first valid one to
    /// its last, in one run; entry `first + i` reads pixel `pixel + i`, except where the run wraps from one
    /// image row to the next ([`wrapped`]), which reads zero padding.
    fn for_each_span(&self, row_len: usize, mut visit: impl FnMut(usize, usize, usize, usize)) {
        debug_assert_eq!(self.stride, 1);
        let pad = self.kernel / 2;
        let taps = self.kernel * self.kernel;
        for row in 0..self.rows() {
            let (c, ky, kx) = (row / taps, (row / self.kernel) % self.kernel, row % self.kernel);
            let rows = tap_outputs(ky, pad, 1, self.height, self.out_h);
            let columns = tap_outputs(kx, pad, 1, self.width, self.out_w);
            if rows.is_empty() || columns.is_empty() {
                continue;
            }
            let first = rows.start * self.width + columns.start;
            let len = (rows.len() - 1) * self.width + columns.len();
            let pixel = c * self.height * self.width + first + ky * self.width + kx - pad * (self.width + 1);
            visit(row * row_len + first, pixel, len, columns.len());
        }
    }

    /// One image's patch matrix into `out`, whose rows are `row_len` apart; `out` starts zeroed.
    fn gather(&self, image: &[f32], out: &mut [f32], row_len: usize) {
        if self.stride == 1 {
            self.for_each_span(row_len, |entry, pixel, len, columns| {
                let out = &mut out[entry..entry + len];
                out.copy_from_slice(&image[pixel..pixel + len]);
                wrapped(len, self.width, columns).for_each(|run| out[run].fill(0.0));
            });
            return;
        }
        let stride = self.stride;
        self.for_each_run(row_len, |entry, pixel, len| {
            let out = &mut out[entry..entry + len];
            out.iter_mut()
                .zip(image[pixel..].iter().step_by(stride))
                .for_each(|(o, &v)| *o = v);
        });
    }

    /// Adds each entry of one image's patch-matrix gradient (rows `row_len` apart) to the pixel it was read
    /// from (col2im). The entries that read padding are zeroed on the way.
    fn scatter_add(&self, patch_grad: &mut [f32], row_len: usize, image_grad: &mut [f32]) {
        if self.stride == 1 {
            self.for_each_span(row_len, |entry, pixel, len, columns| {
                let grads = &mut patch_grad[entry..entry + len];
                wrapped(len, self.width, columns).for_each(|run| grads[run].fill(0.0));
                image_grad[pixel..pixel + len]
                    .iter_mut()
                    .zip(grads.iter())
                    .for_each(|(g, &d)| *g += d);
            });
            return;
        }
        let stride = self.stride;
        self.for_each_run(row_len, |entry, pixel, len| {
            let grads = &patch_grad[entry..entry + len];
            image_grad[pixel..]
                .iter_mut()
                .step_by(stride)
                .zip(grads)
                .for_each(|(g, &d)| *g += d);
        });
    }

    /// One task's share of the backward pass: its images' weight gradient `dY · Pᵀ` (returned) and, when
    /// wanted, their input gradients `col2im(Wᵀ · dY)` (into `image_grads`, zeroed).
    fn backward_task(
        &self,
        images: &[f32],
        weight: &[f32],
        output_grads: &[f32],
        channels_out: usize,
        image_grads: Option<&mut [f32]>,
    ) -> Vec<f32> {
        let (rows, positions) = (self.rows(), self.positions());
        let count = images.len() / self.image_len();
        let row_len = count * positions;
        let patches = self.patches_side_by_side(images, count);
        let output_grads = side_by_side(output_grads, channels_out, positions);
        // weight_grad [c_out, rows] = output_grads [c_out, row_len] · patchesᵀ [row_len, rows]
        let mut weight_grad = vec![0.0f32; channels_out * rows];
        matmul(
            Matrix {
                data: &mut weight_grad,
                rows: channels_out,
                cols: rows,
            },
            false,
            Operand {
                data: &output_grads,
                row_stride: row_len,
                col_stride: 1,
            },
            Operand {
                data: &patches,
                row_stride: 1,
                col_stride: row_len,
            },
            row_len,
        );
        if let Some(image_grads) = image_grads {
            // patch_grads [rows, row_len] = weightᵀ [rows, c_out] · output_grads [c_out, row_len]
            let mut patch_grads = patches;
            matmul(
                Matrix {
                    data: &mut patch_grads,
                    rows,
                    cols: row_len,
                },
                false,
                Operand {
                    data: weight,
                    row_stride: 1,
                    col_stride: rows,
                },
                Operand {
                    data: &output_grads,
                    row_stride: row_len,
                    col_stride: 1,
                },
                channels_out,
            );
            if self.is_pointwise() {
                unstack(&patch_grads, self.channels, positions, image_grads);
            } else {
                for (b, image_grad) in image_grads.chunks_mut(self.image_len()).enumerate() {
                    self.scatter_add(&mut patch_grads[b * positions..], row_len, image_grad);
                }
            }
        }
        weight_grad
    }
}

/// In a [`PatchGeometry::for_each_span`] run of `len` entries over image rows of `width` pixels, of which
/// `columns` are valid per row: the entries (relative to the run) between one row's valid columns and the
/// next's.
fn wrapped(len: usize, width: usize, columns: usize) -> impl Iterator<Item = Range<usize>> {
    (0..len / width).map(move |row| row * width + columns..(row + 1) * width)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::ops::ConvOptions;
    use burn::tensor::{Device, Distribution};

    fn same_options(weight_shape: &[usize], stride: usize) -> ConvOptions<2> {
        let padding = weight_shape[2] / 2;
        ConvOptions::new([stride, stride], [padding, padding], [1, 1], 1)
    }

    fn max_abs_diff(a: Tensor<4>, b: Tensor<4>) -> f32 {
        (a - b).abs().max().into_scalar::<f32>()
    }

    /// Values, input gradient and weight gradient against burn's conv2d, at odd and even sizes, strides 1
    /// and 2, kernels 1 to 7, and a batch that spans several backward tasks.
    #[test]
    fn equals_burns_conv_in_values_and_both_gradients() {
        let device = Device::flex().autodiff();
        for (kernel, stride, [height, width]) in [
            (3, 1, [6, 5]),
            (5, 1, [4, 7]),
            (3, 1, [1, 1]),
            (5, 2, [9, 8]),
            (7, 2, [7, 10]),
            (1, 1, [4, 3]),
            (1, 2, [5, 5]),
            (3, 2, [2, 3]),
        ] {
            let x = Tensor::<4>::random(
                [IMAGES_PER_TASK + 2, 5, height, width],
                Distribution::Normal(0.0, 1.0),
                &device,
            )
            .require_grad();
            let weight =
                Tensor::<4>::random([4, 5, kernel, kernel], Distribution::Normal(0.0, 1.0), &device).require_grad();
            let theirs =
                burn::tensor::module::conv2d(x.clone(), weight.clone(), None, same_options(&weight.dims(), stride));
            let ours = conv_same(x.clone(), weight.clone(), stride);
            assert_eq!(ours.dims(), theirs.dims());
            assert!(
                max_abs_diff(ours.clone().inner(), theirs.clone().inner()) < 1e-4,
                "k {kernel} s {stride}"
            );
            let target = Tensor::<4>::random(ours.dims(), Distribution::Normal(0.0, 1.0), &device);
            let grads_of = |y: Tensor<4>| {
                let grads = (y * target.clone()).sum().backward();
                (
                    x.grad(&grads).expect("an input gradient"),
                    weight.grad(&grads).expect("a weight gradient"),
                )
            };
            let ((dx_ours, dw_ours), (dx_theirs, dw_theirs)) = (grads_of(ours), grads_of(theirs));
            assert!(max_abs_diff(dx_ours, dx_theirs) < 1e-3, "dx k {kernel} s {stride}");
            assert!(max_abs_diff(dw_ours, dw_theirs) < 1e-3, "dw k {kernel} s {stride}");
        }
    }

    #[test]
    fn without_autodiff_it_is_the_plain_convolution() {
        let device = Device::flex();
        let x = Tensor::<4>::random([2, 3, 7, 6], Distribution::Normal(0.0, 1.0), &device);
        let weight = Tensor::<4>::random([4, 3, 3, 3], Distribution::Normal(0.0, 1.0), &device);
        let theirs = burn::tensor::module::conv2d(x.clone(), weight.clone(), None, same_options(&weight.dims(), 2));
        assert!(max_abs_diff(conv_same(x, weight, 2), theirs) < 1e-5);
    }
}
