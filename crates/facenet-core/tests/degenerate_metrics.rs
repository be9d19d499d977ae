//! Every metric of `facenet_core::metrics` on degenerate inputs (empty input, one class only, all
//! distances equal, folds without one class, NaN / infinite / huge distances): a defined value or an
//! error that says what is wrong, never NaN and never a panic (issue 20: no NaN reaches a report).

use facenet_core::holdout::evaluate_labelled;
use facenet_core::metrics::{
    Evaluation, Folds, PAPER_TARGET_FAR, balanced_accuracy, calibrate, cross_validate, evaluate, mean, population_std,
    roc, standard_error, val_far, wilson_interval,
};
use proptest::prelude::*;

/// Every number of a report, the ROC points included, is finite or (a threshold "accept nothing"
/// below −f64::MAX) −∞ — never NaN.
fn assert_no_nan(report: &Evaluation) {
    let cv = &report.cross_validation;
    let mut numbers = vec![
        report.auc,
        report.eer,
        report.eer_threshold,
        report.balanced_accuracy,
        cv.accuracy_mean,
        cv.accuracy_se,
        cv.accuracy_std,
        cv.val_mean,
        cv.val_std,
        cv.far_mean,
    ];
    for f in &cv.folds {
        numbers.extend([f.threshold, f.accuracy, f.val_threshold, f.val, f.far]);
    }
    for p in report.roc.points() {
        numbers.extend([p.threshold, p.far, p.val]);
    }
    assert!(numbers.iter().all(|v| !v.is_nan()), "NaN in {report:?}");
    for rate in [
        report.auc,
        report.eer,
        report.balanced_accuracy,
        cv.accuracy_mean,
        cv.val_mean,
        cv.far_mean,
    ] {
        assert!((0.0..=1.0).contains(&rate), "rate {rate} outside 0…1 in {report:?}");
    }
}

fn error_text<T: std::fmt::Debug>(result: facenet_core::Result<T>) -> String {
    result.expect_err("should be an error").to_string()
}

#[test]
fn empty_input_is_an_error_everywhere() {
    assert!(error_text(val_far(&[], &[], 0.5)).contains("no pairs"));
    assert!(error_text(roc(&[], &[])).contains("no pairs"));
    assert!(error_text(balanced_accuracy(&[], &[])).contains("no pairs"));
    assert!(error_text(calibrate(&[], &[], 1e-3)).contains("no pairs"));
    assert!(Folds::contiguous(0, 10).is_err());
    assert!(Folds::from_labels(&[]).is_err());
    assert!(evaluate_labelled(&[], 4, &[], 10, PAPER_TARGET_FAR).is_err());
}

#[test]
fn summaries_of_no_values_are_zero() {
    assert_eq!((mean(&[]), population_std(&[]), standard_error(&[])), (0.0, 0.0, 0.0));
    assert_eq!(standard_error(&[0.7]), 0.0);
    let none = wilson_interval(0, 0);
    assert_eq!((none.low, none.high), (0.0, 1.0));
}

#[test]
fn one_class_only_is_an_error_for_curves_and_zero_rates_for_counts() {
    let distances = [0.1, 0.2, 0.3, 0.4];
    let only_same = [true; 4];
    for (d, s) in [(&distances, &only_same), (&distances, &[false; 4])] {
        assert!(error_text(roc(d, s)).contains("same and different pairs"));
        assert!(error_text(balanced_accuracy(d, s)).contains("same and different pairs"));
        assert!(error_text(calibrate(d, s, 1e-3)).contains("same and different pairs"));
        assert!(evaluate(d, s, &Folds::contiguous(4, 2).unwrap(), 1e-3).is_err());
        let cv = cross_validate(d, s, &Folds::contiguous(4, 2).unwrap(), 1e-3).unwrap();
        assert!(cv.folds.iter().all(|f| f.val.is_finite() && f.far.is_finite()));
        assert!((0.0..=1.0).contains(&cv.accuracy_mean), "{cv:?}");
    }
    let at = val_far(&distances, &only_same, 0.25).unwrap();
    assert_eq!((at.val, at.far, at.accuracy), (0.5, 0.0, 0.5));
    // a labelled set of one identity has no different pair: an error, not NaN
    let one_identity = evaluate_labelled(&[0.0, 1.0, 2.0, 3.0], 1, &[7, 7, 7, 7], 2, PAPER_TARGET_FAR);
    assert!(error_text(one_identity).contains("same and different pairs"));
}

#[test]
fn all_distances_equal_is_chance() {
    let distances = [0.5; 8];
    let same = [true, false, true, false, true, false, true, false];
    let report = evaluate(&distances, &same, &Folds::contiguous(8, 4).unwrap(), PAPER_TARGET_FAR).unwrap();
    assert_no_nan(&report);
    assert_eq!((report.auc, report.eer, report.balanced_accuracy), (0.5, 0.5, 0.5));
    let c = calibrate(&distances, &same, PAPER_TARGET_FAR).unwrap();
    assert!(c.threshold.is_finite() && c.val.is_finite() && c.far.is_finite());
}

#[test]
fn folds_without_one_class_report_zero_rates() {
    // fold 1 holds only same pairs, fold 2 only different pairs
    let distances = [0.1, 0.2, 0.9, 1.0];
    let same = [true, true, false, false];
    let report = evaluate(&distances, &same, &Folds::from_labels(&[1, 1, 2, 2]).unwrap(), 0.5).unwrap();
    assert_no_nan(&report);
    let folds = &report.cross_validation.folds;
    assert_eq!(folds[0].far, 0.0, "no different pair in fold 1: FAR 0");
    assert_eq!(folds[1].val, 0.0, "no same pair in fold 2: VAL 0");
}

#[test]
fn nan_and_infinite_distances_are_named_errors() {
    let same = [true, false, true];
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let distances = [0.1, bad, 0.3];
        let message = error_text(val_far(&distances, &same, 0.5));
        assert!(
            message.contains("pair 1") && message.contains("not finite"),
            "{message}"
        );
        assert!(roc(&distances, &same).is_err());
        assert!(balanced_accuracy(&distances, &same).is_err());
        assert!(calibrate(&distances, &same, 1e-3).is_err());
        assert!(cross_validate(&distances, &same, &Folds::contiguous(3, 3).unwrap(), 1e-3).is_err());
    }
    let nan_embedding = evaluate_labelled(&[0.0, f32::NAN, 1.0, 2.0], 1, &[0, 0, 1, 1], 2, PAPER_TARGET_FAR);
    assert!(nan_embedding.is_err());
}

#[test]
fn extreme_distances_interpolate_without_nan() {
    // thresholds interpolated between −f64::MAX and f64::MAX overflowed to ∞ − ∞ before
    let distances = [-f64::MAX, f64::MAX, -f64::MAX, f64::MAX];
    let same = [true, false, false, true];
    let report = evaluate(&distances, &same, &Folds::contiguous(4, 2).unwrap(), 0.5).unwrap();
    assert_no_nan(&report);
    let c = calibrate(&distances, &same, 0.5).unwrap();
    assert!(!c.threshold.is_nan(), "{c:?}");
}

#[test]
fn balanced_accuracy_weighs_same_and_different_pairs_equally() {
    // 1-D: identity 0 at 0.0 and 0.1, identity 1 at 1.0 and 1.1: one threshold separates all pairs
    let separated = evaluate_labelled(&[0.0, 0.1, 1.0, 1.1], 1, &[0, 0, 1, 1], 2, PAPER_TARGET_FAR).unwrap();
    assert_eq!(separated.balanced_accuracy, 1.0);
    // identity 1's photos far apart (d 4.0), above every different pair (≤ 1.21): the best threshold
    // accepts one of two same pairs and no different pair (0.75)
    let spread = evaluate_labelled(&[0.0, 0.1, -1.0, 1.0], 1, &[0, 0, 1, 1], 2, PAPER_TARGET_FAR).unwrap();
    assert!(
        (spread.balanced_accuracy - 0.75).abs() < 1e-12,
        "{}",
        spread.balanced_accuracy
    );
    // the pixel baseline's report (evaluate_labelled) carries it, so its JSON has a number, not NaN
    let json = serde_json::to_value(&spread).unwrap();
    assert_eq!(json["balanced_accuracy"].as_f64(), Some(spread.balanced_accuracy));
}

/// A distance anywhere in f64's finite range, with the extremes and ties well represented.
fn distance() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(-f64::MAX),
        Just(f64::MAX),
        Just(0.0),
        -1e300..1e300f64,
        (0u8..4).prop_map(f64::from),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn no_metric_is_nan_for_any_finite_pairs(
        pairs in prop::collection::vec((distance(), any::<bool>()), 2..40),
        k in 2usize..6,
        target_far in 0.0..=1.0f64,
    ) {
        let (distances, same): (Vec<f64>, Vec<bool>) = pairs.into_iter().unzip();
        let k = k.min(distances.len());
        match evaluate(&distances, &same, &Folds::contiguous(distances.len(), k).unwrap(), target_far) {
            Ok(report) => assert_no_nan(&report),
            Err(e) => prop_assert!(e.to_string().contains("same and different"), "{e}"),
        }
        if let Ok(c) = calibrate(&distances, &same, target_far) {
            prop_assert!(!c.threshold.is_nan() && c.val.is_finite() && c.far.is_finite(), "{c:?}");
        }
        let cv = cross_validate(&distances, &same, &Folds::contiguous(distances.len(), k).unwrap(), target_far).unwrap();
        prop_assert!(cv.folds.iter().all(|f| !f.threshold.is_nan() && !f.val_threshold.is_nan()), "{cv:?}");
    }
}
