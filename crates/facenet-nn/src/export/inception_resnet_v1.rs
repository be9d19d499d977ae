//! davidsandberg's FaceNet (Inception-ResNet-v1, [`crate::models::inception_resnet_v1`], Szegedy et al.
//! 2016 as davidsandberg/facenet builds it) as an ONNX model: the same stages the NHWC runtime runs, with
//! the same folded weights (batch norms folded into each conv's bias, each residual factor into its
//! up-projection), in ONNX's NCHW layout.
//!
//! Input `input`: `[N, 3, 160, 160]` float, the standardised crop `(x − 127.5) / 128` (RGB, NCHW).
//! Output `embeddings`: `[N, 512]` unit vectors, equal to [`crate::pretrained::PretrainedFaceNet`]'s.

use super::onnx_graph::{ConvAttributes, OnnxGraph};
use crate::models::inception_resnet_v1::{Branch, ConvSpec, InceptionResnetV1Spec, Padding, Stage, Weights};

/// The graph's input name.
pub const INPUT: &str = "input";
/// The graph's output name.
pub const OUTPUT: &str = "embeddings";
/// The floor of the squared norm in the L2 normalisation (TensorFlow's `l2_normalize` default).
const NORM_EPSILON: f32 = 1e-10;

/// The serialized ONNX model of `spec` with `weights` (every tensor at its size, as
/// [`crate::models::inception_resnet_v1::InceptionResnetV1Cpu::new`] takes them).
pub fn to_onnx(spec: &InceptionResnetV1Spec, weights: &Weights) -> Result<Vec<u8>, String> {
    let mut exporter = Exporter {
        graph: OnnxGraph::default(),
        weights,
    };
    let (mut x, mut shape) = (INPUT.to_string(), (3, spec.input.height, spec.input.width));
    for stage in &spec.stages {
        (x, shape) = exporter.stage(stage, &x, shape)?;
    }
    let (c, d) = (shape.0, spec.embedding_dim);
    let g = &mut exporter.graph;
    let flat = g.global_mean_flat("Logits/AvgPool_1a_8x8", "Logits/Flatten", &x);
    let w = g.constant(
        "Bottleneck/weights",
        &[c, d],
        take(weights, "Bottleneck/weights", c * d)?,
    );
    let b = g.constant("Bottleneck/bias", &[d], take(weights, "Bottleneck/bias", d)?);
    let bottleneck = g.node("Gemm", "Bottleneck", &[&flat, &w, &b], vec![]);
    let out = g.l2_normalize(OUTPUT, &bottleneck, NORM_EPSILON);
    debug_assert_eq!(out, OUTPUT);
    Ok(exporter.graph.into_model(
        "facenet 20180408-102900 (Inception-ResNet-v1)",
        (INPUT, &[None, Some(3), Some(spec.input.height), Some(spec.input.width)]),
        (OUTPUT, &[None, Some(d)]),
    ))
}

/// `(channels, height, width)` of an activation.
type Shape = (usize, usize, usize);

struct Exporter<'a> {
    graph: OnnxGraph,
    weights: &'a Weights,
}

impl Exporter<'_> {
    /// Adds `stage` on `x` of `shape`; returns its output and shape.
    fn stage(&mut self, stage: &Stage, x: &str, shape: Shape) -> Result<(String, Shape), String> {
        let (c, h, w) = shape;
        let pooled = (Padding::Valid.output(h, 3, 2), Padding::Valid.output(w, 3, 2));
        Ok(match stage {
            Stage::Conv(conv) => {
                let (out, size) = self.conv_relu(conv, x, (h, w), 1.0, true)?;
                (out, (conv.out, size.0, size.1))
            }
            Stage::MaxPool { scope } => (self.graph.max_pool(scope, x, 3, 2), (c, pooled.0, pooled.1)),
            Stage::Residual {
                scope,
                branches,
                up,
                scale,
                relu,
            } => {
                let mut outputs = Vec::new();
                for branch in branches {
                    outputs.push(self.chain(branch, x, (h, w))?.0);
                }
                let refs: Vec<&str> = outputs.iter().map(String::as_str).collect();
                let concat = self.graph.concat_channels(&format!("{scope}/concat"), &refs);
                let (lifted, _) = self.conv_relu(up, &concat, (h, w), *scale, false)?;
                let sum = self.graph.node("Add", &format!("{scope}/add"), &[x, &lifted], vec![]);
                let out = if *relu {
                    self.graph.relu(&format!("{scope}/Relu"), &sum)
                } else {
                    sum
                };
                (out, shape)
            }
            Stage::Reduction { scope, branches } => {
                let mut outputs = Vec::new();
                let mut channels = 0;
                for (i, branch) in branches.iter().enumerate() {
                    match branch {
                        Branch::Convs(convs) => {
                            outputs.push(self.chain(convs, x, (h, w))?.0);
                            channels += convs.last().map_or(0, |l| l.out);
                        }
                        Branch::MaxPool => {
                            outputs.push(self.graph.max_pool(&format!("{scope}/Branch_{i}/MaxPool"), x, 3, 2));
                            channels += c;
                        }
                    }
                }
                let refs: Vec<&str> = outputs.iter().map(String::as_str).collect();
                (
                    self.graph.concat_channels(&format!("{scope}/concat"), &refs),
                    (channels, pooled.0, pooled.1),
                )
            }
        })
    }

    /// A chain of conv + ReLU layers on `x`; its output and spatial size.
    fn chain(
        &mut self,
        convs: &[ConvSpec],
        x: &str,
        mut size: (usize, usize),
    ) -> Result<(String, (usize, usize)), String> {
        let mut current = x.to_string();
        for conv in convs {
            (current, size) = self.conv_relu(conv, &current, size, 1.0, true)?;
        }
        Ok((current, size))
    }

    /// `relu?(scale · conv(x))` with the conv's weights and bias multiplied by `scale`.
    fn conv_relu(
        &mut self,
        conv: &ConvSpec,
        x: &str,
        (h, w): (usize, usize),
        scale: f32,
        relu: bool,
    ) -> Result<(String, (usize, usize)), String> {
        let count: usize = conv.weight_shape().iter().product();
        let hwio: Vec<f32> = take(self.weights, &format!("{}/weights", conv.scope), count)?
            .iter()
            .map(|v| v * scale)
            .collect();
        let bias: Vec<f32> = take(self.weights, &format!("{}/bias", conv.scope), conv.out)?
            .iter()
            .map(|v| v * scale)
            .collect();
        let padding = conv.padding.kernel_padding();
        let (oh, top) = padding.output_and_before(h, conv.kernel.0, conv.stride);
        let (ow, left) = padding.output_and_before(w, conv.kernel.1, conv.stride);
        let bottom = ((oh - 1) * conv.stride + conv.kernel.0).saturating_sub(h + top);
        let right = ((ow - 1) * conv.stride + conv.kernel.1).saturating_sub(w + left);
        let attributes = ConvAttributes {
            kernel: conv.kernel,
            stride: conv.stride,
            pads: [top, left, bottom, right],
        };
        let out = self
            .graph
            .conv_hwio(&conv.scope, x, &hwio, &bias, conv.c_in, attributes);
        let out = if relu {
            self.graph.relu(&format!("{}/Relu", conv.scope), &out)
        } else {
            out
        };
        Ok((out, (oh, ow)))
    }
}

/// The tensor `name` of `weights`, checked to hold `len` values.
fn take<'a>(weights: &'a Weights, name: &str, len: usize) -> Result<&'a [f32], String> {
    let values = weights.get(name).ok_or_else(|| format!("{name}: missing"))?;
    if values.len() != len {
        return Err(format!("{name}: {} values, expected {len}", values.len()));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::onnx_proto::{DimensionValue, ModelProto};
    use prost::Message;

    /// Every tensor of `spec` at its size (the values do not matter to the graph's structure).
    fn weights_of(spec: &InceptionResnetV1Spec) -> Weights {
        let mut weights = Weights::new();
        for conv in spec.convs() {
            weights.insert(
                format!("{}/weights", conv.scope),
                vec![0.5; conv.weight_shape().iter().product()],
            );
            weights.insert(format!("{}/bias", conv.scope), vec![0.1; conv.out]);
        }
        let (c, d) = (spec.feature_shape().0, spec.embedding_dim);
        weights.insert("Bottleneck/weights".into(), vec![0.0; c * d]);
        weights.insert("Bottleneck/bias".into(), vec![0.0; d]);
        weights
    }

    #[test]
    fn the_model_declares_opset_13_a_dynamic_batch_and_one_conv_per_spec_conv() {
        let spec = InceptionResnetV1Spec::facenet_20180408();
        let model = ModelProto::decode(&to_onnx(&spec, &weights_of(&spec)).unwrap()[..]).unwrap();
        assert_eq!((model.ir_version, model.opset_import[0].version), (8, 13));
        let graph = model.graph.unwrap();
        let count = |op: &str| graph.node.iter().filter(|n| n.op_type == op).count();
        assert_eq!(count("Conv"), spec.convs().count());
        // 5 + 10 + 5 residual blocks with ReLU after the sum, Block8 without
        assert_eq!(count("Add"), 21);
        assert_eq!(count("Concat"), 21 + 2);
        assert_eq!(count("MaxPool"), 3);
        assert_eq!(graph.node.last().unwrap().output, [OUTPUT]);
        let input = graph.input[0]
            .r#type
            .clone()
            .unwrap()
            .tensor_type
            .unwrap()
            .shape
            .unwrap();
        let dims: Vec<_> = input.dim.into_iter().map(|d| d.value.unwrap()).collect();
        assert_eq!(dims[0], DimensionValue::DimParam("N".into()));
        assert_eq!(dims[1..], [3i64, 160, 160].map(DimensionValue::DimValue));
        // every input of every node is the graph input, an initializer or an earlier node's output
        let mut known: std::collections::HashSet<String> = graph.initializer.iter().map(|t| t.name.clone()).collect();
        known.insert(INPUT.into());
        for node in &graph.node {
            for input in &node.input {
                assert!(known.contains(input), "{} reads {input} before it exists", node.name);
            }
            known.extend(node.output.iter().cloned());
        }
    }

    #[test]
    fn conv_weights_are_transposed_to_oihw_and_same_padding_puts_the_odd_zero_at_the_end() {
        let spec = InceptionResnetV1Spec::facenet_20180408();
        let mut weights = weights_of(&spec);
        let first = spec.convs().next().unwrap().clone();
        // HWIO [3, 3, 3, 32]: the value at (ky 1, kx 2, ci 0, co 5) is the only non-zero one
        let mut w = vec![0.0; first.weight_shape().iter().product()];
        w[((3 + 2) * 3) * 32 + 5] = 7.0;
        weights.insert(format!("{}/weights", first.scope), w);
        let model = ModelProto::decode(&to_onnx(&spec, &weights).unwrap()[..]).unwrap();
        let graph = model.graph.unwrap();
        let tensor = graph
            .initializer
            .iter()
            .find(|t| t.name == format!("{}/weights", first.scope))
            .unwrap();
        assert_eq!(tensor.dims, [32, 3, 3, 3]);
        let values: Vec<f32> = tensor
            .raw_data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().unwrap()))
            .collect();
        // OIHW index of (co 5, ci 0, ky 1, kx 2)
        assert_eq!(values.iter().position(|&v| v == 7.0), Some(((5 * 3) * 3 + 1) * 3 + 2));
        // Conv2d_2b_3x3 is SAME 3×3 stride 1 (pads 1 on each side); Mixed_6a's and the stem's are VALID
        let pads = |scope: &str| {
            let node = graph.node.iter().find(|n| n.name == scope).unwrap();
            node.attribute.iter().find(|a| a.name == "pads").unwrap().ints.clone()
        };
        assert_eq!(pads("Conv2d_2b_3x3"), [1, 1, 1, 1]);
        assert_eq!(pads("Conv2d_1a_3x3"), [0, 0, 0, 0]);
    }

    #[test]
    fn a_missing_tensor_is_named() {
        let spec = InceptionResnetV1Spec::facenet_20180408();
        let mut weights = weights_of(&spec);
        weights.remove("Repeat/block35_2/Conv2d_1x1/bias");
        let error = to_onnx(&spec, &weights).unwrap_err();
        assert!(error.contains("Repeat/block35_2/Conv2d_1x1/bias"), "{error}");
    }
}
