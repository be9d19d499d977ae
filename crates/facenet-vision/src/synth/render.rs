//! Paints one photo of an [`Identity`] under a [`Variation`]: a background with clutter, shoulders, the
//! head (hair, ears, face, eyes, brows, nose, mouth, facial hair, glasses) posed in 3-D by yaw and pitch,
//! rolled, scaled and shifted, lit from one side, partly occluded; then blurred, noised and JPEG-compressed.

use super::identity::{FacialHair, Glasses, HairStyle, Identity, Variation, mix};
use super::shape::{Sdf, Shape, Vec2, rotate};
use image::{RgbImage, codecs::jpeg::JpegEncoder, imageops};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Renders the photo at `size × size`.
pub fn render(identity: &Identity, variation: &Variation, size: u32) -> RgbImage {
    let background = background_shapes(variation);
    let head = head_shapes(identity, variation);
    let pixel = 2.0 / size as f32;
    let face_pixel = pixel / variation.scale;
    let mut image = RgbImage::new(size, size);
    for (px, py, out) in image.enumerate_pixels_mut() {
        let p = [(px as f32 + 0.5) * pixel - 1.0, (py as f32 + 0.5) * pixel - 1.0];
        let mut colour = background_gradient(variation, p);
        paint(&mut colour, &background, p, pixel);
        let q = to_face_frame(variation, p);
        let before_head = colour;
        paint(&mut colour, &head, q, face_pixel);
        if colour != before_head {
            let lit = lighting(identity, variation, q);
            let cover = head_coverage(&head, q, face_pixel);
            colour = mix(before_head, colour.map(|c| c * lit), cover).map(|c| c.min(1.0));
        }
        if let Some((centre, half, tint)) = variation.occluder {
            let occluder = Shape::new(
                Sdf::RoundBox {
                    centre,
                    half,
                    corner: half[0].min(half[1]) * 0.6,
                },
                tint,
            );
            let c = occluder.coverage(q, face_pixel);
            colour = mix(colour, tint, c);
        }
        let tinted = [
            colour[0] * variation.light_tint[0],
            colour[1] * variation.light_tint[1],
            colour[2] * variation.light_tint[2],
        ];
        *out = image::Rgb(tinted.map(|c| (c.clamp(0.0, 1.0) * 255.0).round() as u8));
    }
    degrade(image, variation)
}

/// Image coordinates ([-1, 1]², y down) to the face frame: undo the shift, the roll and the scale.
fn to_face_frame(variation: &Variation, p: Vec2) -> Vec2 {
    let shifted = [p[0] - variation.offset[0], p[1] - variation.offset[1]];
    let r = rotate(shifted, -variation.roll);
    [r[0] / variation.scale, r[1] / variation.scale]
}

fn paint(colour: &mut [f32; 3], shapes: &[Shape], p: Vec2, pixel: f32) {
    for shape in shapes {
        let c = shape.coverage(p, pixel);
        if c > 0.0 {
            *colour = mix(*colour, shape.colour, c);
        }
    }
}

/// How much of the pixel the head covers (the union of its shapes), so lighting fades at its edge.
fn head_coverage(shapes: &[Shape], p: Vec2, pixel: f32) -> f32 {
    shapes.iter().map(|s| s.coverage(p, pixel)).fold(0.0, f32::max)
}

/// Lambertian shading on the head's ellipsoid, centred on the ambient level: ambient + strength ·
/// (max(0, n·l) − 0.6), so the light's direction and strength shade the face side to side without
/// shifting its mean brightness as much (a frontal point has n·l ≈ 0.6).
fn lighting(identity: &Identity, variation: &Variation, q: Vec2) -> f32 {
    let [rx, ry] = identity.face_radii;
    let (nx, ny) = (
        (q[0] / (rx * 1.2)).clamp(-1.0, 1.0),
        (q[1] / (ry * 1.2)).clamp(-1.0, 1.0),
    );
    let nz = (1.0 - nx * nx - ny * ny).max(0.0).sqrt();
    let (ly, lx) = variation.light_angle.sin_cos();
    let (l, lz) = ([lx * 0.8, ly * 0.8], 0.6);
    let lambert = (nx * l[0] + ny * l[1] + nz * lz).max(0.0);
    variation.ambient + variation.light_strength * (lambert - 0.6)
}

fn background_gradient(variation: &Variation, p: Vec2) -> [f32; 3] {
    let (s, c) = variation.background_angle.sin_cos();
    let t = ((p[0] * c + p[1] * s) * 0.5 + 0.5).clamp(0.0, 1.0);
    mix(variation.background[0], variation.background[1], t)
}

/// Clutter (random discs, boxes and strokes, seeded by the variation) and the shoulders.
fn background_shapes(variation: &Variation) -> Vec<Shape> {
    let mut rng = ChaCha8Rng::seed_from_u64(variation.clutter as u64);
    let count = rng.random_range(2..9);
    let mut shapes: Vec<Shape> = (0..count).map(|_| clutter_shape(&mut rng)).collect();
    let shoulder_y = variation.offset[1] + 0.95 * variation.scale;
    let shoulders = Sdf::Ellipse {
        centre: [variation.offset[0], shoulder_y + 0.35],
        radii: [0.9 * variation.scale, 0.45],
        angle: 0.0,
    };
    shapes.push(Shape::new(shoulders, variation.clothes));
    shapes
}

fn clutter_shape(rng: &mut ChaCha8Rng) -> Shape {
    let centre = [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)];
    let colour = [
        rng.random_range(0.0..1.0),
        rng.random_range(0.0..1.0),
        rng.random_range(0.0..1.0),
    ];
    let sdf = match rng.random_range(0..3) {
        0 => Sdf::Ellipse {
            centre,
            radii: [rng.random_range(0.05..0.4), rng.random_range(0.05..0.4)],
            angle: rng.random_range(0.0..3.2),
        },
        1 => Sdf::RoundBox {
            centre,
            half: [rng.random_range(0.05..0.5), rng.random_range(0.05..0.5)],
            corner: 0.02,
        },
        _ => Sdf::Capsule {
            a: centre,
            b: [rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0)],
            radius: rng.random_range(0.01..0.06),
        },
    };
    Shape::new(sdf, colour)
}

/// Where a point on the face's surface lands after yaw and pitch (an ellipsoid whose depth is its width).
fn project(identity: &Identity, variation: &Variation, p: Vec2, extra_depth: f32) -> Vec2 {
    let [rx, ry] = identity.face_radii;
    let depth = rx * (1.0 - (p[0] / rx).powi(2) - (p[1] / ry).powi(2)).max(0.0).sqrt() + extra_depth;
    let x = p[0] * variation.yaw.cos() + depth * variation.yaw.sin();
    let y = p[1] * variation.pitch.cos() + depth * variation.pitch.sin();
    [x, y]
}

/// The head, back to front, in the face frame.
fn head_shapes(id: &Identity, v: &Variation) -> Vec<Shape> {
    let [rx, ry] = id.face_radii;
    let squeeze = v.yaw.cos();
    let mut shapes = Vec::with_capacity(32);
    let hair_top = -ry * id.hairline;
    match id.hair_style {
        HairStyle::Long => shapes.push(Shape::new(
            Sdf::RoundBox {
                centre: [0.0, 0.15],
                half: [rx * 1.2, ry * 1.1],
                corner: rx * 0.8,
            },
            id.hair,
        )),
        HairStyle::Curly => shapes.push(Shape::new(
            Sdf::Ellipse {
                centre: [0.0, -ry * 0.25],
                radii: [rx * 1.45, ry * 1.05],
                angle: 0.0,
            },
            id.hair,
        )),
        _ => {}
    }
    let ear_shift = -v.yaw.sin() * rx * 0.5;
    for side in [-1.0f32, 1.0] {
        let centre = [side * rx * 0.98 + ear_shift, -ry * 0.05];
        shapes.push(Shape::new(
            Sdf::Ellipse {
                centre,
                radii: [id.ear_size * 0.6, id.ear_size],
                angle: 0.0,
            },
            mix(id.skin, [0.0; 3], 0.1),
        ));
    }
    let neck = Sdf::RoundBox {
        centre: [0.0, ry * 1.0],
        half: [rx * 0.55, ry * 0.5],
        corner: 0.02,
    };
    shapes.push(Shape::new(neck, mix(id.skin, [0.0; 3], 0.15)));
    shapes.push(Shape::new(
        Sdf::Egg {
            centre: [0.0, 0.0],
            radii: id.face_radii,
            taper: id.chin_taper,
        },
        id.skin,
    ));
    features(id, v, squeeze, &mut shapes);
    front_hair(id, v, hair_top, &mut shapes);
    shapes
}

fn features(id: &Identity, v: &Variation, squeeze: f32, shapes: &mut Vec<Shape>) {
    let dark = mix(id.skin, [0.0; 3], 0.35);
    for side in [-1.0f32, 1.0] {
        let eye = project(id, v, [side * id.eye_spacing, id.eye_height], 0.0);
        let open = id.eye_radii[1] * v.eye_open;
        let radii = [id.eye_radii[0] * squeeze, open];
        shapes.push(Shape::new(
            Sdf::Ellipse {
                centre: eye,
                radii,
                angle: 0.0,
            },
            [0.95, 0.95, 0.92],
        ));
        let iris_r = (id.eye_radii[1] * 0.9).min(id.eye_radii[0] * 0.5);
        let iris_centre = [eye[0] + v.yaw.sin() * id.eye_radii[0] * 0.4, eye[1]];
        shapes.push(Shape::new(
            Sdf::Ellipse {
                centre: iris_centre,
                radii: [iris_r * squeeze, iris_r.min(open)],
                angle: 0.0,
            },
            id.iris,
        ));
        shapes.push(Shape::new(
            Sdf::Ellipse {
                centre: iris_centre,
                radii: [iris_r * 0.4 * squeeze, (iris_r * 0.4).min(open)],
                angle: 0.0,
            },
            [0.02; 3],
        ));
        let brow_y = id.eye_height - id.brow_gap - v.brow_raise;
        let inner = project(id, v, [side * (id.eye_spacing - id.brow_length * 0.5), brow_y], 0.0);
        let outer_y = brow_y + id.brow_tilt * id.brow_length;
        let outer = project(id, v, [side * (id.eye_spacing + id.brow_length * 0.5), outer_y], 0.0);
        shapes.push(Shape::new(
            Sdf::Capsule {
                a: inner,
                b: outer,
                radius: id.brow_thickness,
            },
            id.hair,
        ));
    }
    let bridge = project(id, v, [0.0, id.eye_height + 0.02], 0.0);
    let tip = project(id, v, [0.0, id.eye_height + id.nose_length], 0.08);
    shapes.push(Shape::new(
        Sdf::Capsule {
            a: bridge,
            b: tip,
            radius: id.nose_width * 0.35,
        },
        mix(id.skin, [0.0; 3], 0.12),
    ));
    shapes.push(Shape::new(
        Sdf::Ellipse {
            centre: tip,
            radii: [id.nose_width * squeeze, id.nose_width * 0.55],
            angle: 0.0,
        },
        dark,
    ));
    let mouth = project(id, v, [0.0, id.mouth_height], 0.0);
    facial_hair(id, v, mouth, shapes);
    let bend = -v.smile * id.mouth_width * 0.35;
    let mouth_centre = [mouth[0], mouth[1] - bend * 0.5];
    let half_width = id.mouth_width * squeeze;
    shapes.push(Shape::new(
        Sdf::Curve {
            centre: mouth_centre,
            half_width,
            bend,
            radius: id.lip_thickness,
        },
        id.lips,
    ));
    glasses(id, v, squeeze, shapes);
}

fn facial_hair(id: &Identity, v: &Variation, mouth: Vec2, shapes: &mut Vec<Shape>) {
    let [rx, ry] = id.face_radii;
    let w = id.mouth_width * v.yaw.cos();
    match id.facial_hair {
        FacialHair::None => {}
        FacialHair::Moustache => {
            let c = [mouth[0], mouth[1] - id.lip_thickness - 0.02];
            shapes.push(Shape::new(
                Sdf::Curve {
                    centre: c,
                    half_width: w * 1.1,
                    bend: 0.02,
                    radius: 0.018,
                },
                id.hair,
            ));
        }
        FacialHair::Goatee => {
            let c = [mouth[0], mouth[1] + 0.07];
            shapes.push(Shape::new(
                Sdf::Ellipse {
                    centre: c,
                    radii: [w * 0.6, 0.06],
                    angle: 0.0,
                },
                id.hair,
            ));
        }
        FacialHair::Beard => {
            let face = Sdf::Egg {
                centre: [0.0, 0.0],
                radii: [rx * 1.02, ry * 1.04],
                taper: id.chin_taper,
            };
            shapes.push(Shape::new(face, id.hair).below(mouth[1] - 0.06));
            shapes.push(Shape::new(
                Sdf::Ellipse {
                    centre: mouth,
                    radii: [w * 1.2, 0.045],
                    angle: 0.0,
                },
                id.skin,
            ));
        }
    }
}

fn glasses(id: &Identity, v: &Variation, squeeze: f32, shapes: &mut Vec<Shape>) {
    if id.glasses == Glasses::None {
        return;
    }
    let half = [id.eye_radii[0] * 1.5 * squeeze, id.eye_radii[0] * 1.1];
    let mut lens_edges = Vec::with_capacity(2);
    for side in [-1.0f32, 1.0] {
        let centre = project(id, v, [side * id.eye_spacing, id.eye_height], 0.03);
        let sdf = match id.glasses {
            Glasses::Round => Sdf::Ring {
                centre,
                radii: half,
                radius: 0.008,
            },
            _ => Sdf::BoxRing {
                centre,
                half,
                corner: 0.02,
                radius: 0.009,
            },
        };
        shapes.push(Shape::new(sdf, id.frame_colour));
        lens_edges.push([centre[0] - side * half[0], centre[1]]);
    }
    shapes.push(Shape::new(
        Sdf::Capsule {
            a: lens_edges[0],
            b: lens_edges[1],
            radius: 0.008,
        },
        id.frame_colour,
    ));
}

fn front_hair(id: &Identity, v: &Variation, hair_top: f32, shapes: &mut Vec<Shape>) {
    let [rx, ry] = id.face_radii;
    let shift = v.yaw.sin() * rx * 0.15;
    let cap = Sdf::Ellipse {
        centre: [shift, -ry * 0.08],
        radii: [rx * 1.08, ry * 1.02],
        angle: 0.0,
    };
    match id.hair_style {
        HairStyle::Bald => {}
        HairStyle::Short | HairStyle::Long | HairStyle::Curly => shapes.push(Shape::new(cap, id.hair).above(hair_top)),
        HairStyle::Fringe => shapes.push(Shape::new(cap, id.hair).above(hair_top + ry * 0.3)),
        HairStyle::Mohawk => {
            let crest = Sdf::Ellipse {
                centre: [shift, -ry * 0.95],
                radii: [rx * 0.22, ry * 0.35],
                angle: 0.0,
            };
            shapes.push(Shape::new(crest, id.hair));
        }
    }
}

/// Blur, sensor noise and JPEG compression, in that order.
fn degrade(image: RgbImage, variation: &Variation) -> RgbImage {
    let sigma = variation.blur * image.width() as f32 / 96.0;
    let image = if sigma > 0.3 {
        imageops::blur(&image, sigma)
    } else {
        image
    };
    let noisy = add_noise(image, variation);
    jpeg_round_trip(&noisy, variation.jpeg_quality).unwrap_or(noisy)
}

fn add_noise(mut image: RgbImage, variation: &Variation) -> RgbImage {
    let mut rng = ChaCha8Rng::seed_from_u64(variation.clutter as u64 ^ 0x9e37_79b9);
    for value in image.iter_mut() {
        let n = gaussian(&mut rng) * variation.noise;
        *value = (*value as f32 + n).round().clamp(0.0, 255.0) as u8;
    }
    image
}

/// A standard normal sample (Box–Muller).
fn gaussian(rng: &mut ChaCha8Rng) -> f32 {
    let u1: f32 = rng.random_range(f32::EPSILON..1.0);
    let u2: f32 = rng.random_range(0.0..1.0);
    (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
}

fn jpeg_round_trip(image: &RgbImage, quality: u8) -> Option<RgbImage> {
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, quality)
        .encode_image(image)
        .ok()?;
    image::load_from_memory(&bytes).ok().map(|d| d.into_rgb8())
}
