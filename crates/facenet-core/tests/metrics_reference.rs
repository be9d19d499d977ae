//! Parity with an independent implementation: `scripts/eval_reference.py` (numpy brute force over every
//! candidate threshold, scikit-learn `roc_auc_score` / `roc_curve`, scipy `brentq` for the EER) wrote the
//! score sets and the expected figures in `tests/fixtures/metrics/`:
//!
//! ```sh
//! ~/.cache/facenet-peers/sk/bin/python scripts/eval_reference.py
//! ```
//!
//! Exact figures (accuracies, accuracy thresholds, VAL, FAR, AUC, spreads) must agree within 1e-9;
//! interpolated ones (VAL thresholds, EER and its threshold) within 1e-6.

use facenet_core::metrics::evaluate;
use facenet_core::protocols::scores::read_scores;
use serde_json::Value;
use std::path::PathBuf;

const EXACT: f64 = 1e-9;
const INTERPOLATED: f64 = 1e-6;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metrics")
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("expected.json")).unwrap()).unwrap()
}

fn close(what: &str, got: f64, want: &Value, tolerance: f64) {
    let want = want
        .as_f64()
        .unwrap_or_else(|| panic!("{what}: expected a number in the fixture"));
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: got {got}, reference {want} (tolerance {tolerance})"
    );
}

fn check_set(name: &str) {
    let want = &expected()[name];
    let scores = read_scores(&fixtures().join(format!("{name}.csv"))).unwrap();
    let target_far = want["target_far"].as_f64().unwrap();
    let report = evaluate(&scores.distances, &scores.same, &scores.folds(10).unwrap(), target_far).unwrap();
    let cv = &report.cross_validation;
    for (key, got) in [
        ("accuracy_mean", cv.accuracy_mean),
        ("accuracy_se", cv.accuracy_se),
        ("accuracy_std", cv.accuracy_std),
        ("val_mean", cv.val_mean),
        ("val_std", cv.val_std),
        ("far_mean", cv.far_mean),
        ("auc", report.auc),
    ] {
        close(&format!("{name} {key}"), got, &want[key], EXACT);
    }
    close(&format!("{name} eer"), report.eer, &want["eer"], INTERPOLATED);
    close(
        &format!("{name} eer_threshold"),
        report.eer_threshold,
        &want["eer_threshold"],
        INTERPOLATED,
    );
    let want_folds = want["folds"].as_array().unwrap();
    assert_eq!(cv.folds.len(), want_folds.len(), "{name}: fold count");
    for (got, want) in cv.folds.iter().zip(want_folds) {
        let fold = format!("{name} fold {}", got.fold);
        assert_eq!(u64::from(got.fold), want["fold"].as_u64().unwrap(), "{fold}: label");
        close(&format!("{fold} threshold"), got.threshold, &want["threshold"], EXACT);
        close(&format!("{fold} accuracy"), got.accuracy, &want["accuracy"], EXACT);
        close(
            &format!("{fold} val_threshold"),
            got.val_threshold,
            &want["val_threshold"],
            INTERPOLATED,
        );
        close(&format!("{fold} val"), got.val, &want["val"], EXACT);
        close(&format!("{fold} far"), got.far, &want["far"], EXACT);
    }
}

#[test]
fn gaussian_scores_with_ties_match_the_reference() {
    check_set("gaussian");
}

#[test]
fn heavy_ties_match_the_reference() {
    check_set("ties");
}

#[test]
fn perfect_separation_matches_the_reference() {
    check_set("perfect");
    let want = &expected()["perfect"];
    assert_eq!(
        (
            want["accuracy_mean"].as_f64(),
            want["auc"].as_f64(),
            want["eer"].as_f64()
        ),
        (Some(1.0), Some(1.0), Some(0.0))
    );
}

#[test]
fn all_same_and_all_different_folds_match_the_reference() {
    check_set("all_same_fold");
    let fold3 = &expected()["all_same_fold"]["folds"][2];
    assert_eq!(
        fold3["far"].as_f64(),
        Some(0.0),
        "a fold without different pairs has FAR 0 by convention"
    );
}

#[test]
fn val_at_far_1e3_matches_the_reference() {
    check_set("far_1e-3");
}
