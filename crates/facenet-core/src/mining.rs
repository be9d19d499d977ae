//! Online triplet mining (FaceNet, Schroff et al. 2015, Sec. 3.1–3.2), over plain `&[f32]`.
//!
//! A training batch is **identity-balanced** ([`sample_batch`]): `people_per_batch` identities with up
//! to `images_per_person` photos each (the paper: ~40), plus `random_negatives` photos of other identities
//! that only ever serve as negatives. The batch is embedded (no gradients), its squared-L2 distance
//! matrix computed ([`squared_distances`]), and [`mine_triplets`] forms one triplet per **anchor-positive
//! pair** (every ordered pair of two photos of one identity, as the paper uses all pairs rather than the
//! hardest positive), choosing the negative by a [`NegativeRule`]:
//!
//! | rule | negative chosen | when no semi-hard negative exists |
//! |---|---|---|
//! | [`NegativeRule::RandomSemiHard`] | uniformly among the semi-hard ones, d_ap < d_an < d_ap + α (the paper; davidsandberg's trainer draws randomly too) | the pair is skipped |
//! | [`NegativeRule::HardestSemiHard`] | the semi-hard one of smallest d_an | the pair is skipped |
//! | [`NegativeRule::Tf`] | TensorFlow's `triplet_semihard_loss`: the smallest d_an > d_ap, margin or not | the largest d_an (the easiest negative) |
//!
//! The paper warns that the hardest negatives (d_an < d_ap) early in training collapse the model to
//! f(x) = 0, so no rule picks them while a semi-hard or easier one exists.

use crate::{Error, Result};
use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};
use serde::{Deserialize, Serialize};

/// How the negative of an anchor-positive pair is chosen (see the module table).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NegativeRule {
    /// A random semi-hard negative; pairs without one are skipped.
    #[default]
    RandomSemiHard,
    /// The hardest semi-hard negative (smallest d_an above d_ap); pairs without one are skipped.
    HardestSemiHard,
    /// TensorFlow's rule: the smallest d_an > d_ap, else the largest d_an.
    Tf,
}

/// One triplet, as indices into the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Triplet {
    pub anchor: usize,
    pub positive: usize,
    pub negative: usize,
}

/// What mining found in one batch.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct MiningStats {
    /// Anchor-positive pairs considered.
    pub pairs: usize,
    /// Triplets formed.
    pub triplets: usize,
    /// Fraction of the triplets with a positive loss, d_ap − d_an + α > 0, at mining time.
    pub fraction_active: f64,
    /// Mean d_ap and d_an over the triplets (squared L2).
    pub mean_d_ap: f64,
    pub mean_d_an: f64,
}

/// The composition of a training batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchShape {
    pub people_per_batch: usize,
    pub images_per_person: usize,
    pub random_negatives: usize,
}

/// One photo of a batch: an identity index and a photo index within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    pub identity: usize,
    pub image: usize,
}

/// Draws a batch over identities with `images_per_identity[i]` photos each: `people_per_batch` distinct
/// identities (all of them when there are fewer), each with `min(images_per_person, its count)` distinct
/// photos, grouped by identity; then `random_negatives` photos of identities not among them (uniform
/// over those photos; none when every identity is in the batch). Returns the samples and how many of
/// them (the leading ones) may be anchors.
pub fn sample_batch(images_per_identity: &[usize], shape: &BatchShape, rng: &mut impl Rng) -> (Vec<Sample>, usize) {
    let mut identities: Vec<usize> = (0..images_per_identity.len()).collect();
    identities.shuffle(rng);
    let (chosen, others) = identities.split_at(shape.people_per_batch.min(identities.len()));
    let mut samples = Vec::with_capacity(shape.people_per_batch * shape.images_per_person + shape.random_negatives);
    for &identity in chosen {
        let count = images_per_identity[identity];
        let picked = rand::seq::index::sample(rng, count, shape.images_per_person.min(count));
        samples.extend(picked.into_iter().map(|image| Sample { identity, image }));
    }
    let anchors = samples.len();
    let other_photos: usize = others.iter().map(|&i| images_per_identity[i]).sum();
    let negatives = if other_photos == 0 { 0 } else { shape.random_negatives };
    for _ in 0..negatives {
        samples.push(nth_photo(
            others,
            images_per_identity,
            rng.random_range(0..other_photos),
        ));
    }
    (samples, anchors)
}

/// The `n`-th photo when the photos of `identities` are laid end to end.
fn nth_photo(identities: &[usize], counts: &[usize], mut n: usize) -> Sample {
    for &identity in identities {
        if n < counts[identity] {
            return Sample { identity, image: n };
        }
        n -= counts[identity];
    }
    unreachable!("n is below the total photo count by construction")
}

/// The `n × n` matrix of squared L2 distances between the rows of `embeddings` (`n × dim`, row-major).
pub fn squared_distances(embeddings: &[f32], dim: usize) -> Result<Vec<f32>> {
    if dim == 0 || !embeddings.len().is_multiple_of(dim) {
        return Err(Error::Invalid(format!(
            "{} values are not rows of dimension {dim}",
            embeddings.len()
        )));
    }
    let rows: Vec<&[f32]> = embeddings.chunks_exact(dim).collect();
    let n = rows.len();
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for j in (i + 1)..n {
            let d = crate::distance::squared_l2(rows[i], rows[j]);
            out[i * n + j] = d;
            out[j * n + i] = d;
        }
    }
    Ok(out)
}

/// Mines triplets from the `n × n` squared distance matrix `distances` of a batch with `labels[i]` the
/// identity of sample i; only the first `anchors` samples are anchors or positives, all are negatives.
/// Every ordered anchor-positive pair (a ≠ p, same label) gets a negative by `rule` (see module docs).
pub fn mine_triplets(
    distances: &[f32],
    labels: &[usize],
    anchors: usize,
    alpha: f32,
    rule: NegativeRule,
    rng: &mut impl Rng,
) -> Result<(Vec<Triplet>, MiningStats)> {
    let n = labels.len();
    if distances.len() != n * n || anchors > n {
        return Err(Error::Invalid(format!(
            "distance matrix of {} values for {n} labels and {anchors} anchors",
            distances.len()
        )));
    }
    let mut triplets = Vec::new();
    let mut pairs = 0;
    for a in 0..anchors {
        let row = &distances[a * n..(a + 1) * n];
        for p in (0..anchors).filter(|&p| p != a && labels[p] == labels[a]) {
            pairs += 1;
            let negatives = (0..n).filter(|&j| labels[j] != labels[a]);
            if let Some(negative) = choose_negative(row, row[p], negatives, alpha, rule, rng) {
                triplets.push(Triplet {
                    anchor: a,
                    positive: p,
                    negative,
                });
            }
        }
    }
    let stats = stats_of(&triplets, distances, n, pairs, alpha);
    Ok((triplets, stats))
}

/// The negative for one anchor-positive pair at distance `d_ap`; `row` holds the anchor's distances.
pub(crate) fn choose_negative(
    row: &[f32],
    d_ap: f32,
    negatives: impl Iterator<Item = usize>,
    alpha: f32,
    rule: NegativeRule,
    rng: &mut impl Rng,
) -> Option<usize> {
    let semi_hard = |j: &usize| row[*j] > d_ap && row[*j] < d_ap + alpha;
    let closest = |best: Option<usize>, j: usize| match best {
        Some(b) if row[b] <= row[j] => Some(b),
        _ => Some(j),
    };
    match rule {
        NegativeRule::RandomSemiHard => negatives.filter(semi_hard).collect::<Vec<_>>().choose(rng).copied(),
        NegativeRule::HardestSemiHard => negatives.filter(semi_hard).fold(None, closest),
        NegativeRule::Tf => {
            let all: Vec<usize> = negatives.collect();
            let outside = all.iter().copied().filter(|&j| row[j] > d_ap).fold(None, closest);
            outside.or_else(|| {
                all.iter().copied().fold(None, |best, j| match best {
                    Some(b) if row[b] >= row[j] => Some(b),
                    _ => Some(j),
                })
            })
        }
    }
}

pub(crate) fn stats_of(triplets: &[Triplet], distances: &[f32], n: usize, pairs: usize, alpha: f32) -> MiningStats {
    if triplets.is_empty() {
        return MiningStats {
            pairs,
            ..MiningStats::default()
        };
    }
    let count = triplets.len() as f64;
    let (mut d_ap, mut d_an, mut active) = (0.0f64, 0.0f64, 0usize);
    for t in triplets {
        let (ap, an) = (
            distances[t.anchor * n + t.positive],
            distances[t.anchor * n + t.negative],
        );
        d_ap += ap as f64;
        d_an += an as f64;
        active += usize::from(ap - an + alpha > 0.0);
    }
    MiningStats {
        pairs,
        triplets: triplets.len(),
        fraction_active: active as f64 / count,
        mean_d_ap: d_ap / count,
        mean_d_an: d_an / count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    /// Five samples: 0, 1 of identity A (anchors), 2, 3, 4 of others. d(0,1) = 0.5; from anchor 0 the
    /// negatives sit at 0.3 (hard), 0.6 (semi-hard), 0.65 (semi-hard), from anchor 1 at 0.9, 1.0, 1.2 (easy).
    fn crafted() -> (Vec<f32>, Vec<usize>) {
        let n = 5;
        let mut d = vec![0.0; n * n];
        let mut set = |i: usize, j: usize, v: f32| {
            d[i * n + j] = v;
            d[j * n + i] = v;
        };
        set(0, 1, 0.5);
        set(0, 2, 0.3);
        set(0, 3, 0.65);
        set(0, 4, 0.6);
        set(1, 2, 1.0);
        set(1, 3, 1.2);
        set(1, 4, 0.9);
        (d, vec![0, 0, 1, 2, 3])
    }

    fn mine(rule: NegativeRule, seed: u64) -> (Vec<Triplet>, MiningStats) {
        let (d, labels) = crafted();
        mine_triplets(&d, &labels, 2, 0.2, rule, &mut ChaCha8Rng::seed_from_u64(seed)).unwrap()
    }

    #[test]
    fn hardest_semi_hard_picks_the_closest_inside_the_margin_and_skips_pairs_without() {
        let (triplets, stats) = mine(NegativeRule::HardestSemiHard, 0);
        assert_eq!(
            triplets,
            vec![Triplet {
                anchor: 0,
                positive: 1,
                negative: 4
            }]
        );
        assert_eq!((stats.pairs, stats.triplets), (2, 1));
        assert!((stats.mean_d_ap - 0.5).abs() < 1e-6 && (stats.mean_d_an - 0.6).abs() < 1e-6);
        assert_eq!(stats.fraction_active, 1.0);
    }

    #[test]
    fn random_semi_hard_draws_only_semi_hard_negatives_and_both_of_them() {
        let mut seen = std::collections::BTreeSet::new();
        for seed in 0..40 {
            let (triplets, _) = mine(NegativeRule::RandomSemiHard, seed);
            assert_eq!(triplets.len(), 1);
            assert_eq!((triplets[0].anchor, triplets[0].positive), (0, 1));
            seen.insert(triplets[0].negative);
        }
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), vec![3, 4]);
    }

    #[test]
    fn tf_rule_takes_smallest_farther_negative_else_largest() {
        let (triplets, stats) = mine(NegativeRule::Tf, 0);
        // Anchor 0: smallest d_an > 0.5 is 0.6 (sample 4). Anchor 1: all negatives are farther than 0.5,
        // smallest is 0.9 (sample 4).
        assert_eq!(
            triplets,
            vec![
                Triplet {
                    anchor: 0,
                    positive: 1,
                    negative: 4
                },
                Triplet {
                    anchor: 1,
                    positive: 0,
                    negative: 4
                }
            ]
        );
        assert_eq!(stats.fraction_active, 0.5);
        // No negative farther than d_ap: the largest d_an is taken.
        let d = vec![
            0.0, 2.0, 1.0, 0.5, 2.0, 0.0, 1.5, 1.5, 1.0, 1.5, 0.0, 9.0, 0.5, 1.5, 9.0, 0.0,
        ];
        let (triplets, _) = mine_triplets(
            &d,
            &[0, 0, 1, 2],
            2,
            0.2,
            NegativeRule::Tf,
            &mut ChaCha8Rng::seed_from_u64(0),
        )
        .unwrap();
        assert_eq!(
            triplets[0],
            Triplet {
                anchor: 0,
                positive: 1,
                negative: 2
            }
        );
    }

    #[test]
    fn sampler_yields_the_requested_composition() {
        let counts = [50, 3, 45, 41, 60, 2, 40, 44];
        let shape = BatchShape {
            people_per_batch: 5,
            images_per_person: 40,
            random_negatives: 7,
        };
        let (samples, anchors) = sample_batch(&counts, &shape, &mut ChaCha8Rng::seed_from_u64(3));
        let mut per_identity = std::collections::BTreeMap::new();
        for s in &samples[..anchors] {
            assert!(s.image < counts[s.identity]);
            per_identity
                .entry(s.identity)
                .or_insert_with(std::collections::BTreeSet::new)
                .insert(s.image);
        }
        assert_eq!(per_identity.len(), 5);
        for (identity, images) in &per_identity {
            assert_eq!(
                images.len(),
                counts[*identity].min(40),
                "distinct photos of identity {identity}"
            );
        }
        assert_eq!(samples.len() - anchors, 7);
        assert!(
            samples[anchors..]
                .iter()
                .all(|s| !per_identity.contains_key(&s.identity) && s.image < counts[s.identity])
        );
    }

    #[test]
    fn distance_matrix_is_symmetric_squared_l2() {
        let d = squared_distances(&[0.0, 0.0, 3.0, 4.0, 1.0, 0.0], 2).unwrap();
        assert_eq!(d, vec![0.0, 25.0, 1.0, 25.0, 0.0, 20.0, 1.0, 20.0, 0.0]);
        assert!(squared_distances(&[1.0; 5], 2).is_err());
    }
}
