//! Annotating photos with detections: box outlines, landmark dots, and the score written above each box
//! with a built-in 3×5 pixel digit font (no font file needed), scaled to the photo's size.

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
        for p in d.landmarks.iter().flat_map(|l| &l.points) {
            dot(image, *p, unit * 2, LANDMARK);
        }
        let label = format!("{:.2}", d.score);
        let text_top = (b.y1 as i64 - 7 * unit).max(0);
        text(image, &label, b.x1 as i64, text_top, unit, TEXT);
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
}
