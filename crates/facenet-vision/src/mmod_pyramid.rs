//! The input of dlib's MMOD CNN face detector: `input_rgb_image_pyramid<pyramid_down<6>>` (dlib
//! `dnn/input.h`), which lays every `pyramid_down<6>` level of the photo side by side in one zero-padded
//! tiled image (`impl::compute_tiled_image_pyramid_details`, dlib `image_transforms/image_pyramid.h`), and
//! `tiled_pyramid_to_image`, which maps a box found in that tiled image back to the photo.
//!
//! Layout: the levels (each `⌊5/6⌋` of the one before, down to 5 rows) go down a first column, the
//! original image at the top, until the rest fits beside them; those climb a second column from the
//! bottom right, and a level that would touch the original image is dropped. `padding` pixels between
//! levels and `outer_padding` around the whole. Values are `(v − mean) / 256` per channel, zero
//! elsewhere; each level is the bilinear resize of the *float* level above it, as dlib's
//! `tt::resize_bilinear` does it: `resize_image` on grayscale `float` planes, reproduced to the bit
//! (columns in groups of four with `f32` coordinates and weights, the last columns in `f64`).

use crate::hog::pyramid::{Column, columns, point_up6};
use image::RgbImage;

/// dlib's default `pyramid_padding` (between levels) of `input_rgb_image_pyramid`.
pub const DEFAULT_PADDING: usize = 10;
/// dlib's default `pyramid_outer_padding` (around the tiled image).
pub const DEFAULT_OUTER_PADDING: usize = 11;
/// dlib stops the pyramid before a level of fewer rows.
const MIN_LEVEL_ROWS: i64 = 5;

/// One level's place in the tiled image (dlib's inclusive integer rectangle, as left/top/size).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tile {
    pub left: i64,
    pub top: i64,
    pub width: i64,
    pub height: i64,
}

impl Tile {
    fn right(&self) -> i64 {
        self.left + self.width - 1
    }

    fn bottom(&self) -> i64 {
        self.top + self.height - 1
    }

    fn intersects(&self, o: &Tile) -> bool {
        self.left.max(o.left) <= self.right().min(o.right()) && self.top.max(o.top) <= self.bottom().min(o.bottom())
    }

    fn contains(&self, [x, y]: [i64; 2]) -> bool {
        (self.left..=self.right()).contains(&x) && (self.top..=self.bottom()).contains(&y)
    }

    /// dlib's `nearest_point(rect, p) − p`, as a length.
    fn distance(&self, [x, y]: [i64; 2]) -> f64 {
        let dx = x.clamp(self.left, self.right()) - x;
        let dy = y.clamp(self.top, self.bottom()) - y;
        ((dx * dx + dy * dy) as f64).sqrt()
    }
}

/// The tiled pyramid of an image of a given size: where each level lies and the tiled image's size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TiledPyramid {
    /// Level 0 (the image itself) first, each next level `pyramid_down<6>` of the one before.
    pub levels: Vec<Tile>,
    pub width: usize,
    pub height: usize,
}

/// `find_pyramid_down_output_image_size` for `pyramid_down<6>`: `⌊(5/6)·size⌋`, in `f64` as dlib.
fn level_down(size: i64) -> i64 {
    ((6.0 - 1.0) / 6.0 * size as f64).floor() as i64
}

impl TiledPyramid {
    /// dlib's layout for a `cols × rows` image (`compute_tiled_image_pyramid_details`).
    pub fn layout(cols: usize, rows: usize, padding: usize, outer_padding: usize) -> Self {
        let (padding, outer) = (padding as i64, outer_padding as i64);
        let (mut nr, mut nc) = (rows as i64, cols as i64);
        if nr * nc == 0 {
            return Self {
                levels: Vec::new(),
                width: 0,
                height: 0,
            };
        }
        let mut sizes = vec![(nc, nr)];
        loop {
            (nr, nc) = (level_down(nr), level_down(nc));
            if nr * nc == 0 || nr < MIN_LEVEL_ROWS {
                break;
            }
            sizes.push((nc, nr));
        }
        let (first_w, first_h) = sizes[0];
        let total_height = sizes.iter().map(|&(_, h)| h + padding).sum::<i64>() - 2 * padding;
        let mut height = 0;
        let mut prev_width = 0;
        for &(w, h) in &sizes {
            if w <= first_w - prev_width - padding && (height - first_h) * 2 >= total_height - first_h {
                break;
            }
            height += h + padding;
            prev_width = w;
        }
        height -= padding;

        let mut levels = Vec::with_capacity(sizes.len());
        let mut y = outer;
        while y < height + outer && levels.len() < sizes.len() {
            let (w, h) = sizes[levels.len()];
            levels.push(Tile {
                left: outer,
                top: y,
                width: w,
                height: h,
            });
            y += h + padding;
        }
        y -= padding;
        while levels.len() < sizes.len() {
            let (w, h) = sizes[levels.len()];
            let (right, bottom) = (outer + first_w - 1, y - 1);
            let tile = Tile {
                left: right - (w - 1),
                top: bottom - (h - 1),
                width: w,
                height: h,
            };
            if tile.intersects(&levels[0]) {
                break;
            }
            levels.push(tile);
            y -= h + padding;
        }
        Self {
            levels,
            width: (first_w + 2 * outer) as usize,
            height: (height + 2 * outer) as usize,
        }
    }

    /// The tiled image of `image` (which must have the layout's size), channels last: `height × width × 3`
    /// values `(v − mean_rgb) / 256`, zero between levels.
    pub fn build(&self, image: &RgbImage, mean_rgb: [f32; 3]) -> Vec<f32> {
        let plane_len = self.width * self.height;
        let mut planes = vec![vec![0.0f32; plane_len]; 3];
        let Some(first) = self.levels.first() else {
            return Vec::new();
        };
        for (ch, plane) in planes.iter_mut().enumerate() {
            for (y, row) in image.rows().enumerate() {
                let start = (first.top as usize + y) * self.width + first.left as usize;
                for (dst, pixel) in plane[start..].iter_mut().zip(row) {
                    *dst = ((f32::from(pixel[ch]) - mean_rgb[ch]) as f64 / 256.0) as f32;
                }
            }
            for pair in self.levels.windows(2) {
                resize_plane(plane, self.width, pair[0], pair[1]);
            }
        }
        let mut out = vec![0.0f32; plane_len * 3];
        for (i, pixel) in out.chunks_exact_mut(3).enumerate() {
            pixel.copy_from_slice(&[planes[0][i], planes[1][i], planes[2][i]]);
        }
        out
    }

    /// `tiled_pyramid_to_image`: a box `[left, top, right, bottom]` of the tiled image mapped to the
    /// photo through the level nearest its centre.
    pub fn to_image(&self, [l, t, r, b]: [f64; 4]) -> [f64; 4] {
        let center = [round_to_point((l + r) / 2.0), round_to_point((t + b) / 2.0)];
        let level = self.nearest_level(center);
        let tile = self.levels[level];
        let up = |p: [f64; 2]| (0..level).fold(p, |p, _| point_up6(p));
        let tl = up([l - tile.left as f64, t - tile.top as f64]);
        let br = up([r - tile.left as f64, b - tile.top as f64]);
        [tl[0], tl[1], br[0], br[1]]
    }

    /// dlib's `nearest_rect`: the first level holding `p`, else the nearest (the first of equals).
    fn nearest_level(&self, p: [i64; 2]) -> usize {
        let mut best = (0, f64::INFINITY);
        for (i, tile) in self.levels.iter().enumerate() {
            if tile.contains(p) {
                return i;
            }
            let d = tile.distance(p);
            if d < best.1 {
                best = (i, d);
            }
        }
        best.0
    }
}

/// dlib's `dpoint → point` conversion: `⌊v + 0.5⌋`.
fn round_to_point(v: f64) -> i64 {
    (v + 0.5).floor() as i64
}

/// dlib's bilinear `resize_image` of one `float` plane: the region `src` of `plane` into `dst`.
fn resize_plane(plane: &mut [f32], stride: usize, src: Tile, dst: Tile) {
    let (in_w, in_h) = (src.width, src.height);
    let x_scale = (in_w - 1) as f64 / (dst.width - 1).max(1) as f64;
    let y_scale = (in_h - 1) as f64 / (dst.height - 1).max(1) as f64;
    let columns = columns(in_w, dst.width as u32, x_scale);
    let at = |tile: Tile, y: i64| (tile.top + y) as usize * stride + tile.left as usize;
    let mut y = -y_scale;
    for out_y in 0..dst.height {
        y += y_scale;
        let top = y.floor() as i64;
        let bottom = (top + 1).min(in_h - 1);
        let tb_frac = y - top as f64;
        let (tb, inv_tb) = (tb_frac as f32, (1.0 - tb_frac) as f32);
        let (upper, lower) = (at(src, top), at(src, bottom));
        let out = at(dst, out_y);
        for (c, column) in columns.iter().enumerate() {
            let value = match *column {
                Column::Grouped { left, lr } => {
                    let inv_lr = 1.0 - lr;
                    let w = [inv_tb * inv_lr, inv_tb * lr, tb * inv_lr, tb * lr];
                    w[0] * plane[upper + left]
                        + w[1] * plane[upper + left + 1]
                        + w[2] * plane[lower + left]
                        + w[3] * plane[lower + left + 1]
                }
                Column::Tail { left, right, lr } => {
                    let lr = lr as f32;
                    let upper_mix = (1.0 - lr) * plane[upper + left] + lr * plane[upper + right];
                    let lower_mix = (1.0 - lr) * plane[lower + left] + lr * plane[lower + right];
                    ((1.0 - tb_frac) * f64::from(upper_mix) + tb_frac * f64::from(lower_mix)) as f32
                }
            };
            plane[out + c] = value;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_stacks_levels_then_climbs_a_second_column() {
        let p = TiledPyramid::layout(200, 100, DEFAULT_PADDING, DEFAULT_OUTER_PADDING);
        assert_eq!(p.width, 222);
        let first = p.levels[0];
        assert_eq!((first.left, first.top, first.width, first.height), (11, 11, 200, 100));
        // Each level is ⌊5/6⌋ of the one before and lies inside the tiled image without overlapping another.
        for pair in p.levels.windows(2) {
            assert_eq!(pair[1].height, level_down(pair[0].height));
            assert_eq!(pair[1].width, level_down(pair[0].width));
        }
        for (i, a) in p.levels.iter().enumerate() {
            assert!(a.left >= 11 && a.top >= 11);
            assert!(a.right() < p.width as i64 - 11 && a.bottom() < p.height as i64 - 11);
            for b in &p.levels[i + 1..] {
                assert!(!a.intersects(b), "{a:?} {b:?}");
            }
        }
        // Some levels sit in a second column, to the right of the first column's narrower levels.
        assert!(p.levels.iter().any(|t| t.left > 11));
        assert!(p.levels.last().unwrap().height >= MIN_LEVEL_ROWS);
    }

    #[test]
    fn a_flat_image_stays_flat_on_every_level() {
        let img = RgbImage::from_pixel(60, 40, image::Rgb([128, 64, 0]));
        let p = TiledPyramid::layout(60, 40, DEFAULT_PADDING, DEFAULT_OUTER_PADDING);
        let data = p.build(&img, [0.0, 0.0, 0.0]);
        for tile in &p.levels {
            for y in tile.top..=tile.bottom() {
                for x in tile.left..=tile.right() {
                    let px = &data[(y as usize * p.width + x as usize) * 3..][..3];
                    for (v, want) in px.iter().zip([0.5f32, 0.25, 0.0]) {
                        assert!((v - want).abs() < 1e-6, "{px:?} at {x},{y}");
                    }
                }
            }
        }
        assert_eq!(&data[..3], &[0.0, 0.0, 0.0], "the outer padding is zero");
    }

    #[test]
    fn boxes_map_back_through_their_level() {
        let p = TiledPyramid::layout(300, 200, DEFAULT_PADDING, DEFAULT_OUTER_PADDING);
        let first = p.levels[0];
        let shifted = p.to_image([
            first.left as f64 + 10.0,
            first.top as f64 + 20.0,
            50.0 + 11.0,
            70.0 + 11.0,
        ]);
        assert_eq!(shifted, [10.0, 20.0, 50.0, 70.0]);
        let second = p.levels[1];
        let [l, t, ..] = p.to_image([
            second.left as f64,
            second.top as f64,
            second.left as f64 + 9.0,
            second.top as f64 + 9.0,
        ]);
        assert!((l - 0.3).abs() < 1e-12 && (t - 0.3).abs() < 1e-12);
    }
}
