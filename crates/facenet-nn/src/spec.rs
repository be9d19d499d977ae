//! A network as data: [`NetSpec`] lists its layers by the paper's names. The same spec builds the burn
//! module ([`crate::models::FaceNet`]) and the paper-style table ([`NetSpec::summary`]), so the printed
//! parameter and multiply-add figures cannot drift from the network that runs.

use crate::layers::PoolKind;
use crate::options::ArchOptions;
use facenet_kernels::shape::same_output;
use serde::{Deserialize, Serialize};

/// A network's input: `height × width × 3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSize {
    pub height: usize,
    pub width: usize,
}

impl InputSize {
    pub const fn square(side: usize) -> Self {
        Self {
            height: side,
            width: side,
        }
    }
}

/// One layer of the convolutional part (maps `[b, c, h, w]` to `[b, c', h', w']`).
#[derive(Debug, Clone, PartialEq)]
pub enum LayerSpec {
    /// `kernel × kernel` conv, "same" padding, + BN + ReLU.
    Conv { out: usize, kernel: usize, stride: usize },
    /// `kernel × kernel` max or L2 pool, "same" padding.
    Pool {
        kind: PoolKind,
        kernel: usize,
        stride: usize,
    },
    /// Local response normalisation ("norm", "rnorm"); left out when the options have no LRN.
    Lrn,
    /// An Inception module (Table 2 row).
    Inception(InceptionModuleSpec),
    /// Average over the whole map ("avg pool"): `[b, c, h, w]` → `[b, c, 1, 1]`.
    GlobalAvgPool,
}

/// A layer with the name the paper's table gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedLayer {
    pub name: String,
    pub layer: LayerSpec,
}

impl NamedLayer {
    pub fn new(name: &str, layer: LayerSpec) -> Self {
        Self {
            name: name.into(),
            layer,
        }
    }
}

/// A hidden fully connected layer after the convolutional part: `out` units, maxout over `pieces` (1 = ReLU).
#[derive(Debug, Clone, PartialEq)]
pub struct FcSpec {
    pub name: String,
    pub out: usize,
    pub pieces: usize,
}

/// A whole FaceNet network: conv part, flatten, hidden fc layers, the embedding fc, L2 normalisation.
#[derive(Debug, Clone, PartialEq)]
pub struct NetSpec {
    pub input: InputSize,
    pub features: Vec<NamedLayer>,
    pub hidden: Vec<FcSpec>,
    /// Name of the last fc ("fc7128" in Table 1, "fully conn" in Table 2).
    pub embedding_name: String,
    pub embedding_dim: usize,
}

/// `(channels, height, width)` of an activation.
pub type MapShape = (usize, usize, usize);

/// One row of the paper-style table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSummary {
    pub name: String,
    /// What the layer is, e.g. `conv 7×7/2`, `max pool 3×3/2`, `inception`, `fc maxout p=2`.
    pub kind: String,
    /// Output `[height, width, channels]` (the paper writes rows × cols × depth).
    pub output: [usize; 3],
    /// Weights without biases or batch-norm parameters (as the paper counts).
    pub params: u64,
    /// Multiply-adds (the paper's "FLOPS").
    pub multiply_adds: u64,
}

/// The paper-style table of a network and its totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub arch: String,
    /// `[height, width, channels]`.
    pub input: [usize; 3],
    pub params: u64,
    pub multiply_adds: u64,
    pub layers: Vec<LayerSummary>,
}

/// Weights and multiply-adds of a `kernel × kernel` conv producing an `out_h × out_w × c_out` map.
pub fn conv_cost(c_in: usize, c_out: usize, kernel: usize, out_h: usize, out_w: usize) -> (u64, u64) {
    let params = (c_in * c_out * kernel * kernel) as u64;
    (params, params * (out_h * out_w) as u64)
}

impl LayerSpec {
    /// A stride-1 `kernel × kernel` conv to `out` channels.
    pub const fn conv(out: usize, kernel: usize) -> Self {
        LayerSpec::Conv { out, kernel, stride: 1 }
    }

    /// The 3×3 stride-2 max pool every table uses between stages.
    pub const MAX_POOL_3X3_2: Self = LayerSpec::Pool {
        kind: PoolKind::Max,
        kernel: 3,
        stride: 2,
    };

    /// Output shape, weights and multiply-adds for an input of shape `input`.
    pub fn cost(&self, input: MapShape) -> (MapShape, u64, u64) {
        let (c, h, w) = input;
        match self {
            LayerSpec::Conv { out, kernel, stride } => {
                let (oh, ow) = (same_output(h, *kernel, *stride), same_output(w, *kernel, *stride));
                let (params, macs) = conv_cost(c, *out, *kernel, oh, ow);
                ((*out, oh, ow), params, macs)
            }
            LayerSpec::Pool { kernel, stride, .. } => (
                (c, same_output(h, *kernel, *stride), same_output(w, *kernel, *stride)),
                0,
                0,
            ),
            LayerSpec::Lrn => (input, 0, 0),
            LayerSpec::Inception(module) => module.cost(input),
            LayerSpec::GlobalAvgPool => ((c, 1, 1), 0, 0),
        }
    }

    fn kind(&self) -> String {
        match self {
            LayerSpec::Conv { kernel, stride, .. } => format!("conv {kernel}×{kernel}/{stride}"),
            LayerSpec::Pool {
                kind: PoolKind::Max,
                kernel,
                stride,
            } => format!("max pool {kernel}×{kernel}/{stride}"),
            LayerSpec::Pool {
                kind: PoolKind::L2,
                kernel,
                stride,
            } => format!("L2 pool {kernel}×{kernel}/{stride}"),
            LayerSpec::Lrn => "lrn".into(),
            LayerSpec::Inception(module) => module.describe(),
            LayerSpec::GlobalAvgPool => "avg pool".into(),
        }
    }
}

impl NetSpec {
    /// The conv-part layers the options keep (LRN layers go when `options.lrn` is `None`).
    pub fn active_features<'a>(&'a self, options: &'a ArchOptions) -> impl Iterator<Item = &'a NamedLayer> {
        self.features
            .iter()
            .filter(|l| options.lrn.is_some() || l.layer != LayerSpec::Lrn)
    }

    /// Shape of the conv part's output.
    pub fn feature_shape(&self) -> MapShape {
        self.features
            .iter()
            .fold((3, self.input.height, self.input.width), |shape, l| {
                l.layer.cost(shape).0
            })
    }

    /// The paper-style table: per layer output size, weights (no biases) and multiply-adds, and totals.
    pub fn summary(&self, arch: &str, options: &ArchOptions) -> Summary {
        let mut rows = Vec::new();
        let mut shape: MapShape = (3, self.input.height, self.input.width);
        for named in self.active_features(options) {
            let (out, params, multiply_adds) = named.layer.cost(shape);
            shape = out;
            rows.push(LayerSummary {
                name: named.name.clone(),
                kind: named.layer.kind(),
                output: [out.1, out.2, out.0],
                params,
                multiply_adds,
            });
        }
        let mut width = shape.0 * shape.1 * shape.2;
        let fc_row = |name: &str, kind: String, inputs: usize, units: usize| {
            let params = (inputs * units) as u64;
            LayerSummary {
                name: name.into(),
                kind,
                output: [1, 1, 0],
                params,
                multiply_adds: params,
            }
        };
        for fc in &self.hidden {
            let kind = if fc.pieces == 1 {
                "fc".into()
            } else {
                format!("fc maxout p={}", fc.pieces)
            };
            let mut row = fc_row(&fc.name, kind, width, fc.out * fc.pieces);
            row.output[2] = fc.out;
            rows.push(row);
            width = fc.out;
        }
        let mut row = fc_row(&self.embedding_name, "fc".into(), width, self.embedding_dim);
        row.output[2] = self.embedding_dim;
        rows.push(row);
        rows.push(LayerSummary {
            name: "L2".into(),
            kind: "L2 normalisation".into(),
            output: [1, 1, self.embedding_dim],
            params: 0,
            multiply_adds: 0,
        });
        Summary {
            arch: arch.into(),
            input: [self.input.height, self.input.width, 3],
            params: rows.iter().map(|r| r.params).sum(),
            multiply_adds: rows.iter().map(|r| r.multiply_adds).sum(),
            layers: rows,
        }
    }
}

impl Summary {
    /// The table as text, one row per layer, paper style (`output` as rows×cols×depth).
    pub fn to_table(&self) -> String {
        let mut out = format!(
            "{}  input {}×{}×{}\n{:<14} {:<40} {:>11} {:>12} {:>14}\n",
            self.arch, self.input[0], self.input[1], self.input[2], "layer", "type", "output", "params", "mult-adds"
        );
        for l in &self.layers {
            let size = format!("{}×{}×{}", l.output[0], l.output[1], l.output[2]);
            out += &format!(
                "{:<14} {:<40} {:>11} {:>12} {:>14}\n",
                l.name,
                l.kind,
                size,
                group_thousands(l.params),
                group_thousands(l.multiply_adds)
            );
        }
        out += &format!(
            "{:<14} {:<40} {:>11} {:>12} {:>14}\ntotal: {:.2}M params, {:.2}M multiply-adds\n",
            "total",
            "",
            "",
            group_thousands(self.params),
            group_thousands(self.multiply_adds),
            self.params as f64 / 1e6,
            self.multiply_adds as f64 / 1e6
        );
        out
    }
}

/// `1234567` → `1,234,567`.
fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1_587_200), "1,587,200");
    }
}

/// The pool branch of an Inception module: 3×3 max or L2 pool, then a 1×1 projection to `proj` channels
/// (`None`: the pooled input passes through).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoolBranchSpec {
    pub kind: PoolKind,
    pub proj: Option<usize>,
}

/// One row of Table 2: widths of each branch (0 = no such branch) and the stride.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InceptionModuleSpec {
    pub n1x1: usize,
    pub n3x3_reduce: usize,
    pub n3x3: usize,
    pub n5x5_reduce: usize,
    pub n5x5: usize,
    pub pool: Option<PoolBranchSpec>,
    pub stride: usize,
}

impl InceptionModuleSpec {
    /// Output channels for `c_in` input channels.
    pub fn out_channels(&self, c_in: usize) -> usize {
        let pool = self.pool.map_or(0, |p| p.proj.unwrap_or(c_in));
        self.n1x1 + self.n3x3 + self.n5x5 + pool
    }

    /// Output shape, weights and multiply-adds: 1×1 reductions at the input resolution, the strided
    /// 3×3 / 5×5 convs and the pool projection at the output resolution (what the network computes).
    pub fn cost(&self, (c, h, w): MapShape) -> (MapShape, u64, u64) {
        let (oh, ow) = (same_output(h, 3, self.stride), same_output(w, 3, self.stride));
        let mut convs = vec![(c, self.n1x1, 1, h, w)];
        for (reduce, n, k) in [(self.n3x3_reduce, self.n3x3, 3), (self.n5x5_reduce, self.n5x5, 5)] {
            if n > 0 {
                convs.push((c, reduce, 1, h, w));
                convs.push((reduce, n, k, oh, ow));
            }
        }
        if let Some(PoolBranchSpec { proj: Some(p), .. }) = self.pool {
            convs.push((c, p, 1, oh, ow));
        }
        let (params, macs) = convs
            .into_iter()
            .map(|(ci, co, k, ch, cw)| conv_cost(ci, co, k, ch, cw))
            .fold((0, 0), |(p, m), (dp, dm)| (p + dp, m + dm));
        ((self.out_channels(c), oh, ow), params, macs)
    }

    /// The row's type column, e.g. `inception 64|96→128|16→32|m,32p`.
    pub fn describe(&self) -> String {
        let pool = match self.pool {
            None => "-".to_string(),
            Some(p) => {
                let kind = if p.kind == PoolKind::Max { "m" } else { "L2" };
                match p.proj {
                    Some(n) => format!("{kind},{n}p"),
                    None => format!("{kind} 3×3,{}", self.stride),
                }
            }
        };
        let stride = if self.stride > 1 {
            format!(",{}", self.stride)
        } else {
            String::new()
        };
        format!(
            "inception {}|{}→{}{stride}|{}→{}{stride}|{pool}",
            self.n1x1, self.n3x3_reduce, self.n3x3, self.n5x5_reduce, self.n5x5
        )
    }
}
