//! `similarity` in CompreFace's answers: a number in [0, 1], higher for more alike faces, made from our
//! distance. With `D` the squared L2 distance of two embeddings and `T` the model's threshold expressed as a
//! squared L2 distance (FaceNet 20180408: 1.1; the dlib ResNet: 0.6² = 0.36),
//!
//! `similarity = 1 / (1 + (D / T)⁴)`
//!
//! It is 1 for identical embeddings, falls monotonically with `D`, and is exactly **0.5 at the model's
//! threshold**: a client that accepts `similarity ≥ 0.5` makes the same decisions as `facenet compare`.
//! For FaceNet the reference photos give 0.965 for the same person (D = 0.48) and ≤ 0.12 for different
//! people (D ≥ 1.8).

use facenet::core::distance::Metric;

/// The similarity at the model's threshold.
pub const SIMILARITY_AT_THRESHOLD: f32 = 0.5;

/// Maps squared L2 distances to similarities for one model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// The threshold as a squared L2 distance.
    squared_threshold: f32,
}

impl Similarity {
    /// For a model whose `threshold` is expressed in `metric`.
    pub fn new(metric: Metric, threshold: f32) -> Self {
        let squared_threshold = match metric {
            Metric::SquaredL2 => threshold,
            Metric::L2 => threshold * threshold,
        };
        Self { squared_threshold }
    }

    /// The similarity of two faces `squared_distance` apart.
    pub fn of_squared_distance(&self, squared_distance: f32) -> f32 {
        let ratio = squared_distance.max(0.0) / self.squared_threshold;
        1.0 / (1.0 + ratio.powi(4))
    }

    /// The similarity of two embeddings.
    pub fn between(&self, a: &[f32], b: &[f32]) -> f32 {
        self.of_squared_distance(Metric::SquaredL2.distance(a, b))
    }
}

/// Rounded to 5 decimals, as CompreFace prints similarities.
pub fn rounded(similarity: f32) -> f64 {
    (similarity as f64 * 1e5).round() / 1e5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_at_zero_half_at_the_threshold_and_falling() {
        let s = Similarity::new(Metric::SquaredL2, 1.1);
        assert_eq!(s.of_squared_distance(0.0), 1.0);
        assert!((s.of_squared_distance(1.1) - SIMILARITY_AT_THRESHOLD).abs() < 1e-6);
        let values: Vec<f32> = (0..40).map(|i| s.of_squared_distance(i as f32 * 0.1)).collect();
        assert!(values.windows(2).all(|w| w[1] < w[0]), "{values:?}");
        assert!(values.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn an_l2_threshold_is_squared() {
        let s = Similarity::new(Metric::L2, 0.6);
        assert!((s.of_squared_distance(0.36) - 0.5).abs() < 1e-6);
    }
}
