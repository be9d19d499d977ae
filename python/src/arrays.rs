//! numpy arrays ↔ the library's types: `(H, W, 3)` or `(H, W)` uint8 images ↔ `RgbImage`, `(N, D)` float
//! arrays ↔ embeddings. Shapes are checked and reported as `ValueError`s.

use facenet::RgbImage;
use numpy::ndarray::{Array2, Array4, ArrayViewD, Axis};
use numpy::{IntoPyArray, PyArray2, PyArray4, PyReadonlyArrayDyn};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

/// An `(H, W, 3)` RGB or `(H, W)` gray uint8 image (any strides) as an `RgbImage` (gray replicated).
pub fn to_rgb(image: &PyReadonlyArrayDyn<'_, u8>) -> PyResult<RgbImage> {
    let view = image.as_array();
    let shape = view.shape().to_vec();
    let (h, w) = match shape.as_slice() {
        [h, w] | [h, w, 3] => (*h, *w),
        other => {
            return Err(PyValueError::new_err(format!(
                "an image must be an (H, W, 3) RGB or (H, W) gray uint8 array, got shape {other:?}"
            )));
        }
    };
    let (Ok(w32), Ok(h32)) = (u32::try_from(w), u32::try_from(h)) else {
        return Err(PyValueError::new_err(format!("a {w}×{h} image is too large")));
    };
    let pixels = rgb_bytes(&view, shape.len() == 2);
    Ok(RgbImage::from_raw(w32, h32, pixels).expect("h · w · 3 bytes"))
}

fn rgb_bytes(view: &ArrayViewD<'_, u8>, gray: bool) -> Vec<u8> {
    match (gray, view.as_slice()) {
        (false, Some(contiguous)) => contiguous.to_vec(),
        (false, None) => view.iter().copied().collect(),
        (true, _) => view.iter().flat_map(|&v| [v, v, v]).collect(),
    }
}

/// An `RgbImage` as an `(H, W, 3)` uint8 array.
pub fn image_to_numpy<'py>(py: Python<'py>, image: RgbImage) -> Bound<'py, numpy::PyArray3<u8>> {
    let (w, h) = image.dimensions();
    numpy::ndarray::Array3::from_shape_vec((h as usize, w as usize, 3), image.into_raw())
        .expect("h · w · 3 bytes")
        .into_pyarray(py)
}

/// Same-size images as an `(N, H, W, 3)` uint8 array (`(0, 0, 0, 3)` for none).
pub fn images_to_numpy<'py>(py: Python<'py>, images: Vec<RgbImage>) -> Bound<'py, PyArray4<u8>> {
    let (w, h) = images.first().map_or((0, 0), |i| i.dimensions());
    let n = images.len();
    let data: Vec<u8> = images.into_iter().flat_map(RgbImage::into_raw).collect();
    Array4::from_shape_vec((n, h as usize, w as usize, 3), data)
        .expect("same-size images")
        .into_pyarray(py)
}

/// Vectors of one length as an `(N, D)` array of `T` (`(0, 0)` for none).
pub fn rows_to_numpy<'py, T: numpy::Element + Copy>(py: Python<'py>, rows: &[&[T]]) -> Bound<'py, PyArray2<T>> {
    let dim = rows.first().map_or(0, |r| r.len());
    let data: Vec<T> = rows.iter().flat_map(|r| r.iter().copied()).collect();
    Array2::from_shape_vec((rows.len(), dim), data)
        .expect("rows of one length")
        .into_pyarray(py)
}

/// An `(N, D)` or `(D,)` float array as `N` rows of f32.
pub fn to_rows(array: &PyReadonlyArrayDyn<'_, f32>) -> PyResult<Vec<Vec<f32>>> {
    let view = array.as_array();
    match view.ndim() {
        1 => Ok(vec![view.iter().copied().collect()]),
        2 => Ok(view
            .axis_iter(Axis(0))
            .map(|row| row.iter().copied().collect())
            .collect()),
        n => Err(PyValueError::new_err(format!(
            "embeddings must be an (N, D) or (D,) array, got {n} dimensions"
        ))),
    }
}

/// `(N, H, W, 3)` uint8 chips as `N` images.
pub fn to_images(chips: &PyReadonlyArrayDyn<'_, u8>) -> PyResult<Vec<RgbImage>> {
    let view = chips.as_array();
    let [n, h, w, 3] = *view.shape() else {
        return Err(PyValueError::new_err(format!(
            "chips must be an (N, H, W, 3) uint8 array, got shape {:?}",
            view.shape()
        )));
    };
    (0..n)
        .map(|i| {
            let pixels: Vec<u8> = view.index_axis(Axis(0), i).iter().copied().collect();
            let (w32, h32) = (u32::try_from(w), u32::try_from(h));
            match (w32, h32) {
                (Ok(w), Ok(h)) => Ok(RgbImage::from_raw(w, h, pixels).expect("h · w · 3 bytes")),
                _ => Err(PyValueError::new_err(format!("{w}×{h} chips are too large"))),
            }
        })
        .collect()
}
