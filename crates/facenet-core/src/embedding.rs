//! [`Embedding`]: one face's vector, as a model produced it or L2-normalised (FaceNet, Sec. 3).

use serde::{Deserialize, Serialize};

/// A face embedding. FaceNet's embeddings live on the unit hypersphere (‖f(x)‖₂ = 1); dlib's raw
/// descriptors do not (norm ≈ 1.4): [`Embedding::normalized`] maps any of them onto it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Embedding {
    values: Vec<f32>,
}

impl Embedding {
    /// Wraps a vector as it is.
    pub fn new(values: Vec<f32>) -> Self {
        Self { values }
    }

    /// The number of dimensions.
    pub fn dim(&self) -> usize {
        self.values.len()
    }

    /// The values.
    pub fn as_slice(&self) -> &[f32] {
        &self.values
    }

    /// Consumes the embedding, returning its values.
    pub fn into_vec(self) -> Vec<f32> {
        self.values
    }

    /// ‖x‖₂.
    pub fn l2_norm(&self) -> f32 {
        self.values.iter().map(|v| v * v).sum::<f32>().sqrt()
    }

    /// x / ‖x‖₂; a zero vector stays zero.
    pub fn normalized(&self) -> Self {
        let norm = self.l2_norm();
        if norm == 0.0 {
            return self.clone();
        }
        Self::new(self.values.iter().map(|v| v / norm).collect())
    }
}

impl AsRef<[f32]> for Embedding {
    fn as_ref(&self) -> &[f32] {
        &self.values
    }
}

impl From<Vec<f32>> for Embedding {
    fn from(values: Vec<f32>) -> Self {
        Self::new(values)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_has_unit_norm() {
        let e = Embedding::new(vec![3.0, 4.0]).normalized();
        assert!((e.l2_norm() - 1.0).abs() < 1e-6);
        assert_eq!(e.as_slice(), &[0.6, 0.8]);
    }

    #[test]
    fn zero_vector_stays_zero() {
        let e = Embedding::new(vec![0.0; 4]).normalized();
        assert_eq!(e.as_slice(), &[0.0; 4]);
    }
}
