//! Photos as they come: CMYK JPEGs, EXIF-rotated phone photos, truncated files, tiny and deep images.

use facenet_vision::{Error, LoadOptions, load_rgb_from_memory};
use jpeg_encoder::{ColorType, Encoder};
use std::path::Path;

fn jpeg(data: &[u8], width: u16, height: u16, colour: ColorType, app1: Option<Vec<u8>>) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut encoder = Encoder::new(&mut bytes, 100);
    if let Some(segment) = app1 {
        encoder
            .add_app_segment(1, segment)
            .expect("the EXIF segment should fit");
    }
    encoder
        .encode(data, width, height, colour)
        .expect("encoding to memory should work");
    bytes
}

/// An EXIF APP1 payload holding only the orientation tag (0x0112), big-endian TIFF.
fn exif_orientation(orientation: u16) -> Vec<u8> {
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
    exif.extend_from_slice(&[0, 1]); // one IFD entry
    exif.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1]); // orientation, SHORT, count 1
    exif.extend_from_slice(&orientation.to_be_bytes());
    exif.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // value padding, no next IFD
    exif
}

#[test]
fn cmyk_jpeg_decodes_to_rgb() {
    // Left half cyan-free white (C=M=Y=K=0), right half full black ink (K=255).
    let (w, h) = (16u16, 8u16);
    let cmyk: Vec<u8> = (0..h)
        .flat_map(|_| (0..w).flat_map(|x| if x < 8 { [0, 0, 0, 0] } else { [0, 0, 0, 255] }))
        .collect();
    let bytes = jpeg(&cmyk, w, h, ColorType::Cmyk, None);
    let rgb = load_rgb_from_memory(&bytes, Path::new("cmyk.jpg"), &LoadOptions::default()).unwrap();
    assert_eq!(rgb.dimensions(), (16, 8));
    let (white, black) = (rgb.get_pixel(2, 4).0, rgb.get_pixel(13, 4).0);
    assert!(white.iter().all(|&v| v > 230), "no ink should be white, got {white:?}");
    assert!(
        black.iter().all(|&v| v < 25),
        "full black ink should be black, got {black:?}"
    );
}

#[test]
fn exif_orientation_is_applied() {
    // 40×20, a red block at the top-left; orientation 6 = the photo must be turned 90° clockwise.
    let (w, h) = (40u16, 20u16);
    let rgb: Vec<u8> = (0..h)
        .flat_map(|y| (0..w).flat_map(move |x| if x < 10 && y < 10 { [255, 0, 0] } else { [0, 0, 255] }))
        .collect();
    let bytes = jpeg(&rgb, w, h, ColorType::Rgb, Some(exif_orientation(6)));
    let turned = load_rgb_from_memory(&bytes, Path::new("phone.jpg"), &LoadOptions::default()).unwrap();
    assert_eq!(turned.dimensions(), (20, 40));
    // Turned clockwise, the top-left corner goes to the top-right.
    assert!(turned.get_pixel(15, 4).0[0] > 200, "{:?}", turned.get_pixel(15, 4));
    assert!(turned.get_pixel(4, 4).0[2] > 200, "{:?}", turned.get_pixel(4, 4));
    let options = LoadOptions {
        apply_orientation: false,
        ..LoadOptions::default()
    };
    assert_eq!(
        load_rgb_from_memory(&bytes, Path::new("phone.jpg"), &options)
            .unwrap()
            .dimensions(),
        (40, 20)
    );
}

#[test]
fn truncated_jpeg_is_an_error_naming_the_file_or_decodes_without_panic() {
    let rgb: Vec<u8> = (0..64 * 64 * 3).map(|i| (i * 7 % 251) as u8).collect();
    let bytes = jpeg(&rgb, 64, 64, ColorType::Rgb, None);
    for cut in [2, 20, bytes.len() / 3, bytes.len() - 10] {
        match load_rgb_from_memory(&bytes[..cut], Path::new("cut.jpg"), &LoadOptions::default()) {
            Err(e) => assert!(e.to_string().starts_with("cut.jpg"), "{e}"),
            // Decoders may fill a truncated scan with grey, as libjpeg does; the size must still hold.
            Ok(image) => assert_eq!(image.dimensions(), (64, 64)),
        }
    }
}

#[test]
fn pixel_limit_applies_to_jpeg_headers() {
    let bytes = jpeg(&[0; 30 * 20 * 3], 30, 20, ColorType::Rgb, None);
    let options = LoadOptions {
        max_pixels: 500,
        ..LoadOptions::default()
    };
    assert!(matches!(
        load_rgb_from_memory(&bytes, Path::new("big.jpg"), &options),
        Err(Error::TooLarge {
            width: 30,
            height: 20,
            ..
        })
    ));
}
