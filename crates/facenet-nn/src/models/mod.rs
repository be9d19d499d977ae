//! The network architectures, one file each, as burn modules (no file parsing here: see
//! [`crate::import`]).

pub mod dlib_resnet;
