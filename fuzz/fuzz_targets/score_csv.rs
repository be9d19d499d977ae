//! Score files (`facenet_core::protocols::scores::parse_scores`), then what `facenet eval pairs` does with
//! them: folds and the whole verification report, which must never hold NaN.
#![no_main]

use facenet_core::metrics::PAPER_TARGET_FAR;
use facenet_core::protocols::scores::parse_scores;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return;
    };
    let Ok(scores) = parse_scores(text, "scores.csv") else {
        return;
    };
    let Ok(scored) = scores.into_scored(10) else {
        return;
    };
    if let Ok(report) = scored.evaluate(PAPER_TARGET_FAR) {
        let json = format!("{report:?}");
        assert!(!json.contains("NaN"), "{json}");
    }
});
