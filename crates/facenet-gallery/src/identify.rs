//! Open-set identification: who in the gallery is this face, or nobody?
//!
//! FaceNet (Sec. 1) recognises faces by k-NN in embedding space; a gallery that does not know everyone
//! needs a rejection rule: the best subject's distance, in the model's metric, must be within the
//! model's threshold, otherwise the face is [`UNKNOWN`]. How a subject's distance is taken from its
//! faces is the [`Aggregation`].

use crate::GalleryModel;
use crate::index::SearchIndex;
use crate::search::Neighbour;
use facenet_core::distance::Metric;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The name given to a face beyond the threshold of every subject.
pub const UNKNOWN: &str = "unknown";

/// How a subject's distance to the query follows from its faces' distances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// The nearest of the subject's faces (1-NN).
    Min,
    /// The mean over all the subject's faces (robust to one mislabelled face; needs several per subject).
    Mean,
    /// k-NN vote: the subject with most faces among the k nearest within the threshold (ties: the nearer);
    /// its distance is its nearest face's.
    Vote,
}

/// How to identify.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdentifyOptions {
    /// Beyond this distance (in `metric`) a face is unknown.
    pub threshold: f32,
    pub metric: Metric,
    pub aggregation: Aggregation,
    /// Neighbours that vote ([`Aggregation::Vote`]).
    pub k: usize,
}

impl IdentifyOptions {
    /// The model's metric and threshold, nearest-face aggregation.
    pub fn for_model(model: &GalleryModel) -> Self {
        Self {
            threshold: model.threshold,
            metric: model.metric,
            aggregation: Aggregation::Min,
            k: 5,
        }
    }
}

/// The answer for one face.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identification {
    /// The subject's name, or [`UNKNOWN`].
    pub name: String,
    /// The best subject's distance (in the model's metric), also when it is beyond the threshold;
    /// `None` for an empty gallery.
    pub distance: Option<f32>,
    /// The best subject's id, also when beyond the threshold.
    pub subject_id: Option<i64>,
}

impl Identification {
    pub fn is_known(&self) -> bool {
        self.name != UNKNOWN
    }
}

/// Candidates searched for the mean aggregation: each subject among them is scored over all its faces.
const MEAN_CANDIDATES: usize = 64;

/// Identifies each query against `index`.
pub fn identify_batch(index: &SearchIndex, queries: &[&[f32]], options: &IdentifyOptions) -> Vec<Identification> {
    let k = match options.aggregation {
        Aggregation::Min => 1,
        Aggregation::Mean => MEAN_CANDIDATES,
        Aggregation::Vote => options.k.max(1),
    };
    let subject_rows = match options.aggregation {
        Aggregation::Mean => index.matrix().rows_by_subject(),
        _ => HashMap::new(),
    };
    let hits = index.search_batch(queries, k);
    queries
        .iter()
        .zip(hits)
        .map(|(query, hits)| {
            let best = match options.aggregation {
                Aggregation::Min => hits
                    .first()
                    .map(|n| (n.subject_id, to_metric(options.metric, n.squared_distance))),
                Aggregation::Mean => best_mean(index, query, &hits, &subject_rows, options.metric),
                Aggregation::Vote => best_vote(&hits, options),
            };
            name_within_threshold(index, best, options.threshold)
        })
        .collect()
}

/// Identifies one query.
pub fn identify(index: &SearchIndex, query: &[f32], options: &IdentifyOptions) -> Identification {
    identify_batch(index, &[query], options)
        .pop()
        .expect("one query should give one answer")
}

fn name_within_threshold(index: &SearchIndex, best: Option<(i64, f32)>, threshold: f32) -> Identification {
    match best {
        None => Identification {
            name: UNKNOWN.into(),
            distance: None,
            subject_id: None,
        },
        Some((subject, distance)) => {
            let name = match index.matrix().subject_name(subject) {
                Some(name) if distance <= threshold => name.to_string(),
                _ => UNKNOWN.into(),
            };
            Identification {
                name,
                distance: Some(distance),
                subject_id: Some(subject),
            }
        }
    }
}

/// The subject among `hits` with the smallest mean distance over all its faces.
fn best_mean(
    index: &SearchIndex,
    query: &[f32],
    hits: &[Neighbour],
    subject_rows: &HashMap<i64, Vec<usize>>,
    metric: Metric,
) -> Option<(i64, f32)> {
    let mut subjects: Vec<i64> = hits.iter().map(|n| n.subject_id).collect();
    subjects.sort_unstable();
    subjects.dedup();
    subjects
        .into_iter()
        .filter_map(|subject| {
            let rows = subject_rows.get(&subject)?;
            let sum: f32 = rows
                .iter()
                .map(|&r| metric.distance(query, index.matrix().vector(r)))
                .sum();
            Some((subject, sum / rows.len() as f32))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// The subject with most of the k nearest faces within the threshold; ties go to the nearer subject.
/// With none within the threshold, the nearest face's subject (reported as unknown).
fn best_vote(hits: &[Neighbour], options: &IdentifyOptions) -> Option<(i64, f32)> {
    let nearest = hits
        .first()
        .map(|n| (n.subject_id, to_metric(options.metric, n.squared_distance)))?;
    let mut votes: HashMap<i64, (usize, f32)> = HashMap::new();
    for n in hits {
        let distance = to_metric(options.metric, n.squared_distance);
        if distance <= options.threshold {
            let entry = votes.entry(n.subject_id).or_insert((0, distance));
            entry.0 += 1;
            entry.1 = entry.1.min(distance);
        }
    }
    let winner = votes
        .into_iter()
        .max_by(|a, b| a.1.0.cmp(&b.1.0).then(b.1.1.total_cmp(&a.1.1)));
    Some(
        winner
            .map(|(subject, (_, distance))| (subject, distance))
            .unwrap_or(nearest),
    )
}

/// A squared L2 distance in `metric`.
fn to_metric(metric: Metric, squared: f32) -> f32 {
    match metric {
        Metric::SquaredL2 => squared,
        Metric::L2 => squared.sqrt(),
    }
}
