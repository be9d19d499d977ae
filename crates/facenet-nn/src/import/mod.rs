//! Readers of foreign weight files. Each parses one format and maps its weights onto a module of
//! [`crate::models`]; the architectures never parse files themselves.

pub mod dlib_dnn;
