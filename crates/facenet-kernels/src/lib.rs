//! facenet-kernels: the CPU operations under every network of facenet. No network and no model file is
//! known here: each operation takes tensors or plain `f32` slices and says which paper layer it serves.
//!
//! - [`device`]: the device networks run on ([`device::default_device`]) and whether it is Flex.
//! - [`gemm_conv`], [`windows`], [`batch_norm`], [`lrn`]: burn backend extensions for Flex
//!   (`#[backend_extension(Flex, Autodiff)]`) with handwritten backward passes — convolution as batched im2col
//!   products, max and L2 pooling, batch norm + ReLU, local response normalisation (FaceNet, Tables 1–2).
//! - [`nhwc`]: inference kernels on channels-last activations for frozen networks (the dlib ResNet).
//! - [`matmul`]: the one wrapper of the `gemm` crate every convolution goes through; it counts multiply-adds.
//! - [`panel_gemm`]: the AVX-512 product of the frozen convolutions (weights packed at load, fused write-back).
//! - [`peak`]: the machine's measured f32 FMA and int8 VNNI peaks, the ceiling of every benchmark.
//! - [`shape`]: "same"-padding window arithmetic; [`host`]: Flex tensors read as `f32` slices.
//! - [`memory`]: keeps malloc from unmapping a training step's freed buffers.

pub mod batch_norm;
pub mod device;
pub mod gemm_conv;
pub mod host;
pub mod lrn;
pub mod matmul;
pub mod memory;
pub mod nhwc;
pub mod panel_gemm;
pub mod peak;
pub mod shape;
pub mod windows;
