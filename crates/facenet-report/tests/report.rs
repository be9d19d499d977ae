//! The report files exist, are valid PNG / HTML, and show what they should.

use facenet_core::metrics::{Folds, evaluate};
use facenet_report::{CHART_SIZE, ReportInput, Series, line_chart, write_report};
use std::path::Path;

/// Decodes a PNG and counts pixels close to `color`.
fn pixels_like(path: &Path, color: [u8; 3]) -> usize {
    let image = image::open(path).expect("chart should be a valid PNG").to_rgb8();
    assert_eq!(image.dimensions(), CHART_SIZE);
    image
        .pixels()
        .filter(|p| p.0.iter().zip(color).all(|(a, b)| a.abs_diff(b) < 40))
        .count()
}

/// 200 pairs: same distances around 0.6, different around 1.4, overlapping a little.
fn synthetic_pairs() -> (Vec<f64>, Vec<bool>) {
    let same: Vec<bool> = (0..200).map(|i| i % 2 == 0).collect();
    let distances = (0..200)
        .map(|i| {
            if i % 2 == 0 {
                0.3 + (i % 37) as f64 * 0.02
            } else {
                0.9 + (i % 41) as f64 * 0.025
            }
        })
        .collect();
    (distances, same)
}

#[test]
fn line_chart_draws_each_series() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("loss.png");
    let loss = Series::new("loss", (0..20).map(|i| (i as f64, 1.0 / (1.0 + i as f64))).collect());
    let val = Series::new("VAL", (0..20).map(|i| (i as f64, 0.5 + 0.02 * i as f64)).collect());
    line_chart(&path, "training", "epoch", "value", &[loss, val]).unwrap();
    use plotters::style::{Color, Palette, Palette99};
    let (first, second) = (Palette99::pick(0).to_rgba(), Palette99::pick(1).to_rgba());
    assert!(
        pixels_like(&path, [first.0, first.1, first.2]) > 100,
        "first series should be drawn"
    );
    assert!(
        pixels_like(&path, [second.0, second.1, second.2]) > 100,
        "second series should be drawn"
    );
}

#[test]
fn line_chart_refuses_empty_or_non_finite_series() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.png");
    assert!(line_chart(&path, "t", "x", "y", &[Series::new("empty", vec![])]).is_err());
    assert!(line_chart(&path, "t", "x", "y", &[Series::new("nan", vec![(0.0, f64::NAN)])]).is_err());
    assert!(!path.exists());
}

#[test]
fn report_folder_joins_json_charts_and_html() {
    let (distances, same) = synthetic_pairs();
    let evaluation = evaluate(&distances, &same, &Folds::contiguous(200, 10).unwrap(), 1e-2).unwrap();
    let json = serde_json::to_value(&evaluation).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let notes = vec!["3 pairs skipped: <missing image>".to_string()];
    let input = ReportInput {
        title: "synthetic & test",
        json: &json,
        evaluation: &evaluation,
        distances: &distances,
        same: &same,
        notes: &notes,
    };
    let files = write_report(&dir.path().join("report"), &input).unwrap();

    let written: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&files.json).unwrap()).unwrap();
    assert_eq!(written, json);
    assert!(
        pixels_like(&files.roc, [0, 0, 255]) > 100,
        "the ROC curve should be drawn in blue"
    );
    assert!(
        pixels_like(&files.histogram, [0, 0, 0]) > 100,
        "the threshold line should be drawn"
    );

    let html = std::fs::read_to_string(&files.html).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>") && html.trim_end().ends_with("</html>"));
    for needle in [
        "src=\"roc.png\"",
        "src=\"histogram.png\"",
        "href=\"report.json\"",
        "synthetic &amp; test",
        "&lt;missing image&gt;",
    ] {
        assert!(html.contains(needle), "the page should contain {needle}");
    }
    let accuracy = format!("{:.2} %", 100.0 * evaluation.cross_validation.accuracy_mean);
    assert!(html.contains(&accuracy), "the page should show the accuracy {accuracy}");
    assert_eq!(html.matches("<tr><td>").count(), 10, "one row per fold");
}
