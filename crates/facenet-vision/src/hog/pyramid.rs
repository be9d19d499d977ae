//! dlib's image pyramids as its HOG detector uses them: `pyramid_down<6>` (each level 5/6 of the one
//! before, dlib `image_transforms/image_pyramid.h`), the 2× upsampling of `pyramid_up(img, pyramid_down<2>)`
//! that `fhog_object_detector.run(img, upsample)` applies first, and the maps of points and boxes between
//! levels. Both resamplings are dlib's bilinear `resize_image` for RGB images (dlib
//! `image_transforms/interpolation.h`), reproduced to the bit: columns in groups of four with `f32`
//! coordinates stepped by `4 × scale` and `f32` weights, truncated to `u8`; the last columns, where the
//! group would read past the edge, in `f64`.

use facenet_core::multiversion;
use image::RgbImage;
use rayon::prelude::*;

/// `pyramid_down<6>`: the next level is `⌊5·rows/6⌋ × ⌊5·cols/6⌋`.
pub fn pyramid_down6(image: &RgbImage) -> RgbImage {
    let (w, h) = image.dimensions();
    resize_bilinear(image, 5 * w / 6, 5 * h / 6)
}

/// `pyramid_up(img, pyramid_down<2>)`: the output is `(2·cols + 2) × (2·rows + 1)`, the size of the
/// image's rectangle mapped up by [`point_up2`] and rounded.
pub fn pyramid_up2(image: &RgbImage) -> RgbImage {
    let (w, h) = image.dimensions();
    if w == 0 || h == 0 {
        return RgbImage::new(0, 0);
    }
    resize_bilinear(image, 2 * w + 2, 2 * h + 1)
}

/// A point of the level below mapped one `pyramid_down<6>` level up (towards the original image).
pub fn point_up6([x, y]: [f64; 2]) -> [f64; 2] {
    let ratio = 6.0 / 5.0;
    [x * ratio + 0.3, y * ratio + 0.3]
}

/// A point of the original image mapped one `pyramid_down<6>` level down.
pub fn point_down6([x, y]: [f64; 2]) -> [f64; 2] {
    let ratio = 5.0 / 6.0;
    [(x - 0.3) * ratio, (y - 0.3) * ratio]
}

/// A point of the 2× upsampled image mapped back to the original (`pyramid_down<2>::point_down`).
pub fn point_down2([x, y]: [f64; 2]) -> [f64; 2] {
    [x / 2.0 - 1.25, y / 2.0 - 0.75]
}

/// dlib's `lround`: halves away from zero.
pub fn round_half_away(v: f64) -> i64 {
    v.round() as i64
}

/// Where an output column reads its input and with which weight: in dlib's groups of four (`f32`
/// coordinates) or in its `f64` tail, where the right neighbour is clamped to the edge.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Column {
    Grouped { left: usize, lr: f32 },
    Tail { left: usize, right: usize, lr: f64 },
}

/// The columns of dlib's bilinear resize from `in_w` to `out_w` (the same for every row).
pub(crate) fn columns(in_w: i64, out_w: u32, x_scale: f64) -> Vec<Column> {
    let mut out = Vec::with_capacity(out_w as usize);
    let step = (4.0 * x_scale) as f32;
    let x0 = -4.0 * x_scale;
    let mut lanes = [0.0, 1.0, 2.0, 3.0].map(|k| (x0 + k * x_scale) as f32);
    loop {
        lanes = lanes.map(|l| l + step);
        let lefts = lanes.map(|l| l as i32 as i64);
        if lefts[3] + 1 >= in_w {
            break;
        }
        for (&lane, &left) in lanes.iter().zip(&lefts) {
            out.push(Column::Grouped {
                left: left as usize,
                lr: lane - left as f32,
            });
        }
    }
    let mut x = -x_scale + out.len() as f64 * x_scale;
    while out.len() < out_w as usize {
        x += x_scale;
        let left = x.floor() as i64;
        out.push(Column::Tail {
            left: left as usize,
            right: (left + 1).min(in_w - 1) as usize,
            lr: x - left as f64,
        });
    }
    out
}

/// An RGB image with each pixel packed in one `u32` (`r | g << 8 | b << 16`), so that the resampling loop
/// loads a pixel's three channels at once and the compiler can gather sixteen pixels in one instruction.
fn pack_pixels(rgb: &[u8]) -> Vec<u32> {
    rgb.chunks_exact(3)
        .map(|p| u32::from(p[0]) | u32::from(p[1]) << 8 | u32::from(p[2]) << 16)
        .collect()
}

/// Channel `ch` of a packed pixel, as `f32`.
#[inline(always)]
fn channel(pixel: u32, ch: u32) -> f32 {
    ((pixel >> (8 * ch)) & 0xff) as f32
}

/// One input row's pixels at each grouped column's left and right neighbour, in column order, so that
/// the blend reads them contiguously; `row` is the input row it holds (`-1`: none yet).
#[derive(Debug, Clone)]
struct Neighbours {
    row: i64,
    left: Vec<u32>,
    right: Vec<u32>,
}

impl Neighbours {
    fn new(columns: usize) -> Self {
        Self {
            row: -1,
            left: vec![0; columns],
            right: vec![0; columns],
        }
    }

    /// Holds input row `row` (pixels `pixels`) unless it already does.
    fn load(&mut self, row: i64, pixels: &[u32], lefts: &[u32]) {
        if self.row == row {
            return;
        }
        self.row = row;
        for ((l, r), &left) in self.left.iter_mut().zip(&mut self.right).zip(lefts) {
            (*l, *r) = (pixels[left as usize], pixels[left as usize + 1]);
        }
    }
}

/// One output row's grouped columns (dlib's `f32` groups of four) from the neighbours in the upper and
/// lower input rows, per column its weight `lr`, and the vertical weights `tb = [tb, 1 − tb]`. Each
/// channel is `w₀·ul + w₁·ur + w₂·ll + w₃·lr` in `f32`, summed left to right and truncated, as dlib does.
#[inline(always)]
fn blend_row_generic(upper: &Neighbours, lower: &Neighbours, lrs: &[f32], tb: [f32; 2], out: &mut [u32]) {
    let [tb, inv_tb] = tb;
    let uppers = upper.left.iter().zip(&upper.right);
    let lowers = lower.left.iter().zip(&lower.right);
    for (((o, &lr), (&ul, &ur)), (&ll, &lr_)) in out.iter_mut().zip(lrs).zip(uppers).zip(lowers) {
        let inv_lr = 1.0 - lr;
        let w = [inv_tb * inv_lr, inv_tb * lr, tb * inv_lr, tb * lr];
        let mut packed = 0u32;
        for ch in 0..3 {
            let v = w[0] * channel(ul, ch) + w[1] * channel(ur, ch) + w[2] * channel(ll, ch) + w[3] * channel(lr_, ch);
            packed |= truncated_byte(v) << (8 * ch);
        }
        *o = packed;
    }
}

/// `v as i32 as u8` for `0 ≤ v < 2²³` (a blend of bytes with weights ≥ 0): `⌊v⌋ + 2²³` is exact and its
/// low mantissa bits are `⌊v⌋`, a form that stays in vector registers.
#[inline(always)]
fn truncated_byte(v: f32) -> u32 {
    (v.floor() + 8_388_608.0).to_bits() & 0xff
}

multiversion! {
    /// [`blend_row_generic`] for the best instruction set of this CPU.
    fn blend_row(upper: &Neighbours, lower: &Neighbours, lrs: &[f32], tb: [f32; 2], out: &mut [u32]) = blend_row_generic;
}

/// Output rows resampled in one task: enough to amortise a task, few enough to share two cores.
const ROWS_PER_TASK: usize = 16;

/// dlib's bilinear `resize_image` of an RGB image to `out_w × out_h`; the rows in parallel.
pub fn resize_bilinear(src: &RgbImage, out_w: u32, out_h: u32) -> RgbImage {
    let (in_w, in_h) = (i64::from(src.width()), i64::from(src.height()));
    if out_w == 0 || out_h == 0 || in_w == 0 || in_h == 0 {
        return RgbImage::new(out_w, out_h);
    }
    let x_scale = (in_w - 1) as f64 / (i64::from(out_w) - 1).max(1) as f64;
    let y_scale = (in_h - 1) as f64 / (i64::from(out_h) - 1).max(1) as f64;
    let columns = columns(in_w, out_w, x_scale);
    let grouped: Vec<(u32, f32)> = columns
        .iter()
        .map_while(|c| match *c {
            Column::Grouped { left, lr } => Some((left as u32, lr)),
            Column::Tail { .. } => None,
        })
        .collect();
    let (lefts, lrs): (Vec<u32>, Vec<f32>) = grouped.into_iter().unzip();
    let tail: Vec<(usize, usize, f64)> = columns[lefts.len()..]
        .iter()
        .filter_map(|c| match *c {
            Column::Tail { left, right, lr } => Some((left, right, lr)),
            Column::Grouped { .. } => None,
        })
        .collect();
    let packed = pack_pixels(src.as_raw());
    let input_row = |r: i64| &packed[r as usize * in_w as usize..][..in_w as usize];
    let out_row_len = out_w as usize * 3;
    let mut out = vec![0u8; out_row_len * out_h as usize];
    out.par_chunks_mut(out_row_len * ROWS_PER_TASK)
        .enumerate()
        .for_each(|(task, rows)| {
            let mut row_pixels = vec![0u32; lefts.len()];
            let (mut upper_n, mut lower_n) = (Neighbours::new(lefts.len()), Neighbours::new(lefts.len()));
            // dlib steps y by y_scale from −y_scale, row by row: the same sum of f64 steps.
            let mut y = -y_scale;
            for _ in 0..task * ROWS_PER_TASK {
                y += y_scale;
            }
            for out_row in rows.chunks_exact_mut(out_row_len) {
                y += y_scale;
                let top = y.floor() as i64;
                let bottom = (top + 1).min(in_h - 1);
                let tb_frac = y - top as f64;
                let (upper, lower) = (input_row(top), input_row(bottom));
                if lower_n.row == top {
                    std::mem::swap(&mut upper_n, &mut lower_n);
                }
                upper_n.load(top, upper, &lefts);
                lower_n.load(bottom, lower, &lefts);
                let tb = [tb_frac as f32, (1.0 - tb_frac) as f32];
                blend_row(&upper_n, &lower_n, &lrs, tb, &mut row_pixels);
                let (grouped_out, tail_out) = out_row.split_at_mut(lefts.len() * 3);
                for (pixel, &p) in grouped_out.chunks_exact_mut(3).zip(&row_pixels) {
                    pixel.copy_from_slice(&p.to_le_bytes()[..3]);
                }
                for (pixel, &(left, right, lr)) in tail_out.chunks_exact_mut(3).zip(&tail) {
                    for (ch, v) in pixel.iter_mut().enumerate() {
                        let at = |p: u32| f64::from(channel(p, ch as u32));
                        let value = (1.0 - tb_frac) * ((1.0 - lr) * at(upper[left]) + lr * at(upper[right]))
                            + tb_frac * ((1.0 - lr) * at(lower[left]) + lr * at(lower[right]));
                        *v = value as u8;
                    }
                }
            }
        });
    RgbImage::from_raw(out_w, out_h, out).expect("the buffer holds out_w × out_h pixels")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_dlib() {
        let img = RgbImage::new(12, 10);
        assert_eq!(pyramid_down6(&img).dimensions(), (10, 8));
        assert_eq!(pyramid_up2(&img).dimensions(), (26, 21));
    }

    #[test]
    fn a_flat_image_stays_flat_up_to_dlibs_truncation() {
        // dlib's f32 weights can sum to just under 1 and it truncates: a level may be lost, never more.
        let img = RgbImage::from_pixel(37, 23, image::Rgb([200, 10, 77]));
        for scaled in [pyramid_down6(&img), pyramid_up2(&img)] {
            for p in scaled.pixels() {
                for (v, want) in p.0.iter().zip([200u8, 10, 77]) {
                    assert!(*v == want || *v + 1 == want, "{:?}", p.0);
                }
            }
        }
    }

    #[test]
    fn point_maps_invert_each_other() {
        let p = [123.0, 45.5];
        let back = point_up6(point_down6(p));
        assert!((back[0] - p[0]).abs() < 1e-12 && (back[1] - p[1]).abs() < 1e-12);
        assert_eq!(point_down2([10.0, 10.0]), [3.75, 4.25]);
        assert_eq!(round_half_away(-0.5), -1);
        assert_eq!(round_half_away(2.5), 3);
    }
}
