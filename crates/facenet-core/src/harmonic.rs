//! Harmonic triplet mining (FaceNet, Schroff et al. 2015, Sec. 6.1 and Fig. 9): a new model v2 is trained
//! so that its embeddings can be compared with those of a frozen old model v1, by triplets that mix the
//! two models' embeddings of the same batch.
//!
//! The batch's n photos are embedded by both models; in the **mixed set** of 2n embeddings, row `i` is
//! photo i through v2 and row `n + i` is photo i through v1. The squared-L2 distances are taken over the
//! whole mixed set ([`mine_harmonic`]). For every anchor-positive pair (a, p) of the first `anchors`
//! photos with the same label, three triplets are formed, one per [`Mix`]:
//!
//! | mix | anchor | positive | negative chosen among | pairs |
//! |---|---|---|---|---|
//! | [`Mix::NewNew`] | v2(a) | v2(p) | v2 of the other identities | a ≠ p (ordinary training) |
//! | [`Mix::NewOld`] | v2(a) | v1(p) | v1 of the other identities | a ≠ p, and a = p (the same photo through both models) |
//! | [`Mix::OldNew`] | v1(a) | v2(p) | v2 of the other identities | a ≠ p, and a = p |
//!
//! The negative is chosen by the run's [`NegativeRule`] from the anchor's distances in the mixed set (so
//! a semi-hard negative of a cross triplet is semi-hard in the cross distance the compared galleries
//! use); pairs without one are skipped as in [`crate::mining`]. Old-old triplets are not formed: v1 is
//! frozen and they carry no gradient. Every cross triplet has its positive and negative from the same
//! model, the other one than its anchor's, so each teaches "v2 of this person is closer to v1 of this
//! person than to v1 of anyone else" (and the converse), which is what an old gallery queried with new
//! probes needs.

use crate::mining::{MiningStats, NegativeRule, Triplet, choose_negative, squared_distances, stats_of};
use crate::{Error, Result};
use rand::Rng;

/// Which models a harmonic triplet takes its anchor and its positive and negative from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    /// All three from the new model.
    NewNew,
    /// Anchor from the new model; positive and negative from the old.
    NewOld,
    /// Anchor from the old model; positive and negative from the new.
    OldNew,
}

impl Mix {
    /// The three mixes, in the order [`mine_harmonic`] forms them.
    pub const ALL: [Mix; 3] = [Mix::NewNew, Mix::NewOld, Mix::OldNew];

    /// Offsets into the mixed set of the anchor's model and of the positive's and negative's model.
    fn offsets(self, n: usize) -> (usize, usize) {
        match self {
            Mix::NewNew => (0, 0),
            Mix::NewOld => (0, n),
            Mix::OldNew => (n, 0),
        }
    }
}

/// True when row `index` of a mixed set of `n` photos is an old-model embedding.
pub fn is_old(index: usize, n: usize) -> bool {
    index >= n
}

/// Mines harmonic triplets from a batch embedded by the new model (`new`, `n × dim`) and the frozen old
/// model (`old`, the same photos in the same order), with `labels[i]` the identity of photo i; only the
/// first `anchors` photos are anchors or positives. Triplets index the mixed set (row `i` new, `n + i` old:
/// see the module table); the statistics are over all three mixes.
#[allow(clippy::too_many_arguments)]
pub fn mine_harmonic(
    new: &[f32],
    old: &[f32],
    dim: usize,
    labels: &[usize],
    anchors: usize,
    alpha: f32,
    rule: NegativeRule,
    rng: &mut impl Rng,
) -> Result<(Vec<Triplet>, MiningStats)> {
    let n = labels.len();
    if new.len() != n * dim || old.len() != n * dim || anchors > n {
        return Err(Error::Invalid(format!(
            "harmonic mining: {} new and {} old values for {n} labels of dimension {dim}, {anchors} anchors",
            new.len(),
            old.len()
        )));
    }
    let mixed: Vec<f32> = new.iter().chain(old).copied().collect();
    let distances = squared_distances(&mixed, dim)?;
    let width = 2 * n;
    let mut triplets = Vec::new();
    let mut pairs = 0;
    for mix in Mix::ALL {
        let (anchor_offset, other_offset) = mix.offsets(n);
        for a in 0..anchors {
            let anchor = anchor_offset + a;
            let row = &distances[anchor * width..(anchor + 1) * width];
            let same_photo_allowed = mix != Mix::NewNew;
            for p in (0..anchors).filter(|&p| labels[p] == labels[a] && (p != a || same_photo_allowed)) {
                pairs += 1;
                let positive = other_offset + p;
                let negatives = (0..n).filter(|&j| labels[j] != labels[a]).map(|j| other_offset + j);
                if let Some(negative) = choose_negative(row, row[positive], negatives, alpha, rule, rng) {
                    triplets.push(Triplet {
                        anchor,
                        positive,
                        negative,
                    });
                }
            }
        }
    }
    let stats = stats_of(&triplets, &distances, width, pairs, alpha);
    Ok((triplets, stats))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Four photos, 1-D embeddings: 0 and 1 of identity A (the anchors), 2 and 3 of B (negatives only).
    /// New model: A at 0.0 and 0.1, B at 0.5 and 3.0. Old model: the same photos shifted by +0.3.
    fn batch() -> (Vec<f32>, Vec<f32>, Vec<usize>) {
        let new = vec![0.0, 0.1, 0.5, 3.0];
        let old = new.iter().map(|v| v + 0.3).collect();
        (new, old, vec![0, 0, 1, 1])
    }

    #[test]
    fn every_mix_is_formed_with_positive_and_negative_from_the_other_model() {
        let (new, old, labels) = batch();
        let (triplets, stats) = mine_harmonic(
            &new,
            &old,
            1,
            &labels,
            2,
            0.5,
            NegativeRule::Tf,
            &mut ChaCha8Rng::seed_from_u64(0),
        )
        .unwrap();
        // new-new: pairs (0,1), (1,0); cross: (0,0), (0,1), (1,0), (1,1) for each of the two mixes
        assert_eq!(stats.pairs, 2 + 4 + 4);
        assert_eq!(triplets.len(), 10, "the tf rule always finds a negative");
        let n = labels.len();
        for t in &triplets {
            assert_eq!(is_old(t.positive, n), is_old(t.negative, n), "{t:?}");
            assert!(
                !(is_old(t.anchor, n) && is_old(t.positive, n)),
                "no old-old triplet: {t:?}"
            );
            assert_eq!(labels[t.anchor % n], labels[t.positive % n]);
            assert_ne!(labels[t.anchor % n], labels[t.negative % n]);
        }
        let count = |f: &dyn Fn(&Triplet) -> bool| triplets.iter().filter(|t| f(t)).count();
        assert_eq!(count(&|t| !is_old(t.anchor, n) && !is_old(t.positive, n)), 2);
        assert_eq!(count(&|t| !is_old(t.anchor, n) && is_old(t.positive, n)), 4);
        assert_eq!(count(&|t| is_old(t.anchor, n) && !is_old(t.positive, n)), 4);
    }

    #[test]
    fn negatives_are_semi_hard_in_the_cross_distance() {
        let (new, old, labels) = batch();
        let (triplets, _) = mine_harmonic(
            &new,
            &old,
            1,
            &labels,
            2,
            0.6,
            NegativeRule::HardestSemiHard,
            &mut ChaCha8Rng::seed_from_u64(0),
        )
        .unwrap();
        // Anchor new(0) = 0.0 with positive old(0) = 0.3: d_ap = 0.09. Old negatives: 0.8 (d 0.64, inside
        // 0.09 + 0.6) and 3.3 (d 10.9, outside): old(2), row n + 2 = 6, is the one.
        assert!(triplets.contains(&Triplet {
            anchor: 0,
            positive: 4,
            negative: 6
        }));
        // Anchor old(1) = 0.4 with positive new(0) = 0.0: d_ap = 0.16; new negatives 0.5 (d 0.01, harder than
        // the positive) and 3.0 (d 6.76, too easy): no semi-hard negative, the pair is skipped.
        assert!(!triplets.iter().any(|t| t.anchor == 5 && t.positive == 0));
    }

    #[test]
    fn mismatched_sizes_are_refused() {
        let (new, _, labels) = batch();
        let err = mine_harmonic(
            &new,
            &new[..3],
            1,
            &labels,
            2,
            0.2,
            NegativeRule::Tf,
            &mut ChaCha8Rng::seed_from_u64(0),
        )
        .unwrap_err();
        assert!(err.to_string().contains("3 old values"), "{err}");
    }
}
