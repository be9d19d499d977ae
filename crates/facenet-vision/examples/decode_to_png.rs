//! Writes a photo as facenet decodes it (8-bit RGB, EXIF applied) to a lossless PNG, so that reference
//! tools (scripts/dlib_on_decoded_pixels.py) can run on exactly the pixels facenet sees.
//!
//! `cargo run --release -p facenet-vision --example decode_to_png -- PHOTO OUT.png`

use facenet_vision::{load_rgb, LoadOptions};
use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [photo, out] = args.as_slice() else {
        return Err("usage: decode_to_png PHOTO OUT.png".into());
    };
    load_rgb(photo, &LoadOptions::default())?.save(out)?;
    Ok(())
}
