//! [`SearchIndex`]: a gallery's faces in memory plus the search engine that answers k-NN queries over
//! them: exact f32, exact int8, or HNSW, chosen by flag or by gallery size ([`Engine::Auto`]). On a
//! PostgreSQL gallery HNSW is pgvector's index on the server (one query per batch, candidates re-ranked
//! in f32 here as on SQLite); the exact engines never use that index (a sequential read of every face).

use crate::ann::AnnIndex;
use crate::search::{FaceMatrix, Neighbour, Precision};
use crate::store::PgSearch;
use crate::{Gallery, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// From this many faces on, [`Engine::Auto`] uses the HNSW index instead of an exact scan.
pub const AUTO_ANN_FACES: usize = 2_000_000;

/// How queries are answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    /// Exact f32 below [`AUTO_ANN_FACES`] faces, HNSW from there on.
    Auto,
    /// Exact scan of the f32 embeddings.
    ExactF32,
    /// Exact scan of the 128-byte int8 codes, candidates re-ranked in f32.
    ExactInt8,
    /// The HNSW index beside the database (PostgreSQL: the model's pgvector index), candidates
    /// re-ranked in f32.
    Hnsw,
}

/// HNSW candidates taken per wanted neighbour, and at least, before exact re-ranking.
const RERANK_FACTOR: usize = 4;
const RERANK_MIN: usize = 32;

/// A gallery ready to search.
pub struct SearchIndex {
    matrix: FaceMatrix,
    engine: Engine,
    ann: Option<AnnIndex>,
    server: Option<PgSearch>,
}

impl SearchIndex {
    /// Loads `gallery`'s faces and prepares `engine` (for HNSW: loads and updates the saved index, or
    /// builds it).
    pub fn open(gallery: &Gallery, engine: Engine) -> Result<Self> {
        let matrix = FaceMatrix::load(gallery)?;
        let engine = match engine {
            Engine::Auto if matrix.len() >= AUTO_ANN_FACES => Engine::Hnsw,
            Engine::Auto => Engine::ExactF32,
            other => other,
        };
        let server = match engine {
            Engine::Hnsw => gallery.store().searcher(gallery.require_model()?)?,
            _ => None,
        };
        let ann = match engine {
            Engine::Hnsw if server.is_none() => Some(AnnIndex::open_and_update(gallery, &matrix)?),
            _ => None,
        };
        Ok(Self {
            matrix,
            engine,
            ann,
            server,
        })
    }

    /// Appends the faces `gallery` gained since this index was opened or last brought up to date (face
    /// ids only grow) and refreshes the subject names; removed faces stay, so after a removal open the
    /// index again. Returns how many faces were added.
    pub fn append_new_faces(&mut self, gallery: &Gallery) -> Result<usize> {
        let added = self.matrix.load_after(gallery, self.matrix.last_face_id())?;
        if let (true, Some(ann)) = (added > 0, &mut self.ann) {
            ann.update(&self.matrix)?;
        }
        Ok(added)
    }

    /// The engine in use (never `Auto`).
    pub fn engine(&self) -> Engine {
        self.engine
    }

    pub fn matrix(&self) -> &FaceMatrix {
        &self.matrix
    }

    /// The `k` nearest faces to each query, nearest first, with exact f32 squared distances.
    pub fn search_batch(&self, queries: &[&[f32]], k: usize) -> Vec<Vec<Neighbour>> {
        let candidates = (k * RERANK_FACTOR).max(RERANK_MIN);
        match (self.engine, &self.ann, &self.server) {
            (Engine::ExactInt8, _, _) => self.matrix.search_batch(queries, k, Precision::Int8),
            (Engine::Hnsw, _, Some(server)) => match server.nearest(queries, candidates) {
                Ok(ids) => queries
                    .iter()
                    .zip(ids)
                    .map(|(q, ids)| {
                        self.matrix
                            .rerank(q, ids.into_iter().filter_map(|id| self.matrix.row_of(id)), k)
                    })
                    .collect(),
                Err(e) => {
                    // The server went away mid-search: answer exactly from the faces in memory.
                    tracing::warn!("{e}; searching the faces in memory");
                    self.matrix.search_batch(queries, k, Precision::F32)
                }
            },
            (Engine::Hnsw, Some(ann), _) => queries
                .par_iter()
                .map(|q| {
                    self.matrix.rerank(
                        q,
                        ann.search(q, candidates)
                            .into_iter()
                            .filter_map(|id| self.matrix.row_of(id)),
                        k,
                    )
                })
                .collect(),
            _ => self.matrix.search_batch(queries, k, Precision::F32),
        }
    }

    /// The `k` nearest faces to `query`.
    pub fn search(&self, query: &[f32], k: usize) -> Vec<Neighbour> {
        self.search_batch(&[query], k)
            .pop()
            .expect("one query should give one result")
    }
}
