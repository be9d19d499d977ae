//! Export of the networks to standard formats other runtimes read.
//!
//! - [`onnx_proto`]: the messages of ONNX's `onnx.proto3` (IR version 8) declared by hand for `prost`, as
//!   [`crate::import::tf_graph`] declares TensorFlow's (no protoc, no build script).
//! - [`onnx_graph`]: a small builder of an ONNX graph (nodes, initializers, the ops the networks use).
//! - [`inception_resnet_v1`]: davidsandberg's FaceNet (Inception-ResNet-v1) as an ONNX model, opset 13.
//! - [`dlib_resnet`]: the dlib face recognition ResNet as an ONNX model, opset 13.

pub mod dlib_resnet;
pub mod inception_resnet_v1;
pub mod onnx_graph;
pub mod onnx_proto;
