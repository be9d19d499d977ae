//! Inception-ResNet-v1 frozen for inference: [`InceptionResnetV1Cpu`] runs the network of
//! [`InceptionResnetV1Spec`] (davidsandberg/facenet's 20180408-102900, Szegedy et al. 2016) channels-last on
//! [`facenet_kernels::nhwc`], with every batch norm folded into its conv or fc and every residual factor into
//! its up-projection, as the frozen TensorFlow graph stores them.

use super::spec::{Branch, ConvSpec, InceptionResnetV1Spec, Padding, Stage};
use facenet_kernels::matmul::{Matrix, Operand, matmul};
use facenet_kernels::nhwc::{FrozenConv, Nhwc, copy_channels, global_mean, pool};
use std::collections::HashMap;

/// Frozen weights by name: `{scope}/weights` (HWIO) and `{scope}/bias` for every conv, and
/// `Bottleneck/weights` (`[c, d]`) and `Bottleneck/bias` with the batch norm folded in.
pub type Weights = HashMap<String, Vec<f32>>;

/// A conv stage of [`InceptionResnetV1Cpu`].
#[derive(Debug, Clone)]
enum FrozenStage {
    Conv(FrozenConv),
    MaxPool,
    Residual {
        branches: Vec<Vec<FrozenConv>>,
        /// The up-projection with the residual factor folded in.
        up: FrozenConv,
        relu: bool,
    },
    Reduction {
        branches: Vec<Option<Vec<FrozenConv>>>,
    },
}

/// The network frozen on the NHWC kernels: any batch of 160×160 inputs → unit vectors.
#[derive(Debug, Clone)]
pub struct InceptionResnetV1Cpu {
    stages: Vec<FrozenStage>,
    /// `[c, d]` row-major.
    bottleneck: Vec<f32>,
    bottleneck_bias: Vec<f32>,
    embedding_dim: usize,
}

impl InceptionResnetV1Cpu {
    /// Builds the network of `spec` from `weights`, which must hold every tensor at its size.
    pub fn new(spec: &InceptionResnetV1Spec, mut weights: Weights) -> Result<Self, String> {
        let mut take = |name: String, len: usize| -> Result<Vec<f32>, String> {
            let values = weights.remove(&name).ok_or_else(|| format!("{name}: missing"))?;
            if values.len() != len {
                return Err(format!("{name}: {} values, expected {len}", values.len()));
            }
            Ok(values)
        };
        let mut frozen = |conv: &ConvSpec| -> Result<FrozenConv, String> {
            let w = take(format!("{}/weights", conv.scope), conv.weight_shape().iter().product())?;
            let b = take(format!("{}/bias", conv.scope), conv.out)?;
            let padding = conv.padding.kernel_padding();
            Ok(FrozenConv::from_hwio(
                w,
                b,
                conv.kernel,
                conv.stride,
                padding,
                conv.c_in,
            ))
        };
        let mut stages = Vec::new();
        for stage in &spec.stages {
            stages.push(match stage {
                Stage::Conv(conv) => FrozenStage::Conv(frozen(conv)?),
                Stage::MaxPool { .. } => FrozenStage::MaxPool,
                Stage::Residual {
                    branches,
                    up,
                    scale,
                    relu,
                    ..
                } => {
                    let branches = branches
                        .iter()
                        .map(|b| b.iter().map(&mut frozen).collect::<Result<Vec<_>, _>>())
                        .collect::<Result<_, _>>()?;
                    let mut up = frozen(up)?;
                    up.scale(*scale);
                    FrozenStage::Residual {
                        branches,
                        up,
                        relu: *relu,
                    }
                }
                Stage::Reduction { branches, .. } => FrozenStage::Reduction {
                    branches: branches
                        .iter()
                        .map(|b| match b {
                            Branch::Convs(convs) => convs.iter().map(&mut frozen).collect::<Result<_, _>>().map(Some),
                            Branch::MaxPool => Ok(None),
                        })
                        .collect::<Result<_, _>>()?,
                },
            });
        }
        let (c, d) = (spec.feature_shape().0, spec.embedding_dim);
        Ok(Self {
            stages,
            bottleneck: take("Bottleneck/weights".into(), c * d)?,
            bottleneck_bias: take("Bottleneck/bias".into(), d)?,
            embedding_dim: d,
        })
    }

    /// Unit embeddings `[n, d]` (row-major) of a batch of standardised inputs.
    pub fn forward(&self, input: Nhwc) -> Vec<f32> {
        let mut x = input;
        for stage in &self.stages {
            x = match stage {
                FrozenStage::Conv(conv) => conv.forward(&x, true),
                FrozenStage::MaxPool => pool(&x, 3, 2, true),
                FrozenStage::Residual { branches, up, relu } => residual_forward(x, branches, up, *relu),
                FrozenStage::Reduction { branches } => reduction_forward(&x, branches),
            };
        }
        let features = global_mean(&x);
        let (n, c, d) = (x.n, x.c, self.embedding_dim);
        let mut out = self.bottleneck_bias.repeat(n);
        matmul(
            Matrix {
                data: &mut out,
                rows: n,
                cols: d,
            },
            true,
            Operand {
                data: &features,
                row_stride: c,
                col_stride: 1,
            },
            Operand {
                data: &self.bottleneck,
                row_stride: d,
                col_stride: 1,
            },
            c,
        );
        for row in out.chunks_exact_mut(d) {
            let scale = 1.0 / row.iter().map(|v| v * v).sum::<f32>().max(1e-10).sqrt();
            row.iter_mut().for_each(|v| *v *= scale);
        }
        out
    }
}

/// Runs all convs of `chain` but the last on `x`; returns the input of the last one.
fn run_chain_but_last(x: &Nhwc, chain: &[FrozenConv]) -> Option<Nhwc> {
    let (_, head) = chain.split_last()?;
    let mut current: Option<Nhwc> = None;
    for conv in head {
        current = Some(conv.forward(current.as_ref().unwrap_or(x), true));
    }
    current
}

/// `relu?(x + up(concat(branches)))`, the concatenation written in place and the sum accumulated into `x`.
fn residual_forward(mut x: Nhwc, branches: &[Vec<FrozenConv>], up: &FrozenConv, relu: bool) -> Nhwc {
    let mid: usize = branches
        .iter()
        .filter_map(|b| b.last())
        .map(FrozenConv::out_channels)
        .sum();
    let mut concat = Nhwc::zeros(x.n, x.h, x.w, mid);
    let mut offset = 0;
    for branch in branches {
        let Some(last) = branch.last() else { continue };
        let input = run_chain_but_last(&x, branch);
        last.forward_into(input.as_ref().unwrap_or(&x), true, &mut concat, offset, false);
        offset += last.out_channels();
    }
    up.forward_into(&concat, relu, &mut x, 0, true);
    x
}

/// The concatenation of strided conv chains and the 3×3/2 max pool.
fn reduction_forward(x: &Nhwc, branches: &[Option<Vec<FrozenConv>>]) -> Nhwc {
    let channels = branches
        .iter()
        .map(|b| {
            b.as_ref()
                .map_or(x.c, |convs| convs.last().map_or(0, FrozenConv::out_channels))
        })
        .sum();
    let (oh, ow) = (Padding::Valid.output(x.h, 3, 2), Padding::Valid.output(x.w, 3, 2));
    let mut out = Nhwc::zeros(x.n, oh, ow, channels);
    let mut offset = 0;
    for branch in branches {
        match branch.as_deref().and_then(|b| b.last().map(|l| (b, l))) {
            Some((chain, last)) => {
                let input = run_chain_but_last(x, chain);
                last.forward_into(input.as_ref().unwrap_or(x), true, &mut out, offset, false);
                offset += last.out_channels();
            }
            None => {
                copy_channels(&pool(x, 3, 2, true), &mut out, offset);
                offset += x.c;
            }
        }
    }
    out
}
