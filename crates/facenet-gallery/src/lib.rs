//! facenet-gallery: a persistent face gallery in one SQLite file or a PostgreSQL + pgvector database,
//! with exact and approximate k-NN search, open-set identification and clustering of photo collections.
//!
//! - [`Gallery`]: the store (subjects, faces with f32 and int8 embeddings, model binding, migrations in
//!   [`schema`] and, for PostgreSQL, `pg_schema`); enrol, list, rename, remove. [`GalleryLocation`]: a
//!   file or a `postgres://` URL.
//! - [`FaceMatrix`] and [`SearchIndex`]: the faces in memory and the engine that searches them
//!   ([`Engine`]: exact f32, exact int8, or HNSW persisted beside the database, [`ann`]).
//! - [`identify()`]: nearest subject or [`UNKNOWN`] beyond the model's threshold, with [`Aggregation`].
//! - Examples ([`Example`]: a face added through the server, with its UUID and photo) and [`keys`] (the
//!   server's API keys, hashed).
//! - [`jsonl`]: export and import for backups and moves; [`migrate`]: a gallery copied between
//!   backends, ids and embeddings bit for bit, with a checksum on both sides.
//! - [`photos`]: enrol and identify photos through a `FacePipeline`; [`cluster`]: group a photo
//!   collection by person, contact sheets, threshold tuning against known identities.
//! - [`synthetic`]: seeded identity-clustered embeddings for tests and benchmarks.
//!
//! ```
//! use facenet_core::distance::Metric;
//! use facenet_gallery::{identify, Engine, Gallery, GalleryModel, IdentifyOptions, NewFace, SearchIndex};
//! use facenet_gallery::synthetic::SyntheticFaces;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let model = GalleryModel { id: "demo".into(), dim: 128, metric: Metric::SquaredL2, threshold: 1.0 };
//! let mut gallery = Gallery::open_for(&dir.path().join("gallery.db"), &model).unwrap();
//! let faces = SyntheticFaces::new(2, 3, 128, 0.3, 1);
//! for (identity, embedding) in faces.iter() {
//!     gallery.enroll(&format!("person {identity}"), &[NewFace::bare(embedding)]).unwrap();
//! }
//! let index = SearchIndex::open(&gallery, Engine::Auto).unwrap();
//! let query = &faces.queries(1, 7)[0];
//! assert_eq!(identify(&index, query.as_slice(), &IdentifyOptions::for_model(&model)).name, "person 0");
//! let stranger = &faces.strangers(1, 8)[0];
//! assert_eq!(identify(&index, stranger.as_slice(), &IdentifyOptions::for_model(&model)).name, "unknown");
//! ```

pub mod ann;
pub mod cluster;
mod error;
mod examples;
mod identify;
mod index;
pub mod jsonl;
mod kernels;
pub mod keys;
pub mod migrate;
mod pg_schema;
pub mod photos;
pub mod schema;
pub mod search;
mod store;
pub mod synthetic;

pub use error::{Error, Result};
pub use examples::{Example, ExampleFace, ExamplePage};
pub use identify::{Aggregation, Identification, IdentifyOptions, UNKNOWN, identify, identify_batch};
pub use index::{AUTO_ANN_FACES, Engine, SearchIndex};
pub use search::{FaceMatrix, Neighbour, Precision};
pub use store::{FaceSource, Gallery, GalleryLocation, GalleryModel, NewFace, StoredFace, SubjectSummary};
