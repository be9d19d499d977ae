//! NN1, FaceNet, Schroff et al. 2015, arXiv:1503.03832, Table 1: Zeiler&Fergus with 1×1 convolutions.
//! Input 220×220×3 → 128-D (configurable) L2-normalised embedding.
//!
//! Layers exactly as Table 1: conv1 7×7/2, max pool, LRN, 1×1 + 3×3 conv pairs (conv2a/2 … conv6a/6),
//! max pools after conv2, conv3 and conv6, then fc1 and fc2 (maxout p = 2, 4096 outputs each from 8192
//! units) and fc7128 to the embedding. Table 1's "concat" row (7×7×256 → 7×7×256) does nothing in a
//! single-tower net and is left out. Open choices (padding, LRN, BN, init) come from
//! [`crate::options::ArchOptions`].
//!
//! | | params (weights, no biases) | multiply-adds |
//! |---|---|---|
//! | here (`facenet model summary --arch nn1`) | 140.0M (140,006,592) | 1.606B (1,605,944,064) |
//! | paper | 140M | 1.6B |

use crate::spec::{FcSpec, InputSize, LayerSpec, NamedLayer, NetSpec};

/// Table 1 with an `embedding_dim`-D embedding.
pub fn spec(embedding_dim: usize) -> NetSpec {
    use LayerSpec::{Conv, Lrn};
    let conv = LayerSpec::conv;
    let features = vec![
        NamedLayer::new(
            "conv1",
            Conv {
                out: 64,
                kernel: 7,
                stride: 2,
            },
        ),
        NamedLayer::new("pool1", LayerSpec::MAX_POOL_3X3_2),
        NamedLayer::new("rnorm1", Lrn),
        NamedLayer::new("conv2a", conv(64, 1)),
        NamedLayer::new("conv2", conv(192, 3)),
        NamedLayer::new("rnorm2", Lrn),
        NamedLayer::new("pool2", LayerSpec::MAX_POOL_3X3_2),
        NamedLayer::new("conv3a", conv(192, 1)),
        NamedLayer::new("conv3", conv(384, 3)),
        NamedLayer::new("pool3", LayerSpec::MAX_POOL_3X3_2),
        NamedLayer::new("conv4a", conv(384, 1)),
        NamedLayer::new("conv4", conv(256, 3)),
        NamedLayer::new("conv5a", conv(256, 1)),
        NamedLayer::new("conv5", conv(256, 3)),
        NamedLayer::new("conv6a", conv(256, 1)),
        NamedLayer::new("conv6", conv(256, 3)),
        NamedLayer::new("pool4", LayerSpec::MAX_POOL_3X3_2),
    ];
    let maxout = |name: &str| FcSpec {
        name: name.into(),
        out: 32 * 128,
        pieces: 2,
    };
    NetSpec {
        input: InputSize::square(220),
        features,
        hidden: vec![maxout("fc1"), maxout("fc2")],
        embedding_name: "fc7128".into(),
        embedding_dim,
    }
}
