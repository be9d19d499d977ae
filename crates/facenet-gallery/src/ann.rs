//! [`AnnIndex`]: an approximate nearest-neighbour index (HNSW, Malkov & Yashunin 2018, via the pure-Rust
//! `hnsw_rs` crate) over a gallery's f32 embeddings, persisted in a folder beside the database
//! (`gallery.db` → `gallery.db.hnsw/`) and brought up to date incrementally: faces enrolled since the
//! last save are inserted, removed faces are skipped at query time.
//!
//! The folder holds hnsw_rs's dump (`faces.hnsw.graph`, `faces.hnsw.data`) and `state.json` (model id,
//! dim, newest indexed face id). It is written to a temporary folder and renamed into place, so a crash
//! leaves either the old index or the new one; a missing or unreadable index is rebuilt.

use crate::search::FaceMatrix;
use crate::{Error, Gallery, Result};
use hnsw_rs::prelude::{AnnT, DistL2, Hnsw, HnswIo};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Links per node (HNSW's M).
const MAX_CONNECTIONS: usize = 16;
/// Candidates explored while inserting (efConstruction).
const EF_CONSTRUCTION: usize = 100;
/// Candidates explored while searching (efSearch), at least; raised to 2k for large k.
const EF_SEARCH: usize = 64;
const MAX_LAYERS: usize = 16;
const DUMP_NAME: &str = "faces";

/// What the saved index covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct IndexState {
    /// The gallery's random id: a new gallery file at the same path gets a fresh index.
    gallery_id: String,
    model_id: String,
    dim: usize,
    /// Faces with ids up to this one are in the graph.
    last_face_id: i64,
}

/// An HNSW graph over face embeddings; data ids are face ids.
pub struct AnnIndex {
    hnsw: Hnsw<'static, f32, DistL2>,
    state: IndexState,
    dir: PathBuf,
}

impl AnnIndex {
    /// The index folder of the gallery at `db`.
    pub fn dir_for(db: &Path) -> PathBuf {
        let mut name = db.as_os_str().to_owned();
        name.push(".hnsw");
        PathBuf::from(name)
    }

    /// Loads the index saved beside `db` (or starts an empty one if there is none, or it belongs to
    /// another model), inserts the faces of `matrix` it lacks, and saves it if anything changed.
    pub fn open_and_update(gallery: &Gallery, matrix: &FaceMatrix) -> Result<Self> {
        let model = gallery.require_model()?;
        let dir = Self::dir_for(gallery.path());
        let fresh = IndexState {
            gallery_id: gallery.id().to_string(),
            model_id: model.id.clone(),
            dim: model.dim,
            last_face_id: 0,
        };
        let mut index = match Self::load(&dir) {
            Some(index)
                if IndexState {
                    last_face_id: 0,
                    ..index.state.clone()
                } == fresh =>
            {
                index
            }
            _ => Self::empty(dir, fresh, matrix.len()),
        };
        index.update(matrix)?;
        Ok(index)
    }

    /// Inserts the faces of `matrix` newer than the index's last one, and saves the index when it grew.
    pub fn update(&mut self, matrix: &FaceMatrix) -> Result<()> {
        if self.insert_newer(matrix) > 0 {
            self.save()?;
        }
        Ok(())
    }

    /// The ids of about `k` faces nearest to `query` (L2), nearest first; may include removed faces.
    pub fn search(&self, query: &[f32], k: usize) -> Vec<i64> {
        self.hnsw
            .search(query, k, EF_SEARCH.max(2 * k))
            .into_iter()
            .map(|n| n.d_id as i64)
            .collect()
    }

    /// The number of faces in the graph.
    pub fn len(&self) -> usize {
        self.hnsw.get_nb_point()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn empty(dir: PathBuf, state: IndexState, capacity: usize) -> Self {
        let hnsw = Hnsw::new(
            MAX_CONNECTIONS,
            capacity.max(1_000),
            MAX_LAYERS,
            EF_CONSTRUCTION,
            DistL2 {},
        );
        Self { hnsw, state, dir }
    }

    /// A saved index, or `None` when there is none or it cannot be read (then it is rebuilt).
    fn load(dir: &Path) -> Option<Self> {
        let state: IndexState = serde_json::from_slice(&std::fs::read(dir.join("state.json")).ok()?).ok()?;
        // hnsw_rs ties the loaded graph's lifetime to its reader, which only holds file names: the reader
        // is leaked (a few hundred bytes per load) so the graph can live as long as the index.
        let reader: &'static mut HnswIo = Box::leak(Box::new(HnswIo::new(dir, DUMP_NAME)));
        let hnsw = reader.load_hnsw::<f32, DistL2>().ok()?;
        Some(Self {
            hnsw,
            state,
            dir: dir.to_path_buf(),
        })
    }

    /// Inserts the faces of `matrix` newer than the graph (ids only grow); returns how many.
    fn insert_newer(&mut self, matrix: &FaceMatrix) -> usize {
        let rows: Vec<(&[f32], usize)> = (0..matrix.len())
            .filter_map(|row| {
                let face = matrix.neighbour(row, 0.0).face_id;
                (face > self.state.last_face_id).then(|| (matrix.vector(row), face as usize))
            })
            .collect();
        if rows.is_empty() {
            return 0;
        }
        self.hnsw.parallel_insert_slice(&rows);
        self.state.last_face_id = matrix.last_face_id();
        rows.len()
    }

    /// Writes the graph and its state to a fresh folder, then swaps it in.
    fn save(&self) -> Result<()> {
        let index_error = |message: String| Error::Index {
            path: self.dir.clone(),
            message,
        };
        let mut tmp = self.dir.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
        }
        std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
        self.hnsw
            .file_dump(&tmp, DUMP_NAME)
            .map_err(|e| index_error(format!("{e:#}")))?;
        let state = serde_json::to_vec(&self.state).expect("the index state should serialise to JSON");
        std::fs::write(tmp.join("state.json"), state).map_err(io(&tmp))?;
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir).map_err(io(&self.dir))?;
        }
        std::fs::rename(&tmp, &self.dir).map_err(io(&self.dir))
    }
}
