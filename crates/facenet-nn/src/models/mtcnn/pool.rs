//! Max pooling with PyTorch's `ceil_mode=True` (a last, partial window is kept), no padding, on the
//! tensor's data: burn Flex's pooling also computes argmax indices and costs a quarter of MTCNN's time,
//! this loop over contiguous rows costs a few percent. Other devices take burn's pooling.

use burn::tensor::module::max_pool2d;
use burn::tensor::ops::MaxPoolOptions;
use burn::tensor::{Tensor, TensorData};
use facenet_kernels::device::is_flex;
use rayon::prelude::*;

/// `⌈(n − k) / s⌉ + 1` windows (PyTorch drops a last window that would start past the input; with no
/// padding that never happens here).
fn pooled_len(n: usize, kernel: usize, stride: usize) -> usize {
    (n.saturating_sub(kernel)).div_ceil(stride) + 1
}

/// On Flex, a loop over the tensor's data; on other devices (a GPU), burn's pooling with `ceil_mode`, so
/// the activations stay on the device.
///
/// # Shapes
/// `[n, c, h, w]` → `[n, c, ⌈(h − k)/s⌉ + 1, ⌈(w − k)/s⌉ + 1]`.
pub fn max_pool_ceil(x: Tensor<4>, kernel: usize, stride: usize) -> Tensor<4> {
    let device = x.device();
    if !is_flex(&device) {
        let options = MaxPoolOptions::new([kernel, kernel])
            .with_stride([stride, stride])
            .with_ceil_mode(true);
        return max_pool2d(x, options);
    }
    let [n, c, h, w] = x.dims();
    let (oh, ow) = (pooled_len(h, kernel, stride), pooled_len(w, kernel, stride));
    let input: Vec<f32> = x.into_data().try_into_vec().expect("MTCNN activations should be f32");
    let (output, _, _) = max_pool_ceil_planes(&input, h, w, kernel, stride);
    Tensor::from_data(TensorData::new(output, [n, c, oh, ow]), &device)
}

/// The same on planes of `h × w` values laid end to end: returns the pooled planes and their size.
pub fn max_pool_ceil_planes(
    input: &[f32],
    h: usize,
    w: usize,
    kernel: usize,
    stride: usize,
) -> (Vec<f32>, usize, usize) {
    let (oh, ow) = (pooled_len(h, kernel, stride), pooled_len(w, kernel, stride));
    let mut output = vec![0.0f32; input.len() / (h * w) * oh * ow];
    input
        .par_chunks_exact(h * w)
        .zip(output.par_chunks_exact_mut(oh * ow))
        .for_each(|(plane, out)| pool_plane(plane, h, w, kernel, stride, out, ow));
    (output, oh, ow)
}

fn pool_plane(plane: &[f32], h: usize, w: usize, kernel: usize, stride: usize, out: &mut [f32], ow: usize) {
    for (i, out_row) in out.chunks_exact_mut(ow).enumerate() {
        let rows = i * stride..(i * stride + kernel).min(h);
        for (j, value) in out_row.iter_mut().enumerate() {
            let cols = j * stride..(j * stride + kernel).min(w);
            let mut best = f32::NEG_INFINITY;
            for r in rows.clone() {
                for &v in &plane[r * w + cols.start..r * w + cols.end] {
                    best = best.max(v);
                }
            }
            *value = best;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::pool::MaxPool2dConfig;

    #[test]
    fn equals_burns_ceil_mode_pooling() {
        let device = facenet_kernels::device::default_device();
        let x = Tensor::<4>::random([2, 3, 11, 8], burn::tensor::Distribution::Normal(0.0, 1.0), &device);
        for (k, s) in [(2, 2), (3, 2)] {
            let ours: Vec<f32> = max_pool_ceil(x.clone(), k, s).into_data().try_into_vec().unwrap();
            let burn = MaxPool2dConfig::new([k, k])
                .with_strides([s, s])
                .with_ceil_mode(true)
                .init()
                .forward(x.clone());
            assert_eq!(ours, burn.into_data().try_into_vec::<f32>().unwrap(), "k {k} s {s}");
        }
    }
}
