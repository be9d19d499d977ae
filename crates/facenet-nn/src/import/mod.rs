//! Weight import: each reader parses one foreign format and maps its weights onto a module of
//! [`crate::models`], converted once to safetensors in the asset cache's `derived/` folder; the
//! architectures never parse files themselves (style habit 5, after tract and burn-store).
//!
//! - [`dlib_dnn`]: dlib's DNN serialisation (`dlib_face_recognition_resnet_model_v1.dat`).
//! - [`torch`]: PyTorch state dicts (legacy pickle, TAR and ZIP `torch.save` formats) via burn's
//!   `pytorch-reader` (no Python), written out as safetensors.
//! - [`tf_graph`]: TensorFlow frozen graphs (GraphDef protobuf, hand-declared `prost` messages);
//!   [`facenet_graph`]: davidsandberg's FaceNet 20180408-102900 from such a graph.
//! - [`mtcnn`]: the facenet-pytorch 2.6.0 MTCNN weights (`pnet.pt`, `rnet.pt`, `onet.pt`).

pub mod dlib_dnn;
pub mod dlib_mmod;
pub mod facenet_graph;
pub mod mtcnn;
pub mod tf_graph;
pub mod torch;
