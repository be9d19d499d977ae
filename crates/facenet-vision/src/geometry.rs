//! Points and boxes in image pixel coordinates (x right, y down, origin at the top-left pixel's corner).

use serde::{Deserialize, Serialize};

/// A point in pixels.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

impl Point {
    pub const fn new(x: f32, y: f32) -> Self {
        Self { x, y }
    }

    /// Euclidean distance to `other`.
    pub fn distance(self, other: Point) -> f32 {
        ((self.x - other.x).powi(2) + (self.y - other.y).powi(2)).sqrt()
    }
}

/// An axis-aligned box [x1, y1, x2, y2] in pixels (x2 > x1, y2 > y1 for a non-empty box). It serialises
/// as the array `[x1, y1, x2, y2]`, the form every JSON output of facenet uses.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(from = "[f32; 4]", into = "[f32; 4]")]
pub struct BBox {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

impl BBox {
    pub const fn new(x1: f32, y1: f32, x2: f32, y2: f32) -> Self {
        Self { x1, y1, x2, y2 }
    }

    pub fn width(&self) -> f32 {
        (self.x2 - self.x1).max(0.0)
    }

    pub fn height(&self) -> f32 {
        (self.y2 - self.y1).max(0.0)
    }

    pub fn area(&self) -> f32 {
        // an empty side makes the area 0, even when the other side overflows to ∞ (∞ · 0 would be NaN)
        let (width, height) = (self.width(), self.height());
        if width == 0.0 || height == 0.0 {
            0.0
        } else {
            width * height
        }
    }

    pub fn center(&self) -> Point {
        Point::new((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)
    }

    /// Intersection over union; 0 when either box is empty.
    pub fn iou(&self, other: &BBox) -> f32 {
        let inter = BBox::new(
            self.x1.max(other.x1),
            self.y1.max(other.y1),
            self.x2.min(other.x2),
            self.y2.min(other.y2),
        )
        .area();
        let union = self.area() + other.area() - inter;
        let iou = inter / union;
        // an empty, NaN or unbounded union (boxes of infinite area) has no defined overlap: 0
        if union > 0.0 && iou.is_finite() {
            iou.clamp(0.0, 1.0)
        } else {
            0.0
        }
    }

    /// `[x1, y1, x2, y2]`, the order every output of facenet uses.
    /// Whether all four corners are finite (not NaN, not ±∞).
    pub fn is_finite(&self) -> bool {
        self.to_array().iter().all(|v| v.is_finite())
    }

    pub fn to_array(&self) -> [f32; 4] {
        [self.x1, self.y1, self.x2, self.y2]
    }
}

impl From<[f32; 4]> for BBox {
    fn from([x1, y1, x2, y2]: [f32; 4]) -> Self {
        Self::new(x1, y1, x2, y2)
    }
}

impl From<BBox> for [f32; 4] {
    fn from(b: BBox) -> Self {
        b.to_array()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialises_as_an_array() {
        let b = BBox::new(1.0, 2.0, 3.5, 4.0);
        assert_eq!(serde_json::to_string(&b).unwrap(), "[1.0,2.0,3.5,4.0]");
        assert_eq!(serde_json::from_str::<BBox>("[1,2,3.5,4]").unwrap(), b);
    }

    #[test]
    fn iou_of_half_overlapping_boxes() {
        let a = BBox::new(0.0, 0.0, 2.0, 2.0);
        let b = BBox::new(1.0, 0.0, 3.0, 2.0);
        assert!((a.iou(&b) - 2.0 / 6.0).abs() < 1e-6);
        assert_eq!(a.iou(&BBox::new(5.0, 5.0, 6.0, 6.0)), 0.0);
        assert_eq!(a.iou(&a), 1.0);
    }
}
