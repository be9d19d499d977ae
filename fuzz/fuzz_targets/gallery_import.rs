//! Gallery import files (`facenet_gallery::jsonl::import`, what `facenet gallery import` reads): a header
//! line, then one JSON face per line, into a fresh in-memory SQLite gallery. A bad line is an error that
//! names the file and the line; the faces before it stay.
#![no_main]

use facenet_gallery::Gallery;
use facenet_gallery::jsonl::import;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|bytes: &[u8]| {
    let mut gallery = Gallery::open(Path::new(":memory:")).expect("an in-memory gallery opens");
    if let Err(e) = import(&mut gallery, bytes, Path::new("export.jsonl")) {
        let message = e.to_string();
        assert!(
            message.contains("export.jsonl") || message.contains(":memory:"),
            "{message}"
        );
    }
});
