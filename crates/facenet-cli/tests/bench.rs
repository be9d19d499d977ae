//! `facenet bench peak | embed | detect --json`: the shapes issue #19 asks for, and that every rate is a
//! finite positive number (not the timings themselves, which depend on the machine).

mod common;

use common::{facenet, photo, text};
use serde_json::Value;

fn json_of(args: &[&str]) -> Value {
    let out = facenet(args);
    assert!(
        out.status.success(),
        "facenet {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout should be one JSON document")
}

fn positive(row: &Value, key: &str) -> f64 {
    let v = row[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} should be a number: {row}"));
    assert!(v.is_finite() && v > 0.0, "{key} should be finite and positive: {row}");
    v
}

#[test]
fn peak_reports_the_f32_fma_rate_and_int8_where_the_cpu_has_vnni() {
    let peaks = json_of(&["--json", "bench", "peak", "--seconds", "0.05", "--threads", "2"]);
    let rows = peaks.as_array().unwrap();
    assert_eq!(rows[0]["precision"], "f32");
    assert_eq!(rows[0]["threads"], 2);
    for row in rows {
        positive(row, "gflops");
        assert!(row["isa"].is_string(), "{row}");
    }
    let vnni = std::is_x86_feature_detected!("avx512vnni");
    assert_eq!(rows.len(), if vnni { 2 } else { 1 }, "{peaks}");
}

#[test]
fn embed_rows_carry_faces_per_s_gflops_and_the_share_of_the_peak() {
    let rows = json_of(&[
        "--json",
        "bench",
        "embed",
        "--model",
        "facenet",
        "--batch",
        "1",
        "--batch",
        "2",
        "--seconds",
        "0.05",
    ]);
    let rows = rows.as_array().unwrap();
    assert_eq!(
        rows.iter().map(|r| r["batch"].as_u64().unwrap()).collect::<Vec<_>>(),
        [1, 2]
    );
    for row in rows {
        let faces_per_s = positive(row, "faces_per_s");
        let gflops = positive(row, "gflops");
        let pct = positive(row, "peak_pct");
        // 1.418 G multiply-adds a face: the counted work equals the model's
        let counted = gflops * 1e9 / 2.0 / faces_per_s;
        assert!(
            (counted / 1.4177e9 - 1.0).abs() < 0.01,
            "{counted} multiply-adds a face: {row}"
        );
        assert!(pct < 200.0, "{row}");
    }
}

#[test]
fn detect_times_the_given_photos_and_reports_a_bad_one() {
    let (good, missing) = (photo("obama.jpg"), "no-such-photo.jpg");
    let out = facenet(&["--json", "bench", "detect", "--repeat", "1", text(&good), missing]);
    assert_eq!(out.status.code(), Some(1), "one photo failed");
    assert!(String::from_utf8_lossy(&out.stderr).contains(missing));
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["path"], text(&good));
    assert!(
        rows[0]["faces"].as_u64().unwrap() >= 1,
        "obama.jpg has a face: {}",
        rows[0]
    );
    for key in ["ms", "gflops", "peak_pct"] {
        positive(&rows[0], key);
    }
}

#[test]
fn detect_without_photos_times_the_fixtures_and_the_full_hd_canvas() {
    let rows = json_of(&["--json", "bench", "detect", "--repeat", "1"]);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 8, "7 fixture photos and the 1920×1080 canvas");
    assert!(rows[7]["path"].as_str().unwrap().ends_with("bench-1920x1080.png"));
    assert_eq!(
        (rows[7]["width"].as_u64(), rows[7]["height"].as_u64()),
        (Some(1920), Some(1080))
    );
    for row in rows {
        positive(row, "ms");
        positive(row, "gflops");
    }
}
