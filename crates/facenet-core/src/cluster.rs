//! Clustering faces by identity, and how good a clustering is against known identities.
//!
//! FaceNet (Schroff et al. 2015, Sec. 1 and Fig. 7) clusters a personal photo collection with
//! agglomerative clustering on embedding distances; dlib's `chinese_whispers` (used by its
//! `dnn_face_recognition_ex.cpp` and face_recognition's clustering recipe) links every pair of faces
//! closer than the threshold and lets labels spread along the graph.
//!
//! - [`agglomerative`]: hierarchical clustering with [`Linkage`] single, complete or average, cut at a
//!   distance threshold (nearest-neighbour-chain algorithm, O(n²) time and memory).
//! - [`chinese_whispers`]: dlib's graph clustering (Biemann 2006) over the "closer than threshold" graph.
//! - [`pairwise_scores`] and [`bcubed_scores`]: precision, recall and F-measure of predicted clusters
//!   against true labels (pair counting; BCubed, Bagga & Baldwin 1998).
//!
//! Both take a cannot-link constraint ([`CannotLink`]): points of one group (the faces of one photo, who
//! are different people) never end in one cluster. Agglomerative clustering sets the distance between two
//! clusters holding such a pair to +∞ (constrained hierarchical clustering, Davidson & Ravi 2005);
//! Chinese whispers drops the edges between them and never lets a point take a label one of its group
//! holds.
//!
//! Labels are numbered 0, 1, … in order of first appearance.

use crate::distance::Metric;
use crate::{Error, Result};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::hash::Hash;

/// The most points [`agglomerative`] takes: its distance matrix holds n(n−1)/2 f32 (1.8 GB at this size).
pub const MAX_AGGLOMERATIVE_POINTS: usize = 30_000;

/// How the distance between two clusters follows from the distances between their members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Linkage {
    /// The closest pair (chains easily).
    Single,
    /// The farthest pair (tight clusters).
    Complete,
    /// The mean over all pairs (UPGMA; the usual choice for faces).
    Average,
}

/// Which points must end in different clusters: those sharing a group id (one id per point, e.g. the
/// photo each face comes from).
#[derive(Debug, Clone, Copy, Default)]
pub struct CannotLink<'a> {
    groups: Option<&'a [usize]>,
}

impl<'a> CannotLink<'a> {
    /// No constraint.
    pub fn none() -> Self {
        Self { groups: None }
    }

    /// Points with equal `groups[i]` are different people.
    pub fn groups(groups: &'a [usize]) -> Self {
        Self { groups: Some(groups) }
    }

    fn check(&self, points: usize) -> Result<()> {
        match self.groups {
            Some(groups) if groups.len() != points => Err(Error::DimensionMismatch {
                expected: points,
                got: groups.len(),
            }),
            _ => Ok(()),
        }
    }

    fn apart(&self, i: usize, j: usize) -> bool {
        self.groups.is_some_and(|g| g[i] == g[j])
    }

    /// For each point, the other points of its group.
    fn mates(&self, points: usize) -> Vec<Vec<usize>> {
        let Some(groups) = self.groups else {
            return vec![Vec::new(); points];
        };
        let mut members: HashMap<usize, Vec<usize>> = HashMap::new();
        for (i, &g) in groups.iter().enumerate() {
            members.entry(g).or_default().push(i);
        }
        (0..points)
            .map(|i| members[&groups[i]].iter().copied().filter(|&j| j != i).collect())
            .collect()
    }
}

/// Groups `points` so that clusters closer than `threshold` (under `linkage`, in `metric`) are merged,
/// never merging two clusters that hold a cannot-link pair. Returns one label per point.
pub fn agglomerative<V: AsRef<[f32]> + Sync>(
    points: &[V],
    metric: Metric,
    threshold: f32,
    linkage: Linkage,
    cannot_link: CannotLink,
) -> Result<Vec<usize>> {
    check_dims(points)?;
    cannot_link.check(points.len())?;
    if points.len() > MAX_AGGLOMERATIVE_POINTS {
        return Err(Error::Invalid(format!(
            "agglomerative clustering takes at most {MAX_AGGLOMERATIVE_POINTS} faces, got {} (use chinese whispers)",
            points.len()
        )));
    }
    let mut matrix = CondensedMatrix::new(points, metric);
    matrix.forbid(&cannot_link);
    let merges = nn_chain(&mut matrix, linkage);
    let mut sets = DisjointSets::new(points.len());
    for (a, b, distance) in merges {
        if distance <= threshold {
            sets.union(a, b);
        }
    }
    Ok(renumber((0..points.len()).map(|i| sets.find(i))))
}

/// dlib's Chinese whispers: every pair closer than `threshold` and not cannot-linked is an edge (each face
/// also votes for itself); for `iterations` passes in a seeded random order, each face takes the label
/// most common among its neighbours, among the labels no point of its group holds.
pub fn chinese_whispers<V: AsRef<[f32]> + Sync>(
    points: &[V],
    metric: Metric,
    threshold: f32,
    iterations: usize,
    seed: u64,
    cannot_link: CannotLink,
) -> Result<Vec<usize>> {
    check_dims(points)?;
    cannot_link.check(points.len())?;
    let neighbours: Vec<Vec<usize>> = (0..points.len())
        .into_par_iter()
        .map(|i| {
            (0..points.len())
                .filter(|&j| {
                    (i == j || !cannot_link.apart(i, j))
                        && metric.distance(points[i].as_ref(), points[j].as_ref()) < threshold
                })
                .collect()
        })
        .collect();
    let mates = cannot_link.mates(points.len());
    let mut labels: Vec<usize> = (0..points.len()).collect();
    let mut order: Vec<usize> = (0..points.len()).collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut votes: HashMap<usize, usize> = HashMap::new();
    for _ in 0..iterations {
        order.shuffle(&mut rng);
        for &node in &order {
            votes.clear();
            for &n in &neighbours[node] {
                *votes.entry(labels[n]).or_default() += 1;
            }
            // Labels held by the node's group stay out of reach, so its group never shares a label.
            for &m in &mates[node] {
                votes.remove(&labels[m]);
            }
            // Most votes; ties go to the smallest label so a run is reproducible.
            if let Some((&label, _)) = votes.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) {
                labels[node] = label;
            }
        }
    }
    Ok(renumber(labels))
}

/// Precision, recall and their harmonic mean F.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Scores {
    pub precision: f64,
    pub recall: f64,
    pub f: f64,
}

impl Scores {
    fn new(precision: f64, recall: f64) -> Self {
        let f = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Self { precision, recall, f }
    }
}

/// Pair counting: precision = same-identity pairs among pairs put in one cluster; recall = pairs put
/// in one cluster among same-identity pairs. With no pair on a side its score is 1.
pub fn pairwise_scores<L: Eq + Hash>(truth: &[L], predicted: &[usize]) -> Result<Scores> {
    let table = Contingency::new(truth, predicted)?;
    let pairs = |n: usize| (n * n.saturating_sub(1) / 2) as f64;
    let together: f64 = table.cells.values().map(|&n| pairs(n)).sum();
    let predicted_pairs: f64 = table.predicted_sizes.values().map(|&n| pairs(n)).sum();
    let true_pairs: f64 = table.true_sizes.values().map(|&n| pairs(n)).sum();
    let ratio = |num: f64, den: f64| if den == 0.0 { 1.0 } else { num / den };
    Ok(Scores::new(
        ratio(together, predicted_pairs),
        ratio(together, true_pairs),
    ))
}

/// BCubed: for each face, precision = share of its cluster with its identity, recall = share of its
/// identity in its cluster; both averaged over faces.
pub fn bcubed_scores<L: Eq + Hash>(truth: &[L], predicted: &[usize]) -> Result<Scores> {
    let table = Contingency::new(truth, predicted)?;
    if truth.is_empty() {
        return Ok(Scores::new(1.0, 1.0));
    }
    let (mut precision, mut recall) = (0.0, 0.0);
    for (&(t, p), &n) in &table.cells {
        let n = n as f64;
        precision += n * n / table.predicted_sizes[&p] as f64;
        recall += n * n / table.true_sizes[&t] as f64;
    }
    let total = truth.len() as f64;
    Ok(Scores::new(precision / total, recall / total))
}

/// Counts of faces per (true label, predicted label), per true label and per predicted label.
struct Contingency {
    cells: HashMap<(usize, usize), usize>,
    true_sizes: HashMap<usize, usize>,
    predicted_sizes: HashMap<usize, usize>,
}

impl Contingency {
    fn new<L: Eq + Hash>(truth: &[L], predicted: &[usize]) -> Result<Self> {
        if truth.len() != predicted.len() {
            return Err(Error::DimensionMismatch {
                expected: truth.len(),
                got: predicted.len(),
            });
        }
        let mut ids: HashMap<&L, usize> = HashMap::new();
        let mut table = Self {
            cells: HashMap::new(),
            true_sizes: HashMap::new(),
            predicted_sizes: HashMap::new(),
        };
        for (t, &p) in truth.iter().zip(predicted) {
            let next = ids.len();
            let t = *ids.entry(t).or_insert(next);
            *table.cells.entry((t, p)).or_default() += 1;
            *table.true_sizes.entry(t).or_default() += 1;
            *table.predicted_sizes.entry(p).or_default() += 1;
        }
        Ok(table)
    }
}

fn check_dims<V: AsRef<[f32]>>(points: &[V]) -> Result<()> {
    let Some(first) = points.first() else { return Ok(()) };
    let dim = first.as_ref().len();
    match points.iter().find(|p| p.as_ref().len() != dim) {
        Some(p) => Err(Error::DimensionMismatch {
            expected: dim,
            got: p.as_ref().len(),
        }),
        None => Ok(()),
    }
}

/// Labels 0, 1, … in order of first appearance.
fn renumber(labels: impl IntoIterator<Item = usize>) -> Vec<usize> {
    let mut ids = HashMap::new();
    labels
        .into_iter()
        .map(|l| {
            let next = ids.len();
            *ids.entry(l).or_insert(next)
        })
        .collect()
}

/// The upper triangle of a symmetric distance matrix, row by row.
struct CondensedMatrix {
    n: usize,
    values: Vec<f32>,
}

impl CondensedMatrix {
    fn new<V: AsRef<[f32]> + Sync>(points: &[V], metric: Metric) -> Self {
        let n = points.len();
        let rows: Vec<Vec<f32>> = (0..n)
            .into_par_iter()
            .map(|i| {
                (i + 1..n)
                    .map(|j| metric.distance(points[i].as_ref(), points[j].as_ref()))
                    .collect()
            })
            .collect();
        Self {
            n,
            values: rows.concat(),
        }
    }

    fn index(&self, i: usize, j: usize) -> usize {
        let (i, j) = if i < j { (i, j) } else { (j, i) };
        i * (2 * self.n - i - 1) / 2 + (j - i - 1)
    }

    fn get(&self, i: usize, j: usize) -> f32 {
        self.values[self.index(i, j)]
    }

    fn set(&mut self, i: usize, j: usize, value: f32) {
        let k = self.index(i, j);
        self.values[k] = value;
    }

    /// +∞ between every cannot-link pair: such clusters never merge within a finite threshold.
    fn forbid(&mut self, cannot_link: &CannotLink) {
        for i in 0..self.n {
            for j in i + 1..self.n {
                if cannot_link.apart(i, j) {
                    self.set(i, j, f32::INFINITY);
                }
            }
        }
    }
}

/// The nearest-neighbour chain (Murtagh 1983): follows nearest neighbours until two clusters are each
/// other's nearest, merges them (Lance–Williams update), and repeats. Returns (a, b, distance) per merge;
/// the merged cluster keeps index `b`. Exact for single, complete and average linkage.
fn nn_chain(matrix: &mut CondensedMatrix, linkage: Linkage) -> Vec<(usize, usize, f32)> {
    let n = matrix.n;
    let mut active = vec![true; n];
    let mut size = vec![1usize; n];
    let mut chain: Vec<usize> = Vec::new();
    let mut merges = Vec::with_capacity(n.saturating_sub(1));
    for _ in 1..n {
        if chain.is_empty() {
            chain.push(
                active
                    .iter()
                    .position(|&a| a)
                    .expect("an active cluster should remain before the last merge"),
            );
        }
        let (a, b, distance) = loop {
            let a = *chain.last().expect("the chain should not be empty");
            let previous = chain.len().checked_sub(2).map(|i| chain[i]);
            let mut best = previous.map(|p| (p, matrix.get(a, p)));
            for c in (0..n).filter(|&c| active[c] && c != a) {
                let d = matrix.get(a, c);
                if best.is_none_or(|(_, bd)| d < bd) {
                    best = Some((c, d));
                }
            }
            let (b, d) = best.expect("another active cluster should exist before the last merge");
            if Some(b) == previous {
                break (a, b, d);
            }
            chain.push(b);
        };
        chain.truncate(chain.len() - 2);
        for k in (0..n).filter(|&k| active[k] && k != a && k != b) {
            let (da, db) = (matrix.get(k, a), matrix.get(k, b));
            // A cannot-link on either side (or a forced merge at +∞) keeps the merged cluster apart from
            // every other, so the dendrogram stays monotone and a cut at a finite threshold is exact.
            let merged = if da.is_infinite() || db.is_infinite() || distance.is_infinite() {
                f32::INFINITY
            } else {
                match linkage {
                    Linkage::Single => da.min(db),
                    Linkage::Complete => da.max(db),
                    Linkage::Average => (size[a] as f32 * da + size[b] as f32 * db) / (size[a] + size[b]) as f32,
                }
            };
            matrix.set(k, b, merged);
        }
        size[b] += size[a];
        active[a] = false;
        merges.push((a, b, distance));
    }
    merges
}

/// Union–find with path halving.
struct DisjointSets {
    parent: Vec<usize>,
}

impl DisjointSets {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (ra, rb) = (self.find(a), self.find(b));
        self.parent[ra] = rb;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three tight groups on a line, far apart: 0.0–0.2, 10.0–10.2, 20.0–20.1.
    fn line_groups() -> (Vec<Vec<f32>>, Vec<u8>) {
        let xs = [0.0, 0.1, 0.2, 10.0, 10.1, 10.2, 20.0, 20.1];
        let truth = vec![0, 0, 0, 1, 1, 1, 2, 2];
        (xs.iter().map(|&x| vec![x, 0.0]).collect(), truth)
    }

    #[test]
    fn agglomerative_finds_separated_groups_with_every_linkage() {
        let (points, truth) = line_groups();
        for linkage in [Linkage::Single, Linkage::Complete, Linkage::Average] {
            let labels = agglomerative(&points, Metric::L2, 1.0, linkage, CannotLink::none()).unwrap();
            assert_eq!(labels, vec![0, 0, 0, 1, 1, 1, 2, 2], "{linkage:?}");
            assert_eq!(bcubed_scores(&truth, &labels).unwrap().f, 1.0);
        }
    }

    #[test]
    fn linkages_differ_on_a_chain() {
        // Points 0.0, 0.9, 1.8, 2.7: single linkage chains them at threshold 1; complete does not.
        let points: Vec<Vec<f32>> = [0.0f32, 0.9, 1.8, 2.7].iter().map(|&x| vec![x]).collect();
        assert_eq!(
            agglomerative(&points, Metric::L2, 1.0, Linkage::Single, CannotLink::none()).unwrap(),
            vec![0, 0, 0, 0]
        );
        let complete = agglomerative(&points, Metric::L2, 1.0, Linkage::Complete, CannotLink::none()).unwrap();
        assert_eq!(complete.iter().max(), Some(&1), "{complete:?}");
        // Average at 1.4: {0,0.9} and {1.8,2.7} merge at (1.8+2.7+0.9+1.8)/4 = 1.8 > 1.4.
        assert_eq!(
            agglomerative(&points, Metric::L2, 1.4, Linkage::Average, CannotLink::none()).unwrap(),
            vec![0, 0, 1, 1]
        );
    }

    #[test]
    fn chinese_whispers_finds_separated_groups() {
        let (points, truth) = line_groups();
        let labels = chinese_whispers(&points, Metric::L2, 1.0, 20, 7, CannotLink::none()).unwrap();
        assert_eq!(labels, vec![0, 0, 0, 1, 1, 1, 2, 2]);
        assert_eq!(pairwise_scores(&truth, &labels).unwrap().f, 1.0);
    }

    /// Two people, two photos each of them alone and one photo of both, whose faces sit so close that
    /// either method without the constraint puts all of them in one cluster.
    fn two_people_one_group_photo() -> (Vec<Vec<f32>>, Vec<usize>, Vec<u8>) {
        let points = [0.0f32, 0.2, 0.9, 1.1, 0.45, 0.65].iter().map(|&x| vec![x]).collect();
        let photos = vec![0, 1, 2, 3, 4, 4];
        let truth = vec![0, 0, 1, 1, 0, 1];
        (points, photos, truth)
    }

    #[test]
    fn cannot_link_keeps_faces_of_one_photo_apart_in_agglomerative_clustering() {
        let (points, photos, truth) = two_people_one_group_photo();
        for linkage in [Linkage::Single, Linkage::Complete, Linkage::Average] {
            let free = agglomerative(&points, Metric::L2, 2.0, linkage, CannotLink::none()).unwrap();
            assert_eq!(free, vec![0; 6], "{linkage:?}");
            let held = agglomerative(&points, Metric::L2, 2.0, linkage, CannotLink::groups(&photos)).unwrap();
            assert_ne!(held[4], held[5], "{linkage:?}: {held:?}");
            assert_eq!(held.iter().max(), Some(&1), "{linkage:?}: {held:?}");
            assert_eq!(bcubed_scores(&truth, &held).unwrap().f, 1.0, "{linkage:?}: {held:?}");
        }
    }

    #[test]
    fn cannot_link_keeps_faces_of_one_photo_apart_in_chinese_whispers() {
        let (points, photos, truth) = two_people_one_group_photo();
        assert_eq!(
            chinese_whispers(&points, Metric::L2, 2.0, 20, 3, CannotLink::none()).unwrap(),
            vec![0; 6]
        );
        for seed in 0..20 {
            let held = chinese_whispers(&points, Metric::L2, 2.0, 20, seed, CannotLink::groups(&photos)).unwrap();
            assert_ne!(held[4], held[5], "seed {seed}: {held:?}");
            assert!(
                bcubed_scores(&truth, &held).unwrap().precision >= 0.5,
                "seed {seed}: {held:?}"
            );
        }
        assert!(matches!(
            chinese_whispers(&points, Metric::L2, 2.0, 20, 3, CannotLink::groups(&photos[..2])),
            Err(Error::DimensionMismatch { .. })
        ));
    }

    #[test]
    fn empty_and_single_inputs() {
        let none: Vec<Vec<f32>> = vec![];
        assert!(
            agglomerative(&none, Metric::L2, 1.0, Linkage::Average, CannotLink::none())
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            chinese_whispers(&[vec![1.0f32]], Metric::L2, 1.0, 5, 0, CannotLink::none()).unwrap(),
            vec![0]
        );
    }

    #[test]
    fn mixed_dimensions_are_an_error() {
        let points = vec![vec![0.0f32, 1.0], vec![0.0]];
        assert!(matches!(
            agglomerative(&points, Metric::L2, 1.0, Linkage::Single, CannotLink::none()),
            Err(Error::DimensionMismatch { .. })
        ));
    }

    #[test]
    fn scores_by_hand() {
        // truth: a a a b b; predicted: 0 0 1 1 1.
        let truth = ["a", "a", "a", "b", "b"];
        let predicted = [0, 0, 1, 1, 1];
        // Pairs together: (0,1) right; cluster 1 = {2,3,4}: (3,4) right, (2,3), (2,4) wrong. TP 2 of 4;
        // true pairs: 3 + 1 = 4 → recall 2/4.
        let pairwise = pairwise_scores(&truth, &predicted).unwrap();
        assert_eq!((pairwise.precision, pairwise.recall), (0.5, 0.5));
        // BCubed precision: items 0,1: 1; item 2: 1/3; items 3,4: 2/3 → (2 + 1/3 + 4/3)/5 = 11/15.
        // Recall: items 0,1: 2/3; item 2: 1/3; items 3,4: 1 → (4/3 + 1/3 + 2)/5 = 11/15.
        let b = bcubed_scores(&truth, &predicted).unwrap();
        assert!((b.precision - 11.0 / 15.0).abs() < 1e-12 && (b.recall - 11.0 / 15.0).abs() < 1e-12);
        assert!(pairwise_scores(&truth, &predicted[..4]).is_err());
    }
}
