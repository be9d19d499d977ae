//! Inception-ResNet-v1 (Szegedy et al. 2016, arXiv:1602.07261) as davidsandberg/facenet builds it for its
//! pretrained model 20180408-102900: the network as data ([`spec`]), frozen for inference on the NHWC
//! kernels ([`frozen`]) and as trainable burn layers ([`trainable`]); [`crate::finetune`] restores the
//! pretrained weights into those layers.

pub mod frozen;
pub mod spec;
pub mod trainable;

pub use frozen::{InceptionResnetV1Cpu, Weights};
pub use spec::{ARCH_NAME, Branch, ConvSpec, InceptionResnetV1Spec, Padding, SCOPE, Stage};
