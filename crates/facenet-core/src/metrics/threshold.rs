//! Choosing a threshold on a set of labelled distances: the one of best accuracy, and the one that
//! reaches a target FAR. Both are exact over the distinct distances (no threshold grid).

use super::sweep::{Sweep, interpolate, just_below};

/// The threshold that classifies the most pairs of `sweep` right (accept D ≤ d).
///
/// Candidates are "accept nothing" and "accept every pair up to the i-th distinct distance vᵢ"; the first
/// candidate of highest accuracy wins (so the smallest such threshold). The reported threshold sits in the
/// middle of the gap it may move in without changing the accuracy: (vᵢ + vᵢ₊₁)/2; vᵢ when vᵢ is the
/// largest distance; just below v₀ (the next float down) when accepting nothing wins.
/// `sweep` must not be empty.
pub(crate) fn best_accuracy_threshold(sweep: &Sweep) -> f64 {
    let groups = &sweep.groups;
    let (mut best_correct, mut best_index) = (sweep.n_diff, None);
    let (mut ta, mut fa) = (0, 0);
    for (i, group) in groups.iter().enumerate() {
        ta += group.same;
        fa += group.diff;
        let correct = ta + sweep.n_diff - fa;
        if correct > best_correct {
            (best_correct, best_index) = (correct, Some(i));
        }
    }
    match best_index {
        None => just_below(groups[0].value),
        Some(i) if i + 1 == groups.len() => groups[i].value,
        Some(i) => midpoint_below(groups[i].value, groups[i + 1].value),
    }
}

/// (a + b)/2 for a < b, kept strictly below b (a when the two are adjacent floats).
fn midpoint_below(a: f64, b: f64) -> f64 {
    let mid = a + (b - a) / 2.0;
    if mid < b { mid } else { a }
}

/// The threshold at which the FAR of `sweep` reaches `target_far`, interpolated (davidsandberg's
/// `calculate_val` idea: linear interpolation of the threshold as a function of FAR, made exact).
///
/// With the different-pair distances sorted, δ₁ ≤ … ≤ δₙ (n = |P_diff|), FAR(δⱼ) = j/n when there are no
/// ties, and FAR stays j/n on [δⱼ, δⱼ₊₁). The knots are (j/n, δⱼ) for j = 1…n and (0, δ₀) with δ₀ the
/// largest distance of the set below δ₁ (the last accepted pair while FAR is still 0; δ₁ when there is
/// none). With p = target·n, m = ⌊p⌋:
///
/// d = δₘ + (p − m)·(δₘ₊₁ − δₘ),  clamped to δₙ when p ≥ n and to δ₀ when p ≤ 0,
///
/// so the FAR on this set at d is m/n ≤ target (ties aside): the largest FAR not above the target, with d
/// placed within the gap in proportion to how far the target lies between the two FAR steps. When the
/// set holds no different pair, every pair is accepted: d = the largest distance. `sweep` must not be empty.
pub(crate) fn threshold_at_far(sweep: &Sweep, target_far: f64) -> f64 {
    let n = sweep.n_diff;
    let Some(first_different) = sweep.groups.iter().position(|g| g.diff > 0) else {
        return sweep.groups[sweep.groups.len() - 1].value;
    };
    let delta_0 = sweep.groups[first_different.saturating_sub(1)].value;
    let p = target_far * n as f64;
    if p <= 0.0 {
        return delta_0;
    }
    if p >= n as f64 {
        return sweep
            .different_distances()
            .last()
            .expect("n > 0 different pairs should have a last distance");
    }
    let m = p.floor() as usize; // 0 ≤ m < n
    let mut deltas = sweep.different_distances();
    // δₘ and δₘ₊₁, with δ 1-based.
    let (low, high) = if m == 0 {
        (delta_0, deltas.next())
    } else {
        let low = deltas.nth(m - 1).expect("m < n");
        (low, deltas.next())
    };
    let high = high.expect("m + 1 ≤ n different distances should exist");
    interpolate(low, high, p - m as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::sweep::sort_pairs;

    fn sweep(d: &[f64], s: &[bool]) -> Sweep {
        Sweep::from_sorted(&sort_pairs(d, s, None))
    }

    #[test]
    fn best_accuracy_threshold_splits_the_gap() {
        let s = sweep(&[0.1, 0.2, 0.9, 1.0], &[true, true, false, false]);
        assert_eq!(best_accuracy_threshold(&s), 0.55);
    }

    #[test]
    fn accept_nothing_lies_just_below_the_smallest_distance() {
        let s = sweep(&[0.5, 0.7], &[false, false]);
        let t = best_accuracy_threshold(&s);
        assert!(t < 0.5 && t > 0.499_999);
    }

    #[test]
    fn far_threshold_interpolates_between_different_distances() {
        // δ = 1, 2, 3, 4 (n = 4); target 0.3 → p = 1.2 → 1 + 0.2·(2 − 1).
        let s = sweep(&[0.0, 4.0, 2.0, 1.0, 3.0], &[true, false, false, false, false]);
        assert!((threshold_at_far(&s, 0.3) - 1.2).abs() < 1e-12);
        // p < 1 → between δ₀ = the largest distance below δ₁ (0) and δ₁ = 1.
        assert!((threshold_at_far(&s, 0.125) - 0.5).abs() < 1e-12);
        let separated = sweep(&[0.1, 0.2, 1.0, 1.2], &[true, true, false, false]);
        assert!((threshold_at_far(&separated, 0.25) - 0.6).abs() < 1e-12);
        assert_eq!(threshold_at_far(&s, 1.0), 4.0);
    }
}
