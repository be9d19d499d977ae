//! The AVX-512 matrix product of the frozen convolutions: weights packed once at load into panels of
//! [`NR`] = 64 columns (k-major, so one row of a panel is four zmm loads), a 6 × 64 register-blocked
//! micro-kernel (24 zmm accumulators, the A values broadcast straight from the patch rows, no A packing)
//! and bias + ReLU (+ an accumulated residual) fused into the write-back. The blocking follows Goto and van
//! de Geijn, "Anatomy of High-Performance Matrix Multiplication" (ACM TOMS 34(3), 2008) with the B panel
//! packed offline as in BLIS's "weights pre-packed" inference kernels; the 6 × 64 shape is the MR × NR of
//! BLIS's Skylake-X sgemm kernel transposed (6 broadcasts + 4 loads feed 24 FMAs per k step).
//!
//! Only on CPUs with AVX-512F ([`available`]); `FACENET_KERNELS=portable` forces the portable path
//! (the `gemm` crate, [`crate::matmul`]) for tests and comparisons.

use std::sync::OnceLock;

/// Rows of the micro-kernel.
pub const MR: usize = 6;
/// Columns of a panel (four zmm registers of 16 lanes).
pub const NR: usize = 64;
const LANES: usize = 16;

/// True when the AVX-512 kernels run: the CPU has AVX-512F and `FACENET_KERNELS` is not `portable`.
pub fn available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        let forced_portable = std::env::var("FACENET_KERNELS").is_ok_and(|v| v == "portable");
        #[cfg(target_arch = "x86_64")]
        {
            !forced_portable && std::is_x86_feature_detected!("avx512f")
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = forced_portable;
            false
        }
    })
}

/// A `[k, n]` matrix packed into panels of [`NR`] columns: panel `p` holds columns `p·NR..` as `k` rows
/// of `NR` floats, the last panel zero-padded.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedMatrix {
    data: Vec<f32>,
    k: usize,
    n: usize,
}

impl PackedMatrix {
    /// Packs row-major `b` (`[k, n]`).
    ///
    /// # Panics
    /// If `b` does not hold `k · n` values.
    pub fn pack(b: &[f32], k: usize, n: usize) -> Self {
        assert_eq!(b.len(), k * n, "the matrix should be [k, n]");
        let panels = n.div_ceil(NR);
        let mut data = vec![0.0; panels * k * NR];
        for (p, panel) in data.chunks_exact_mut(k * NR).enumerate() {
            let (first, width) = (p * NR, (n - p * NR).min(NR));
            for (row, dst) in panel.chunks_exact_mut(NR).enumerate() {
                dst[..width].copy_from_slice(&b[row * n + first..][..width]);
            }
        }
        Self { data, k, n }
    }

    /// Multiplies every entry by `factor`.
    pub fn scale(&mut self, factor: f32) {
        self.data.iter_mut().for_each(|v| *v *= factor);
    }

    /// Number of panels.
    pub fn panels(&self) -> usize {
        self.n.div_ceil(NR)
    }

    /// Columns.
    pub fn cols(&self) -> usize {
        self.n
    }
}

/// What the write-back does with `A·B` before storing it: `relu?(A·B + bias (+ C))`.
#[derive(Debug, Clone, Copy)]
pub struct Epilogue<'a> {
    /// One per column of B.
    pub bias: &'a [f32],
    pub relu: bool,
    /// Add the destination's old value (a residual sum in place).
    pub accumulate: bool,
}

/// `C[r, j] = relu?(Σ_k A[r, k]·B[k, j] + bias[j] (+ C[r, j]))` for rows `0..rows` and the columns of
/// `panels`, with A row-major at row stride `lda` and C at `c` with row stride `ldc`.
///
/// # Safety
/// [`available`] must be true; `c + r·ldc + j` must be valid for reads and writes for every `r < rows` and
/// every column `j` of `panels`, and no other thread may touch those entries during the call.
///
/// # Panics
/// If `a` is too short for `rows` rows of `b`'s `k` columns, or `bias` shorter than B's columns.
#[allow(clippy::too_many_arguments)]
pub unsafe fn gemm_panels(
    a: &[f32],
    lda: usize,
    rows: usize,
    b: &PackedMatrix,
    panels: std::ops::Range<usize>,
    c: *mut f32,
    ldc: usize,
    epilogue: Epilogue,
) {
    if rows == 0 {
        return;
    }
    assert!(a.len() >= (rows - 1) * lda + b.k && epilogue.bias.len() >= b.n && panels.end <= b.panels());
    #[cfg(target_arch = "x86_64")]
    for p in panels {
        let cols = (b.n - p * NR).min(NR);
        for first in (0..rows).step_by(MR) {
            let tile = x86::Tile {
                a: a[first * lda..].as_ptr(),
                lda,
                panel: b.data[p * b.k * NR..].as_ptr(),
                k: b.k,
                // SAFETY: the caller vouches for rows `first..first + MR` and the panel's columns of C.
                c: unsafe { c.add(first * ldc + p * NR) },
                ldc,
                cols,
                bias: epilogue.bias[p * NR..].as_ptr(),
                relu: epilogue.relu,
                accumulate: epilogue.accumulate,
            };
            // SAFETY: the asserts keep A, B and the bias in bounds; the caller vouches for C and AVX-512F.
            unsafe { x86::run_tile(&tile, (rows - first).min(MR)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (c, ldc, panels);
        unreachable!("the AVX-512 kernels are not available on this architecture");
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{LANES, NR};
    use std::arch::x86_64::*;

    /// One micro-tile: up to 6 rows of A against one panel, written through the epilogue.
    pub(super) struct Tile {
        pub a: *const f32,
        pub lda: usize,
        pub panel: *const f32,
        pub k: usize,
        pub c: *mut f32,
        pub ldc: usize,
        /// Valid columns of the panel (1..=64).
        pub cols: usize,
        pub bias: *const f32,
        pub relu: bool,
        pub accumulate: bool,
    }

    /// Runs the kernel of `rows` rows and as many vectors as the panel's valid columns need.
    ///
    /// # Safety
    /// AVX-512F present; the tile's pointers valid for `rows` rows and `cols` columns.
    pub(super) unsafe fn run_tile(t: &Tile, rows: usize) {
        macro_rules! by_vectors {
            ($m:literal) => {
                match t.cols.div_ceil(LANES) {
                    1 => kernel::<$m, 1>(t),
                    2 => kernel::<$m, 2>(t),
                    3 => kernel::<$m, 3>(t),
                    _ => kernel::<$m, 4>(t),
                }
            };
        }
        // SAFETY: forwarded from the caller.
        unsafe {
            match rows {
                1 => by_vectors!(1),
                2 => by_vectors!(2),
                3 => by_vectors!(3),
                4 => by_vectors!(4),
                5 => by_vectors!(5),
                _ => by_vectors!(6),
            }
        }
    }

    /// The lanes of vector `v` that hold valid columns.
    fn mask(cols: usize, v: usize) -> __mmask16 {
        let valid = cols.saturating_sub(v * LANES).min(LANES);
        ((1u32 << valid) - 1) as __mmask16
    }

    /// `M` rows × `V` vectors of 16 columns: the k loop in registers, then the fused write-back.
    #[target_feature(enable = "avx512f")]
    unsafe fn kernel<const M: usize, const V: usize>(t: &Tile) {
        let mut acc = [[_mm512_setzero_ps(); V]; M];
        let rows: [*const f32; M] = std::array::from_fn(|i| t.a.wrapping_add(i * t.lda));
        let mut b = t.panel;
        for p in 0..t.k {
            // SAFETY: the panel holds k rows of NR floats; row i of A holds k floats.
            unsafe {
                let mut bv = [_mm512_setzero_ps(); V];
                for (v, value) in bv.iter_mut().enumerate() {
                    *value = _mm512_loadu_ps(b.add(v * LANES));
                }
                for i in 0..M {
                    let av = _mm512_set1_ps(*rows[i].add(p));
                    for v in 0..V {
                        acc[i][v] = _mm512_fmadd_ps(av, bv[v], acc[i][v]);
                    }
                }
                b = b.add(NR);
            }
        }
        let zero = _mm512_setzero_ps();
        for v in 0..V {
            let m = mask(t.cols, v);
            // SAFETY: masked lanes are neither read nor written; the others lie inside the tile.
            unsafe {
                let bias = _mm512_maskz_loadu_ps(m, t.bias.add(v * LANES));
                for (i, row) in acc.iter().enumerate() {
                    let dst = t.c.add(i * t.ldc + v * LANES);
                    let mut value = _mm512_add_ps(row[v], bias);
                    if t.accumulate {
                        value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(m, dst));
                    }
                    if t.relu {
                        value = _mm512_max_ps(value, zero);
                    }
                    _mm512_mask_storeu_ps(dst, m, value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(len: usize, seed: u32) -> Vec<f32> {
        (0..len)
            .map(|i| ((i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed) >> 16) as f32 / 65536.0 - 0.5)
            .collect()
    }

    #[test]
    fn every_tile_shape_equals_the_plain_product_with_its_epilogue() {
        if !available() {
            return;
        }
        // rows cover every remainder of 6, columns every vector count and a partial last panel
        for (rows, k, n) in [(13, 7, 80), (6, 33, 64), (5, 1, 17), (20, 300, 131), (1, 5, 32)] {
            let (a, b, bias) = (values(rows * k, 1), values(k * n, 2), values(n, 3));
            let packed = PackedMatrix::pack(&b, k, n);
            for (relu, accumulate) in [(false, false), (true, false), (true, true)] {
                let ldc = n + 3;
                let old = values(rows * ldc, 4);
                let mut c = old.clone();
                let epilogue = Epilogue {
                    bias: &bias,
                    relu,
                    accumulate,
                };
                // SAFETY: AVX-512 is available and `c` holds rows × ldc floats, owned here.
                unsafe { gemm_panels(&a, k, rows, &packed, 0..packed.panels(), c.as_mut_ptr(), ldc, epilogue) };
                for r in 0..rows {
                    for j in 0..ldc {
                        let got = c[r * ldc + j];
                        if j >= n {
                            assert_eq!(got, old[r * ldc + j], "column {j} beyond B is untouched");
                            continue;
                        }
                        let mut want = bias[j] + (0..k).map(|p| a[r * k + p] * b[p * n + j]).sum::<f32>();
                        if accumulate {
                            want += old[r * ldc + j];
                        }
                        if relu {
                            want = want.max(0.0);
                        }
                        assert!(
                            (got - want).abs() < 1e-4,
                            "{rows}×{k}×{n} at ({r}, {j}): {got} vs {want}"
                        );
                    }
                }
            }
        }
    }
}
