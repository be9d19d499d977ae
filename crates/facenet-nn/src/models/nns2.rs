//! NNS2, FaceNet, Schroff et al. 2015, arXiv:1503.03832, Section 4 ("4.3M parameters, 20M FLOPS",
//! 140×116 input, 30 ms/image on a 2015 phone). Input 140×116×3 (height × width: a portrait face crop)
//! → 128-D (configurable) L2-normalised embedding.
//!
//! The paper gives no table; this is a reconstruction. 4.3M weights with only 20M multiply-adds means
//! almost all weights sit in a fully connected layer (an fc weight costs one multiply-add, a conv weight
//! hundreds), so the net is a small conv stack that shrinks the face to 9×8×64 quickly, then one wide fc:
//!
//! | layer | output | weights | multiply-adds |
//! |---|---|---|---|
//! | conv1 5×5/2 | 70×58×16 | 1,200 | 4.87M |
//! | pool1 max 3×3/2, norm1 | 35×29×16 | | |
//! | conv2 3×3 | 35×29×32 | 4,608 | 4.68M |
//! | pool2 max 3×3/2 | 18×15×32 | | |
//! | conv3 3×3 | 18×15×48 | 13,824 | 3.73M |
//! | pool3 max 3×3/2 | 9×8×48 | | |
//! | conv4 3×3 | 9×8×64 | 27,648 | 1.99M |
//! | fc1 (ReLU) | 896 | 4,128,768 | 4.13M |
//! | fc (embedding) | 128 | 114,688 | 0.11M |
//! | **total** | | **4,290,736 (4.29M; paper 4.3M)** | **19.5M (paper 20M)** |

use crate::spec::{FcSpec, InputSize, LayerSpec, NamedLayer, NetSpec};

/// The NNS2 reconstruction with an `embedding_dim`-D embedding.
pub fn spec(embedding_dim: usize) -> NetSpec {
    use LayerSpec::{Conv, Lrn};
    let conv = LayerSpec::conv;
    let features = vec![
        NamedLayer::new(
            "conv1",
            Conv {
                out: 16,
                kernel: 5,
                stride: 2,
            },
        ),
        NamedLayer::new("pool1", LayerSpec::MAX_POOL_3X3_2),
        NamedLayer::new("norm1", Lrn),
        NamedLayer::new("conv2", conv(32, 3)),
        NamedLayer::new("pool2", LayerSpec::MAX_POOL_3X3_2),
        NamedLayer::new("conv3", conv(48, 3)),
        NamedLayer::new("pool3", LayerSpec::MAX_POOL_3X3_2),
        NamedLayer::new("conv4", conv(64, 3)),
    ];
    NetSpec {
        input: InputSize {
            height: 140,
            width: 116,
        },
        features,
        hidden: vec![FcSpec {
            name: "fc1".into(),
            out: 896,
            pieces: 1,
        }],
        embedding_name: "fc".into(),
        embedding_dim,
    }
}
