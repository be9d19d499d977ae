//! Inception-ResNet-v1, Szegedy et al. 2016 (arXiv:1602.07261, Figures 14 and 10–13 for the stem, the
//! 35×35 / 17×17 / 8×8 residual blocks and the reductions), as davidsandberg/facenet builds it in
//! `src/models/inception_resnet_v1.py` for its pretrained model 20180408-102900: 160×160×3 → 512-D unit
//! vector. The TensorFlow scope names (`Repeat/block35_1/Branch_1/Conv2d_0b_3x3`, …) are the spec's layer
//! names, so the importer ([`crate::import::facenet_graph`]) finds every weight by them.
//!
//! | block | layers | output (160×160 input) |
//! |---|---|---|
//! | stem | 3×3/2 V 32, 3×3 V 32, 3×3 S 64, max 3×3/2, 1×1 80, 3×3 V 192, 3×3/2 V 256 | 17×17×256 |
//! | `Repeat/block35_1..5` (×0.17) | 1×1 32 ‖ 1×1 32 → 3×3 32 ‖ 1×1 32 → 3×3 32 → 3×3 32; 1×1 → 256 | 17×17×256 |
//! | `Mixed_6a` | 3×3/2 V 384 ‖ 1×1 192 → 3×3 192 → 3×3/2 V 256 ‖ max 3×3/2 | 8×8×896 |
//! | `Repeat_1/block17_1..10` (×0.10) | 1×1 128 ‖ 1×1 128 → 1×7 128 → 7×1 128; 1×1 → 896 | 8×8×896 |
//! | `Mixed_7a` | 1×1 256 → 3×3/2 384 ‖ 1×1 256 → 3×3/2 256 ‖ 1×1 256 → 3×3 256 → 3×3/2 256 ‖ max | 3×3×1792 |
//! | `Repeat_2/block8_1..5` (×0.20), `Block8` (×1.0, no ReLU) | 1×1 192 ‖ 1×1 192 → 1×3 192 → 3×1 192; 1×1 → 1792 | 3×3×1792 |
//! | `Logits/AvgPool_1a_8x8`, `Bottleneck` | mean over the map, fc 1792 → 512 (no bias) + batch norm | 512 |
//! | `embeddings` | x / √max(Σx², 1e-10) | 512 |
//!
//! (V: VALID padding, S: SAME; every other conv is SAME, stride 1.) Each conv is followed by batch norm
//! (scale-free, ε 0.001) and ReLU, except the residual up-projections `…/Conv2d_1x1` (a bias, no norm,
//! no ReLU): their output is scaled by the block's factor and added to the block input, then ReLU.
//!
//! Counting ([`InceptionResnetV1Spec::summary`], `facenet model summary --arch inception-resnet-v1`):
//! params are every stored float of the frozen graph — conv weights, one bias per conv output (the folded
//! batch norm's offset or the up-projection's bias), the bottleneck's weights and its batch norm's four
//! vectors — which is the graph's own count of float Consts of rank ≥ 1 on the path to `embeddings`
//! (leaving out the scalar residual factors and the norm floor): 23,469,360. Multiply-adds count every
//! conv and the fc: 1,417,662,304 (1.418 G) per face.
//!
//! The network as data ([`InceptionResnetV1Spec`]); [`super::frozen`] runs it frozen, [`super::trainable`]
//! builds its trainable layers.

use crate::spec::{InputSize, LayerSummary, Summary};
use facenet_kernels::nhwc::ConvPadding;

/// The name of the architecture (`--arch`).
pub const ARCH_NAME: &str = "inception-resnet-v1";
/// The TensorFlow scope every layer name is under.
pub const SCOPE: &str = "InceptionResnetV1";

/// TensorFlow's two paddings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    Same,
    Valid,
}

impl Padding {
    /// The attribute value TensorFlow writes.
    pub fn tf_name(self) -> &'static str {
        match self {
            Padding::Same => "SAME",
            Padding::Valid => "VALID",
        }
    }

    /// The NHWC kernels' padding rule of this padding.
    pub fn kernel_padding(self) -> ConvPadding {
        match self {
            Padding::Same => ConvPadding::Same,
            Padding::Valid => ConvPadding::Explicit(0),
        }
    }

    /// Output size along one axis.
    pub fn output(self, size: usize, kernel: usize, stride: usize) -> usize {
        self.kernel_padding().output_and_before(size, kernel, stride).0
    }
}

/// One convolution (+ bias, + ReLU unless it is a residual up-projection), named by its scope below
/// [`SCOPE`].
#[derive(Debug, Clone, PartialEq)]
pub struct ConvSpec {
    pub scope: String,
    pub c_in: usize,
    pub out: usize,
    /// `(height, width)`.
    pub kernel: (usize, usize),
    pub stride: usize,
    pub padding: Padding,
}

impl ConvSpec {
    fn new(scope: String, c_in: usize, out: usize, kernel: (usize, usize), stride: usize, padding: Padding) -> Self {
        Self {
            scope,
            c_in,
            out,
            kernel,
            stride,
            padding,
        }
    }

    /// HWIO weight shape, as stored in the graph.
    pub fn weight_shape(&self) -> [usize; 4] {
        [self.kernel.0, self.kernel.1, self.c_in, self.out]
    }

    /// Output `(h, w)` for an input of `(h, w)`.
    pub fn output(&self, (h, w): (usize, usize)) -> (usize, usize) {
        (
            self.padding.output(h, self.kernel.0, self.stride),
            self.padding.output(w, self.kernel.1, self.stride),
        )
    }

    /// Stored floats (weights + one bias per output) and multiply-adds at output size `(h, w)`.
    fn cost(&self, (h, w): (usize, usize)) -> (u64, u64) {
        let weights = (self.kernel.0 * self.kernel.1 * self.c_in * self.out) as u64;
        (weights + self.out as u64, weights * (h * w) as u64)
    }
}

/// A branch of a reduction block: a chain of convs, or the 3×3/2 VALID max pool.
#[derive(Debug, Clone, PartialEq)]
pub enum Branch {
    Convs(Vec<ConvSpec>),
    MaxPool,
}

/// One stage of the network, in forward order.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Conv + ReLU.
    Conv(ConvSpec),
    /// 3×3/2 VALID max pool.
    MaxPool { scope: String },
    /// `relu?(x + scale · up(concat(branches(x))))`.
    Residual {
        scope: String,
        branches: Vec<Vec<ConvSpec>>,
        up: ConvSpec,
        scale: f32,
        relu: bool,
    },
    /// The concatenation of strided branches.
    Reduction { scope: String, branches: Vec<Branch> },
}

/// `(channels, height, width)`.
type Shape = (usize, usize, usize);

impl Stage {
    /// The scope of the stage (a row of the summary).
    pub fn scope(&self) -> &str {
        match self {
            Stage::Conv(c) => &c.scope,
            Stage::MaxPool { scope } | Stage::Residual { scope, .. } | Stage::Reduction { scope, .. } => scope,
        }
    }

    /// Every conv of the stage, in forward order.
    pub fn convs(&self) -> Vec<&ConvSpec> {
        match self {
            Stage::Conv(c) => vec![c],
            Stage::MaxPool { .. } => vec![],
            Stage::Residual { branches, up, .. } => branches.iter().flatten().chain([up]).collect(),
            Stage::Reduction { branches, .. } => branches
                .iter()
                .flat_map(|b| match b {
                    Branch::Convs(convs) => convs.iter().collect(),
                    Branch::MaxPool => vec![],
                })
                .collect(),
        }
    }

    /// Output shape, stored floats and multiply-adds.
    fn cost(&self, (c, h, w): Shape) -> (Shape, u64, u64) {
        let mut params = 0;
        let mut macs = 0;
        let mut chain = |convs: &[ConvSpec], mut size: (usize, usize)| {
            for conv in convs {
                size = conv.output(size);
                let (p, m) = conv.cost(size);
                params += p;
                macs += m;
            }
            size
        };
        let pooled = (Padding::Valid.output(h, 3, 2), Padding::Valid.output(w, 3, 2));
        let shape = match self {
            Stage::Conv(conv) => {
                let (oh, ow) = chain(std::slice::from_ref(conv), (h, w));
                (conv.out, oh, ow)
            }
            Stage::MaxPool { .. } => (c, pooled.0, pooled.1),
            Stage::Residual { branches, up, .. } => {
                for branch in branches {
                    chain(branch, (h, w));
                }
                chain(std::slice::from_ref(up), (h, w));
                (c, h, w)
            }
            Stage::Reduction { branches, .. } => {
                let mut channels = 0;
                for branch in branches {
                    channels += match branch {
                        Branch::Convs(convs) => {
                            chain(convs, (h, w));
                            convs.last().map_or(0, |l| l.out)
                        }
                        Branch::MaxPool => c,
                    };
                }
                (channels, pooled.0, pooled.1)
            }
        };
        (shape, params, macs)
    }

    fn kind(&self) -> String {
        match self {
            Stage::Conv(c) => format!(
                "conv {}×{}/{} {}",
                c.kernel.0,
                c.kernel.1,
                c.stride,
                c.padding.tf_name()
            ),
            Stage::MaxPool { .. } => "max pool 3×3/2 VALID".into(),
            Stage::Residual { scale, relu, .. } => {
                format!("residual ×{scale}{}", if *relu { "" } else { ", no ReLU" })
            }
            Stage::Reduction { branches, .. } => format!("reduction, {} branches", branches.len()),
        }
    }
}

/// The whole network as data: the stages, then mean pooling, the bottleneck fc + batch norm, L2.
#[derive(Debug, Clone, PartialEq)]
pub struct InceptionResnetV1Spec {
    pub input: InputSize,
    pub stages: Vec<Stage>,
    pub embedding_dim: usize,
}

/// Builds the conv `scope` (below `prefix`) with the running channel count.
struct Builder {
    prefix: String,
}

impl Builder {
    fn conv(
        &self,
        name: &str,
        c_in: usize,
        out: usize,
        kernel: (usize, usize),
        stride: usize,
        padding: Padding,
    ) -> ConvSpec {
        let scope = if self.prefix.is_empty() {
            name.to_string()
        } else {
            format!("{}/{name}", self.prefix)
        };
        ConvSpec::new(scope, c_in, out, kernel, stride, padding)
    }

    fn same(&self, name: &str, c_in: usize, out: usize, kernel: (usize, usize)) -> ConvSpec {
        self.conv(name, c_in, out, kernel, 1, Padding::Same)
    }
}

/// One conv of a residual branch: name, output channels, kernel (SAME, stride 1).
type BranchConv<'a> = (&'a str, usize, (usize, usize));

/// A residual block: `branches[i]` lists branch i's convs.
fn residual(scope: String, c: usize, branches: &[&[BranchConv]], scale: f32, relu: bool) -> Stage {
    let b = Builder { prefix: scope.clone() };
    let branches: Vec<Vec<ConvSpec>> = branches
        .iter()
        .enumerate()
        .map(|(i, convs)| {
            let mut c_in = c;
            convs
                .iter()
                .map(|&(name, out, kernel)| {
                    let conv = b.same(&format!("Branch_{i}/{name}"), c_in, out, kernel);
                    c_in = out;
                    conv
                })
                .collect()
        })
        .collect();
    let mid = branches.iter().map(|b| b.last().map_or(0, |l| l.out)).sum();
    Stage::Residual {
        up: b.same("Conv2d_1x1", mid, c, (1, 1)),
        scope,
        branches,
        scale,
        relu,
    }
}

fn block35(scope: String) -> Stage {
    let k3 = (3, 3);
    let one = (1, 1);
    residual(
        scope,
        256,
        &[
            &[("Conv2d_1x1", 32, one)],
            &[("Conv2d_0a_1x1", 32, one), ("Conv2d_0b_3x3", 32, k3)],
            &[
                ("Conv2d_0a_1x1", 32, one),
                ("Conv2d_0b_3x3", 32, k3),
                ("Conv2d_0c_3x3", 32, k3),
            ],
        ],
        0.17,
        true,
    )
}

fn block17(scope: String) -> Stage {
    let one = (1, 1);
    residual(
        scope,
        896,
        &[
            &[("Conv2d_1x1", 128, one)],
            &[
                ("Conv2d_0a_1x1", 128, one),
                ("Conv2d_0b_1x7", 128, (1, 7)),
                ("Conv2d_0c_7x1", 128, (7, 1)),
            ],
        ],
        0.10,
        true,
    )
}

fn block8(scope: String, scale: f32, relu: bool) -> Stage {
    let one = (1, 1);
    residual(
        scope,
        1792,
        &[
            &[("Conv2d_1x1", 192, one)],
            &[
                ("Conv2d_0a_1x1", 192, one),
                ("Conv2d_0b_1x3", 192, (1, 3)),
                ("Conv2d_0c_3x1", 192, (3, 1)),
            ],
        ],
        scale,
        relu,
    )
}

fn mixed_6a() -> Stage {
    let b = Builder {
        prefix: "Mixed_6a".into(),
    };
    let k3 = (3, 3);
    Stage::Reduction {
        scope: "Mixed_6a".into(),
        branches: vec![
            Branch::Convs(vec![b.conv("Branch_0/Conv2d_1a_3x3", 256, 384, k3, 2, Padding::Valid)]),
            Branch::Convs(vec![
                b.same("Branch_1/Conv2d_0a_1x1", 256, 192, (1, 1)),
                b.same("Branch_1/Conv2d_0b_3x3", 192, 192, k3),
                b.conv("Branch_1/Conv2d_1a_3x3", 192, 256, k3, 2, Padding::Valid),
            ]),
            Branch::MaxPool,
        ],
    }
}

fn mixed_7a() -> Stage {
    let b = Builder {
        prefix: "Mixed_7a".into(),
    };
    let (k3, one) = ((3, 3), (1, 1));
    Stage::Reduction {
        scope: "Mixed_7a".into(),
        branches: vec![
            Branch::Convs(vec![
                b.same("Branch_0/Conv2d_0a_1x1", 896, 256, one),
                b.conv("Branch_0/Conv2d_1a_3x3", 256, 384, k3, 2, Padding::Valid),
            ]),
            Branch::Convs(vec![
                b.same("Branch_1/Conv2d_0a_1x1", 896, 256, one),
                b.conv("Branch_1/Conv2d_1a_3x3", 256, 256, k3, 2, Padding::Valid),
            ]),
            Branch::Convs(vec![
                b.same("Branch_2/Conv2d_0a_1x1", 896, 256, one),
                b.same("Branch_2/Conv2d_0b_3x3", 256, 256, k3),
                b.conv("Branch_2/Conv2d_1a_3x3", 256, 256, k3, 2, Padding::Valid),
            ]),
            Branch::MaxPool,
        ],
    }
}

impl InceptionResnetV1Spec {
    /// davidsandberg's network at 160×160 with a 512-D embedding (model 20180408-102900).
    pub fn facenet_20180408() -> Self {
        let stem = Builder { prefix: String::new() };
        let (k3, v) = ((3, 3), Padding::Valid);
        let mut stages = vec![
            Stage::Conv(stem.conv("Conv2d_1a_3x3", 3, 32, k3, 2, v)),
            Stage::Conv(stem.conv("Conv2d_2a_3x3", 32, 32, k3, 1, v)),
            Stage::Conv(stem.same("Conv2d_2b_3x3", 32, 64, k3)),
            Stage::MaxPool {
                scope: "MaxPool_3a_3x3".into(),
            },
            Stage::Conv(stem.conv("Conv2d_3b_1x1", 64, 80, (1, 1), 1, v)),
            Stage::Conv(stem.conv("Conv2d_4a_3x3", 80, 192, k3, 1, v)),
            Stage::Conv(stem.conv("Conv2d_4b_3x3", 192, 256, k3, 2, v)),
        ];
        stages.extend((1..=5).map(|i| block35(format!("Repeat/block35_{i}"))));
        stages.push(mixed_6a());
        stages.extend((1..=10).map(|i| block17(format!("Repeat_1/block17_{i}"))));
        stages.push(mixed_7a());
        stages.extend((1..=5).map(|i| block8(format!("Repeat_2/block8_{i}"), 0.20, true)));
        stages.push(block8("Block8".into(), 1.0, false));
        Self {
            input: InputSize::square(160),
            stages,
            embedding_dim: 512,
        }
    }

    /// Shape of the last stage's output `(c, h, w)`.
    pub fn feature_shape(&self) -> (usize, usize, usize) {
        self.stages
            .iter()
            .fold((3, self.input.height, self.input.width), |shape, s| s.cost(shape).0)
    }

    /// Every conv, in forward order.
    pub fn convs(&self) -> impl Iterator<Item = &ConvSpec> {
        self.stages.iter().flat_map(Stage::convs)
    }

    /// The table: one row per stage (each residual block one row), then pooling, bottleneck, L2.
    pub fn summary(&self) -> Summary {
        let mut rows = Vec::new();
        let mut shape = (3, self.input.height, self.input.width);
        for stage in &self.stages {
            let (out, params, multiply_adds) = stage.cost(shape);
            shape = out;
            rows.push(LayerSummary {
                name: stage.scope().into(),
                kind: stage.kind(),
                output: [out.1, out.2, out.0],
                params,
                multiply_adds,
            });
        }
        let (c, d) = (shape.0, self.embedding_dim);
        rows.push(LayerSummary {
            name: "Logits/AvgPool_1a_8x8".into(),
            kind: "avg pool (whole map)".into(),
            output: [1, 1, c],
            params: 0,
            multiply_adds: 0,
        });
        rows.push(LayerSummary {
            name: "Bottleneck".into(),
            kind: "fc, no bias + batch norm".into(),
            output: [1, 1, d],
            params: (c * d + 4 * d) as u64,
            multiply_adds: (c * d) as u64,
        });
        rows.push(LayerSummary {
            name: "embeddings".into(),
            kind: "L2 normalisation".into(),
            output: [1, 1, d],
            params: 0,
            multiply_adds: 0,
        });
        Summary {
            arch: ARCH_NAME.into(),
            input: [self.input.height, self.input.width, 3],
            params: rows.iter().map(|r| r.params).sum(),
            multiply_adds: rows.iter().map(|r| r.multiply_adds).sum(),
            layers: rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_follow_the_reference_table() {
        let spec = InceptionResnetV1Spec::facenet_20180408();
        assert_eq!(spec.feature_shape(), (1792, 3, 3));
        assert_eq!(spec.convs().count(), 132);
        let summary = spec.summary();
        let output = |name: &str| summary.layers.iter().find(|l| l.name == name).unwrap().output;
        assert_eq!(output("Conv2d_1a_3x3"), [79, 79, 32]);
        assert_eq!(output("MaxPool_3a_3x3"), [38, 38, 64]);
        assert_eq!(output("Repeat/block35_5"), [17, 17, 256]);
        assert_eq!(output("Mixed_6a"), [8, 8, 896]);
        assert_eq!(output("Mixed_7a"), [3, 3, 1792]);
        assert_eq!(output("embeddings"), [1, 1, 512]);
    }

    #[test]
    fn counts_equal_the_graphs_stored_floats_and_1_418_g_multiply_adds() {
        let summary = InceptionResnetV1Spec::facenet_20180408().summary();
        // FINDINGS of the graph: 23,469,382 floats, of which 22 scalars (21 residual factors, the norm floor)
        assert_eq!(summary.params, 23_469_382 - 22);
        // 1,417,662,304: 1.418 G per face
        assert_eq!(summary.multiply_adds, 1_417_662_304);
        assert_eq!((summary.multiply_adds as f64 / 1e6).round(), 1_418.0);
    }
}
