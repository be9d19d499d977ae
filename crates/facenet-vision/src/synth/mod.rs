//! Synthetic identities: procedural faces for training and testing without labelled photos.
//!
//! An identity is a seeded parameter set ([`Identity`]: face shape, eye/brow/nose/mouth geometry, skin and
//! hair colour, hair style, facial hair, glasses). Each photo of it draws a [`Variation`] (yaw, pitch, roll,
//! expression, lighting direction and strength, scale and position, background clutter, blur, noise, JPEG
//! quality, partial occlusion). Everything derives from `(seed, identity, image)`, so a seed fixes every
//! byte, and photos render in parallel in any order.
//!
//! Calibration (issue 6): the nuisance ranges are set so that a small net trained for 30 minutes on two
//! CPU cores can learn the identities, while the pixel baseline stays far below VAL 0.3 @ FAR 1e-3 (it
//! measured 0.010 on 60 held-out identities of `--identities 2000 --per-identity 10 --size 72 --seed 1`).
//! The first ranges (yaw ±0.6, roll ±0.3, scale 0.8–1.15, offset ±0.15, ambient 0.45–0.85 plus up to 0.7
//! of directional light, a quarter of photos occluded) left the trained NNS2 at VAL 0.03 after 28 minutes.
//! Each was narrowed towards what an aligned face crop (the input FaceNet trains on) shows: yaw ±0.35,
//! pitch ±0.15, roll ±0.1 (alignment removes most roll); the face fills the crop as a tight crop does
//! (scale 1.22–1.34, offset ±0.04); the directional light shades around the ambient level instead of
//! adding to it, so brightness does not mimic skin tone; milder tint, blur, noise and JPEG; 12% of
//! photos occluded, by smaller occluders. Every variation the issue lists is still present, and
//! background, clutter and clothes colours are as random as before.
//!
//! ```
//! use facenet_vision::synth::{render_photo, SynthSpec};
//! let spec = SynthSpec { identities: 2, per_identity: 2, size: 32, seed: 7 };
//! let a = render_photo(&spec, 0, 0);
//! assert_eq!(a, render_photo(&spec, 0, 0));
//! assert_eq!(a.dimensions(), (32, 32));
//! ```

mod identity;
mod layout;
mod render;
mod shape;

pub use identity::{FacialHair, Glasses, HairStyle, Identity, Variation};
pub use layout::{Layout, SynthSummary, lfw_names, write_dataset};
pub use render::render;

use image::RgbImage;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What to generate: how many identities, photos each, their size, and the seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SynthSpec {
    pub identities: usize,
    pub per_identity: usize,
    /// Width and height of each photo in pixels.
    pub size: u32,
    pub seed: u64,
}

/// The identity number `index` of the set made with `seed`.
pub fn identity(seed: u64, index: usize) -> Identity {
    Identity::sample(&mut rng_for(seed, index as u64, u64::MAX))
}

/// Photo number `image` of identity number `identity` (both from 0).
pub fn render_photo(spec: &SynthSpec, identity_index: usize, image: usize) -> RgbImage {
    let person = identity(spec.seed, identity_index);
    let variation = Variation::sample(&mut rng_for(spec.seed, identity_index as u64, image as u64));
    render(&person, &variation, spec.size)
}

/// An RNG for one (seed, identity, photo) triple; `u64::MAX` as the photo stands for the identity itself.
fn rng_for(seed: u64, identity: u64, image: u64) -> ChaCha8Rng {
    let mixed = splitmix(splitmix(splitmix(seed) ^ identity) ^ image);
    ChaCha8Rng::seed_from_u64(mixed)
}

/// SplitMix64's finaliser: spreads nearby integers over the whole 64-bit range.
fn splitmix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: SynthSpec = SynthSpec {
        identities: 3,
        per_identity: 3,
        size: 48,
        seed: 11,
    };

    #[test]
    fn same_seed_gives_identical_bytes() {
        assert_eq!(
            render_photo(&SPEC, 1, 2).into_raw(),
            render_photo(&SPEC, 1, 2).into_raw()
        );
    }

    #[test]
    fn photos_of_one_identity_differ_and_seeds_differ() {
        assert_ne!(render_photo(&SPEC, 1, 0), render_photo(&SPEC, 1, 1));
        let other = SynthSpec { seed: 12, ..SPEC };
        assert_ne!(render_photo(&SPEC, 1, 0), render_photo(&other, 1, 0));
    }

    #[test]
    fn identities_differ_in_their_parameters() {
        let (a, b) = (identity(5, 0), identity(5, 1));
        assert_ne!(a.skin, b.skin);
        assert_ne!(a.face_radii, b.face_radii);
    }
}
