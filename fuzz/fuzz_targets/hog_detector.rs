//! dlib's HOG face detector as facenet reads it: the first byte chooses the path. 0: the bytes are the
//! text of `frontal_face_detector.h` (base64 lines → the PPM/range-coded stream → the serialised
//! detector, `hog::decoder::decode_header` then `HogDetector::from_bytes`); otherwise the bytes after it
//! are a compressed stream (`decoder::decompress`) or, with 2, a serialised detector.
#![no_main]

use facenet_vision::hog::HogDetector;
use facenet_vision::hog::decoder::{MAX_DECOMPRESSED_BYTES, decode_header, decompress};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&mode, bytes)) = input.split_first() else {
        return;
    };
    match mode % 3 {
        0 => {
            if let Ok(serialised) = decode_header(&String::from_utf8_lossy(bytes)) {
                let _ = HogDetector::from_bytes(&serialised);
            }
        }
        1 => {
            if let Ok(out) = decompress(bytes) {
                assert!(out.len() <= MAX_DECOMPRESSED_BYTES);
            }
        }
        _ => {
            let _ = HogDetector::from_bytes(bytes);
        }
    }
});
