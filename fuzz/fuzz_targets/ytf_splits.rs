//! YouTube Faces' video list and splits.txt (`facenet_core::protocols::ytf::{parse_videos,
//! parse_splits}`); the first byte chooses which.
#![no_main]

use facenet_core::protocols::ytf::{parse_splits, parse_videos};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&mode, bytes)) = input.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    if mode % 2 == 0 {
        let _ = parse_videos(text, "videos.txt");
    } else {
        let _ = parse_splits(text, "splits.txt");
    }
});
