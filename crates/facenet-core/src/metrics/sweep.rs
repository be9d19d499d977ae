//! Sort once, sweep: every metric here is a cumulative count over pairs sorted by distance.
//!
//! [`sort_pairs`] sorts all pairs once (parallel, O(n log n)); [`Sweep`] groups a sorted run into
//! distinct distance values with their same/different counts, so "accept D ≤ d" for every candidate d is
//! one prefix sum. Equal distances always fall on the same side of a threshold (ties are one group).

use crate::{Error, Result};
use rayon::prelude::*;

/// One pair, as sorted: its distance, label and fold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SortedPair {
    pub distance: f64,
    pub same: bool,
    pub fold: u32,
}

/// Checks that `distances` and `same` describe the same pairs, are not empty and hold only finite values.
pub(crate) fn check_pairs(distances: &[f64], same: &[bool]) -> Result<()> {
    if distances.len() != same.len() {
        return Err(Error::Invalid(format!(
            "{} distances but {} same/different labels",
            distances.len(),
            same.len()
        )));
    }
    if distances.is_empty() {
        return Err(Error::Invalid("no pairs to evaluate".into()));
    }
    if let Some(i) = distances.iter().position(|d| !d.is_finite()) {
        return Err(Error::Invalid(format!(
            "pair {i}: distance {} is not finite",
            distances[i]
        )));
    }
    Ok(())
}

/// The pairs sorted by ascending distance, each tagged with `folds[i]` (0 when `folds` is `None`).
pub(crate) fn sort_pairs(distances: &[f64], same: &[bool], folds: Option<&[u32]>) -> Vec<SortedPair> {
    let mut pairs: Vec<SortedPair> = distances
        .iter()
        .zip(same)
        .enumerate()
        .map(|(i, (&distance, &same))| SortedPair {
            distance,
            same,
            fold: folds.map_or(0, |f| f[i]),
        })
        .collect();
    pairs.par_sort_unstable_by(|a, b| a.distance.total_cmp(&b.distance));
    pairs
}

/// One distinct distance value and how many same / different pairs have it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Group {
    pub value: f64,
    pub same: u64,
    pub diff: u64,
}

/// Sorted pairs grouped by distinct distance, with the class totals.
#[derive(Debug, Clone, Default)]
pub(crate) struct Sweep {
    pub groups: Vec<Group>,
    pub n_same: u64,
    pub n_diff: u64,
}

impl Sweep {
    /// Groups pairs that arrive in ascending distance order.
    pub fn from_sorted<'a>(pairs: impl IntoIterator<Item = &'a SortedPair>) -> Self {
        let mut sweep = Sweep::default();
        for pair in pairs {
            match sweep.groups.last_mut() {
                Some(group) if group.value == pair.distance => group.add(pair.same),
                _ => {
                    let mut group = Group {
                        value: pair.distance,
                        same: 0,
                        diff: 0,
                    };
                    group.add(pair.same);
                    sweep.groups.push(group);
                }
            }
            if pair.same {
                sweep.n_same += 1;
            } else {
                sweep.n_diff += 1;
            }
        }
        sweep
    }

    /// The number of pairs.
    pub fn len(&self) -> u64 {
        self.n_same + self.n_diff
    }

    /// The distinct different-pair distances, ascending, each repeated once per pair (δ₁ ≤ δ₂ ≤ …).
    pub fn different_distances(&self) -> impl Iterator<Item = f64> + '_ {
        self.groups
            .iter()
            .flat_map(|g| std::iter::repeat_n(g.value, g.diff as usize))
    }
}

impl Group {
    fn add(&mut self, same: bool) {
        if same {
            self.same += 1;
        } else {
            self.diff += 1;
        }
    }
}

/// `num / den`, or 0 when there is nothing to count (the davidsandberg convention for empty classes).
pub(crate) fn rate(num: u64, den: u64) -> f64 {
    if den == 0 { 0.0 } else { num as f64 / den as f64 }
}

/// The largest float below `value`: a threshold that accepts no pair at `value` or above.
pub(crate) fn just_below(value: f64) -> f64 {
    value.next_down()
}

/// a + s·(b − a) for s in [0, 1], never NaN for finite or infinite ends: a at s ≤ 0, b at s ≥ 1, and the
/// weighted sum (1 − s)·a + s·b when b − a overflows (ends near ±`f64::MAX`, or the −∞ of [`just_below`]).
pub(crate) fn interpolate(a: f64, b: f64, s: f64) -> f64 {
    if s <= 0.0 {
        return a;
    }
    if s >= 1.0 {
        return b;
    }
    let value = a + s * (b - a);
    if value.is_finite() {
        value
    } else {
        (1.0 - s) * a + s * b
    }
}
