//! Annotating photos with detections: box outlines, landmark dots sized by their face's box (so small
//! faces stay visible), and the score written above each box with a built-in 3×5 pixel digit font (no
//! font file needed), scaled to the photo's size; and [`caption`], a line of ASCII text in the public
//! domain 8×8 bitmap font (the `font8x8` crate's basic Latin), for contact sheets.

use crate::{Detection, Point};
use image::{Rgb, RgbImage};

const BOX: Rgb<u8> = Rgb([0, 255, 0]);
const LANDMARK: Rgb<u8> = Rgb([255, 0, 0]);
const TEXT: Rgb<u8> = Rgb([255, 255, 0]);

/// Draws every detection onto `image`: its box, its landmarks and its score (2 decimals).
pub fn annotate(image: &mut RgbImage, detections: &[Detection]) {
    let unit = (image.width().max(image.height()) / 400).max(1) as i64;
    for d in detections {
        let b = &d.bbox;
        rectangle(image, b.x1 as i64, b.y1 as i64, b.x2 as i64, b.y2 as i64, unit, BOX);
        let radius = landmark_radius(b.width().min(b.height()));
        for p in d.landmarks.iter().flat_map(|l| &l.points) {
            dot(image, *p, radius, LANDMARK);
        }
        let label = format!("{:.2}", d.score);
        let text_top = (b.y1 as i64 - 7 * unit).max(0);
        text(image, &label, b.x1 as i64, text_top, unit, TEXT);
    }
}

/// The half side of a landmark's dot for a face `side` pixels across: 1/50 of it (a 1-pixel dot below
/// 50 px, 4 px around a 200 px face), so the dots never hide a small face's features.
fn landmark_radius(side: f32) -> i64 {
    (side.max(0.0) / 50.0) as i64
}

/// The side of a [`caption`] glyph, in pixels.
pub const CAPTION_GLYPH: u32 = 8;

/// Writes `label` (ASCII; anything else as `?`) with its top-left corner at `(x, y)`, [`CAPTION_GLYPH`]
/// pixels a character, clipped to the image.
pub fn caption(image: &mut RgbImage, label: &str, x: i64, y: i64, colour: Rgb<u8>) {
    for (k, c) in label.chars().enumerate() {
        let code = if c.is_ascii() { c as usize } else { '?' as usize };
        let left = x + (k as u32 * CAPTION_GLYPH) as i64;
        for (row, bits) in font8x8::legacy::BASIC_LEGACY[code].iter().enumerate() {
            for col in 0..8 {
                if bits & (1 << col) != 0 {
                    put(image, left + col, y + row as i64, colour);
                }
            }
        }
    }
}

fn put(image: &mut RgbImage, x: i64, y: i64, colour: Rgb<u8>) {
    if x >= 0 && y >= 0 && x < image.width() as i64 && y < image.height() as i64 {
        image.put_pixel(x as u32, y as u32, colour);
    }
}

fn fill(image: &mut RgbImage, x0: i64, y0: i64, x1: i64, y1: i64, colour: Rgb<u8>) {
    let (x0, x1) = (x0.max(0), x1.min(image.width() as i64));
    let (y0, y1) = (y0.max(0), y1.min(image.height() as i64));
    for y in y0..y1 {
        for x in x0..x1 {
            put(image, x, y, colour);
        }
    }
}

/// The outline of `[x0, x1] × [y0, y1]`, `thickness` pixels wide, inside the box.
fn rectangle(image: &mut RgbImage, x0: i64, y0: i64, x1: i64, y1: i64, thickness: i64, colour: Rgb<u8>) {
    fill(image, x0, y0, x1 + 1, y0 + thickness, colour);
    fill(image, x0, y1 + 1 - thickness, x1 + 1, y1 + 1, colour);
    fill(image, x0, y0, x0 + thickness, y1 + 1, colour);
    fill(image, x1 + 1 - thickness, y0, x1 + 1, y1 + 1, colour);
}

fn dot(image: &mut RgbImage, p: Point, radius: i64, colour: Rgb<u8>) {
    let (cx, cy) = (p.x.round() as i64, p.y.round() as i64);
    fill(
        image,
        cx - radius,
        cy - radius,
        cx + radius + 1,
        cy + radius + 1,
        colour,
    );
}

/// 3×5 glyphs, rows top to bottom, 3 bits per row (leftmost pixel = highest bit).
fn glyph(c: char) -> Option<[u8; 5]> {
    Some(match c {
        '0' => [7, 5, 5, 5, 7],
        '1' => [2, 6, 2, 2, 7],
        '2' => [7, 1, 7, 4, 7],
        '3' => [7, 1, 7, 1, 7],
        '4' => [5, 5, 7, 1, 1],
        '5' => [7, 4, 7, 1, 7],
        '6' => [7, 4, 7, 5, 7],
        '7' => [7, 1, 1, 1, 1],
        '8' => [7, 5, 7, 5, 7],
        '9' => [7, 5, 7, 1, 7],
        '.' => [0, 0, 0, 0, 2],
        _ => return None,
    })
}

/// Writes `label` with its top-left corner at `(x, y)`, each font pixel `unit × unit`.
fn text(image: &mut RgbImage, label: &str, x: i64, y: i64, unit: i64, colour: Rgb<u8>) {
    for (k, rows) in label.chars().filter_map(glyph).enumerate() {
        let left = x + k as i64 * 4 * unit;
        for (row, bits) in rows.iter().enumerate() {
            for col in 0..3 {
                if bits & (4 >> col) != 0 {
                    let (px, py) = (left + col * unit, y + row as i64 * unit);
                    fill(image, px, py, px + unit, py + unit, colour);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BBox, FaceLandmarks, LandmarkScheme};

    #[test]
    fn draws_box_landmarks_and_score_and_clips_at_the_border() {
        let mut image = RgbImage::new(60, 40);
        let detection = Detection {
            bbox: BBox::new(10.0, 12.0, 30.0, 35.0),
            score: 0.98,
            landmarks: Some(FaceLandmarks {
                scheme: LandmarkScheme::Mtcnn5,
                points: vec![Point::new(20.0, 20.0); 5],
            }),
        };
        let outside = Detection {
            bbox: BBox::new(-50.0, -50.0, 500.0, 500.0),
            score: 1.0,
            landmarks: None,
        };
        annotate(&mut image, &[detection, outside]);
        assert_eq!(*image.get_pixel(10, 20), BOX);
        assert_eq!(*image.get_pixel(20, 20), LANDMARK);
        // "0.98" starts with a 0 glyph: its top-left pixel is lit, 7 rows above the box.
        assert_eq!(*image.get_pixel(10, 5), TEXT);
        assert_eq!(*image.get_pixel(59, 39), Rgb([0, 0, 0]));
    }

    #[test]
    fn landmark_dots_grow_with_the_face_not_the_photo() {
        let face = |x: f32, side: f32| Detection {
            bbox: BBox::new(x, 10.0, x + side, 10.0 + side),
            score: 1.0,
            landmarks: Some(FaceLandmarks {
                scheme: LandmarkScheme::Mtcnn5,
                points: vec![Point::new(x + side / 2.0, 10.0 + side / 2.0); 5],
            }),
        };
        let mut image = RgbImage::new(2000, 400);
        annotate(&mut image, &[face(100.0, 30.0), face(500.0, 300.0)]);
        // A 30 px face gets a 1-pixel dot, whatever the photo's size; a 300 px face a 13-pixel square.
        assert_eq!(*image.get_pixel(115, 25), LANDMARK);
        assert_ne!(*image.get_pixel(116, 25), LANDMARK);
        assert_eq!(*image.get_pixel(650 + 6, 160), LANDMARK);
        assert_ne!(*image.get_pixel(650 + 7, 160), LANDMARK);
    }

    #[test]
    fn captions_draw_each_character_from_the_bitmap_font() {
        let white = Rgb([255, 255, 255]);
        let mut image = RgbImage::new(40, 10);
        caption(&mut image, "I1é", 0, 1, white);
        let lit = |x0: u32| {
            (x0..x0 + 8)
                .flat_map(|x| (0..10).map(move |y| (x, y)))
                .filter(|&(x, y)| image.get_pixel(x, y).0[0] == 255)
                .count()
        };
        // 'I' and '1' are drawn and differ; 'é' is drawn as '?'; the rest stays black.
        assert!(lit(0) > 5 && lit(8) > 5);
        let glyph = |code: usize| {
            font8x8::legacy::BASIC_LEGACY[code]
                .iter()
                .map(|b| b.count_ones() as usize)
                .sum::<usize>()
        };
        assert_eq!(
            (lit(0), lit(8), lit(16)),
            (glyph('I' as usize), glyph('1' as usize), glyph('?' as usize))
        );
        assert_eq!(lit(24) + lit(32), 0);
    }
}
