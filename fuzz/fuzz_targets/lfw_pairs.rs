//! LFW's pairs.txt (`facenet_core::protocols::lfw::parse_lfw_pairs`): any text gives pairs or an error
//! naming the line.
#![no_main]

use facenet_core::protocols::lfw::parse_lfw_pairs;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if let Err(e) = parse_lfw_pairs(text, "pairs.txt") {
        assert!(e.to_string().contains("pairs.txt"), "{e}");
    }
});
