//! Photos through our decode path (`facenet_vision::load_rgb_from_memory`: format sniffing, the pixel
//! limit checked on the declared size before decoding, libjpeg-turbo-rs for JPEG, EXIF orientation).
//! The limit is lowered to 1 megapixel so that a run explores headers, not big allocations.
#![no_main]

use facenet_vision::{LoadOptions, load_rgb_from_memory};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

const MAX_PIXELS: u64 = 1_000_000;

fuzz_target!(|bytes: &[u8]| {
    let options = LoadOptions {
        max_pixels: MAX_PIXELS,
        apply_orientation: true,
    };
    if let Ok(image) = load_rgb_from_memory(bytes, Path::new("fuzz.img"), &options) {
        assert!(u64::from(image.width()) * u64::from(image.height()) <= MAX_PIXELS);
        assert!(image.width() > 0 && image.height() > 0);
    }
});
