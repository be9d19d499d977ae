//! Felzenszwalb's HOG features (Felzenszwalb, Girshick, McAllester, Ramanan, "Object Detection with
//! Discriminatively Trained Part Based Models", PAMI 2010), as dlib's `extract_fhog_features` computes them
//! for an RGB image (dlib `image_transforms/fhog.h`): per pixel the gradient of the colour channel with the
//! largest magnitude, binned into 18 signed orientations and spread bilinearly over 8×8 cells; per cell 31
//! planes: 18 signed and 9 unsigned orientations, each normalised by its four 2×2-cell blocks and clipped
//! at 0.2, and 4 texture (block energy) features. The planes are padded with zeros so that a filter of
//! `filter_rows × filter_cols` cells can be centred on every cell. `f32` throughout, in dlib's order of
//! operations.

use facenet_core::multiversion;
use image::RgbImage;

/// The number of feature planes per cell.
pub const NUM_PLANES: usize = 31;

/// dlib's nine orientation directions, as `f32`.
const DIRECTIONS: [[f32; 2]; 9] = [
    [1.0000, 0.0000],
    [0.9397, 0.3420],
    [0.7660, 0.6428],
    [0.500, 0.8660],
    [0.1736, 0.9848],
    [-0.1736, 0.9848],
    [-0.5000, 0.8660],
    [-0.7660, 0.6428],
    [-0.9397, 0.3420],
];

/// 31 feature planes of `rows × cols` cells, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Fhog {
    pub rows: usize,
    pub cols: usize,
    pub planes: Vec<Vec<f32>>,
}

impl Fhog {
    fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            planes: vec![vec![0.0; rows * cols]; NUM_PLANES],
        }
    }
}

/// The image as three planes of `width × height` bytes (red, green, blue), so that the gradient loops
/// read each channel contiguously.
#[inline(always)]
fn planes_generic(rgb: &[u8], red: &mut [u8], green: &mut [u8], blue: &mut [u8]) {
    for (((pixel, r), g), b) in rgb
        .chunks_exact(3)
        .zip(red.iter_mut())
        .zip(green.iter_mut())
        .zip(blue.iter_mut())
    {
        (*r, *g, *b) = (pixel[0], pixel[1], pixel[2]);
    }
}

multiversion! {
    /// [`planes_generic`] for the best instruction set of this CPU.
    fn split_planes(rgb: &[u8], red: &mut [u8], green: &mut [u8], blue: &mut [u8]) = planes_generic;
}

/// The columns of the row loop, pixel `x` (`1 ≤ x < 1 + n`) at index `x − 1`: the offset of the
/// histogram of the cell to its left in a row of histograms (the border cell included, 18 bins a cell), its
/// bilinear weights as dlib computes them, and where dlib's blocks of eight end and its scalar loop begins.
#[derive(Debug)]
struct Columns {
    offsets: Vec<u32>,
    vx0: Vec<f32>,
    vx1: Vec<f32>,
    split: usize,
}

/// One row's buffers, pixel `x` (`1 ≤ x < 1 + n`) at index `x − 1`: per channel the central differences,
/// the chosen gradient as `f32`, then each pixel's vote: the offset of its bin in the upper-left cell's
/// row of histograms and the four bilinear weights (upper left, lower left, upper right, lower right).
#[derive(Debug)]
struct RowScratch {
    gx: [Vec<i32>; 3],
    gy: [Vec<i32>; 3],
    dx: Vec<f32>,
    dy: Vec<f32>,
    len: Vec<f32>,
    bins: Vec<u32>,
    weights: [Vec<f32>; 4],
}

impl RowScratch {
    fn new(n: usize) -> Self {
        Self {
            gx: std::array::from_fn(|_| vec![0; n]),
            gy: std::array::from_fn(|_| vec![0; n]),
            dx: vec![0.0; n],
            dy: vec![0.0; n],
            len: vec![0.0; n],
            bins: vec![0; n],
            weights: std::array::from_fn(|_| vec![0.0; n]),
        }
    }
}

/// The central differences of one channel plane along row `y` (`width` pixels a row).
#[inline(always)]
fn channel_differences(plane: &[u8], width: usize, y: usize, gx: &mut [i32], gy: &mut [i32]) {
    let n = gx.len();
    let row = &plane[y * width..];
    let horizontal = row[..n].iter().zip(&row[2..2 + n]);
    let vertical = plane[(y - 1) * width + 1..][..n]
        .iter()
        .zip(&plane[(y + 1) * width + 1..][..n]);
    for ((gx, gy), ((&left, &right), (&up, &down))) in gx.iter_mut().zip(gy.iter_mut()).zip(horizontal.zip(vertical)) {
        *gx = i32::from(right) - i32::from(left);
        *gy = i32::from(down) - i32::from(up);
    }
}

/// Per pixel from `start` on, the gradient of the channel with the largest magnitude. dlib's SIMD loop
/// breaks ties towards green, then blue (`RED_WINS_TIES = false`); its scalar loop for the last columns
/// keeps the first of red, green, blue (`true`).
#[inline(always)]
fn strongest_channel<const RED_WINS_TIES: bool>(s: &mut RowScratch, start: usize) {
    let [rx, gx, bx] = &s.gx;
    let [ry, gy, by] = &s.gy;
    let red = rx[start..].iter().zip(&ry[start..]);
    let green = gx[start..].iter().zip(&gy[start..]);
    let blue = bx[start..].iter().zip(&by[start..]);
    let outputs = s.dx[start..]
        .iter_mut()
        .zip(&mut s.dy[start..])
        .zip(&mut s.len[start..]);
    for ((((&rx, &ry), (&gx, &gy)), (&bx, &by)), ((dx, dy), len)) in red.zip(green).zip(blue).zip(outputs) {
        let (rl, gl, bl) = (rx * rx + ry * ry, gx * gx + gy * gy, bx * bx + by * by);
        let (x, y, l) = if RED_WINS_TIES {
            let (x, y, l) = if gl > rl { (gx, gy, gl) } else { (rx, ry, rl) };
            if bl > l { (bx, by, bl) } else { (x, y, l) }
        } else {
            let (x, y, l) = if rl > gl { (rx, ry, rl) } else { (gx, gy, gl) };
            if l > bl { (x, y, l) } else { (bx, by, bl) }
        };
        (*dx, *dy, *len) = (x as f32, y as f32, l as f32);
    }
}

/// The orientation bin (0…17) of a gradient: the direction with the largest dot product, either sign
/// (dlib's vectorised form of the search, without branches).
#[inline(always)]
fn orientation(dx: f32, dy: f32) -> usize {
    let mut best_dot = 0.0f32;
    let mut best = 0;
    for (o, d) in DIRECTIONS.iter().enumerate() {
        let dot = dx * d[0] + dy * d[1];
        let positive = dot > best_dot;
        best_dot = if positive { dot } else { best_dot };
        best = if positive { o } else { best };
        let negative = -dot > best_dot;
        best_dot = if negative { -dot } else { best_dot };
        best = if negative { o + 9 } else { best };
    }
    best
}

/// Each pixel's vote from `start` to `end`: its bin's offset and `vy`-`vx` weighted magnitude. dlib's
/// SIMD loop multiplies `vy·(vx·v)` (`SIMD_ORDER`), its scalar loop `(vy·vx)·v`.
#[inline(always)]
fn votes<const SIMD_ORDER: bool>(
    s: &mut RowScratch,
    columns: &Columns,
    [vy0, vy1]: [f32; 2],
    range: std::ops::Range<usize>,
) {
    let gradients = s.dx[range.clone()]
        .iter()
        .zip(&s.dy[range.clone()])
        .zip(&s.len[range.clone()]);
    let cells = columns.offsets[range.clone()]
        .iter()
        .zip(&columns.vx0[range.clone()])
        .zip(&columns.vx1[range.clone()]);
    let [w0, w1, w2, w3] = &mut s.weights;
    let weights = w0[range.clone()]
        .iter_mut()
        .zip(&mut w1[range.clone()])
        .zip(&mut w2[range.clone()])
        .zip(&mut w3[range.clone()]);
    for ((((&dx, &dy), &len), ((&offset, &vx0), &vx1)), (bin, (((w0, w1), w2), w3))) in
        gradients.zip(cells).zip(s.bins[range].iter_mut().zip(weights))
    {
        let v = len.sqrt();
        *bin = offset + orientation(dx, dy) as u32;
        (*w0, *w1, *w2, *w3) = if SIMD_ORDER {
            (vy1 * (vx1 * v), vy0 * (vx1 * v), vy1 * (vx0 * v), vy0 * (vx0 * v))
        } else {
            (vy1 * vx1 * v, vy0 * vx1 * v, vy1 * vx0 * v, vy0 * vx0 * v)
        };
    }
}

/// Row `y`'s votes into `s.bins` and `s.weights`: the gradients, then dlib's SIMD rules (ties, order of
/// the weights) for the pixels before `columns.split`, its scalar ones after. `vy = [vy0, vy1]`.
#[inline(always)]
fn row_votes_generic(
    planes: &[Vec<u8>; 3],
    width: usize,
    y: usize,
    vy: [f32; 2],
    columns: &Columns,
    s: &mut RowScratch,
) {
    for ((plane, gx), gy) in planes.iter().zip(&mut s.gx).zip(&mut s.gy) {
        channel_differences(plane, width, y, gx, gy);
    }
    let (split, n) = (columns.split, s.dx.len());
    strongest_channel::<false>(s, 0);
    strongest_channel::<true>(s, split);
    votes::<true>(s, columns, vy, 0..split);
    votes::<false>(s, columns, vy, split..n);
}

multiversion! {
    /// [`row_votes_generic`] for the best instruction set of this CPU.
    fn row_votes(planes: &[Vec<u8>; 3], width: usize, y: usize, vy: [f32; 2], columns: &Columns, s: &mut RowScratch) = row_votes_generic;
}

/// The per-cell orientation histograms, with a border of one cell: `(cells_rows + 2) × (cells_cols + 2)`
/// histograms of 18 bins, row-major, flat.
fn cell_histograms(image: &RgbImage, cell: usize, cells_rows: usize, cells_cols: usize) -> Vec<f32> {
    let hist_row = (cells_cols + 2) * 18;
    let mut hist = vec![0.0f32; (cells_rows + 2) * hist_row];
    let visible_rows = (cells_rows * cell).min(image.height() as usize) as i64 - 1;
    let visible_cols = (cells_cols * cell).min(image.width() as usize) as i64 - 1;
    if visible_rows < 2 || visible_cols < 2 {
        return hist;
    }
    // dlib handles columns in blocks of eight (x = 1, 9, …, while x < visible_cols − 7) and the rest one at
    // a time; the two orders of multiplying the weights round differently.
    let blocks = if visible_cols - 7 > 1 {
        (visible_cols - 7 - 1 + 7) / 8
    } else {
        0
    };
    let block_end = (1 + 8 * blocks) as usize;
    let mut columns = Columns {
        offsets: Vec::new(),
        vx0: Vec::new(),
        vx1: Vec::new(),
        split: (block_end - 1).min(visible_cols as usize - 1),
    };
    for x in 1..visible_cols as usize {
        let xp = ((x as f64 + 0.5) / cell as f64 - 0.5) as f32;
        let ixp = xp.floor() as i64;
        let vx0 = xp - ixp as f32;
        columns.offsets.push(((ixp + 1) * 18) as u32);
        columns.vx0.push(vx0);
        columns.vx1.push((1.0 - f64::from(vx0)) as f32);
    }
    let pixels = image.as_raw().as_slice();
    let width = image.width() as usize;
    let mut planes: [Vec<u8>; 3] = std::array::from_fn(|_| vec![0; pixels.len() / 3]);
    let [red, green, blue] = &mut planes;
    split_planes(pixels, red, green, blue);
    let mut scratch = RowScratch::new(columns.offsets.len());
    for y in 1..visible_rows as usize {
        let yp = ((y as f64 + 0.5) / cell as f32 as f64 - 0.5) as f32;
        let iyp = yp.floor() as i64;
        let vy0 = yp - iyp as f32;
        let vy1 = (1.0 - f64::from(vy0)) as f32;
        row_votes(&planes, width, y, [vy0, vy1], &columns, &mut scratch);
        let (upper, lower) = hist[(iyp + 1) as usize * hist_row..].split_at_mut(hist_row);
        let [w0, w1, w2, w3] = &scratch.weights;
        let weights = w0.iter().zip(w1).zip(w2).zip(w3);
        // One pixel after the other, as dlib adds them: the sums of each bin round in dlib's order.
        for (&bin, (((&w0, &w1), &w2), &w3)) in scratch.bins.iter().zip(weights) {
            let bin = bin as usize;
            upper[bin] += w0;
            lower[bin] += w1;
            upper[bin + 18] += w2;
            lower[bin + 18] += w3;
        }
    }
    hist
}

/// The sum of four lanes as SSE's two horizontal adds do it.
fn lane_sum(v: [f32; 4]) -> f32 {
    (v[0] + v[1]) + (v[2] + v[3])
}

/// dlib's `extract_fhog_features(img, hog, cell_size, filter_rows_padding, filter_cols_padding)`.
pub fn extract_fhog(image: &RgbImage, cell: usize, filter_rows: usize, filter_cols: usize) -> Fhog {
    let cells_rows = (image.height() as f32 / cell as f32 + 0.5) as usize;
    let cells_cols = (image.width() as f32 / cell as f32 + 0.5) as usize;
    let hog_rows = cells_rows.saturating_sub(2);
    let hog_cols = cells_cols.saturating_sub(2);
    if hog_rows == 0 || hog_cols == 0 {
        return Fhog::zeros(0, 0);
    }
    let hist = cell_histograms(image, cell, cells_rows, cells_cols);
    let hist_cols = cells_cols + 2;
    let cell_hist = |r: usize, c: usize| &hist[((r + 1) * hist_cols + c + 1) * 18..][..18];
    let mut norm = vec![0.0f32; cells_rows * cells_cols];
    for r in 0..cells_rows {
        for c in 0..cells_cols {
            let h = cell_hist(r, c);
            for o in 0..9 {
                norm[r * cells_cols + c] += (h[o] + h[o + 9]) * (h[o] + h[o + 9]);
            }
        }
    }
    let n = |r: usize, c: usize| norm[r * cells_cols + c];
    let mut out = Fhog::zeros(hog_rows + filter_rows - 1, hog_cols + filter_cols - 1);
    let (row_offset, col_offset) = ((filter_rows - 1) / 2, (filter_cols - 1) / 2);
    let eps = 0.0001f32;
    for y in 0..hog_rows {
        for x in 0..hog_cols {
            let z1 = [n(y + 1, x + 1), n(y, x + 1), n(y + 1, x), n(y, x)];
            let z2 = [n(y + 1, x + 2), n(y, x + 2), n(y + 1, x + 1), n(y, x + 1)];
            let z3 = [n(y + 2, x + 1), n(y + 1, x + 1), n(y + 2, x), n(y + 1, x)];
            let z4 = [n(y + 2, x + 2), n(y + 1, x + 2), n(y + 2, x + 1), n(y + 1, x + 1)];
            let nn: [f32; 4] = std::array::from_fn(|k| 0.2f32 * (z1[k] + z2[k] + z3[k] + z4[k] + eps).sqrt());
            let scale = nn.map(|v| 0.1f32 / v);
            let normalised = |h: f32| -> [f32; 4] { std::array::from_fn(|k| h.min(nn[k]) * scale[k]) };
            let h = cell_hist(y + 1, x + 1);
            let at = (y + row_offset) * out.cols + x + col_offset;
            let mut texture = [0.0f32; 4];
            for o in (0..18).step_by(3) {
                let parts = [normalised(h[o]), normalised(h[o + 1]), normalised(h[o + 2])];
                for (i, part) in parts.iter().enumerate() {
                    out.planes[o + i][at] = lane_sum(*part);
                }
                for k in 0..4 {
                    texture[k] += (parts[0][k] + parts[1][k]) + parts[2][k];
                }
            }
            for o in 0..9 {
                out.planes[18 + o][at] = lane_sum(normalised(h[o] + h[o + 9]));
            }
            for (k, t) in texture.iter().enumerate() {
                out.planes[27 + k][at] = t * (2.0 * 0.2357) as f32;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_padding_follow_dlib() {
        let img = RgbImage::from_fn(80, 64, |x, y| {
            image::Rgb([(x * 3) as u8, (y * 2) as u8, ((x + y) % 256) as u8])
        });
        let f = extract_fhog(&img, 8, 10, 10);
        // 10×8 cells, 8×6 after the border, plus 9 of padding.
        assert_eq!((f.rows, f.cols), (6 + 9, 8 + 9));
        assert_eq!(f.planes.len(), NUM_PLANES);
        // The padding is zero; the interior is not.
        assert!(f.planes.iter().all(|p| p[0] == 0.0));
        assert!(f.planes.iter().any(|p| p[4 * f.cols + 4] != 0.0));
    }

    #[test]
    fn a_flat_image_has_no_oriented_energy() {
        let img = RgbImage::from_pixel(64, 64, image::Rgb([90, 90, 90]));
        let f = extract_fhog(&img, 8, 1, 1);
        assert!(f.planes.iter().all(|p| p.iter().all(|&v| v == 0.0)));
    }

    #[test]
    fn orientation_bins_signed_directions() {
        assert_eq!(orientation(1.0, 0.0), 0);
        assert_eq!(orientation(-1.0, 0.0), 9);
        assert_eq!(orientation(0.0, 1.0), 4);
        assert_eq!(orientation(0.0, 0.0), 0);
    }

    #[test]
    fn tiny_images_give_no_cells() {
        let f = extract_fhog(&RgbImage::new(12, 12), 8, 10, 10);
        assert_eq!((f.rows, f.cols), (0, 0));
    }
}
