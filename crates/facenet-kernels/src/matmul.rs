//! The one wrapper of the `gemm` crate's matrix product that every convolution of this crate goes through
//! (training's im2col products, the NHWC inference convolutions, MTCNN's P-Net): row-major destination,
//! operands read through strides, checked bounds. It also counts the multiply-adds it does
//! ([`multiply_adds_done`]), so that a benchmark reports the arithmetic rate any network achieves.

use std::sync::atomic::{AtomicU64, Ordering};

/// Multiply-adds done by every product of this process so far.
static MULTIPLY_ADDS: AtomicU64 = AtomicU64::new(0);

/// Multiply-adds done by [`matmul`] and [`matmul_into`] in this process so far, on every thread: the
/// difference over a timed run is the work of every convolution and dense layer run in it.
pub fn multiply_adds_done() -> u64 {
    MULTIPLY_ADDS.load(Ordering::Relaxed)
}

/// Adds `count` to the process's multiply-add count (for products computed outside this wrapper).
pub(crate) fn count_multiply_adds(count: u64) {
    MULTIPLY_ADDS.fetch_add(count, Ordering::Relaxed);
}

/// A row-major destination matrix.
pub struct Matrix<'a> {
    pub data: &'a mut [f32],
    pub rows: usize,
    pub cols: usize,
}

/// A matrix operand read through strides (so a transpose is free).
pub struct Operand<'a> {
    pub data: &'a [f32],
    pub row_stride: usize,
    pub col_stride: usize,
}

/// `dst = lhs · rhs` (or `dst += lhs · rhs` when `accumulate`), with `inner` the shared dimension; one thread.
pub fn matmul(dst: Matrix, accumulate: bool, lhs: Operand, rhs: Operand, inner: usize) {
    assert!(dst.data.len() >= dst.rows * dst.cols);
    // SAFETY: the assert above keeps every entry written inside `dst.data`, which this call borrows mutably.
    unsafe {
        matmul_into(
            dst.data.as_mut_ptr(),
            dst.cols,
            dst.rows,
            dst.cols,
            accumulate,
            lhs,
            rhs,
            inner,
        )
    }
}

/// [`matmul`] into a destination given by pointer and row stride: for callers whose threads write disjoint
/// column ranges of one matrix (which no `&mut` slice can express). The operands' bounds are checked.
///
/// # Safety
/// Entry `(i, j)` of the destination, `dst + i·row_stride + j` for `i < rows`, `j < cols`, must be valid for
/// reads and writes, and no other thread may access it during the call.
#[allow(clippy::too_many_arguments)]
pub unsafe fn matmul_into(
    dst: *mut f32,
    row_stride: usize,
    rows: usize,
    cols: usize,
    accumulate: bool,
    lhs: Operand,
    rhs: Operand,
    inner: usize,
) {
    assert!(lhs.data.len() > (rows - 1) * lhs.row_stride + (inner - 1) * lhs.col_stride);
    assert!(rhs.data.len() > (inner - 1) * rhs.row_stride + (cols - 1) * rhs.col_stride);
    count_multiply_adds((rows * cols * inner) as u64);
    // SAFETY: the asserts keep every operand read inside its slice; the caller vouches for `dst`.
    unsafe {
        gemm::gemm(
            rows,
            cols,
            inner,
            dst,
            1,
            row_stride as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
}
