//! `DlibFaces`: face_recognition's operations over dlib's models in Rust (`facenet::DlibFaces`), the
//! native layer of `facenet.face_recognition`: HOG and CNN locations, 5/68-point landmarks, 128-D encodings.

use crate::arrays::{rows_to_numpy, to_rgb};
use crate::to_py_err;
use facenet::vision::hog::DlibRect;
use facenet::vision::{BBox, FaceLandmarks, LandmarkScheme, Point};
use facenet::{Cache, LandmarkModel};
use numpy::{PyArray2, PyReadonlyArrayDyn};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// dlib's HOG and MMOD CNN detectors, its 5- and 68-point shape predictors and the dlib ResNet, loaded once.
#[pyclass(frozen, module = "facenet")]
pub struct DlibFaces {
    inner: facenet::DlibFaces,
}

/// A detection as Python sees it: `(left, top, right, bottom, score)`, dlib's inclusive corners.
type ScoredRect = (i64, i64, i64, i64, f64);

fn scored(rect: &DlibRect, score: f64) -> ScoredRect {
    (rect.left, rect.top, rect.right, rect.bottom, score)
}

/// A dlib rectangle `(left, top, right, bottom)`, inclusive, as the library's box.
fn rect_to_bbox((left, top, right, bottom): (i64, i64, i64, i64)) -> BBox {
    BBox::new(left as f32, top as f32, right as f32, bottom as f32)
}

fn parse_model(model: &str) -> PyResult<LandmarkModel> {
    model.parse().map_err(PyValueError::new_err)
}

#[pymethods]
impl DlibFaces {
    /// Loads the models from the asset cache ($FACENET_HOME, fetched on first use).
    #[new]
    fn new(py: Python<'_>) -> PyResult<Self> {
        let inner = py
            .detach(|| -> Result<facenet::DlibFaces, String> {
                let cache = Cache::from_env().map_err(|e| e.to_string())?;
                facenet::DlibFaces::load(&cache).map_err(|e| e.to_string())
            })
            .map_err(to_py_err)?;
        Ok(Self { inner })
    }

    /// dlib's HOG detections after `upsample` 2× upsamplings, highest score first:
    /// `[(left, top, right, bottom, score)]`.
    fn hog_locations(
        &self,
        py: Python<'_>,
        image: PyReadonlyArrayDyn<'_, u8>,
        upsample: u32,
    ) -> PyResult<Vec<ScoredRect>> {
        let image = to_rgb(&image)?;
        let found = py.detach(|| self.inner.hog_locations(&image, upsample));
        Ok(found.iter().map(|d| scored(&d.rect, d.score)).collect())
    }

    /// dlib's MMOD CNN detections after `upsample` 2× upsamplings, highest confidence first:
    /// `[(left, top, right, bottom, confidence)]`.
    fn cnn_locations(
        &self,
        py: Python<'_>,
        image: PyReadonlyArrayDyn<'_, u8>,
        upsample: u32,
    ) -> PyResult<Vec<ScoredRect>> {
        let image = to_rgb(&image)?;
        let found = py.detach(|| self.inner.cnn_locations(&image, upsample));
        Ok(found.iter().map(|d| scored(&d.rect, d.confidence)).collect())
    }

    /// The `model` ("small": 5 points, "large": 68) landmarks of each `(left, top, right, bottom)` box, as
    /// `(K, 2)` int64 arrays of (x, y).
    fn landmarks<'py>(
        &self,
        py: Python<'py>,
        image: PyReadonlyArrayDyn<'py, u8>,
        rects: Vec<(i64, i64, i64, i64)>,
        model: &str,
    ) -> PyResult<Vec<Bound<'py, PyArray2<i64>>>> {
        let model = parse_model(model)?;
        let image = to_rgb(&image)?;
        let shapes: Vec<FaceLandmarks> = py.detach(|| {
            rects
                .iter()
                .map(|&r| self.inner.landmarks(&image, &rect_to_bbox(r), model))
                .collect()
        });
        Ok(shapes
            .iter()
            .map(|shape| {
                let points: Vec<[i64; 2]> = shape.points.iter().map(|p| [p.x as i64, p.y as i64]).collect();
                let rows: Vec<&[i64]> = points.iter().map(|p| p.as_slice()).collect();
                rows_to_numpy(py, &rows)
            })
            .collect())
    }

    /// The dlib ResNet's 128-D encodings (float64, dlib's scale) of the faces whose 5- or 68-point
    /// landmarks (`(K, 2)` arrays of (x, y)) are given: an `(N, 128)` array.
    fn encodings<'py>(
        &self,
        py: Python<'py>,
        image: PyReadonlyArrayDyn<'py, u8>,
        shapes: Vec<PyReadonlyArrayDyn<'py, i64>>,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let image = to_rgb(&image)?;
        let shapes = shapes.iter().map(to_landmarks).collect::<PyResult<Vec<_>>>()?;
        let encodings = py.detach(|| self.inner.encodings(&image, &shapes)).map_err(to_py_err)?;
        let wide: Vec<Vec<f64>> = encodings
            .iter()
            .map(|e| e.as_slice().iter().map(|&v| f64::from(v)).collect())
            .collect();
        let rows: Vec<&[f64]> = wide.iter().map(Vec::as_slice).collect();
        Ok(rows_to_numpy(py, &rows))
    }
}

/// A `(5, 2)` or `(68, 2)` array of (x, y) as dlib landmarks.
fn to_landmarks(shape: &PyReadonlyArrayDyn<'_, i64>) -> PyResult<FaceLandmarks> {
    let view = shape.as_array();
    let scheme = match view.shape() {
        [5, 2] => LandmarkScheme::Dlib5,
        [68, 2] => LandmarkScheme::Dlib68,
        other => {
            return Err(PyValueError::new_err(format!(
                "landmarks must be a (5, 2) or (68, 2) array of (x, y), got shape {other:?}"
            )));
        }
    };
    let values: Vec<i64> = view.iter().copied().collect();
    let points = values
        .chunks_exact(2)
        .map(|p| Point::new(p[0] as f32, p[1] as f32))
        .collect();
    Ok(FaceLandmarks { scheme, points })
}
