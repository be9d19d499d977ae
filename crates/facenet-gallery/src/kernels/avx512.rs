//! AVX-512 batch kernels (f32 FMA and int8 VNNI `vpdpbusd`): a tile of up to 4 query panels × 6 rows
//! is accumulated in 24 registers over the whole vector, then scored and compared with the bounds.
//! Checked against the portable kernels of the parent module by its property tests.

use super::{Candidate, F32Rows, I8_GROUP, I8_OFFSET, I8Rows, PANEL_QUERIES, QueryPanels};
use std::arch::x86_64::*;

/// Query panels per tile: 4 × 16 queries.
const TILE_PANELS: usize = 4;
/// Rows per tile: with 4 panels, 24 accumulators + 4 query registers of the 32.
const TILE_ROWS: usize = 6;

pub fn has_f32() -> bool {
    is_x86_feature_detected!("avx512f")
}

pub fn has_vnni() -> bool {
    is_x86_feature_detected!("avx512f") && is_x86_feature_detected!("avx512vnni")
}

/// [`super::batch_candidates_f32`] for AVX-512.
///
/// # Safety
/// The CPU must have AVX-512F, and the sizes must be those `batch_candidates_f32` checks.
#[target_feature(enable = "avx512f")]
pub unsafe fn candidates_f32(queries: &QueryPanels, bounds: &[f32], rows: F32Rows, out: &mut Vec<Candidate>) {
    let mut panel = 0;
    while panel < queries.panels() {
        let group = (queries.panels() - panel).min(TILE_PANELS);
        // SAFETY: panels `panel..panel + group` exist; the caller checked the row sizes.
        unsafe {
            match group {
                4 => rows_f32::<4>(queries, bounds, rows, panel, out),
                3 => rows_f32::<3>(queries, bounds, rows, panel, out),
                2 => rows_f32::<2>(queries, bounds, rows, panel, out),
                _ => rows_f32::<1>(queries, bounds, rows, panel, out),
            }
        }
        panel += group;
    }
}

/// [`super::batch_candidates_i8`] for AVX-512 VNNI.
///
/// # Safety
/// The CPU must have AVX-512F and AVX-512 VNNI, and the sizes must be those `batch_candidates_i8` checks.
#[target_feature(enable = "avx512f,avx512vnni")]
pub unsafe fn candidates_i8(queries: &QueryPanels, bounds: &[f32], rows: I8Rows, out: &mut Vec<Candidate>) {
    let mut panel = 0;
    while panel < queries.panels() {
        let group = (queries.panels() - panel).min(TILE_PANELS);
        // SAFETY: as in `candidates_f32`.
        unsafe {
            match group {
                4 => rows_i8::<4>(queries, bounds, rows, panel, out),
                3 => rows_i8::<3>(queries, bounds, rows, panel, out),
                2 => rows_i8::<2>(queries, bounds, rows, panel, out),
                _ => rows_i8::<1>(queries, bounds, rows, panel, out),
            }
        }
        panel += group;
    }
}

/// Every row against panels `first..first + P`, in tiles of 6 rows and a tail of single rows.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn rows_f32<const P: usize>(
    queries: &QueryPanels,
    bounds: &[f32],
    rows: F32Rows,
    first: usize,
    out: &mut Vec<Candidate>,
) {
    let n = rows.norms.len();
    let mut row = 0;
    while row + TILE_ROWS <= n {
        // SAFETY: rows `row..row + TILE_ROWS` exist.
        unsafe { tile_f32::<P, TILE_ROWS>(queries, bounds, rows, first, row, out) };
        row += TILE_ROWS;
    }
    while row < n {
        // SAFETY: row `row` exists.
        unsafe { tile_f32::<P, 1>(queries, bounds, rows, first, row, out) };
        row += 1;
    }
}

#[target_feature(enable = "avx512f,avx512vnni")]
#[inline]
unsafe fn rows_i8<const P: usize>(
    queries: &QueryPanels,
    bounds: &[f32],
    rows: I8Rows,
    first: usize,
    out: &mut Vec<Candidate>,
) {
    let n = rows.norms.len();
    let mut row = 0;
    while row + TILE_ROWS <= n {
        // SAFETY: rows `row..row + TILE_ROWS` exist.
        unsafe { tile_i8::<P, TILE_ROWS>(queries, bounds, rows, first, row, out) };
        row += TILE_ROWS;
    }
    while row < n {
        // SAFETY: row `row` exists.
        unsafe { tile_i8::<P, 1>(queries, bounds, rows, first, row, out) };
        row += 1;
    }
}

/// Panels `first..first + P` × rows `row..row + R`: Σ_d panel[d] · broadcast(row[d]), then scores.
#[target_feature(enable = "avx512f")]
#[inline]
unsafe fn tile_f32<const P: usize, const R: usize>(
    queries: &QueryPanels,
    bounds: &[f32],
    rows: F32Rows,
    first: usize,
    row: usize,
    out: &mut Vec<Candidate>,
) {
    let dim = queries.dim;
    let panels = queries.values.as_ptr();
    let vectors = rows.vectors.as_ptr();
    let mut acc = [[_mm512_setzero_ps(); R]; P];
    for d in 0..dim {
        let mut q = [_mm512_setzero_ps(); P];
        for (p, lanes) in q.iter_mut().enumerate() {
            // SAFETY: panel first + p has dim × 16 values.
            *lanes = unsafe { _mm512_loadu_ps(panels.add(((first + p) * dim + d) * PANEL_QUERIES)) };
        }
        for r in 0..R {
            // SAFETY: row `row + r` has dim values.
            let x = _mm512_set1_ps(unsafe { *vectors.add((row + r) * dim + d) });
            for p in 0..P {
                acc[p][r] = _mm512_fmadd_ps(q[p], x, acc[p][r]);
            }
        }
    }
    let two = _mm512_set1_ps(2.0);
    let bound = load_bounds::<P>(bounds, first);
    for r in 0..R {
        let norm = _mm512_set1_ps(rows.norms[row + r]);
        for p in 0..P {
            let score = _mm512_fnmadd_ps(two, acc[p][r], norm);
            let below = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(score, bound[p]);
            if below != 0 {
                push_lanes(below, score, first + p, row + r, out);
            }
        }
    }
}

/// As [`tile_f32`] over int8: −128 Σ row + Σ_g panel[g] ⋅ broadcast(row[4g..4g + 4]) by `vpdpbusd`,
/// then scores ‖row‖² − (2 s_q) s_r · dot.
#[target_feature(enable = "avx512f,avx512vnni")]
#[inline]
unsafe fn tile_i8<const P: usize, const R: usize>(
    queries: &QueryPanels,
    bounds: &[f32],
    rows: I8Rows,
    first: usize,
    row: usize,
    out: &mut Vec<Candidate>,
) {
    let dim = queries.dim;
    let panels = queries.offset_codes.as_ptr();
    let codes = rows.codes.as_ptr();
    let mut acc = [[_mm512_setzero_si512(); R]; P];
    for r in 0..R {
        let offset = _mm512_set1_epi32(-I8_OFFSET * rows.code_sums[row + r]);
        for p in 0..P {
            acc[p][r] = offset;
        }
    }
    for g in 0..dim / I8_GROUP {
        let mut q = [_mm512_setzero_si512(); P];
        for (p, lanes) in q.iter_mut().enumerate() {
            // SAFETY: panel first + p has dim × 16 bytes.
            *lanes =
                unsafe { _mm512_loadu_si512(panels.add(((first + p) * dim + g * I8_GROUP) * PANEL_QUERIES).cast()) };
        }
        for r in 0..R {
            // SAFETY: row `row + r` has dim bytes, and dim is a multiple of 4.
            let x =
                _mm512_set1_epi32(unsafe { codes.add((row + r) * dim + g * I8_GROUP).cast::<i32>().read_unaligned() });
            for p in 0..P {
                acc[p][r] = _mm512_dpbusd_epi32(acc[p][r], q[p], x);
            }
        }
    }
    let mut weights = [_mm512_setzero_ps(); P];
    for (p, w) in weights.iter_mut().enumerate() {
        // SAFETY: each panel has 16 weights.
        *w = unsafe { _mm512_loadu_ps(queries.weights.as_ptr().add((first + p) * PANEL_QUERIES)) };
    }
    let bound = load_bounds::<P>(bounds, first);
    for r in 0..R {
        let norm = _mm512_set1_ps(rows.norms[row + r]);
        let scale = _mm512_set1_ps(rows.scales[row + r]);
        for p in 0..P {
            let dot = _mm512_cvtepi32_ps(acc[p][r]);
            let score = _mm512_fnmadd_ps(_mm512_mul_ps(weights[p], scale), dot, norm);
            let below = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(score, bound[p]);
            if below != 0 {
                push_lanes(below, score, first + p, row + r, out);
            }
        }
    }
}

/// The bounds of panels `first..first + P`.
#[target_feature(enable = "avx512f")]
#[inline]
fn load_bounds<const P: usize>(bounds: &[f32], first: usize) -> [__m512; P] {
    let lanes = &bounds[first * PANEL_QUERIES..(first + P) * PANEL_QUERIES];
    let mut bound = [_mm512_setzero_ps(); P];
    for (p, b) in bound.iter_mut().enumerate() {
        // SAFETY: `lanes` has 16 values per panel.
        *b = unsafe { _mm512_loadu_ps(lanes.as_ptr().add(p * PANEL_QUERIES)) };
    }
    bound
}

/// Pushes the lanes of `score` set in `mask` (those below their query's bound).
#[target_feature(enable = "avx512f")]
#[inline(never)]
fn push_lanes(mut mask: u16, score: __m512, panel: usize, row: usize, out: &mut Vec<Candidate>) {
    let mut scores = [0.0f32; PANEL_QUERIES];
    // SAFETY: `scores` has 16 values.
    unsafe { _mm512_storeu_ps(scores.as_mut_ptr(), score) };
    while mask != 0 {
        let lane = mask.trailing_zeros() as usize;
        out.push(Candidate {
            query: (panel * PANEL_QUERIES + lane) as u32,
            row: row as u32,
            score: scores[lane],
        });
        mask &= mask - 1;
    }
}
