//! `Gallery`: a persistent face gallery (one SQLite file, `facenet::gallery::Gallery`) bound to a
//! pipeline's model; enrol embeddings under a name, identify embeddings (`facenet::gallery::identify`).

use crate::arrays::to_rows;
use crate::pipeline::Pipeline;
use crate::to_py_err;
use facenet::Embedding;
use facenet::gallery::{Engine, Gallery as Store, GalleryModel, IdentifyOptions, NewFace, SearchIndex, identify};
use numpy::PyReadonlyArrayDyn;
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::Mutex;

/// A face gallery file bound to one model: it refuses embeddings of another model.
#[pyclass(frozen, module = "facenet")]
pub struct Gallery {
    store: Mutex<Store>,
    model: GalleryModel,
}

#[pymethods]
impl Gallery {
    /// Opens (or creates) the gallery at `path` for `pipeline`'s model.
    #[new]
    fn new(py: Python<'_>, path: PathBuf, pipeline: &Pipeline) -> PyResult<Self> {
        let model = GalleryModel::from(pipeline.inner.model_info());
        let store = py.detach(|| Store::open_for(&path, &model)).map_err(to_py_err)?;
        Ok(Self {
            store: Mutex::new(store),
            model,
        })
    }

    /// Enrols `(N, dim)` (or `(dim,)`) float32 embeddings under `name`; returns how many were stored.
    fn enroll(&self, py: Python<'_>, name: &str, embeddings: PyReadonlyArrayDyn<'_, f32>) -> PyResult<usize> {
        let faces: Vec<NewFace> = to_rows(&embeddings)?
            .into_iter()
            .map(|row| NewFace::bare(Embedding::new(row)))
            .collect();
        let ids = py.detach(|| self.lock().enroll(name, &faces)).map_err(to_py_err)?;
        Ok(ids.iter().flatten().count())
    }

    /// For each of `(N, dim)` (or `(dim,)`) embeddings, `(name, distance)`: the nearest subject within the
    /// model's threshold, or `("unknown", distance to the nearest)`; distance None for an empty gallery.
    fn identify(
        &self,
        py: Python<'_>,
        embeddings: PyReadonlyArrayDyn<'_, f32>,
    ) -> PyResult<Vec<(String, Option<f32>)>> {
        let queries = to_rows(&embeddings)?;
        let options = IdentifyOptions::for_model(&self.model);
        py.detach(|| -> facenet::gallery::Result<Vec<(String, Option<f32>)>> {
            let store = self.lock();
            let index = SearchIndex::open(&store, Engine::Auto)?;
            Ok(queries
                .iter()
                .map(|q| {
                    let found = identify(&index, q, &options);
                    (found.name, found.distance)
                })
                .collect())
        })
        .map_err(to_py_err)
    }

    /// `(name, number of faces)` of every subject.
    fn subjects(&self, py: Python<'_>) -> PyResult<Vec<(String, usize)>> {
        let subjects = py.detach(|| self.lock().subjects()).map_err(to_py_err)?;
        Ok(subjects.into_iter().map(|s| (s.name, s.faces)).collect())
    }

    /// Removes a subject and its faces; returns how many faces went.
    fn remove(&self, py: Python<'_>, name: &str) -> PyResult<usize> {
        py.detach(|| self.lock().remove_subject(name)).map_err(to_py_err)
    }

    fn __len__(&self) -> PyResult<usize> {
        self.lock().face_count().map_err(to_py_err)
    }
}

impl Gallery {
    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
