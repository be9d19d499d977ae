//! Seeded synthetic embeddings clustered like identities, for tests and benchmarks (no model needed).
//!
//! Identity i has a random unit centre cᵢ; each of its faces is (cᵢ + n)/‖cᵢ + n‖ with n ~ N(0, σ²/d · I),
//! so ‖n‖ ≈ σ (`spread`). Two faces of one identity are then about 2σ²/(1 + σ²) apart in squared L2;
//! faces of different identities about 2 (random directions in 128-D are nearly orthogonal).

use facenet_core::Embedding;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// A synthetic gallery: `identities` × `faces_per_identity` L2-normalised embeddings.
#[derive(Debug, Clone)]
pub struct SyntheticFaces {
    dim: usize,
    spread: f32,
    faces_per_identity: usize,
    seed: u64,
    centres: Vec<Vec<f32>>,
}

impl SyntheticFaces {
    pub fn new(identities: usize, faces_per_identity: usize, dim: usize, spread: f32, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let centres = (0..identities)
            .map(|_| unit(gaussian_vector(&mut rng, dim, 1.0)))
            .collect();
        Self {
            dim,
            spread,
            faces_per_identity,
            seed,
            centres,
        }
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    pub fn identities(&self) -> usize {
        self.centres.len()
    }

    /// The number of faces.
    pub fn len(&self) -> usize {
        self.centres.len() * self.faces_per_identity
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Face `index`: (its identity, its embedding); the same on every call.
    pub fn face(&self, index: usize) -> (usize, Embedding) {
        let identity = index / self.faces_per_identity.max(1);
        (
            identity,
            self.sample(
                identity,
                self.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(1),
            ),
        )
    }

    /// Every face in order: (identity, embedding).
    pub fn iter(&self) -> impl Iterator<Item = (usize, Embedding)> + '_ {
        (0..self.len()).map(|i| self.face(i))
    }

    /// `n` new faces of the gallery's identities (identity `j % identities` for the j-th), not in it.
    pub fn queries(&self, n: usize, seed: u64) -> Vec<Embedding> {
        self.labelled_queries(n, seed).into_iter().map(|(_, e)| e).collect()
    }

    /// As [`Self::queries`], with each query's identity.
    pub fn labelled_queries(&self, n: usize, seed: u64) -> Vec<(usize, Embedding)> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n)
            .map(|j| {
                let identity = j % self.identities();
                (identity, self.sample(identity, rng.random()))
            })
            .collect()
    }

    /// `n` faces of people not in the gallery (fresh random centres).
    pub fn strangers(&self, n: usize, seed: u64) -> Vec<Embedding> {
        let mut rng = StdRng::seed_from_u64(seed);
        (0..n)
            .map(|_| Embedding::new(unit(gaussian_vector(&mut rng, self.dim, 1.0))))
            .collect()
    }

    fn sample(&self, identity: usize, seed: u64) -> Embedding {
        let mut rng = StdRng::seed_from_u64(seed);
        let noise = gaussian_vector(&mut rng, self.dim, self.spread / (self.dim as f32).sqrt());
        Embedding::new(unit(
            self.centres[identity].iter().zip(noise).map(|(c, n)| c + n).collect(),
        ))
    }
}

/// `dim` values from N(0, σ²) (Box–Muller).
fn gaussian_vector(rng: &mut StdRng, dim: usize, sigma: f32) -> Vec<f32> {
    (0..dim)
        .map(|_| {
            let u1: f32 = rng.random::<f32>().max(f32::MIN_POSITIVE);
            let u2: f32 = rng.random();
            sigma * (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
        })
        .collect()
}

fn unit(v: Vec<f32>) -> Vec<f32> {
    Embedding::new(v).normalized().into_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use facenet_core::distance::squared_l2;

    #[test]
    fn faces_are_unit_deterministic_and_clustered() {
        let faces = SyntheticFaces::new(5, 4, 128, 0.5, 9);
        assert_eq!(faces.len(), 20);
        assert_eq!(faces.face(7), faces.face(7));
        let (a, b, other) = (faces.face(0).1, faces.face(1).1, faces.face(4).1);
        assert!((a.l2_norm() - 1.0).abs() < 1e-5);
        let same = squared_l2(a.as_slice(), b.as_slice());
        let different = squared_l2(a.as_slice(), other.as_slice());
        let expected_same = 2.0 * 0.25 / 1.25;
        assert!(
            (same - expected_same).abs() < 0.15 && different > 1.5,
            "same {same}, different {different}"
        );
    }
}
