//! The choices the FaceNet paper leaves open, written down once: [`ArchOptions`].
//!
//! Schroff et al. 2015 (arXiv:1503.03832) give layer tables (Tables 1 and 2) but not the details below.
//! Every network of [`crate::models`] reads them from here; none is hard-coded elsewhere.
//!
//! | choice | paper | here (default) | why |
//! |---|---|---|---|
//! | conv / pool padding | not given; output sizes imply "same" | `k/2` on every side, so a stride-2 layer gives `⌈n/2⌉` (220→110→55→28→14→7, 224→112→56→28→14→7) | the only padding that reproduces every output size in Tables 1 and 2 |
//! | LRN ("norm", "rnorm") | position only | size 5, α 1e-4, β 0.75, k 1 (AlexNet / Caffe / burn convention: `x / (k + α/size·Σx²)^β` over 5 channels); [`ArchOptions::lrn`], `None` removes it | the values of Krizhevsky et al., which Zeiler&Fergus and GoogLeNet also used |
//! | L2 pooling | "L2" in Table 2 | `sqrt(Σ_window x² + ε)`, 3×3, stride 1, zero padding, ε = [`ArchOptions::l2_pool_epsilon`] | the usual L_p pooling with p = 2 (OpenFace's `SpatialLPPooling(p=2)`); ε keeps the gradient finite where a window is all zero (after ReLU) |
//! | batch norm | not used (2015); "norm" is LRN | on by default ([`ArchOptions::batch_norm`]): conv → BN → ReLU, conv without bias; off: conv with bias → ReLU | trains from scratch far more reliably; the public NN4 reconstructions (OpenFace) add it too; it adds no weights in the paper's count |
//! | activation | "ReLU everywhere" | ReLU after every conv and every hidden fc | the paper |
//! | fc layers of NN1 | maxout p = 2 | `Linear(in, 2·out)` then max over each pair of adjacent units | Goodfellow et al.'s maxout |
//! | final pooling (Inception) | "avg pool" | global average over whatever the last map is (7×7 at 224, 3×3 at 96) | the table's "1×1×1024" output |
//! | embedding | L2 normalised | `x / sqrt(Σx² + ε)`, ε = 1e-12 | the paper; ε only guards the zero vector |
//! | initialisation | "random" | He (Kaiming) normal, gain √2 on fan-in, for convs and fcs; biases 0; BN γ=1, β=0 ([`WeightInit`]) | standard for ReLU networks |
//! | weight count | "params" | weights of convs and fcs, no biases, no BN (what the paper's columns add up to) | reproduces 140M / 7.45M and all NN2 per-module counts |

use burn::config::Config;
use burn::nn::Initializer;
use serde::{Deserialize, Serialize};

/// Local response normalisation across channels: `x / (k + α/size · Σ_{size channels} x²)^β`.
#[derive(Config, Debug, PartialEq)]
pub struct LrnOptions {
    /// Channels in the window.
    #[config(default = 5)]
    pub size: usize,
    /// Scale α (divided by `size` in the formula).
    #[config(default = 1e-4)]
    pub alpha: f64,
    /// Exponent β.
    #[config(default = 0.75)]
    pub beta: f64,
    /// Bias k.
    #[config(default = 1.0)]
    pub k: f64,
}

/// How weights are initialised (biases start at 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum WeightInit {
    /// He et al. 2015: normal with std √(2 / fan_in). For ReLU networks.
    #[default]
    HeNormal,
    /// Glorot & Bengio 2010: uniform in ±√(6 / (fan_in + fan_out)).
    XavierUniform,
}

impl WeightInit {
    /// The burn initializer for conv and fc weights.
    pub fn initializer(self) -> Initializer {
        match self {
            WeightInit::HeNormal => Initializer::KaimingNormal {
                gain: std::f64::consts::SQRT_2,
                fan_out_only: false,
            },
            WeightInit::XavierUniform => Initializer::XavierUniform { gain: 1.0 },
        }
    }
}

/// The open choices of the paper, shared by every FaceNet architecture (see the module table).
#[derive(Config, Debug, PartialEq)]
pub struct ArchOptions {
    /// Conv → BatchNorm → ReLU (conv without bias) when true; conv (with bias) → ReLU when false.
    #[config(default = true)]
    pub batch_norm: bool,
    /// The LRN where the tables say "norm"; `None` leaves those layers out.
    #[config(default = "Some(LrnOptions::new())")]
    pub lrn: Option<LrnOptions>,
    /// ε inside the square root of L2 pooling.
    #[config(default = 1e-6)]
    pub l2_pool_epsilon: f64,
    /// Weight initialisation.
    #[config(default = "WeightInit::HeNormal")]
    pub init: WeightInit,
}

impl Default for ArchOptions {
    fn default() -> Self {
        Self::new()
    }
}
