//! int8 quantisation of embeddings: FaceNet (Schroff et al. 2015, Sec. 1) notes the 128-D embedding
//! "can be quantized to 128 bytes without loss of accuracy".
//!
//! Each vector x is stored as codes qᵢ = round(xᵢ / s) ∈ [−127, 127] with its own scale
//! s = max|xᵢ| / 127, so x ≈ s·q. Then x·y ≈ sₓ·s_y·Σ qₓᵢ q_yᵢ (an exact integer sum), and
//! ‖x − y‖² = ‖x‖² + ‖y‖² − 2 x·y. [`dot_i8`] is the naive reference the fast kernels are tested against.

/// An embedding as int8 codes and the scale that maps them back: x ≈ `scale` · `codes`.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantized {
    pub codes: Vec<i8>,
    pub scale: f32,
}

impl Quantized {
    /// Quantises `values` (any length, any norm). A zero vector, or one with a non-finite value, gets
    /// scale 0 and zero codes.
    pub fn new(values: &[f32]) -> Self {
        let max_abs = values.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        if max_abs == 0.0 || values.iter().any(|v| !v.is_finite()) {
            return Self {
                codes: vec![0; values.len()],
                scale: 0.0,
            };
        }
        let scale = max_abs / 127.0;
        let codes = values
            .iter()
            .map(|v| (v / scale).round().clamp(-127.0, 127.0) as i8)
            .collect();
        Self { codes, scale }
    }

    /// s · q: the vector the codes stand for.
    pub fn dequantize(&self) -> Vec<f32> {
        self.codes.iter().map(|&q| q as f32 * self.scale).collect()
    }
}

/// Σ aᵢ bᵢ over int8 codes, exactly, in i32 (|sum| ≤ 127² · len, no overflow below 133,000 dims).
pub fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    debug_assert_eq!(a.len(), b.len(), "codes should have one length");
    a.iter().zip(b).map(|(&x, &y)| x as i32 * y as i32).sum()
}

/// x·y ≈ sₓ s_y Σ qₓᵢ q_yᵢ.
pub fn approx_dot(a: &Quantized, b: &Quantized) -> f32 {
    a.scale * b.scale * dot_i8(&a.codes, &b.codes) as f32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::distance::dot;

    #[test]
    fn round_trip_error_is_at_most_half_a_step() {
        let x: Vec<f32> = (0..128).map(|i| ((i * 37 % 101) as f32 - 50.0) / 300.0).collect();
        let q = Quantized::new(&x);
        for (a, b) in x.iter().zip(q.dequantize()) {
            assert!((a - b).abs() <= q.scale * 0.5 + 1e-7, "{a} vs {b}");
        }
        assert_eq!(q.codes.iter().map(|c| c.unsigned_abs()).max(), Some(127));
    }

    #[test]
    fn approx_dot_is_close_to_dot() {
        let x: Vec<f32> = (0..128).map(|i| (i as f32 * 0.7).sin()).collect();
        let y: Vec<f32> = (0..128).map(|i| (i as f32 * 0.3).cos()).collect();
        let (qx, qy) = (Quantized::new(&x), Quantized::new(&y));
        assert!((approx_dot(&qx, &qy) - dot(&x, &y)).abs() < 0.05 * dot(&x, &x).sqrt() * dot(&y, &y).sqrt());
    }

    #[test]
    fn zero_and_non_finite_vectors_quantise_to_zero() {
        assert_eq!(
            Quantized::new(&[0.0; 4]),
            Quantized {
                codes: vec![0; 4],
                scale: 0.0
            }
        );
        assert_eq!(Quantized::new(&[f32::NAN, 1.0]).scale, 0.0);
    }
}
