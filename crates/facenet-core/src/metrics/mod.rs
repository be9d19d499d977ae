//! Verification metrics: how well a distance separates same-identity from different-identity pairs
//! (FaceNet, Schroff et al. 2015, Sec. 5; LFW's "unrestricted, labeled outside data" protocol).
//!
//! Every function takes the pairs as two parallel slices, `distances: &[f64]` (D(i, j), e.g. the squared
//! L2 distance of two embeddings; any score where smaller means "more alike") and `same: &[bool]` (the
//! truth). A pair is **accepted** as "same" at threshold d when **D ≤ d**, as in the paper (davidsandberg's
//! code uses D < d on a threshold grid; here every distinct distance is a candidate, so no grid is needed).
//!
//! # The paper's quantities
//! - TA(d) = {same pairs with D ≤ d}, FA(d) = {different pairs with D ≤ d};
//!   VAL(d) = |TA(d)| / |P_same|, FAR(d) = |FA(d)| / |P_diff| — [`val_far`] → [`ValFar`]. A rate over an
//!   empty class is 0 (davidsandberg's convention), e.g. FAR of a fold without different pairs.
//!
//! # k-fold cross-validation — [`cross_validate`] → [`CrossValidation`]
//! [`Folds`] say which fold each pair is in: [`Folds::contiguous`] (k runs of consecutive pairs, sklearn's
//! `KFold(shuffle=False)`: LFW pairs.txt's 10 folds of 600) or [`Folds::from_labels`]. For each fold f,
//! two thresholds are chosen on the **other** k − 1 folds and applied to fold f:
//! - **accuracy threshold**: the candidate of highest training accuracy, candidates being "accept
//!   nothing" and "accept up to the i-th distinct distance vᵢ"; the first (smallest) best wins; the
//!   reported threshold is the middle of the gap (vᵢ + vᵢ₊₁)/2 (vᵢ for the largest distance, the float
//!   just below v₀ for "accept nothing"). Fold f's accuracy is counted at it.
//! - **VAL threshold** at `target_far` (the paper's 1e-3: [`PAPER_TARGET_FAR`]): with the training
//!   different-pair distances sorted δ₁ ≤ … ≤ δₙ, the knots (j/n, δⱼ) and (0, δ₀ = the largest training
//!   distance below δ₁, or δ₁ when none) are joined by straight lines and read at FAR = target: with
//!   p = target·n, m = ⌊p⌋,
//!   d = δₘ + (p − m)(δₘ₊₁ − δₘ), clamped to [δ₀, δₙ]. This is davidsandberg's `calculate_val`
//!   (`interp1d(far_train, thresholds, kind='slinear')` over a 0.001 grid) made exact: the training FAR at d
//!   is m/n, the largest step not above the target (ties aside). Without training different pairs, d is
//!   the largest training distance. Fold f's VAL and FAR are counted at it.
//!
//! Summaries: `accuracy_mean`, `accuracy_se` = sample std (ddof 1)/√k (the paper's "± standard error"),
//! `accuracy_std` = population std (ddof 0, davidsandberg's `np.std`), `val_mean`, `val_std` (ddof 0),
//! `far_mean`.
//!
//! # ROC, AUC, EER — [`roc`] → [`Roc`]
//! One point per distinct distance plus (0, 0); [`Roc::auc`] is the exact trapezoid area (= Mann–Whitney,
//! ties ½, as scikit-learn's `roc_auc_score`); [`Roc::eer`] is where the piecewise-linear curve crosses
//! FAR = 1 − VAL, rate and threshold interpolated along the crossing segment.
//!
//! # Balanced accuracy — [`balanced_accuracy`], [`Roc::balanced_accuracy`]
//! The best (VAL + 1 − FAR) / 2 over the ROC points: same-pair and different-pair accuracy weighed
//! equally (0.5 = chance), what held-out sets with many more different than same pairs report.
//!
//! # Degenerate inputs
//! Every function here returns a defined number or an error, never NaN: empty input, unequal lengths and
//! non-finite distances are errors; a ROC, EER, AUC, balanced accuracy or calibration without a same or a
//! different pair is an error; a rate over an empty class is 0 (above); all-equal distances are one
//! threshold step (AUC 0.5, EER 0.5, balanced accuracy 0.5). Thresholds are interpolated without
//! overflowing into NaN, even between distances near ±`f64::MAX`.
//!
//! # Calibration — [`calibrate`] → [`Calibration`]
//! The threshold reaching a target FAR on all of a user's pairs (the VAL-threshold rule above), VAL and
//! FAR there with 95 % Wilson score intervals ([`wilson_interval`]).
//!
//! # All at once — [`evaluate`] → [`Evaluation`]
//! One sort, then one linear pass per fold: O(n log n + k·n) for n pairs (10M pairs, 10 folds: 2.7 s,
//! 1M: 0.36 s, on 2 cores under load 13; `cargo bench -p facenet-core --bench metrics`). Verified against an independent numpy/scikit-learn
//! implementation (`scripts/eval_reference.py`, fixtures in `crates/facenet-core/tests/fixtures/metrics/`).
//!
//! ```
//! use facenet_core::metrics::{evaluate, val_far, Folds, PAPER_TARGET_FAR};
//! let distances = [0.3, 1.6, 0.5, 1.2, 0.4, 1.9, 0.9, 0.8];
//! let same = [true, false, true, false, true, false, true, false];
//! let report = evaluate(&distances, &same, &Folds::contiguous(8, 4).unwrap(), PAPER_TARGET_FAR).unwrap();
//! let cv = &report.cross_validation;
//! println!("accuracy {:.4} ± {:.4}, VAL {:.4} @ FAR {:.4}", cv.accuracy_mean, cv.accuracy_se, cv.val_mean, cv.far_mean);
//! assert_eq!(val_far(&distances, &same, 1.0).unwrap().val, 1.0);
//! ```

mod balanced;
mod calibrate;
mod evaluation;
mod kfold;
mod rates;
mod roc;
mod sweep;
mod threshold;

pub use balanced::balanced_accuracy;
pub use calibrate::{Calibration, Interval, calibrate, wilson_interval};
pub use evaluation::{Evaluation, PAPER_TARGET_FAR, evaluate};
pub use kfold::{CrossValidation, FoldResult, Folds, cross_validate, mean, population_std, standard_error};
pub use rates::{ValFar, val_far};
pub use roc::{Eer, Roc, RocPoint, roc};
