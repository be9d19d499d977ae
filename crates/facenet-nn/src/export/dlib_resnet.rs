//! The dlib face recognition ResNet ([`crate::models::dlib_resnet`], `dlib_face_recognition_resnet_model_v1`,
//! dlib's `dnn_face_recognition_ex.cpp`) as an ONNX model: dlib's input scaling, the stem, the residual
//! blocks with dlib's zero-padded `add_prev` (a `Pad` of both operands to the larger size, then `Add`), the
//! global mean and the fc without bias, with the affine layers folded into the convolutions as at import.
//!
//! Input `pixels`: `[N, 3, 150, 150]` float RGB values 0–255 of dlib chips (`get_face_chip`, padding 0.25),
//! NCHW; the graph subtracts the model's mean colour and divides by 256 (`input_rgb_image_sized<150>`).
//! Output `descriptors`: `[N, 128]` raw descriptors (dlib's scale, compared by L2), equal to
//! [`crate::dlib::DlibResNet::descriptors`].

use super::onnx_graph::{ConvAttributes, OnnxGraph};
use crate::models::dlib_resnet::DlibResNetNet;
use burn::nn::conv::Conv2d;

/// The graph's input name.
pub const INPUT: &str = "pixels";
/// The graph's output name.
pub const OUTPUT: &str = "descriptors";
/// The chip side.
const SIDE: usize = 150;

/// The serialized ONNX model of `net` with dlib's input mean `mean_rgb`.
pub fn to_onnx(net: &DlibResNetNet, mean_rgb: [f32; 3]) -> Vec<u8> {
    let mut g = OnnxGraph::default();
    let mean = g.constant("input/mean", &[1, 3, 1, 1], &mean_rgb);
    let scale = g.constant("input/scale", &[], &[1.0 / 256.0]);
    let centred = g.node("Sub", "input/centred", &[INPUT, &mean], vec![]);
    let scaled = g.node("Mul", "input/scaled", &[&centred, &scale], vec![]);
    let (stem, mut shape) = conv(&mut g, "stem", &scaled, &net.stem, (3, SIDE, SIDE));
    let stem = g.relu("stem/relu", &stem);
    let mut x = g.max_pool("stem_pool", &stem, 3, 2);
    shape = (shape.0, pooled(shape.1, 3, 2), pooled(shape.2, 3, 2));
    let blocks = net.levels.iter().flat_map(|level| &level.blocks);
    for (i, block) in blocks.enumerate() {
        let name = format!("block{i}");
        let (branch, branch_shape) = conv(&mut g, &format!("{name}/conv1"), &x, &block.conv1, shape);
        let branch = g.relu(&format!("{name}/conv1/relu"), &branch);
        let (branch, branch_shape) = conv(&mut g, &format!("{name}/conv2"), &branch, &block.conv2, branch_shape);
        let (shortcut, shortcut_shape) = if block.shortcut_pool.is_some() {
            let pool = g.average_pool(&format!("{name}/shortcut_pool"), &x, 2, 2);
            (pool, (shape.0, pooled(shape.1, 2, 2), pooled(shape.2, 2, 2)))
        } else {
            (x.clone(), shape)
        };
        let sum_shape = (
            branch_shape.0.max(shortcut_shape.0),
            branch_shape.1.max(shortcut_shape.1),
            branch_shape.2.max(shortcut_shape.2),
        );
        let a = g.pad_end(&format!("{name}/pad_branch"), &branch, branch_shape, sum_shape);
        let b = g.pad_end(&format!("{name}/pad_shortcut"), &shortcut, shortcut_shape, sum_shape);
        let sum = g.node("Add", &format!("{name}/add"), &[&a, &b], vec![]);
        x = g.relu(&format!("{name}/relu"), &sum);
        shape = sum_shape;
    }
    let flat = g.global_mean_flat("global_mean", "flatten", &x);
    let [inputs, outputs] = net.embedding.weight.dims();
    let w = g.constant(
        "embedding/weights",
        &[inputs, outputs],
        &values(net.embedding.weight.val()),
    );
    g.node("MatMul", OUTPUT, &[&flat, &w], vec![]);
    g.into_model(
        "dlib_face_recognition_resnet_model_v1",
        (INPUT, &[None, Some(3), Some(SIDE), Some(SIDE)]),
        (OUTPUT, &[None, Some(outputs)]),
    )
}

/// dlib's pooling and strided-conv size: `1 + (size − window) / stride`.
fn pooled(size: usize, window: usize, stride: usize) -> usize {
    (size - window) / stride + 1
}

/// A burn conv as an ONNX `Conv` with dlib's padding rule (stride 1: half the window on each side; stride 2:
/// none); its output and shape.
fn conv(
    g: &mut OnnxGraph,
    name: &str,
    x: &str,
    conv: &Conv2d,
    (c, h, w): (usize, usize, usize),
) -> (String, (usize, usize, usize)) {
    let [c_out, c_in, k, _] = conv.weight.dims();
    debug_assert_eq!(c_in, c);
    let stride = conv.stride[0];
    let pad = if stride == 1 { k / 2 } else { 0 };
    let bias = conv.bias.as_ref().map_or_else(|| vec![0.0; c_out], |b| values(b.val()));
    let attributes = ConvAttributes {
        kernel: (k, k),
        stride,
        pads: [pad; 4],
    };
    let out = g.conv_oihw(name, x, &values(conv.weight.val()), &bias, c_in, attributes);
    let size = |s: usize| (s + 2 * pad - k) / stride + 1;
    (out, (c_out, size(h), size(w)))
}

fn values<const D: usize>(t: burn::prelude::Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().expect("weights should be f32")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::onnx_proto::ModelProto;
    use crate::models::dlib_resnet::DlibResNetConfig;
    use facenet_kernels::device::default_device;
    use prost::Message;

    #[test]
    fn every_conv_is_exported_and_unequal_residual_sizes_are_padded() {
        let net = DlibResNetConfig::v1().init(&default_device());
        let model = ModelProto::decode(&to_onnx(&net, [122.8, 117.0, 104.1])[..]).unwrap();
        assert_eq!(model.opset_import[0].version, 13);
        let graph = model.graph.unwrap();
        let count = |op: &str| graph.node.iter().filter(|n| n.op_type == op).count();
        let blocks: usize = DlibResNetConfig::v1().levels.iter().map(|l| l.blocks).sum();
        assert_eq!(count("Conv"), 1 + 2 * blocks);
        assert_eq!(count("Add"), blocks);
        assert_eq!(count("AveragePool"), 4, "one shortcut pool per down-sampling level");
        // the down-sampling blocks add more channels than their shortcut has; the last one also pads 1×1 to 2×2
        let pads: Vec<_> = graph
            .node
            .iter()
            .filter(|n| n.op_type == "Pad")
            .map(|n| n.name.clone())
            .collect();
        assert!(pads.iter().any(|n| n.ends_with("pad_shortcut")), "{pads:?}");
        assert!(pads.iter().any(|n| n.ends_with("pad_branch")), "{pads:?}");
        assert_eq!(graph.node.last().unwrap().op_type, "MatMul");
        assert_eq!(graph.output[0].name, OUTPUT);
    }
}
