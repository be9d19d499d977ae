//! Without a font, charts are still drawn (without text) instead of failing. Its own test binary: the
//! font choice is made once per process.

use facenet_report::{Series, line_chart, text_available};

#[test]
fn charts_draw_without_a_font() {
    // SAFETY: the only test of this binary, run before any other thread reads the environment.
    unsafe { std::env::set_var("FACENET_REPORT_FONT", "none") };
    assert!(!text_available());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plain.png");
    line_chart(
        &path,
        "no text",
        "x",
        "y",
        &[Series::new("line", vec![(0.0, 0.0), (1.0, 1.0)])],
    )
    .unwrap();
    let image = image::open(&path).expect("a valid PNG");
    assert!(
        image.to_rgb8().pixels().any(|p| p.0 != [255, 255, 255]),
        "the line should be drawn"
    );
}
