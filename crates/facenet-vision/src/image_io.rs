//! Reading photos: any format the `image` crate decodes, converted to 8-bit RGB, EXIF orientation
//! applied, and a pixel limit checked on the declared size *before* decoding (decompression bombs).

use crate::{Error, Result};
use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};
use std::io::{BufRead, Cursor, Seek};
use std::path::{Path, PathBuf};

/// The default pixel limit: 100 megapixels.
pub const DEFAULT_MAX_PIXELS: u64 = 100_000_000;

/// How photos are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Images whose declared width × height exceeds this are refused before decoding.
    pub max_pixels: u64,
    /// Apply the EXIF orientation tag (as phones expect; on by default).
    pub apply_orientation: bool,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self { max_pixels: DEFAULT_MAX_PIXELS, apply_orientation: true }
    }
}

/// Reads the image at `path` as 8-bit RGB: grayscale is expanded, alpha dropped, 16-bit scaled down,
/// EXIF rotation applied. Errors name the file and the problem.
pub fn load_rgb(path: &Path, options: &LoadOptions) -> Result<RgbImage> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io { path: path.into(), source })?;
    decode(std::io::BufReader::new(file), path, options)
}

/// Reads an image held in memory; `name` stands for the file in error messages.
pub fn load_rgb_from_memory(bytes: &[u8], name: &Path, options: &LoadOptions) -> Result<RgbImage> {
    decode(Cursor::new(bytes), name, options)
}

fn decode<R: BufRead + Seek>(reader: R, path: &Path, options: &LoadOptions) -> Result<RgbImage> {
    let decode_err = |e: image::ImageError| decode_error(path, e);
    let mut reader = ImageReader::new(reader).with_guessed_format().map_err(|source| Error::Io { path: path.into(), source })?;
    if reader.format().is_none() {
        return Err(Error::Decode { path: path.into(), message: "unknown or unsupported image format".into() });
    }
    reader.limits(decoder_limits(options.max_pixels));
    let mut decoder = reader.into_decoder().map_err(decode_err)?;
    let (width, height) = decoder.dimensions();
    if width as u64 * height as u64 > options.max_pixels {
        return Err(Error::TooLarge { path: path.into(), width, height, limit: options.max_pixels });
    }
    if width == 0 || height == 0 {
        return Err(Error::Decode { path: path.into(), message: "image has no pixels".into() });
    }
    let orientation = if options.apply_orientation { decoder.orientation().ok() } else { None };
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_err)?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    Ok(image.into_rgb8())
}

/// The decoder's allocation limit: the pixel limit at the widest pixel (RGBA, 32-bit float).
fn decoder_limits(max_pixels: u64) -> image::Limits {
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(max_pixels.saturating_mul(16).max(64 << 20));
    limits
}

fn decode_error(path: &Path, e: image::ImageError) -> Error {
    let path: PathBuf = path.into();
    match e {
        image::ImageError::IoError(source) => Error::Io { path, source },
        other => Error::Decode { path, message: other.to_string() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgba, RgbaImage};

    fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut bytes = Cursor::new(Vec::new());
        image.write_to(&mut bytes, format).expect("encoding to memory should work");
        bytes.into_inner()
    }

    #[test]
    fn grayscale_rgba_and_16_bit_become_rgb() {
        let gray = DynamicImage::ImageLuma8(image::GrayImage::from_pixel(3, 2, image::Luma([7])));
        let rgba = DynamicImage::ImageRgba8(RgbaImage::from_pixel(3, 2, Rgba([1, 2, 3, 0])));
        let deep = DynamicImage::ImageRgb16(image::ImageBuffer::from_pixel(3, 2, image::Rgb([65535u16, 0, 32896])));
        for (img, want) in [(gray, [7, 7, 7]), (rgba, [1, 2, 3]), (deep, [255, 0, 128])] {
            let bytes = encode(&img, ImageFormat::Png);
            let rgb = load_rgb_from_memory(&bytes, Path::new("x.png"), &LoadOptions::default()).unwrap();
            assert_eq!(rgb.dimensions(), (3, 2));
            assert_eq!(rgb.get_pixel(0, 0).0, want);
        }
    }

    #[test]
    fn over_the_pixel_limit_is_refused_before_decoding() {
        let bytes = encode(&DynamicImage::new_rgb8(20, 10), ImageFormat::Png);
        let options = LoadOptions { max_pixels: 199, ..Default::default() };
        let err = load_rgb_from_memory(&bytes, Path::new("big.png"), &options).unwrap_err();
        assert!(matches!(err, Error::TooLarge { width: 20, height: 10, .. }), "{err}");
        assert!(err.to_string().contains("big.png"));
    }

    #[test]
    fn truncated_and_non_image_files_name_the_file() {
        let bytes = encode(&DynamicImage::new_rgb8(64, 64), ImageFormat::Png);
        let err = load_rgb_from_memory(&bytes[..bytes.len() / 2], Path::new("cut.png"), &LoadOptions::default()).unwrap_err();
        assert!(err.to_string().starts_with("cut.png"), "{err}");
        let err = load_rgb_from_memory(b"hello, not an image", Path::new("notes.txt"), &LoadOptions::default()).unwrap_err();
        assert!(err.to_string().contains("notes.txt"), "{err}");
    }

    #[test]
    fn one_pixel_image_loads() {
        let bytes = encode(&DynamicImage::new_rgb8(1, 1), ImageFormat::Png);
        assert_eq!(load_rgb_from_memory(&bytes, Path::new("p.png"), &LoadOptions::default()).unwrap().dimensions(), (1, 1));
    }
}
