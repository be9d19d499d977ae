//! P-Net's convolutions as im2col + gemm on plain slices, with bias and PReLU fused: on the image
//! pyramid P-Net is three quarters of MTCNN's time, and burn Flex's general convolution (NHWC copies,
//! tiles, per-call setup) spends several times the arithmetic's cost there. The weights are the burn
//! modules' own, read once; the test below holds this path equal to burn's `Conv2d` + `PRelu`.
//!
//! Layout: one image, channels-first `[c, h, w]`, row-major. Valid convolution, stride 1.

use burn::nn::PRelu;
use burn::nn::conv::Conv2d;
use facenet_kernels::matmul::{Operand, matmul_into};
use rayon::prelude::*;

/// A convolution `[cin, h, w] → [cout, h − k + 1, w − k + 1]` followed by PReLU (or nothing).
#[derive(Debug, Clone)]
pub struct DenseConv {
    /// `[cout, cin·k·k]`, row-major (PyTorch's weight layout flattened).
    weight: Vec<f32>,
    bias: Vec<f32>,
    /// PReLU slope per output channel; `None` for a linear output.
    alpha: Option<Vec<f32>>,
    cin: usize,
    cout: usize,
    kernel: usize,
}

/// Output rows per im2col tile: small enough for the tile to stay in cache, large enough for gemm.
const TILE_ROWS: usize = 8;

fn values<const D: usize>(tensor: burn::tensor::Tensor<D>) -> Vec<f32> {
    tensor.into_data().try_into_vec().expect("MTCNN weights should be f32")
}

impl DenseConv {
    /// The weights of `conv` (square kernel, stride 1, no padding) and of `prelu` if any.
    pub fn new(conv: &Conv2d, prelu: Option<&PRelu>) -> Self {
        let [cout, cin, kernel, _] = conv.weight.val().dims();
        let bias = conv
            .bias
            .as_ref()
            .map(|b| values(b.val()))
            .unwrap_or_else(|| vec![0.0; cout]);
        Self {
            weight: values(conv.weight.val()),
            bias,
            alpha: prelu.map(|p| values(p.alpha.val())),
            cin,
            cout,
            kernel,
        }
    }

    /// Stacks the outputs of convolutions over the same input (P-Net's two 1×1 heads) into one.
    pub fn stacked(parts: &[DenseConv]) -> Self {
        let first = &parts[0];
        Self {
            weight: parts.iter().flat_map(|p| p.weight.iter().copied()).collect(),
            bias: parts.iter().flat_map(|p| p.bias.iter().copied()).collect(),
            alpha: None,
            cin: first.cin,
            cout: parts.iter().map(|p| p.cout).sum(),
            kernel: first.kernel,
        }
    }

    /// # Shapes
    /// `input` `[cin, h, w]` → `([cout, oh, ow], oh, ow)` with `oh = h − k + 1`, `ow = w − k + 1`.
    pub fn forward(&self, input: &[f32], h: usize, w: usize) -> (Vec<f32>, usize, usize) {
        debug_assert_eq!(input.len(), self.cin * h * w);
        let k = self.kernel;
        let (oh, ow) = (h + 1 - k, w + 1 - k);
        let depth = self.cin * k * k;
        let plane = oh * ow;
        let mut output = vec![0.0f32; self.cout * plane];
        let out_ptr = SendPtr(output.as_mut_ptr());
        (0..oh.div_ceil(TILE_ROWS)).into_par_iter().for_each(|tile| {
            let rows = tile * TILE_ROWS..((tile + 1) * TILE_ROWS).min(oh);
            let n = rows.len() * ow;
            // im2col: row (c, ky, kx) holds input[c, y + ky, x + kx] for the tile's output pixels (y, x).
            let mut columns = vec![0.0f32; depth * n];
            for c in 0..self.cin {
                for ky in 0..k {
                    for kx in 0..k {
                        let row = &mut columns[((c * k + ky) * k + kx) * n..][..n];
                        for (r, y) in rows.clone().enumerate() {
                            let start = (c * h + y + ky) * w + kx;
                            row[r * ow..(r + 1) * ow].copy_from_slice(&input[start..start + ow]);
                        }
                    }
                }
            }
            let first = rows.start * ow;
            let weights = Operand {
                data: &self.weight,
                row_stride: depth,
                col_stride: 1,
            };
            let columns = Operand {
                data: &columns,
                row_stride: n,
                col_stride: 1,
            };
            // SAFETY: the product writes `cout × n` values at `output[m·plane + first + j]`; tiles cover
            // disjoint column ranges `first..first + n` of each channel plane, all inside `output`.
            unsafe {
                matmul_into(
                    out_ptr.get().add(first),
                    plane,
                    self.cout,
                    n,
                    false,
                    weights,
                    columns,
                    depth,
                )
            };
        });
        self.bias_and_activation(&mut output, plane);
        (output, oh, ow)
    }

    fn bias_and_activation(&self, output: &mut [f32], plane: usize) {
        output.par_chunks_exact_mut(plane).enumerate().for_each(|(m, channel)| {
            let bias = self.bias[m];
            match &self.alpha {
                Some(alpha) => channel.iter_mut().for_each(|v| {
                    let x = *v + bias;
                    *v = if x >= 0.0 { x } else { alpha[m] * x };
                }),
                None => channel.iter_mut().for_each(|v| *v += bias),
            }
        });
    }
}

/// A raw output pointer that tiles share; each tile writes only its own columns.
#[derive(Clone, Copy)]
struct SendPtr(*mut f32);
// SAFETY: see `DenseConv::forward`: concurrent writers touch disjoint elements.
unsafe impl Send for SendPtr {}
unsafe impl Sync for SendPtr {}

impl SendPtr {
    fn get(self) -> *mut f32 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::PReluConfig;
    use burn::nn::conv::Conv2dConfig;
    use burn::tensor::{Distribution, Tensor};

    #[test]
    fn equals_burn_conv_and_prelu() {
        let device = facenet_kernels::device::default_device();
        for (cin, cout, k, h, w) in [(3, 10, 3, 21, 17), (16, 32, 3, 9, 30), (32, 6, 1, 5, 4)] {
            let conv = Conv2dConfig::new([cin, cout], [k, k]).init(&device);
            let mut prelu = PReluConfig::new().with_num_parameters(cout).init(&device);
            prelu.alpha =
                burn::module::Param::from_tensor(Tensor::random([cout], Distribution::Uniform(0.0, 0.5), &device));
            let x = Tensor::<4>::random([1, cin, h, w], Distribution::Normal(0.0, 1.0), &device);
            let want = values(prelu.forward(conv.forward(x.clone())));
            let (got, oh, ow) = DenseConv::new(&conv, Some(&prelu)).forward(&values(x), h, w);
            assert_eq!((oh, ow), (h + 1 - k, w + 1 - k));
            let worst = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            assert!(worst < 1e-4, "{cin}→{cout} k{k}: max difference {worst}");
        }
    }
}
