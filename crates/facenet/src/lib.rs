//! facenet: FaceNet face recognition (Schroff, Kalenichenko and Philbin, CVPR 2015) in one library —
//! detect and align faces, embed them, verify pairs by distance, identify against a gallery, cluster, and
//! train the paper's networks with the triplet loss.
//!
//! Data flows one way, a type per stage: a photo ([`RgbImage`], [`load_rgb`]) → [`Detection`] (a
//! [`Detector`]) → [`AlignedFace`] (a [`FaceAligner`]) → [`Embedding`] (an [`Embedder`]) → a distance
//! ([`distance`]), a gallery match ([`gallery`]) or a cluster ([`core::cluster`]). [`build_pipeline`] wires
//! the three stages from names; each stage can also be used alone:
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use facenet::{build_detector, device_for, dlib_stages, load_rgb, BoxToDlib, Cache, DetectorSpec, DeviceChoice};
//! use facenet::{Detector, Embedder, FaceAligner, LoadOptions};
//! let cache = Cache::from_env()?; // pinned models, fetched and checked on first use
//! let device = device_for(DeviceChoice::Cpu)?; // DeviceChoice::Gpu in a build with the `gpu` feature
//! let detector = build_detector(DetectorSpec::Mtcnn, &device, &cache)?;
//! let (aligner, embedder) = dlib_stages(&cache, BoxToDlib::MTCNN, &device)?;
//! let embed = |photo: &str| -> Result<facenet::Embedding, Box<dyn std::error::Error>> {
//!     let image = load_rgb(&cache.ensure(photo)?, &LoadOptions::default())?;
//!     let face = detector.detect(&image)?.into_iter().max_by(|a, b| a.prominence().total_cmp(&b.prominence()));
//!     let chip = aligner.align(&image, &face.ok_or("no face")?)?;
//!     Ok(embedder.embed(&[chip])?.remove(0))
//! };
//! let (obama, obama2, biden) = (embed("obama.jpg")?, embed("obama2.jpg")?, embed("biden.jpg")?);
//! let info = embedder.info();
//! assert!(info.metric.distance(obama.as_slice(), obama2.as_slice()) < info.threshold); // same person
//! assert!(info.metric.distance(obama.as_slice(), biden.as_slice()) > info.threshold); // different people
//! # Ok(()) }
//! ```
//!
//! The layers below, re-exported whole: [`core`] (embeddings, distances, metrics, protocols, clustering and
//! mining math), [`assets`] (pinned model packages and their cache), [`vision`] (images, detections,
//! alignment, the stage traits), [`kernels`] (CPU operations), [`nn`] (the networks and weight importers),
//! [`train`] (triplet training), [`gallery`] (the persistent face store) and [`report`] (evaluation charts).

pub mod bench;
pub mod dlib_faces;
pub mod export;
pub mod pipeline;

pub use facenet_assets as assets;
pub use facenet_core as core;
pub use facenet_gallery as gallery;
pub use facenet_kernels as kernels;
pub use facenet_nn as nn;
pub use facenet_report as report;
pub use facenet_train as train;
pub use facenet_vision as vision;

pub use dlib_faces::{DlibFaces, LandmarkModel};
pub use facenet_assets::Cache;
pub use facenet_core::{Embedding, distance};
pub use facenet_kernels::device::{Device, DeviceChoice, device_for};
pub use facenet_nn::dlib::{DlibResNet, dlib_stages};
pub use facenet_nn::{Error, Result};
pub use facenet_vision::{
    AlignedFace, BBox, BoxToDlib, Detection, Detector, Embedder, FaceAligner, FacePipeline, FaceRecord, LoadOptions,
    ModelInfo, RgbImage, load_rgb,
};
pub use pipeline::{
    DetectorSpec, ModelSpec, PipelineSpec, build_aligner, build_detector, build_embedder, build_pipeline,
};
