//! Weight import: foreign checkpoint formats are parsed here, converted once to safetensors in the asset
//! cache's `derived/` folder, and loaded into burn modules through `burn-store`. Architecture files never
//! parse foreign formats (style habit 5, after tract and burn-store).
//!
//! - [`torch`]: PyTorch state dicts (legacy pickle, TAR and ZIP `torch.save` formats) via burn's
//!   `pytorch-reader` (no Python), written out as safetensors.
//! - [`mtcnn`]: the facenet-pytorch 2.6.0 MTCNN weights (`pnet.pt`, `rnet.pt`, `onet.pt`).

pub mod mtcnn;
pub mod torch;
