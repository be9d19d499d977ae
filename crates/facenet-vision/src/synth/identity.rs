//! What makes a synthetic person who they are ([`Identity`]) and what changes from one photo of them to
//! the next ([`Variation`]). Both are drawn from a seeded RNG, so a seed fixes every face and photo.

use rand::Rng;

/// Hair styles; each draws differently around the face.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HairStyle {
    Bald,
    Short,
    Fringe,
    Long,
    Curly,
    Mohawk,
}

/// Facial hair, drawn in the hair colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FacialHair {
    None,
    Moustache,
    Goatee,
    Beard,
}

/// Glasses frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Glasses {
    None,
    Round,
    Square,
}

/// The fixed parameters of one synthetic person. Lengths are in face-frame units: the face's half-height
/// is about 0.55 of the image's half-size at scale 1.
#[derive(Debug, Clone)]
pub struct Identity {
    pub face_radii: [f32; 2],
    /// How much the face narrows towards the chin (0 = ellipse).
    pub chin_taper: f32,
    pub skin: [f32; 3],
    pub hair: [f32; 3],
    pub hair_style: HairStyle,
    /// Hair line height, as a fraction of the face half-height above the centre.
    pub hairline: f32,
    pub eye_spacing: f32,
    pub eye_height: f32,
    pub eye_radii: [f32; 2],
    pub iris: [f32; 3],
    pub brow_gap: f32,
    pub brow_thickness: f32,
    pub brow_tilt: f32,
    pub brow_length: f32,
    pub nose_length: f32,
    pub nose_width: f32,
    pub mouth_height: f32,
    pub mouth_width: f32,
    pub lips: [f32; 3],
    pub lip_thickness: f32,
    pub ear_size: f32,
    pub facial_hair: FacialHair,
    pub glasses: Glasses,
    pub frame_colour: [f32; 3],
}

/// What changes between two photos of one person.
#[derive(Debug, Clone)]
pub struct Variation {
    /// Head rotation in radians: yaw (left-right), pitch (up-down), roll (in-plane).
    pub yaw: f32,
    pub pitch: f32,
    pub roll: f32,
    /// Expression: mouth curvature (−1 frown … 1 smile), eye openness (0.3 … 1), brow raise.
    pub smile: f32,
    pub eye_open: f32,
    pub brow_raise: f32,
    /// Light direction (angle in the image plane), strength of the directional part, and ambient level.
    pub light_angle: f32,
    pub light_strength: f32,
    pub ambient: f32,
    /// Overall colour cast of the light (multiplies every channel).
    pub light_tint: [f32; 3],
    /// Face scale (1 = nominal) and centre offset in normalised image units.
    pub scale: f32,
    pub offset: [f32; 2],
    /// Background: two gradient colours and its angle, then the seed of its clutter shapes.
    pub background: [[f32; 3]; 2],
    pub background_angle: f32,
    pub clutter: u32,
    pub clothes: [f32; 3],
    /// Gaussian blur sigma in pixels at 96 px (scaled with the size), noise sigma in 8-bit levels.
    pub blur: f32,
    pub noise: f32,
    pub jpeg_quality: u8,
    /// A partial occluder over the face (a hand, a scarf, a cup): centre, half size, colour.
    pub occluder: Option<([f32; 2], [f32; 2], [f32; 3])>,
}

impl Identity {
    /// Draws a person.
    pub fn sample(rng: &mut impl Rng) -> Self {
        let skin = skin_tone(rng.random_range(0.0..1.0));
        let hair = hair_colour(rng);
        Self {
            face_radii: [rng.random_range(0.34..0.46), rng.random_range(0.50..0.60)],
            chin_taper: rng.random_range(0.0..0.5),
            skin,
            hair,
            hair_style: pick(
                rng,
                &[
                    HairStyle::Bald,
                    HairStyle::Short,
                    HairStyle::Fringe,
                    HairStyle::Long,
                    HairStyle::Curly,
                    HairStyle::Mohawk,
                ],
            ),
            hairline: rng.random_range(0.35..0.7),
            eye_spacing: rng.random_range(0.14..0.22),
            eye_height: rng.random_range(-0.16..-0.04),
            eye_radii: [rng.random_range(0.05..0.085), rng.random_range(0.025..0.045)],
            iris: pick(
                rng,
                &[
                    [0.35, 0.22, 0.1],
                    [0.15, 0.1, 0.05],
                    [0.25, 0.45, 0.7],
                    [0.3, 0.5, 0.3],
                    [0.5, 0.5, 0.55],
                ],
            ),
            brow_gap: rng.random_range(0.05..0.1),
            brow_thickness: rng.random_range(0.008..0.028),
            brow_tilt: rng.random_range(-0.35..0.35),
            brow_length: rng.random_range(0.06..0.11),
            nose_length: rng.random_range(0.12..0.24),
            nose_width: rng.random_range(0.03..0.07),
            mouth_height: rng.random_range(0.22..0.34),
            mouth_width: rng.random_range(0.08..0.16),
            lips: mix(
                skin,
                pick(rng, &[[0.75, 0.3, 0.3], [0.6, 0.25, 0.3], [0.5, 0.3, 0.25]]),
                rng.random_range(0.4..0.9),
            ),
            lip_thickness: rng.random_range(0.008..0.022),
            ear_size: rng.random_range(0.06..0.11),
            facial_hair: pick(
                rng,
                &[
                    FacialHair::None,
                    FacialHair::None,
                    FacialHair::Moustache,
                    FacialHair::Goatee,
                    FacialHair::Beard,
                ],
            ),
            glasses: pick(rng, &[Glasses::None, Glasses::None, Glasses::Round, Glasses::Square]),
            frame_colour: pick(
                rng,
                &[
                    [0.05, 0.05, 0.05],
                    [0.55, 0.4, 0.2],
                    [0.7, 0.7, 0.75],
                    [0.6, 0.1, 0.1],
                    [0.1, 0.2, 0.5],
                ],
            ),
        }
    }
}

impl Variation {
    /// Draws the conditions of one photo.
    pub fn sample(rng: &mut impl Rng) -> Self {
        let occluded = rng.random_bool(0.12);
        Self {
            yaw: rng.random_range(-0.35..0.35),
            pitch: rng.random_range(-0.15..0.15),
            roll: rng.random_range(-0.1..0.1),
            smile: rng.random_range(-0.6..1.0),
            eye_open: rng.random_range(0.4..1.0),
            brow_raise: rng.random_range(-0.02..0.03),
            light_angle: rng.random_range(0.0..std::f32::consts::TAU),
            light_strength: rng.random_range(0.0..0.4),
            ambient: rng.random_range(0.85..1.05),
            light_tint: [
                rng.random_range(0.94..1.04),
                rng.random_range(0.94..1.03),
                rng.random_range(0.93..1.04),
            ],
            scale: rng.random_range(1.22..1.34),
            offset: [rng.random_range(-0.04..0.04), rng.random_range(-0.04..0.04)],
            background: [random_colour(rng), random_colour(rng)],
            background_angle: rng.random_range(0.0..std::f32::consts::TAU),
            clutter: rng.random(),
            clothes: random_colour(rng),
            blur: if rng.random_bool(0.5) {
                rng.random_range(0.0..1.2)
            } else {
                0.0
            },
            noise: rng.random_range(0.0..8.0),
            jpeg_quality: rng.random_range(45..95),
            occluder: occluded.then(|| {
                let centre = [rng.random_range(-0.3..0.3), rng.random_range(-0.2..0.5)];
                let half = [rng.random_range(0.05..0.13), rng.random_range(0.04..0.1)];
                (centre, half, random_colour(rng))
            }),
        }
    }
}

/// A skin tone along a light-to-dark axis, with a little hue spread.
fn skin_tone(t: f32) -> [f32; 3] {
    mix([0.96, 0.8, 0.69], [0.36, 0.22, 0.14], t)
}

fn hair_colour(rng: &mut impl Rng) -> [f32; 3] {
    let base = pick(
        rng,
        &[
            [0.08, 0.06, 0.05],
            [0.3, 0.18, 0.08],
            [0.55, 0.35, 0.15],
            [0.85, 0.7, 0.4],
            [0.6, 0.25, 0.1],
            [0.7, 0.7, 0.7],
        ],
    );
    let k = rng.random_range(0.8..1.2f32);
    base.map(|c| (c * k).min(1.0))
}

fn random_colour(rng: &mut impl Rng) -> [f32; 3] {
    [
        rng.random_range(0.0..1.0),
        rng.random_range(0.0..1.0),
        rng.random_range(0.0..1.0),
    ]
}

pub fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn pick<T: Copy>(rng: &mut impl Rng, options: &[T]) -> T {
    options[rng.random_range(0..options.len())]
}
