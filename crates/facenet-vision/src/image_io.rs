//! Reading photos: any format the `image` crate decodes, converted to 8-bit RGB, EXIF orientation
//! applied, and a pixel limit checked on the declared size *before* decoding (decompression bombs).
//!
//! JPEGs are decoded by `libjpeg-turbo-rs`, whose output is byte-identical to libjpeg-turbo's defaults
//! (integer IDCT, fancy upsampling): the pixels dlib's and facenet-pytorch's references see through
//! Pillow. The `image` crate's own JPEG decoder differs by a level or two on about 0.5 % of pixels, which
//! is enough to move dlib's tree-based landmarks by a pixel. JPEGs that decoder does not support are left
//! to the `image` crate.

use crate::{Error, Result};
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, RgbImage};
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
        Self {
            max_pixels: DEFAULT_MAX_PIXELS,
            apply_orientation: true,
        }
    }
}

/// Reads the image at `path` as 8-bit RGB: grayscale is expanded, alpha dropped, 16-bit scaled down,
/// EXIF rotation applied. Errors name the file and the problem.
pub fn load_rgb(path: &Path, options: &LoadOptions) -> Result<RgbImage> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })?;
    decode(std::io::BufReader::new(file), path, options)
}

/// Reads an image held in memory; `name` stands for the file in error messages.
///
/// Memory bound: the declared size is checked against `options.max_pixels` before any pixel is decoded, so
/// decoding allocates at most 11 bytes per allowed pixel (a 16-bit RGBA decode, then its 8-bit RGB copy)
/// plus the file itself (JPEGs are read whole), whatever the header claims (`tests/memory_bounds.rs`).
pub fn load_rgb_from_memory(bytes: &[u8], name: &Path, options: &LoadOptions) -> Result<RgbImage> {
    decode(Cursor::new(bytes), name, options)
}

fn decode<R: BufRead + Seek>(reader: R, path: &Path, options: &LoadOptions) -> Result<RgbImage> {
    let reader = ImageReader::new(reader)
        .with_guessed_format()
        .map_err(|source| Error::Io {
            path: path.into(),
            source,
        })?;
    match reader.format() {
        None => Err(Error::Decode {
            path: path.into(),
            message: "unknown or unsupported image format".into(),
        }),
        Some(ImageFormat::Jpeg) => decode_jpeg(reader.into_inner(), path, options),
        Some(_) => decode_with_image_crate(reader, path, options),
    }
}

/// Any format: the `image` crate's decoder, checked against the pixel limit before decoding.
fn decode_with_image_crate<R: BufRead + Seek>(
    mut reader: ImageReader<R>,
    path: &Path,
    options: &LoadOptions,
) -> Result<RgbImage> {
    let decode_err = |e: image::ImageError| decode_error(path, e);
    reader.limits(decoder_limits(options.max_pixels));
    let mut decoder = reader.into_decoder().map_err(decode_err)?;
    let orientation = checked_header(&mut decoder, path, options)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(decode_err)?;
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    Ok(image.into_rgb8())
}

/// A JPEG: the header (size, EXIF orientation) read by the `image` crate, the pixels by libjpeg-turbo-rs.
fn decode_jpeg<R: BufRead + Seek>(mut reader: R, path: &Path, options: &LoadOptions) -> Result<RgbImage> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|source| Error::Io {
        path: path.into(),
        source,
    })?;
    let mut header = image::codecs::jpeg::JpegDecoder::new(Cursor::new(&bytes)).map_err(|e| decode_error(path, e))?;
    let orientation = checked_header(&mut header, path, options)?;
    let mut image = match libjpeg_turbo_rs::decompress_to(&bytes, libjpeg_turbo_rs::PixelFormat::Rgb) {
        Ok(decoded) => DynamicImage::ImageRgb8(rgb_from_libjpeg(decoded, path)?),
        Err(libjpeg_turbo_rs::JpegError::Unsupported(_)) => {
            DynamicImage::from_decoder(header).map_err(|e| decode_error(path, e))?
        }
        Err(e) => {
            return Err(Error::Decode {
                path: path.into(),
                message: e.to_string(),
            });
        }
    };
    if let Some(orientation) = orientation {
        image.apply_orientation(orientation);
    }
    Ok(image.into_rgb8())
}

fn rgb_from_libjpeg(decoded: libjpeg_turbo_rs::Image, path: &Path) -> Result<RgbImage> {
    let (width, height) = (decoded.width as u32, decoded.height as u32);
    RgbImage::from_raw(width, height, decoded.data).ok_or_else(|| Error::Decode {
        path: path.into(),
        message: format!("the JPEG decoder returned too few pixels for {width}×{height}"),
    })
}

/// Refuses a declared size over the pixel limit (or without pixels), before any pixel is decoded; returns
/// the EXIF orientation to apply, if asked for.
fn checked_header(decoder: &mut impl ImageDecoder, path: &Path, options: &LoadOptions) -> Result<Option<Orientation>> {
    let (width, height) = decoder.dimensions();
    if width as u64 * height as u64 > options.max_pixels {
        return Err(Error::TooLarge {
            path: path.into(),
            width,
            height,
            limit: options.max_pixels,
        });
    }
    if width == 0 || height == 0 {
        return Err(Error::Decode {
            path: path.into(),
            message: "image has no pixels".into(),
        });
    }
    Ok(if options.apply_orientation {
        decoder.orientation().ok()
    } else {
        None
    })
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
        other => Error::Decode {
            path,
            message: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageFormat, Rgba, RgbaImage};

    fn encode(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut bytes = Cursor::new(Vec::new());
        image
            .write_to(&mut bytes, format)
            .expect("encoding to memory should work");
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
        let options = LoadOptions {
            max_pixels: 199,
            ..Default::default()
        };
        let err = load_rgb_from_memory(&bytes, Path::new("big.png"), &options).unwrap_err();
        assert!(
            matches!(
                err,
                Error::TooLarge {
                    width: 20,
                    height: 10,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("big.png"));
    }

    #[test]
    fn truncated_and_non_image_files_name_the_file() {
        let bytes = encode(&DynamicImage::new_rgb8(64, 64), ImageFormat::Png);
        let err =
            load_rgb_from_memory(&bytes[..bytes.len() / 2], Path::new("cut.png"), &LoadOptions::default()).unwrap_err();
        assert!(err.to_string().starts_with("cut.png"), "{err}");
        let err =
            load_rgb_from_memory(b"hello, not an image", Path::new("notes.txt"), &LoadOptions::default()).unwrap_err();
        assert!(err.to_string().contains("notes.txt"), "{err}");
    }

    #[test]
    fn one_pixel_image_loads() {
        let bytes = encode(&DynamicImage::new_rgb8(1, 1), ImageFormat::Png);
        assert_eq!(
            load_rgb_from_memory(&bytes, Path::new("p.png"), &LoadOptions::default())
                .unwrap()
                .dimensions(),
            (1, 1)
        );
    }
}
