//! The native API: `load_image`, `distance`, `Face` and `Pipeline` (detect → align → embed with FaceNet or
//! the dlib ResNet), over `facenet::load_rgb`, `facenet::core::distance` and `facenet::build_pipeline`.

use crate::arrays::{image_to_numpy, images_to_numpy, rows_to_numpy, to_images, to_rgb};
use crate::to_py_err;
use facenet::core::distance::Metric;
use facenet::vision::LandmarkScheme;
use facenet::{
    AlignedFace, Cache, Detection, DetectorSpec, DeviceChoice, FacePipeline, LoadOptions, ModelSpec, PipelineSpec,
};
use numpy::{PyArray2, PyArray3, PyArray4, PyReadonlyArrayDyn};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::path::PathBuf;

/// Reads a photo as an `(H, W, 3)` uint8 RGB array (libjpeg-turbo-exact JPEG decoding; the EXIF
/// orientation applied when `apply_orientation`).
#[pyfunction]
#[pyo3(signature = (path, apply_orientation = true))]
pub fn load_image(py: Python<'_>, path: PathBuf, apply_orientation: bool) -> PyResult<Bound<'_, PyArray3<u8>>> {
    let options = LoadOptions {
        apply_orientation,
        ..LoadOptions::default()
    };
    let image = py.detach(|| facenet::load_rgb(&path, &options)).map_err(to_py_err)?;
    Ok(image_to_numpy(py, image))
}

/// The distance between two embeddings: `"l2"` (dlib, face_recognition) or `"squared_l2"` (FaceNet).
#[pyfunction]
#[pyo3(signature = (a, b, metric = "squared_l2"))]
pub fn distance(a: PyReadonlyArrayDyn<'_, f32>, b: PyReadonlyArrayDyn<'_, f32>, metric: &str) -> PyResult<f32> {
    let metric = parse_metric(metric)?;
    let (a, b) = (a.as_array(), b.as_array());
    if a.len() != b.len() {
        return Err(PyValueError::new_err(format!(
            "embeddings of different lengths: {} and {}",
            a.len(),
            b.len()
        )));
    }
    let (a, b): (Vec<f32>, Vec<f32>) = (a.iter().copied().collect(), b.iter().copied().collect());
    Ok(metric.distance(&a, &b))
}

fn parse_metric(name: &str) -> PyResult<Metric> {
    match name {
        "l2" => Ok(Metric::L2),
        "squared_l2" => Ok(Metric::SquaredL2),
        other => Err(PyValueError::new_err(format!(
            "unknown metric `{other}` (l2 or squared_l2)"
        ))),
    }
}

fn metric_name(metric: Metric) -> &'static str {
    match metric {
        Metric::L2 => "l2",
        Metric::SquaredL2 => "squared_l2",
    }
}

/// One detected face: its box, score and landmarks.
#[pyclass(frozen, module = "facenet")]
pub struct Face {
    pub(crate) detection: Detection,
}

#[pymethods]
impl Face {
    /// The box `(x1, y1, x2, y2)` in image pixels.
    #[getter]
    fn r#box(&self) -> (f32, f32, f32, f32) {
        let b = &self.detection.bbox;
        (b.x1, b.y1, b.x2, b.y2)
    }

    /// The detector's confidence.
    #[getter]
    fn score(&self) -> f32 {
        self.detection.score
    }

    /// The detector's landmarks as a `(K, 2)` float32 array of (x, y), or None.
    #[getter]
    fn landmarks<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray2<f32>>> {
        let landmarks = self.detection.landmarks.as_ref()?;
        let points: Vec<[f32; 2]> = landmarks.points.iter().map(|p| [p.x, p.y]).collect();
        let rows: Vec<&[f32]> = points.iter().map(|p| p.as_slice()).collect();
        Some(rows_to_numpy(py, &rows))
    }

    /// Which points `landmarks` holds: "mtcnn5", "dlib5", "dlib68", or None.
    #[getter]
    fn landmark_scheme(&self) -> Option<&'static str> {
        self.detection.landmarks.as_ref().map(|l| match l.scheme {
            LandmarkScheme::Mtcnn5 => "mtcnn5",
            LandmarkScheme::Dlib5 => "dlib5",
            LandmarkScheme::Dlib68 => "dlib68",
        })
    }

    fn __repr__(&self) -> String {
        let b = &self.detection.bbox;
        format!(
            "Face(box=({:.1}, {:.1}, {:.1}, {:.1}), score={:.4})",
            b.x1, b.y1, b.x2, b.y2, self.detection.score
        )
    }
}

/// A detector, an aligner and an embedding model that belong together (`facenet::build_pipeline`).
#[pyclass(frozen, module = "facenet")]
pub struct Pipeline {
    pub(crate) inner: FacePipeline,
}

#[pymethods]
impl Pipeline {
    /// `model`: "facenet" (default), "dlib" or a checkpoint folder; `detector`: "mtcnn" (default), "hog" or "cnn".
    /// Weights come from the asset cache ($FACENET_HOME, fetched on first use).
    #[new]
    #[pyo3(signature = (model = "facenet", detector = "mtcnn"))]
    fn new(py: Python<'_>, model: &str, detector: &str) -> PyResult<Self> {
        let spec = PipelineSpec {
            model: model.parse::<ModelSpec>().map_err(PyValueError::new_err)?,
            detector: detector.parse::<DetectorSpec>().map_err(PyValueError::new_err)?,
            load: LoadOptions::default(),
            device: DeviceChoice::Cpu,
        };
        let inner = py
            .detach(|| -> Result<FacePipeline, String> {
                let cache = Cache::from_env().map_err(|e| e.to_string())?;
                facenet::build_pipeline(&spec, &cache).map_err(|e| e.to_string())
            })
            .map_err(to_py_err)?;
        Ok(Self { inner })
    }

    /// The model's id (stored with every gallery face).
    #[getter]
    fn model_id(&self) -> String {
        self.inner.model_info().id.clone()
    }

    /// The embedding size.
    #[getter]
    fn dim(&self) -> usize {
        self.inner.model_info().dim
    }

    /// The metric of `threshold`: "l2" or "squared_l2".
    #[getter]
    fn metric(&self) -> &'static str {
        metric_name(self.inner.model_info().metric)
    }

    /// Two faces closer than this (in `metric`) are the same person.
    #[getter]
    fn threshold(&self) -> f32 {
        self.inner.model_info().threshold
    }

    /// The faces of an `(H, W, 3)` uint8 image.
    fn detect(&self, py: Python<'_>, image: PyReadonlyArrayDyn<'_, u8>) -> PyResult<Vec<Face>> {
        let image = to_rgb(&image)?;
        let detections = py.detach(|| self.inner.detector().detect(&image)).map_err(to_py_err)?;
        Ok(detections.into_iter().map(|detection| Face { detection }).collect())
    }

    /// The model's aligned crops of `faces` in `image`, as an `(N, H, W, 3)` uint8 array.
    fn align<'py>(
        &self,
        py: Python<'py>,
        image: PyReadonlyArrayDyn<'py, u8>,
        faces: Vec<PyRef<'py, Face>>,
    ) -> PyResult<Bound<'py, PyArray4<u8>>> {
        let image = to_rgb(&image)?;
        let detections: Vec<Detection> = faces.iter().map(|f| f.detection.clone()).collect();
        let chips = py.detach(|| self.inner.align(&image, &detections)).map_err(to_py_err)?;
        Ok(images_to_numpy(py, chips.into_iter().map(|c| c.image).collect()))
    }

    /// The embeddings of aligned `(N, H, W, 3)` uint8 chips, as an `(N, dim)` float32 array.
    fn embed<'py>(&self, py: Python<'py>, chips: PyReadonlyArrayDyn<'py, u8>) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let faces: Vec<AlignedFace> = to_images(&chips)?
            .into_iter()
            .map(|image| AlignedFace { image })
            .collect();
        let embeddings = py.detach(|| self.inner.embed_aligned(&faces)).map_err(to_py_err)?;
        let rows: Vec<&[f32]> = embeddings.iter().map(|e| e.as_slice()).collect();
        Ok(rows_to_numpy(py, &rows))
    }

    /// Detect, align and embed every face of an image: `(faces, (N, dim) float32 embeddings)`.
    fn embed_image<'py>(
        &self,
        py: Python<'py>,
        image: PyReadonlyArrayDyn<'py, u8>,
    ) -> PyResult<(Vec<Face>, Bound<'py, PyArray2<f32>>)> {
        let image = to_rgb(&image)?;
        let records = py.detach(|| self.inner.process_image(&image)).map_err(to_py_err)?;
        let rows: Vec<&[f32]> = records.iter().map(|(_, e)| e.as_slice()).collect();
        let embeddings = rows_to_numpy(py, &rows);
        let faces = records.into_iter().map(|(detection, _)| Face { detection }).collect();
        Ok((faces, embeddings))
    }

    /// The model's distance between two embeddings.
    fn distance(&self, a: PyReadonlyArrayDyn<'_, f32>, b: PyReadonlyArrayDyn<'_, f32>) -> PyResult<f32> {
        distance(a, b, self.metric())
    }

    /// Whether two embeddings are the same person: distance within `threshold` (the model's by default).
    #[pyo3(signature = (a, b, threshold = None))]
    fn compare(
        &self,
        a: PyReadonlyArrayDyn<'_, f32>,
        b: PyReadonlyArrayDyn<'_, f32>,
        threshold: Option<f32>,
    ) -> PyResult<bool> {
        Ok(self.distance(a, b)? <= threshold.unwrap_or(self.threshold()))
    }

    fn __repr__(&self) -> String {
        let info = self.inner.model_info();
        format!("Pipeline(model_id={:?}, dim={})", info.id, info.dim)
    }
}
