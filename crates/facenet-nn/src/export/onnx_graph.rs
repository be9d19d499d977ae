//! A builder of ONNX graphs for the frozen networks: float initializers, nodes named after the layers
//! they come from, and helpers for the operators the networks use (ONNX operator set 13, `docs/Operators.md`
//! of the ONNX specification): Conv, Relu, Add, Pad, Concat, MaxPool, AveragePool, GlobalAveragePool, Flatten,
//! Gemm, MatMul and L2
//! normalisation (ReduceSumSquare → Max(ε) → Sqrt → Div). Activations are NCHW, ONNX's layout.

use super::onnx_proto::*;
use prost::Message;

/// The operator set the exported models declare.
pub const OPSET: i64 = 13;
/// The IR version they declare (the one of ONNX 1.10+, read by every current runtime).
pub const IR_VERSION: i64 = 8;

/// A graph under construction.
#[derive(Debug, Default)]
pub struct OnnxGraph {
    nodes: Vec<NodeProto>,
    initializers: Vec<TensorProto>,
}

/// A convolution's geometry in ONNX's terms.
#[derive(Debug, Clone, Copy)]
pub struct ConvAttributes {
    pub kernel: (usize, usize),
    pub stride: usize,
    /// `[top, left, bottom, right]`.
    pub pads: [usize; 4],
}

impl OnnxGraph {
    /// Adds a float initializer `name` of `dims`; returns its name.
    pub fn constant(&mut self, name: &str, dims: &[usize], values: &[f32]) -> String {
        assert_eq!(
            dims.iter().product::<usize>(),
            values.len(),
            "{name}: values should fill {dims:?}"
        );
        self.initializers.push(TensorProto {
            dims: dims.iter().map(|&d| d as i64).collect(),
            data_type: DATA_TYPE_FLOAT,
            name: name.into(),
            raw_data: values.iter().flat_map(|v| v.to_le_bytes()).collect(),
        });
        name.into()
    }

    /// Adds a node `op` from `inputs` to one output named `name`; returns the output's name.
    pub fn node(&mut self, op: &str, name: &str, inputs: &[&str], attribute: Vec<AttributeProto>) -> String {
        self.nodes.push(NodeProto {
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![name.into()],
            name: name.into(),
            op_type: op.into(),
            attribute,
        });
        name.into()
    }

    /// `Conv(x, weights [c_out, c_in, kh, kw], bias)`, the weights given in HWIO order (TensorFlow's).
    pub fn conv_hwio(
        &mut self,
        name: &str,
        x: &str,
        hwio: &[f32],
        bias: &[f32],
        c_in: usize,
        at: ConvAttributes,
    ) -> String {
        let (kh, kw) = at.kernel;
        let c_out = bias.len();
        let mut oihw = vec![0.0; hwio.len()];
        for ky in 0..kh {
            for kx in 0..kw {
                for ci in 0..c_in {
                    for co in 0..c_out {
                        oihw[((co * c_in + ci) * kh + ky) * kw + kx] = hwio[((ky * kw + kx) * c_in + ci) * c_out + co];
                    }
                }
            }
        }
        self.conv_oihw(name, x, &oihw, bias, c_in, at)
    }

    /// `Conv(x, weights [c_out, c_in, kh, kw], bias)`, the weights given in that (ONNX's and burn's) order.
    pub fn conv_oihw(
        &mut self,
        name: &str,
        x: &str,
        oihw: &[f32],
        bias: &[f32],
        c_in: usize,
        at: ConvAttributes,
    ) -> String {
        let (kh, kw) = at.kernel;
        let w = self.constant(&format!("{name}/weights"), &[bias.len(), c_in, kh, kw], oihw);
        let b = self.constant(&format!("{name}/bias"), &[bias.len()], bias);
        let [top, left, bottom, right] = at.pads;
        self.node(
            "Conv",
            name,
            &[x, &w, &b],
            vec![
                ints("kernel_shape", &[kh, kw]),
                ints("strides", &[at.stride, at.stride]),
                ints("pads", &[top, left, bottom, right]),
            ],
        )
    }

    /// `x` of `[n, c, h, w]` zero-padded at the end of channels, rows and columns to `[n, to.0, to.1, to.2]`
    /// (`Pad`, constant mode); `x` itself when it already has that size.
    pub fn pad_end(&mut self, name: &str, x: &str, from: (usize, usize, usize), to: (usize, usize, usize)) -> String {
        if from == to {
            return x.into();
        }
        let pads = [0, 0, 0, 0, 0, to.0 - from.0, to.1 - from.1, to.2 - from.2].map(|v| v as i64);
        self.initializers.push(TensorProto {
            dims: vec![8],
            data_type: DATA_TYPE_INT64,
            name: format!("{name}/pads"),
            raw_data: pads.iter().flat_map(|v| v.to_le_bytes()).collect(),
        });
        self.node("Pad", name, &[x, &format!("{name}/pads")], vec![])
    }

    /// `Relu(x)`.
    pub fn relu(&mut self, name: &str, x: &str) -> String {
        self.node("Relu", name, &[x], vec![])
    }

    /// `MaxPool(x)` over `k × k` windows at stride `s`, no padding.
    pub fn max_pool(&mut self, name: &str, x: &str, k: usize, s: usize) -> String {
        self.pool("MaxPool", name, x, k, s)
    }

    /// `AveragePool(x)` over `k × k` windows at stride `s`, no padding.
    pub fn average_pool(&mut self, name: &str, x: &str, k: usize, s: usize) -> String {
        self.pool("AveragePool", name, x, k, s)
    }

    fn pool(&mut self, op: &str, name: &str, x: &str, k: usize, s: usize) -> String {
        self.node(
            op,
            name,
            &[x],
            vec![ints("kernel_shape", &[k, k]), ints("strides", &[s, s])],
        )
    }

    /// `Flatten(GlobalAveragePool(x))`: the mean of each channel as an `[n, c]` matrix; the pool is
    /// `pool_name`, the flattened output `flat_name`.
    pub fn global_mean_flat(&mut self, pool_name: &str, flat_name: &str, x: &str) -> String {
        let pooled = self.node("GlobalAveragePool", pool_name, &[x], vec![]);
        self.node("Flatten", flat_name, &[&pooled], vec![int("axis", 1)])
    }

    /// `Concat(inputs)` along channels.
    pub fn concat_channels(&mut self, name: &str, inputs: &[&str]) -> String {
        self.node("Concat", name, inputs, vec![int("axis", 1)])
    }

    /// `x / √max(Σ x², ε)` along axis 1 of `[n, d]`.
    pub fn l2_normalize(&mut self, name: &str, x: &str, epsilon: f32) -> String {
        let sum = self.node(
            "ReduceSumSquare",
            &format!("{name}/sum_square"),
            &[x],
            vec![ints("axes", &[1]), int("keepdims", 1)],
        );
        let eps = self.constant(&format!("{name}/epsilon"), &[], &[epsilon]);
        let floor = self.node("Max", &format!("{name}/maximum"), &[&sum, &eps], vec![]);
        let norm = self.node("Sqrt", &format!("{name}/sqrt"), &[&floor], vec![]);
        self.node("Div", name, &[x, &norm], vec![])
    }

    /// The serialized `ModelProto` with float `input` of `input_dims` (`None`: a dynamic `N`) and float
    /// `output` of `output_dims`.
    pub fn into_model(
        self,
        name: &str,
        (input, input_dims): (&str, &[Option<usize>]),
        (output, output_dims): (&str, &[Option<usize>]),
    ) -> Vec<u8> {
        let graph = GraphProto {
            node: self.nodes,
            name: name.into(),
            initializer: self.initializers,
            input: vec![value_info(input, input_dims)],
            output: vec![value_info(output, output_dims)],
        };
        ModelProto {
            ir_version: IR_VERSION,
            producer_name: "facenet".into(),
            producer_version: env!("CARGO_PKG_VERSION").into(),
            doc_string: name.into(),
            graph: Some(graph),
            opset_import: vec![OperatorSetIdProto {
                domain: String::new(),
                version: OPSET,
            }],
        }
        .encode_to_vec()
    }
}

/// An `INT` attribute.
pub fn int(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        i: value,
        r#type: ATTRIBUTE_INT,
        ..Default::default()
    }
}

/// An `INTS` attribute.
pub fn ints(name: &str, values: &[usize]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        ints: values.iter().map(|&v| v as i64).collect(),
        r#type: ATTRIBUTE_INTS,
        ..Default::default()
    }
}

/// A float tensor's name, type and shape (`None`: the dynamic batch `N`).
fn value_info(name: &str, dims: &[Option<usize>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Some(size) => DimensionValue::DimValue(*size as i64),
                None => DimensionValue::DimParam("N".into()),
            }),
        })
        .collect();
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            tensor_type: Some(TensorTypeProto {
                elem_type: DATA_TYPE_FLOAT,
                shape: Some(TensorShapeProto { dim }),
            }),
        }),
    }
}
