//! The triplet loss of FaceNet (Schroff et al. 2015, eq. 2), averaged over the batch as the reference
//! implementations do: `L = mean_i [ ‖a_i − p_i‖² − ‖a_i − n_i‖² + α ]₊`, α = 0.2 in the paper.

use burn::tensor::Tensor;
use burn::tensor::activation::relu;

/// The paper's margin α.
pub const DEFAULT_MARGIN: f64 = 0.2;

/// Mean triplet loss over rows of `anchor`, `positive`, `negative` (each `[b, d]`) with margin `alpha`,
/// distances squared L2. Returns a one-element tensor `[1]`.
pub fn triplet_loss(anchor: Tensor<2>, positive: Tensor<2>, negative: Tensor<2>, alpha: f64) -> Tensor<1> {
    let d_ap = (anchor.clone() - positive).square().sum_dim(1); // [b, 1]
    let d_an = (anchor - negative).square().sum_dim(1); // [b, 1]
    relu(d_ap - d_an + alpha).mean()
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    #[test]
    fn hinge_is_applied_per_triplet_then_averaged() {
        let device = Device::flex();
        let t = |rows: [[f32; 2]; 2]| Tensor::<2>::from_floats(rows, &device);
        // triplet 1: d_ap = 0, d_an = 4 → [0 − 4 + 0.2]₊ = 0
        // triplet 2: d_ap = 1, d_an = 0.25 → 1 − 0.25 + 0.2 = 0.95
        let anchor = t([[0.0, 0.0], [0.0, 0.0]]);
        let positive = t([[0.0, 0.0], [1.0, 0.0]]);
        let negative = t([[2.0, 0.0], [0.5, 0.0]]);
        let loss = triplet_loss(anchor, positive, negative, 0.2).into_scalar::<f32>();
        assert!((loss - 0.475).abs() < 1e-6, "loss {loss}");
    }
}
