//! `facenet._native`: the Python extension module (PyO3) over the `facenet` facade crate. Every function
//! here converts arguments, releases the GIL, calls one public library function and converts the answer
//! back; Rust errors become `facenet.FacenetError` with the Rust message (bad argument values:
//! `ValueError`). The Python package (`python/python/facenet`) adds docstrings, stubs and face_recognition's
//! API on top.

mod arrays;
mod dlib;
mod gallery;
mod pipeline;

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

create_exception!(
    _native,
    FacenetError,
    PyException,
    "An error of the facenet library (its message says what and where)."
);

/// Any Rust error as a `FacenetError` carrying its message.
pub(crate) fn to_py_err(error: impl std::fmt::Display) -> PyErr {
    FacenetError::new_err(error.to_string())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("FacenetError", m.py().get_type::<FacenetError>())?;
    m.add_function(wrap_pyfunction!(pipeline::load_image, m)?)?;
    m.add_function(wrap_pyfunction!(pipeline::distance, m)?)?;
    m.add_class::<pipeline::Face>()?;
    m.add_class::<pipeline::Pipeline>()?;
    m.add_class::<gallery::Gallery>()?;
    m.add_class::<dlib::DlibFaces>()?;
    Ok(())
}
