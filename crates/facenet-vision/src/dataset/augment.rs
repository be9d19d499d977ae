//! Training-time augmentation: a random square crop (rescaled to the input size), a horizontal flip and
//! colour jitter (brightness, contrast, saturation), each drawn from the caller's seeded RNG.

use image::{RgbImage, imageops};
use rand::Rng;

/// How much to vary a photo. `Augment::none()` leaves photos untouched (evaluation).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Augment {
    /// The crop keeps a square of side (1 − u)·S with u uniform in [0, crop], at a random place.
    pub crop: f32,
    /// Mirror left-right with probability ½.
    pub flip: bool,
    /// Brightness, contrast and saturation are each scaled by a factor in [1 − jitter, 1 + jitter].
    pub jitter: f32,
}

impl Default for Augment {
    fn default() -> Self {
        Self {
            crop: 0.1,
            flip: true,
            jitter: 0.2,
        }
    }
}

impl Augment {
    /// No augmentation.
    pub fn none() -> Self {
        Self {
            crop: 0.0,
            flip: false,
            jitter: 0.0,
        }
    }

    /// An augmented copy of `photo`, the same size.
    pub fn apply(&self, photo: &RgbImage, rng: &mut impl Rng) -> RgbImage {
        let mut out = self.random_crop(photo, rng);
        if self.flip && rng.random_bool(0.5) {
            imageops::flip_horizontal_in_place(&mut out);
        }
        if self.jitter > 0.0 {
            let mut factor = || rng.random_range(1.0 - self.jitter..=1.0 + self.jitter);
            colour_jitter(&mut out, factor(), factor(), factor());
        }
        out
    }

    fn random_crop(&self, photo: &RgbImage, rng: &mut impl Rng) -> RgbImage {
        let (w, h) = photo.dimensions();
        if self.crop <= 0.0 {
            return photo.clone();
        }
        let keep = 1.0 - rng.random_range(0.0..=self.crop.min(0.9));
        let (cw, ch) = (((w as f32 * keep) as u32).max(1), ((h as f32 * keep) as u32).max(1));
        let (x, y) = (rng.random_range(0..=w - cw), rng.random_range(0..=h - ch));
        let cropped = imageops::crop_imm(photo, x, y, cw, ch).to_image();
        imageops::resize(&cropped, w, h, imageops::FilterType::Triangle)
    }
}

/// Scales brightness, then contrast around the photo's mean grey, then saturation around each pixel's grey.
fn colour_jitter(photo: &mut RgbImage, brightness: f32, contrast: f32, saturation: f32) {
    let grey = |p: &[u8; 3]| 0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32;
    let mean =
        photo.pixels().map(|p| grey(&p.0)).sum::<f32>() / (photo.width() * photo.height()).max(1) as f32 * brightness;
    for pixel in photo.pixels_mut() {
        let bright = pixel.0.map(|c| c as f32 * brightness);
        let contrasted = bright.map(|c| mean + (c - mean) * contrast);
        let g = 0.299 * contrasted[0] + 0.587 * contrasted[1] + 0.114 * contrasted[2];
        pixel.0 = contrasted.map(|c| (g + (c - g) * saturation).round().clamp(0.0, 255.0) as u8);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn gradient() -> RgbImage {
        RgbImage::from_fn(16, 16, |x, y| image::Rgb([(x * 16) as u8, (y * 16) as u8, 128]))
    }

    #[test]
    fn none_is_identity_and_augmentation_keeps_size_and_is_seeded() {
        let photo = gradient();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(Augment::none().apply(&photo, &mut rng), photo);
        let a = Augment::default().apply(&photo, &mut ChaCha8Rng::seed_from_u64(5));
        let b = Augment::default().apply(&photo, &mut ChaCha8Rng::seed_from_u64(5));
        assert_eq!(a, b);
        assert_eq!(a.dimensions(), (16, 16));
        assert_ne!(a, photo);
    }

    #[test]
    fn flip_only_mirrors() {
        let photo = gradient();
        let flip = Augment {
            crop: 0.0,
            flip: true,
            jitter: 0.0,
        };
        let flipped = (0..20)
            .map(|s| flip.apply(&photo, &mut ChaCha8Rng::seed_from_u64(s)))
            .find(|p| *p != photo)
            .unwrap();
        assert_eq!(flipped.get_pixel(0, 3), photo.get_pixel(15, 3));
    }
}
