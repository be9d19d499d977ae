//! Signed-distance primitives the synthetic faces are painted with. Distances are in face-frame units
//! (negative inside); a pixel's coverage is the distance mapped through one pixel's width, which gives
//! anti-aliased edges without supersampling.

/// A 2-D point or vector in the face frame (x right, y down; the face centre is the origin).
pub type Vec2 = [f32; 2];

/// One signed-distance shape.
#[derive(Debug, Clone, Copy)]
pub enum Sdf {
    /// An ellipse with centre, radii and rotation (radians).
    Ellipse { centre: Vec2, radii: Vec2, angle: f32 },
    /// An egg: an ellipse whose half-width shrinks below the centre by `taper` (a pointed chin).
    Egg { centre: Vec2, radii: Vec2, taper: f32 },
    /// A segment with round caps.
    Capsule { a: Vec2, b: Vec2, radius: f32 },
    /// A parabolic stroke `y = bend·(x/half_width)²` around `centre`, of half-thickness `radius`.
    Curve {
        centre: Vec2,
        half_width: f32,
        bend: f32,
        radius: f32,
    },
    /// An axis-aligned box with rounded corners.
    RoundBox { centre: Vec2, half: Vec2, corner: f32 },
    /// The outline of an ellipse, of half-thickness `radius`.
    Ring { centre: Vec2, radii: Vec2, radius: f32 },
    /// The outline of a rounded box, of half-thickness `radius`.
    BoxRing {
        centre: Vec2,
        half: Vec2,
        corner: f32,
        radius: f32,
    },
}

impl Sdf {
    /// Signed distance from `p` (negative inside).
    pub fn distance(&self, p: Vec2) -> f32 {
        match *self {
            Sdf::Ellipse { centre, radii, angle } => ellipse(rotate(sub(p, centre), -angle), radii),
            Sdf::Egg { centre, radii, taper } => {
                let q = sub(p, centre);
                let below = (q[1] / radii[1]).max(0.0);
                ellipse(q, [radii[0] * (1.0 - taper * below * below).max(0.2), radii[1]])
            }
            Sdf::Capsule { a, b, radius } => {
                let (pa, ba) = (sub(p, a), sub(b, a));
                let t = (dot(pa, ba) / dot(ba, ba).max(1e-12)).clamp(0.0, 1.0);
                len(sub(pa, [ba[0] * t, ba[1] * t])) - radius
            }
            Sdf::Curve {
                centre,
                half_width,
                bend,
                radius,
            } => {
                let q = sub(p, centre);
                let x = q[0].clamp(-half_width, half_width);
                let u = x / half_width;
                len([q[0] - x, q[1] - bend * u * u]) - radius
            }
            Sdf::RoundBox { centre, half, corner } => round_box(sub(p, centre), half, corner),
            Sdf::Ring { centre, radii, radius } => ellipse(sub(p, centre), radii).abs() - radius,
            Sdf::BoxRing {
                centre,
                half,
                corner,
                radius,
            } => round_box(sub(p, centre), half, corner).abs() - radius,
        }
    }
}

/// A shape with its colour; `clip_above` keeps only the part with y < clip (hair lines, beards).
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub sdf: Sdf,
    pub colour: [f32; 3],
    /// Keep only points with `y < clip_above` (None: no clip).
    pub clip_above: Option<f32>,
    /// Keep only points with `y > clip_below` (None: no clip).
    pub clip_below: Option<f32>,
}

impl Shape {
    pub fn new(sdf: Sdf, colour: [f32; 3]) -> Self {
        Self {
            sdf,
            colour,
            clip_above: None,
            clip_below: None,
        }
    }

    pub fn above(mut self, y: f32) -> Self {
        self.clip_above = Some(y);
        self
    }

    pub fn below(mut self, y: f32) -> Self {
        self.clip_below = Some(y);
        self
    }

    /// Fraction of a pixel of width `pixel` centred on `p` that the shape covers, in [0, 1].
    pub fn coverage(&self, p: Vec2, pixel: f32) -> f32 {
        let mut d = self.sdf.distance(p);
        if let Some(y) = self.clip_above {
            d = d.max(p[1] - y);
        }
        if let Some(y) = self.clip_below {
            d = d.max(y - p[1]);
        }
        (0.5 - d / pixel).clamp(0.0, 1.0)
    }
}

/// Approximate signed distance to an axis-aligned ellipse: the implicit function over its gradient.
fn ellipse(q: Vec2, radii: Vec2) -> f32 {
    let k = len([q[0] / radii[0], q[1] / radii[1]]);
    let grad = len([q[0] / (radii[0] * radii[0]), q[1] / (radii[1] * radii[1])]);
    if grad < 1e-9 {
        -radii[0].min(radii[1])
    } else {
        k * (k - 1.0) / grad
    }
}

fn round_box(q: Vec2, half: Vec2, corner: f32) -> f32 {
    let d = [q[0].abs() - half[0] + corner, q[1].abs() - half[1] + corner];
    len([d[0].max(0.0), d[1].max(0.0)]) + d[0].max(d[1]).min(0.0) - corner
}

pub fn rotate(p: Vec2, angle: f32) -> Vec2 {
    let (s, c) = angle.sin_cos();
    [c * p[0] - s * p[1], s * p[0] + c * p[1]]
}

fn sub(a: Vec2, b: Vec2) -> Vec2 {
    [a[0] - b[0], a[1] - b[1]]
}

fn dot(a: Vec2, b: Vec2) -> f32 {
    a[0] * b[0] + a[1] * b[1]
}

fn len(a: Vec2) -> f32 {
    dot(a, a).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn circle_distance_is_exact() {
        let circle = Sdf::Ellipse {
            centre: [0.0, 0.0],
            radii: [1.0, 1.0],
            angle: 0.0,
        };
        assert!((circle.distance([2.0, 0.0]) - 1.0).abs() < 1e-6);
        assert!((circle.distance([0.0, 0.5]) + 0.5).abs() < 1e-6);
    }

    #[test]
    fn capsule_and_box_signs() {
        let capsule = Sdf::Capsule {
            a: [0.0, 0.0],
            b: [1.0, 0.0],
            radius: 0.1,
        };
        assert!(capsule.distance([0.5, 0.0]) < 0.0 && capsule.distance([0.5, 0.5]) > 0.0);
        let b = Sdf::RoundBox {
            centre: [0.0, 0.0],
            half: [1.0, 0.5],
            corner: 0.1,
        };
        assert!((b.distance([2.0, 0.0]) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn clip_removes_the_clipped_side() {
        let s = Shape::new(
            Sdf::Ellipse {
                centre: [0.0, 0.0],
                radii: [1.0, 1.0],
                angle: 0.0,
            },
            [1.0; 3],
        )
        .above(0.0);
        assert_eq!(s.coverage([0.0, 0.5], 0.01), 0.0);
        assert_eq!(s.coverage([0.0, -0.5], 0.01), 1.0);
    }
}
