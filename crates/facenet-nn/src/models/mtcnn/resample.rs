//! Area resampling of image regions, as facenet-pytorch's `imresample` does it
//! (`torch.nn.functional.interpolate(mode="area")`, i.e. adaptive average pooling): output cell `i` of
//! `n` over an input span of `m` pixels averages input pixels `⌊i·m/n⌋ .. ⌈(i+1)·m/n⌉`.
//!
//! Window sums come from a summed-area table of the 8-bit image, so each output pixel costs four
//! lookups whatever the scale. The sums are exact integers, as PyTorch's f32 sums of 8-bit values are
//! (below 2²⁴), and the average is taken as PyTorch takes it (`sum / kh / kw` in f32), so the resampled
//! pixels are bit-identical to the reference's.

use facenet_vision::RgbImage;
use rayon::prelude::*;

/// Summed-area table of an RGB image: `sums[(y·(w+1) + x)·3 + c]` is the sum of channel `c` over
/// rows `0..y` and columns `0..x`, in wrapping `u32` arithmetic (window sums stay exact while the true
/// window sum fits in 32 bits).
pub struct IntegralImage {
    width: usize,
    height: usize,
    sums: Vec<u32>,
}

/// A pixel rectangle: rows `y0..y1`, columns `x0..x1` (non-empty, inside the image).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
}

impl IntegralImage {
    pub fn new(image: &RgbImage) -> Self {
        let (width, height) = (image.width() as usize, image.height() as usize);
        let stride = (width + 1) * 3;
        let mut sums = vec![0u32; stride * (height + 1)];
        let pixels = image.as_raw();
        for y in 0..height {
            let mut row_sum = [0u32; 3];
            let (above, below) = sums.split_at_mut((y + 1) * stride);
            let above = &above[y * stride..];
            let current = &mut below[..stride];
            for x in 0..width {
                for c in 0..3 {
                    row_sum[c] = row_sum[c].wrapping_add(pixels[(y * width + x) * 3 + c] as u32);
                    let i = (x + 1) * 3 + c;
                    current[i] = above[i].wrapping_add(row_sum[c]);
                }
            }
        }
        Self { width, height, sums }
    }

    pub fn width(&self) -> usize {
        self.width
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// The whole image as a region.
    pub fn full(&self) -> Region {
        Region {
            x0: 0,
            y0: 0,
            x1: self.width,
            y1: self.height,
        }
    }

    /// Area-resamples `region` to `out_h × out_w` and normalises as MTCNN expects,
    /// `(v − 127.5) · 0.0078125`, into `out`, planar `[3, out_h, out_w]`.
    pub fn resample_normalized(&self, region: Region, out_h: usize, out_w: usize, out: &mut [f32]) {
        debug_assert_eq!(out.len(), 3 * out_h * out_w);
        let cols = spans(region.x0, region.x1 - region.x0, out_w);
        let rows = spans(region.y0, region.y1 - region.y0, out_h);
        let stride = (self.width + 1) * 3;
        let plane = out_h * out_w;
        let (red, rest) = out.split_at_mut(plane);
        let (green, blue) = rest.split_at_mut(plane);
        let fill_row = |i: usize, r: &mut [f32], g: &mut [f32], b: &mut [f32]| {
            let (top, bottom) = rows[i];
            let kh = (bottom - top) as f32;
            for (j, &(left, right)) in cols.iter().enumerate() {
                let kw = (right - left) as f32;
                for (c, plane) in [&mut *r, &mut *g, &mut *b].into_iter().enumerate() {
                    let at = |y: usize, x: usize| self.sums[y * stride + x * 3 + c];
                    let sum = at(bottom, right)
                        .wrapping_sub(at(top, right))
                        .wrapping_sub(at(bottom, left))
                        .wrapping_add(at(top, left));
                    plane[j] = (sum as f32 / kh / kw - 127.5) * 0.0078125;
                }
            }
        };
        red.par_chunks_mut(out_w)
            .zip(green.par_chunks_mut(out_w))
            .zip(blue.par_chunks_mut(out_w))
            .enumerate()
            .for_each(|(i, ((r, g), b))| fill_row(i, r, g, b));
    }
}

/// For each of `n` output cells over `m` input pixels starting at `start`: the input span
/// `start + ⌊i·m/n⌋ .. start + ⌈(i+1)·m/n⌉`.
fn spans(start: usize, m: usize, n: usize) -> Vec<(usize, usize)> {
    (0..n)
        .map(|i| (start + i * m / n, start + ((i + 1) * m).div_ceil(n)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference: adaptive average pooling summed pixel by pixel.
    fn naive(image: &RgbImage, region: Region, out_h: usize, out_w: usize) -> Vec<f32> {
        let mut out = vec![0.0; 3 * out_h * out_w];
        let rows = spans(region.y0, region.y1 - region.y0, out_h);
        let cols = spans(region.x0, region.x1 - region.x0, out_w);
        for c in 0..3 {
            for (i, &(t, b)) in rows.iter().enumerate() {
                for (j, &(l, r)) in cols.iter().enumerate() {
                    let mut sum = 0.0f32;
                    for y in t..b {
                        for x in l..r {
                            sum += image.get_pixel(x as u32, y as u32).0[c] as f32;
                        }
                    }
                    out[(c * out_h + i) * out_w + j] = (sum / (b - t) as f32 / (r - l) as f32 - 127.5) * 0.0078125;
                }
            }
        }
        out
    }

    #[test]
    fn matches_naive_area_pooling_down_and_up() {
        let image = RgbImage::from_fn(37, 23, |x, y| {
            image::Rgb([(x * 7 + y * 3) as u8, (x * y) as u8, (255 - x - y) as u8])
        });
        let integral = IntegralImage::new(&image);
        let crop = Region {
            x0: 5,
            y0: 2,
            x1: 20,
            y1: 11,
        };
        for (region, h, w) in [
            (integral.full(), 10, 16),
            (integral.full(), 23, 37),
            (crop, 24, 24),
            (crop, 4, 7),
        ] {
            let mut out = vec![0.0; 3 * h * w];
            integral.resample_normalized(region, h, w, &mut out);
            assert_eq!(out, naive(&image, region, h, w), "{region:?} → {h}×{w}");
        }
    }

    #[test]
    fn spans_follow_adaptive_pooling() {
        assert_eq!(spans(0, 5, 3), vec![(0, 2), (1, 4), (3, 5)]);
        assert_eq!(spans(10, 2, 4), vec![(10, 11), (10, 11), (11, 12), (11, 12)]);
    }
}
