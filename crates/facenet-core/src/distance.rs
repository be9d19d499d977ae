//! Distances between embeddings.
//!
//! FaceNet compares faces by the squared L2 distance D(x, y) = ‖f(x) − f(y)‖²₂ (range 0…4 on the unit
//! sphere); dlib and face_recognition by the plain L2 distance ‖x − y‖₂ of raw descriptors (threshold 0.6).
//! For unit vectors D = 2 − 2·cos θ.

/// d(a, b) = ‖a − b‖²₂. Panics in debug builds if the lengths differ (callers check dimensions once
/// at their boundary).
#[inline]
pub fn squared_l2(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len(), "vectors should have one length");
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// d(a, b) = ‖a − b‖₂ (dlib's distance).
#[inline]
pub fn l2(a: &[f32], b: &[f32]) -> f32 {
    squared_l2(a, b).sqrt()
}

/// a · b.
#[inline]
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    debug_assert_eq!(a.len(), b.len(), "vectors should have one length");
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Which distance a model's threshold is expressed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// ‖a − b‖²₂ (FaceNet).
    SquaredL2,
    /// ‖a − b‖₂ (dlib, face_recognition).
    L2,
}

impl Metric {
    /// The distance between `a` and `b` under this metric.
    pub fn distance(self, a: &[f32], b: &[f32]) -> f32 {
        match self {
            Metric::SquaredL2 => squared_l2(a, b),
            Metric::L2 => l2(a, b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_vectors_squared_l2_is_two_minus_two_cos() {
        let a = [1.0f32, 0.0];
        let b = [0.6f32, 0.8];
        assert!((squared_l2(&a, &b) - (2.0 - 2.0 * dot(&a, &b))).abs() < 1e-6);
        assert!((Metric::L2.distance(&a, &b) - squared_l2(&a, &b).sqrt()).abs() < 1e-7);
    }
}
