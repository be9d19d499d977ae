//! Inference-only CPU kernels on channels-last (NHWC) `f32` activations, for frozen networks whose
//! weights come from a burn module: convolution as im2col + one `gemm` per block of output rows, with
//! bias and ReLU fused; max / average pooling without padding; dlib's zero-padded residual add.
//!
//! Why: profiling the burn (Flex) forward of the dlib ResNet showed 37 % of the time outside the matrix
//! products, in per-layer NCHW → NHWC conversion, im2col and the transposed write-back, and its
//! per-image tiles give 4×4 maps matrices of 16 rows. Here activations stay NHWC from layer to layer,
//! im2col copies whole channel runs, and rows are blocks of the whole batch. Each kernel is checked
//! against the burn layer it replaces (tests below and `tests/dlib_resnet.rs`).
//!
//! On AVX-512 CPUs a convolution's weights are packed once at load into the panels of
//! [`crate::panel_gemm`], and each call splits its rows (and, when rows are few — a batch of one on an
//! 8×8 or 3×3 map — its output channels) into tasks for the thread pool; each task gathers its patches
//! into a per-thread scratch buffer (no allocation per call once warm) and runs the fused micro-kernel.

use crate::matmul::{Operand, count_multiply_adds, matmul_into};
use crate::panel_gemm::{self, Epilogue, MR, PackedMatrix, gemm_panels};
use burn::nn::PaddingConfig2d;
use burn::nn::conv::Conv2d;
use rayon::prelude::*;
use std::cell::RefCell;

/// A batch of feature maps, `[n, h, w, c]` row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Nhwc {
    pub data: Vec<f32>,
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
}

impl Nhwc {
    pub fn zeros(n: usize, h: usize, w: usize, c: usize) -> Self {
        Self {
            data: vec![0.0; n * h * w * c],
            n,
            h,
            w,
            c,
        }
    }

    fn at(&self, n: usize, y: usize, x: usize) -> usize {
        ((n * self.h + y) * self.w + x) * self.c
    }
}

/// At most this many output rows (positions) per im2col + gemm block, so a block's im2col stays in
/// cache; blocks are also made small enough that every thread gets the same number.
const MAX_ROWS_PER_BLOCK: usize = 256;

/// Rows per block for `rows` output rows: a multiple of the thread count of equal blocks of at most
/// [`MAX_ROWS_PER_BLOCK`] rows (4×4 maps of one image still keep both threads busy).
fn rows_per_block(rows: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    let blocks = rows.div_ceil(MAX_ROWS_PER_BLOCK).div_ceil(threads) * threads;
    rows.div_ceil(blocks).max(1)
}

/// How a frozen convolution pads its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvPadding {
    /// `p` zeros on every side (dlib; `Explicit(0)` is TensorFlow's VALID): output `(size + 2p − k)/s + 1`.
    Explicit(usize),
    /// TensorFlow's SAME: output `⌈size / s⌉`, the padding split with the odd zero at the end.
    Same,
}

impl ConvPadding {
    /// Output size and zeros before the first input for an input of `size` and a window of `k`.
    pub fn output_and_before(self, size: usize, k: usize, stride: usize) -> (usize, usize) {
        match self {
            ConvPadding::Explicit(p) => ((size + 2 * p - k) / stride + 1, p),
            ConvPadding::Same => {
                let out = size.div_ceil(stride);
                let total = ((out - 1) * stride + k).saturating_sub(size);
                (out, total / 2)
            }
        }
    }
}

/// A convolution's weights `[kh·kw·c_in, c_out]`, rows ordered (ky, kx, c_in) like a patch (TensorFlow's
/// HWIO layout), in the layout its product reads.
#[derive(Debug, Clone)]
enum ConvWeights {
    /// Row-major, for the portable `gemm` crate path.
    Plain(Vec<f32>),
    /// Packed once into AVX-512 panels.
    Panels(PackedMatrix),
}

/// A convolution with bias, weights laid out for `patches [rows, kh·kw·c_in] × weights`.
#[derive(Debug, Clone)]
pub struct FrozenConv {
    weights: ConvWeights,
    bias: Vec<f32>,
    kh: usize,
    kw: usize,
    stride: usize,
    padding: ConvPadding,
    c_in: usize,
    c_out: usize,
}

/// The geometry of one convolution call: output size and zeros before the first row and column.
#[derive(Debug, Clone, Copy)]
struct Geometry {
    oh: usize,
    ow: usize,
    top: usize,
    left: usize,
}

impl FrozenConv {
    /// A convolution from HWIO weights (`[kh, kw, c_in, c_out]` row-major, TensorFlow's layout) and
    /// `c_out` biases.
    ///
    /// # Panics
    /// If the lengths do not match the shapes (the importers check shapes first).
    pub fn from_hwio(
        weights: Vec<f32>,
        bias: Vec<f32>,
        kernel: (usize, usize),
        stride: usize,
        padding: ConvPadding,
        c_in: usize,
    ) -> Self {
        Self::with_layout(weights, bias, kernel, stride, padding, c_in, panel_gemm::available())
    }

    /// [`FrozenConv::from_hwio`], packed into AVX-512 panels when `panels`, else kept row-major.
    fn with_layout(
        weights: Vec<f32>,
        bias: Vec<f32>,
        kernel: (usize, usize),
        stride: usize,
        padding: ConvPadding,
        c_in: usize,
        panels: bool,
    ) -> Self {
        let c_out = bias.len();
        let patch = kernel.0 * kernel.1 * c_in;
        assert_eq!(weights.len(), patch * c_out, "weights should be HWIO");
        Self {
            weights: if panels {
                ConvWeights::Panels(PackedMatrix::pack(&weights, patch, c_out))
            } else {
                ConvWeights::Plain(weights)
            },
            bias,
            kh: kernel.0,
            kw: kernel.1,
            stride,
            padding,
            c_in,
            c_out,
        }
    }

    /// Copies a burn [`Conv2d`] (square kernel, equal strides, symmetric or no padding, one group).
    ///
    /// # Panics
    /// If the layer is not of that kind: the caller's architecture only builds such layers.
    pub fn from_conv2d(conv: &Conv2d) -> Self {
        let [c_out, c_in, kh, kw] = conv.weight.dims();
        assert!(
            kh == kw && conv.stride[0] == conv.stride[1] && conv.groups == 1,
            "the conv should be square, one group"
        );
        let pad = match conv.padding {
            PaddingConfig2d::Valid => 0,
            PaddingConfig2d::Explicit(a, b, c, d) if a == b && b == c && c == d => a,
            ref other => panic!("the conv should have symmetric explicit padding, not {other:?}"),
        };
        let w = conv
            .weight
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .expect("weights should be f32");
        let k = kh;
        let mut weights = vec![0.0; k * k * c_in * c_out];
        for co in 0..c_out {
            for ci in 0..c_in {
                for ky in 0..k {
                    for kx in 0..k {
                        weights[((ky * k + kx) * c_in + ci) * c_out + co] = w[((co * c_in + ci) * k + ky) * k + kx];
                    }
                }
            }
        }
        let bias = match &conv.bias {
            Some(b) => b.val().into_data().try_to_vec::<f32>().expect("bias should be f32"),
            None => vec![0.0; c_out],
        };
        Self::from_hwio(weights, bias, (k, k), conv.stride[0], ConvPadding::Explicit(pad), c_in)
    }

    /// Multiplies weights and bias by `factor` (`factor · conv(x)` as one conv: a residual scale).
    pub fn scale(&mut self, factor: f32) {
        match &mut self.weights {
            ConvWeights::Plain(w) => w.iter_mut().for_each(|v| *v *= factor),
            ConvWeights::Panels(packed) => packed.scale(factor),
        }
        self.bias.iter_mut().for_each(|v| *v *= factor);
    }

    /// Output channels.
    pub fn out_channels(&self) -> usize {
        self.c_out
    }

    fn geometry(&self, x: &Nhwc) -> Geometry {
        let (oh, top) = self.padding.output_and_before(x.h, self.kh, self.stride);
        let (ow, left) = self.padding.output_and_before(x.w, self.kw, self.stride);
        Geometry { oh, ow, top, left }
    }

    /// True when the input itself is the patch matrix (1×1, stride 1, no padding): no im2col copy.
    fn is_pointwise(&self) -> bool {
        self.kh == 1 && self.kw == 1 && self.stride == 1
    }

    /// `relu?(conv(x) + bias)`.
    ///
    /// # Shapes
    /// `[n, h, w, c_in]` → `[n, oh, ow, c_out]` (see [`ConvPadding`])
    pub fn forward(&self, x: &Nhwc, relu: bool) -> Nhwc {
        let g = self.geometry(x);
        let mut out = Nhwc::zeros(x.n, g.oh, g.ow, self.c_out);
        self.forward_into(x, relu, &mut out, 0, false);
        out
    }

    /// Writes `relu?(conv(x) + bias)` into channels `offset..offset + c_out` of `out` (a concatenation
    /// without copies), or adds `conv(x) + bias` to them before the ReLU when `accumulate` (a residual
    /// sum in place).
    ///
    /// # Panics
    /// If `out` does not have the conv's output size or lacks those channels.
    pub fn forward_into(&self, x: &Nhwc, relu: bool, out: &mut Nhwc, offset: usize, accumulate: bool) {
        assert_eq!(x.c, self.c_in, "input channels should match the conv");
        let g = self.geometry(x);
        assert!(
            (out.n, out.h, out.w) == (x.n, g.oh, g.ow) && offset + self.c_out <= out.c,
            "the output should have the conv's size and room for its channels"
        );
        match &self.weights {
            ConvWeights::Panels(packed) => self.forward_panels(packed, x, g, relu, out, offset, accumulate),
            ConvWeights::Plain(weights) => self.forward_portable(weights, x, g, relu, out, offset, accumulate),
        }
    }

    /// The AVX-512 path: tasks of rows × panels, each gathering its patches into the thread's scratch.
    #[allow(clippy::too_many_arguments)]
    fn forward_panels(
        &self,
        packed: &PackedMatrix,
        x: &Nhwc,
        g: Geometry,
        relu: bool,
        out: &mut Nhwc,
        offset: usize,
        accumulate: bool,
    ) {
        let rows = x.n * g.oh * g.ow;
        let patch = self.kh * self.kw * self.c_in;
        count_multiply_adds((rows * self.c_out * patch) as u64);
        let plan = TaskPlan::new(rows, patch, packed.panels());
        let ldc = out.c;
        let dst = SharedDst(out.data[offset..].as_mut_ptr());
        let epilogue = Epilogue {
            bias: &self.bias,
            relu,
            accumulate,
        };
        (0..plan.tasks()).into_par_iter().for_each(|task| {
            let (first, count, panels) = plan.task(task);
            SCRATCH.with(|scratch| {
                let mut scratch = scratch.borrow_mut();
                let lhs = if self.is_pointwise() {
                    &x.data[first * patch..(first + count) * patch]
                } else {
                    scratch.resize(count * patch, 0.0);
                    for (i, row) in scratch.chunks_exact_mut(patch).enumerate() {
                        self.gather_patch(x, first + i, g, row);
                    }
                    &scratch[..]
                };
                // SAFETY: `forward_into` checked that `out` has `rows` rows of `ldc` channels with room for the
                // conv's `c_out` channels from `offset`; tasks cover disjoint rows × panels, so no entry is
                // shared; the weights are packed only when `panel_gemm::available()`.
                unsafe { gemm_panels(lhs, patch, count, packed, panels, dst.at(first * ldc), ldc, epilogue) };
            });
        });
    }

    /// The portable path: one `gemm` crate product per block of rows, then bias and ReLU.
    #[allow(clippy::too_many_arguments)]
    fn forward_portable(
        &self,
        weights: &[f32],
        x: &Nhwc,
        g: Geometry,
        relu: bool,
        out: &mut Nhwc,
        offset: usize,
        accumulate: bool,
    ) {
        let rows = x.n * g.oh * g.ow;
        let patch = self.kh * self.kw * self.c_in;
        let block_rows = rows_per_block(rows);
        let stride_out = out.c;
        out.data
            .par_chunks_mut(block_rows * stride_out)
            .enumerate()
            .for_each(|(block, dst)| {
                let first = block * block_rows;
                let count = dst.len() / stride_out;
                let cols_buffer;
                let lhs = if self.is_pointwise() {
                    &x.data[first * patch..(first + count) * patch]
                } else {
                    let mut cols = vec![0.0f32; count * patch];
                    for (i, row) in cols.chunks_exact_mut(patch).enumerate() {
                        self.gather_patch(x, first + i, g, row);
                    }
                    cols_buffer = cols;
                    &cols_buffer[..]
                };
                let dst = &mut dst[offset..];
                assert!(dst.len() >= (count - 1) * stride_out + self.c_out);
                // SAFETY: the assert keeps rows 0..count, columns 0..c_out at stride `stride_out` inside
                // `dst`, a slice this closure borrows mutably.
                unsafe {
                    matmul_into(
                        dst.as_mut_ptr(),
                        stride_out,
                        count,
                        self.c_out,
                        accumulate,
                        Operand {
                            data: lhs,
                            row_stride: patch,
                            col_stride: 1,
                        },
                        Operand {
                            data: weights,
                            row_stride: self.c_out,
                            col_stride: 1,
                        },
                        patch,
                    );
                }
                for r in 0..count {
                    let row = &mut dst[r * stride_out..][..self.c_out];
                    for (v, b) in row.iter_mut().zip(&self.bias) {
                        *v += b;
                        if relu && *v < 0.0 {
                            *v = 0.0;
                        }
                    }
                }
            });
    }

    /// The `kh × kw × c_in` input patch of output position `row` (zeros outside the image).
    fn gather_patch(&self, x: &Nhwc, row: usize, g: Geometry, patch: &mut [f32]) {
        let (n, oy, ox) = (row / (g.oh * g.ow), row / g.ow % g.oh, row % g.ow);
        let run = self.kw * self.c_in;
        let x_first = (ox * self.stride) as isize - g.left as isize;
        let inside_x = x_first >= 0 && x_first as usize + self.kw <= x.w;
        for ky in 0..self.kh {
            let y = (oy * self.stride + ky) as isize - g.top as isize;
            let dst_line = &mut patch[ky * run..][..run];
            if y < 0 || y as usize >= x.h {
                dst_line.fill(0.0);
            } else if inside_x {
                // the kw positions of one input row are one contiguous run in NHWC
                dst_line.copy_from_slice(&x.data[x.at(n, y as usize, x_first as usize)..][..run]);
            } else {
                for (kx, dst) in dst_line.chunks_exact_mut(self.c_in).enumerate() {
                    let x_pos = x_first + kx as isize;
                    if x_pos < 0 || x_pos as usize >= x.w {
                        dst.fill(0.0);
                    } else {
                        dst.copy_from_slice(&x.data[x.at(n, y as usize, x_pos as usize)..][..self.c_in]);
                    }
                }
            }
        }
    }
}

thread_local! {
    /// Each worker's im2col buffer, grown to the largest block it has gathered and then reused.
    static SCRATCH: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// The destination of a convolution, shared by tasks that write disjoint entries.
#[derive(Clone, Copy)]
struct SharedDst(*mut f32);

// SAFETY: tasks write disjoint entries (see `forward_panels`).
unsafe impl Send for SharedDst {}
// SAFETY: as above.
unsafe impl Sync for SharedDst {}

impl SharedDst {
    /// The entry `offset` floats past the start.
    ///
    /// # Safety
    /// `offset` must lie inside the destination.
    unsafe fn at(self, offset: usize) -> *mut f32 {
        // SAFETY: forwarded from the caller.
        unsafe { self.0.add(offset) }
    }
}

/// At most this many floats of patches per task, so that a task's rows stay in the core's L2 cache with
/// the weight panel they are multiplied with.
const MAX_PATCH_FLOATS_PER_TASK: usize = 64 * 1024;

/// How one convolution call is split into tasks: blocks of rows (a multiple of the micro-kernel's rows,
/// as many per thread), and, when there are fewer than two blocks a thread, groups of weight panels too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TaskPlan {
    rows: usize,
    block_rows: usize,
    row_blocks: usize,
    panels: usize,
    groups: usize,
}

impl TaskPlan {
    fn new(rows: usize, patch: usize, panels: usize) -> Self {
        let threads = rayon::current_num_threads().max(1);
        let max_rows = (MAX_PATCH_FLOATS_PER_TASK / patch.max(1) / MR * MR).clamp(MR, MAX_ROWS_PER_BLOCK);
        let blocks = rows.div_ceil(max_rows).div_ceil(threads) * threads;
        let block_rows = rows.div_ceil(blocks).next_multiple_of(MR);
        let row_blocks = rows.div_ceil(block_rows);
        let groups = if row_blocks >= 2 * threads {
            1
        } else {
            panels.min((2 * threads).div_ceil(row_blocks))
        };
        Self {
            rows,
            block_rows,
            row_blocks,
            panels,
            groups,
        }
    }

    fn tasks(&self) -> usize {
        self.row_blocks * self.groups
    }

    /// Task `i`: its first row, its number of rows and its panels.
    fn task(&self, i: usize) -> (usize, usize, std::ops::Range<usize>) {
        let (block, group) = (i / self.groups, i % self.groups);
        let first = block * self.block_rows;
        let panels = group * self.panels / self.groups..(group + 1) * self.panels / self.groups;
        (first, self.block_rows.min(self.rows - first), panels)
    }
}

/// Max (`max = true`) or average pooling over `k × k` windows with stride `s`, no padding (dlib's
/// pools with stride ≠ 1): output size `(size − k)/s + 1`.
pub fn pool(x: &Nhwc, k: usize, s: usize, max: bool) -> Nhwc {
    let (oh, ow) = ((x.h - k) / s + 1, (x.w - k) / s + 1);
    let mut out = Nhwc::zeros(x.n, oh, ow, x.c);
    let scale = 1.0 / (k * k) as f32;
    out.data.par_chunks_mut(ow * x.c).enumerate().for_each(|(line, dst)| {
        let (n, oy) = (line / oh, line % oh);
        for ox in 0..ow {
            let acc = &mut dst[ox * x.c..][..x.c];
            acc.fill(if max { f32::NEG_INFINITY } else { 0.0 });
            for ky in 0..k {
                for kx in 0..k {
                    let src = &x.data[x.at(n, oy * s + ky, ox * s + kx)..][..x.c];
                    for (a, v) in acc.iter_mut().zip(src) {
                        *a = if max { a.max(*v) } else { *a + v };
                    }
                }
            }
            if !max {
                acc.iter_mut().for_each(|a| *a *= scale);
            }
        }
    });
    out
}

/// Copies `src` into channels `offset..offset + src.c` of `dst` (a concatenation along channels).
///
/// # Panics
/// If the maps differ in batch or size or `dst` lacks those channels.
pub fn copy_channels(src: &Nhwc, dst: &mut Nhwc, offset: usize) {
    assert!((src.n, src.h, src.w) == (dst.n, dst.h, dst.w) && offset + src.c <= dst.c);
    for (from, to) in src.data.chunks_exact(src.c).zip(dst.data.chunks_exact_mut(dst.c)) {
        to[offset..offset + src.c].copy_from_slice(from);
    }
}

/// `relu(a + b)` after zero-padding both at the end of every dimension to the larger size (dlib's
/// `add_prev` followed by `relu`).
pub fn add_zero_padded_relu(a: &Nhwc, b: &Nhwc) -> Nhwc {
    let (h, w, c) = (a.h.max(b.h), a.w.max(b.w), a.c.max(b.c));
    let mut out = Nhwc::zeros(a.n, h, w, c);
    out.data.par_chunks_mut(w * c).enumerate().for_each(|(line, dst)| {
        let (n, y) = (line / h, line % h);
        for x in 0..w {
            let acc = &mut dst[x * c..][..c];
            for src in [a, b] {
                if y < src.h && x < src.w {
                    let values = &src.data[src.at(n, y, x)..][..src.c];
                    acc.iter_mut().zip(values).for_each(|(o, v)| *o += v);
                }
            }
            acc.iter_mut().for_each(|v| *v = v.max(0.0));
        }
    });
    out
}

/// The mean over all positions of each map: `[n, h, w, c]` → `[n, c]` (row-major).
pub fn global_mean(x: &Nhwc) -> Vec<f32> {
    let positions = x.h * x.w;
    let mut out = vec![0.0; x.n * x.c];
    for (n, dst) in out.chunks_exact_mut(x.c).enumerate() {
        for pixel in x.data[n * positions * x.c..][..positions * x.c].chunks_exact(x.c) {
            dst.iter_mut().zip(pixel).for_each(|(o, v)| *o += v);
        }
        dst.iter_mut().for_each(|o| *o /= positions as f32);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::default_device;
    use burn::nn::conv::Conv2dConfig;
    use burn::nn::pool::{AvgPool2dConfig, MaxPool2dConfig};
    use burn::prelude::*;
    use burn::tensor::Distribution;

    fn random_nchw(shape: [usize; 4]) -> Tensor<4> {
        Tensor::random(shape, Distribution::Normal(0.0, 1.0), &default_device())
    }

    fn to_nhwc(t: &Tensor<4>) -> Nhwc {
        let [n, c, h, w] = t.dims();
        let data = t.clone().permute([0, 2, 3, 1]).into_data().try_to_vec::<f32>().unwrap();
        Nhwc { data, n, h, w, c }
    }

    fn assert_close(a: &Nhwc, b: &Nhwc) {
        assert_eq!((a.n, a.h, a.w, a.c), (b.n, b.h, b.w, b.c));
        let worst = a
            .data
            .iter()
            .zip(&b.data)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        assert!(worst < 1e-4, "largest difference {worst}");
    }

    #[test]
    fn conv_equals_burns_for_each_kind_of_dlib_conv() {
        // (c_in, c_out, k, stride, padding, size): stem, 3×3 same, 3×3 strided at odd and even size.
        for (c_in, c_out, k, stride, pad, size) in [
            (3, 8, 7, 2, 0, 23),
            (5, 6, 3, 1, 1, 9),
            (4, 7, 3, 2, 0, 9),
            (4, 7, 3, 2, 0, 8),
        ] {
            let padding = if pad == 0 {
                PaddingConfig2d::Valid
            } else {
                PaddingConfig2d::Explicit(pad, pad, pad, pad)
            };
            let conv = Conv2dConfig::new([c_in, c_out], [k, k])
                .with_stride([stride, stride])
                .with_padding(padding)
                .init(&default_device());
            let x = random_nchw([3, c_in, size, size]);
            let expected = to_nhwc(&burn::tensor::activation::relu(conv.forward(x.clone())));
            assert_close(&FrozenConv::from_conv2d(&conv).forward(&to_nhwc(&x), true), &expected);
        }
    }

    /// Direct convolution of TensorFlow's definition (HWIO weights, SAME or VALID), the reference.
    fn naive_conv(x: &Nhwc, w: &[f32], b: &[f32], (kh, kw): (usize, usize), s: usize, same: bool) -> Nhwc {
        let c_out = b.len();
        let padding = if same {
            ConvPadding::Same
        } else {
            ConvPadding::Explicit(0)
        };
        let (oh, top) = padding.output_and_before(x.h, kh, s);
        let (ow, left) = padding.output_and_before(x.w, kw, s);
        let mut out = Nhwc::zeros(x.n, oh, ow, c_out);
        for n in 0..x.n {
            for oy in 0..oh {
                for ox in 0..ow {
                    for co in 0..c_out {
                        let mut acc = b[co];
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let (y, xx) = (
                                    (oy * s + ky) as isize - top as isize,
                                    (ox * s + kx) as isize - left as isize,
                                );
                                if y < 0 || xx < 0 || y as usize >= x.h || xx as usize >= x.w {
                                    continue;
                                }
                                for ci in 0..x.c {
                                    acc += x.data[x.at(n, y as usize, xx as usize) + ci]
                                        * w[((ky * kw + kx) * x.c + ci) * c_out + co];
                                }
                            }
                        }
                        let at = out.at(n, oy, ox) + co;
                        out.data[at] = acc;
                    }
                }
            }
        }
        out
    }

    fn random_nhwc(n: usize, h: usize, w: usize, c: usize) -> Nhwc {
        to_nhwc(&random_nchw([n, c, h, w]))
    }

    fn random_vec(len: usize) -> Vec<f32> {
        to_nhwc(&random_nchw([1, len, 1, 1])).data
    }

    #[test]
    fn rectangular_same_and_valid_convs_equal_the_direct_definition() {
        // (kernel, stride, same, size): Inception-ResNet-v1's 1×7, 7×1, 1×3, 3×1 (SAME), 3×3/2 VALID,
        // 1×1, and SAME with stride 2 on an even size (the odd zero goes at the end).
        for (kernel, stride, same, size) in [
            ((1, 7), 1, true, 8),
            ((7, 1), 1, true, 8),
            ((1, 3), 1, true, 3),
            ((3, 1), 1, true, 3),
            ((3, 3), 2, false, 17),
            ((1, 1), 1, false, 5),
            ((3, 3), 2, true, 8),
        ] {
            let (c_in, c_out) = (5, 6);
            let x = random_nhwc(2, size, size + 1, c_in);
            let w = random_vec(kernel.0 * kernel.1 * c_in * c_out);
            let b = random_vec(c_out);
            let padding = if same {
                ConvPadding::Same
            } else {
                ConvPadding::Explicit(0)
            };
            let expected = naive_conv(&x, &w, &b, kernel, stride, same);
            let relu_expected = Nhwc {
                data: expected.data.iter().map(|v| v.max(0.0)).collect(),
                ..expected.clone()
            };
            for panels in layouts() {
                let conv = FrozenConv::with_layout(w.clone(), b.clone(), kernel, stride, padding, c_in, panels);
                assert_close(&conv.forward(&x, false), &expected);
                assert_close(&conv.forward(&x, true), &relu_expected);
            }
        }
    }

    /// The weight layouts this CPU runs: row-major (the portable path) and, with AVX-512, panels.
    fn layouts() -> Vec<bool> {
        if panel_gemm::available() {
            vec![false, true]
        } else {
            vec![false]
        }
    }

    #[test]
    fn both_paths_equal_the_direct_definition_on_inception_shapes_with_few_and_many_rows() {
        // (kernel, c_in, c_out, n, size): more channels than a panel, a partial last panel, a batch of one on
        // a 3×3 map (tasks split by panels) and a map larger than one task's rows.
        for (kernel, c_in, c_out, n, size) in [
            ((1, 3), 24, 200, 1, 3),
            ((3, 3), 40, 80, 1, 8),
            ((1, 1), 70, 130, 2, 17),
            ((3, 3), 8, 32, 1, 40),
        ] {
            let x = random_nhwc(n, size, size, c_in);
            let (w, b) = (random_vec(kernel.0 * kernel.1 * c_in * c_out), random_vec(c_out));
            let expected = naive_conv(&x, &w, &b, kernel, 1, true);
            for panels in layouts() {
                let conv = FrozenConv::with_layout(w.clone(), b.clone(), kernel, 1, ConvPadding::Same, c_in, panels);
                assert_close(&conv.forward(&x, false), &expected);
            }
        }
    }

    #[test]
    fn forward_into_writes_a_channel_slice_and_accumulates_a_scaled_residual() {
        for panels in layouts() {
            forward_into_case(panels);
        }
    }

    fn forward_into_case(panels: bool) {
        let x = random_nhwc(2, 4, 4, 3);
        let (w, b) = (random_vec(3 * 2), random_vec(2));
        let mut conv = FrozenConv::with_layout(w, b, (1, 1), 1, ConvPadding::Same, 3, panels);
        let alone = conv.forward(&x, false);
        let mut wide = Nhwc::zeros(2, 4, 4, 5);
        conv.forward_into(&x, false, &mut wide, 3, false);
        let mut other = Nhwc::zeros(2, 4, 4, 3);
        copy_channels(&x, &mut other, 0);
        assert_eq!(other, x);
        for (pixel, expected) in wide.data.chunks_exact(5).zip(alone.data.chunks_exact(2)) {
            assert_eq!(&pixel[..3], &[0.0; 3]);
            assert_eq!(&pixel[3..], expected);
        }
        // relu(acc + 0.5·conv(x)) with the factor folded into the conv
        let base = random_nhwc(2, 4, 4, 2);
        let mut acc = base.clone();
        conv.scale(0.5);
        conv.forward_into(&x, true, &mut acc, 0, true);
        let expected: Vec<f32> = base
            .data
            .iter()
            .zip(&alone.data)
            .map(|(a, c)| (a + 0.5 * c).max(0.0))
            .collect();
        assert_close(&acc, &Nhwc { data: expected, ..base });
    }

    #[test]
    fn task_plans_cover_every_row_and_panel_once() {
        // (rows, patch, panels): 17×17, 8×8 and 3×3 maps of a batch of one, a large map, odd panel counts
        for (rows, patch, panels) in [
            (289, 288, 1),
            (64, 896, 2),
            (9, 384, 28),
            (9, 1152, 3),
            (5929, 288, 1),
            (7, 5, 5),
        ] {
            let plan = TaskPlan::new(rows, patch, panels);
            let mut seen = vec![0; rows * panels];
            for task in 0..plan.tasks() {
                let (first, count, range) = plan.task(task);
                for r in first..first + count {
                    for p in range.clone() {
                        seen[r * panels + p] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&n| n == 1), "{rows} rows × {panels} panels: {plan:?}");
        }
    }

    #[test]
    fn blocks_are_equal_and_at_most_max_rows() {
        for rows in [1, 9, 16, 289, 1225, 5184, 331_776] {
            let per_block = rows_per_block(rows);
            let blocks = rows.div_ceil(per_block);
            assert!(
                per_block <= MAX_ROWS_PER_BLOCK && blocks * per_block - rows < blocks,
                "{rows} rows: {per_block} per block"
            );
        }
    }

    #[test]
    fn pools_equal_burns_at_odd_and_even_sizes() {
        for size in [7, 8] {
            let x = random_nchw([2, 3, size, size]);
            let max = MaxPool2dConfig::new([3, 3])
                .with_strides([2, 2])
                .init()
                .forward(x.clone());
            assert_close(&pool(&to_nhwc(&x), 3, 2, true), &to_nhwc(&max));
            let avg = AvgPool2dConfig::new([2, 2])
                .with_strides([2, 2])
                .init()
                .forward(x.clone());
            assert_close(&pool(&to_nhwc(&x), 2, 2, false), &to_nhwc(&avg));
        }
    }

    #[test]
    fn padded_add_equals_the_burn_version_and_global_mean_averages() {
        let (a, b) = (random_nchw([2, 4, 3, 3]), random_nchw([2, 2, 4, 4]));
        // zero-padded at the end to [2, 4, 4, 4]: a gains a row and a column, b two channels
        let padded_a = a
            .clone()
            .pad([(0, 0), (0, 1), (0, 1)], burn::tensor::ops::PadMode::Constant(0.0));
        let padded_b = b
            .clone()
            .pad([(0, 2), (0, 0), (0, 0)], burn::tensor::ops::PadMode::Constant(0.0));
        let expected = burn::tensor::activation::relu(padded_a + padded_b);
        assert_close(&add_zero_padded_relu(&to_nhwc(&a), &to_nhwc(&b)), &to_nhwc(&expected));
        let x = Nhwc {
            data: vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
            n: 1,
            h: 2,
            w: 2,
            c: 2,
        };
        assert_eq!(global_mean(&x), vec![4.0, 5.0]);
    }
}
