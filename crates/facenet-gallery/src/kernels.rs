//! The inner loops of exact search: scores of queries against a block of gallery rows, in f32 and int8.
//!
//! Two shapes. One query at a time ([`dot_rows_f32`], [`dot_rows_i8`]) streams the rows with SIMD lanes
//! across the vector's values. A batch of queries ([`batch_candidates_f32`], [`batch_candidates_i8`]) is a
//! matrix product, queries × rowsᵀ, with SIMD lanes across 16 queries ([`QueryPanels`]): each row value is
//! broadcast and multiplied into a tile of 4 × 16 queries × 6 rows held in registers, so the gallery needs
//! no repacking; the int8 product uses AVX-512 VNNI (`vpdpbusd`, 4 products per lane and instruction). A
//! batch kernel returns only the (query, row) pairs whose score beats that query's current bound, so the
//! caller's top-k sees few rows.
//!
//! Each kernel is compiled for AVX-512 (hand-written, [`avx512`]), and its portable reference for AVX2+FMA
//! and the baseline, picked at run time by CPU feature as tract's `linalg` picks its kernels. The property
//! tests below check every kernel against naive loops.

#[cfg(target_arch = "x86_64")]
// Tiles index their accumulators as acc[panel][row], which reads best as index loops.
#[allow(clippy::needless_range_loop)]
mod avx512;

const F32_LANES: usize = 16;
const I8_LANES: usize = 64;
/// Queries per panel: one 512-bit register of f32 or i32 lanes.
pub const PANEL_QUERIES: usize = 16;
/// Bytes of one query value group in an int8 panel: `vpdpbusd` sums 4 byte products per lane.
const I8_GROUP: usize = 4;
/// The int8 panels hold queries as unsigned bytes q + 128 (`vpdpbusd` multiplies unsigned by signed
/// bytes); Σ (q + 128)·x = q·x + 128 Σ x, so each row's code sum corrects the product.
const I8_OFFSET: i32 = 128;

use facenet_core::multiversion;

multiversion! {
    /// `out[r] = query · rows[r]` for each row of `rows` (row-major, `query.len()` values per row).
    pub fn dot_rows_f32(query: &[f32], rows: &[f32], out: &mut [f32]) = dot_rows_f32_generic;
}

multiversion! {
    /// `out[r] = Σᵢ query[i]·rows[r][i]` over int8 codes, exactly in i32.
    pub fn dot_rows_i8(query: &[i8], rows: &[i8], out: &mut [i32]) = dot_rows_i8_generic;
}

/// One (query, row) pair whose score beat the query's bound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// Index of the query in the batch.
    pub query: u32,
    /// Index of the row in the block.
    pub row: u32,
    /// ‖row‖² − 2 query·row: the squared distance less ‖query‖², which ranks rows alike.
    pub score: f32,
}

/// A block of gallery rows in f32: `norms[r]` = ‖row r‖².
#[derive(Debug, Clone, Copy)]
pub struct F32Rows<'a> {
    pub vectors: &'a [f32],
    pub norms: &'a [f32],
}

/// A block of gallery rows as int8 codes: row r ≈ `scales[r]` · codes, `code_sums[r]` = Σ codes,
/// `norms[r]` = ‖row r‖² of the f32 vector.
#[derive(Debug, Clone, Copy)]
pub struct I8Rows<'a> {
    pub codes: &'a [i8],
    pub code_sums: &'a [i32],
    pub scales: &'a [f32],
    pub norms: &'a [f32],
}

/// A batch of queries laid out for the batch kernels, 16 per panel (lane j of panel p is query
/// 16p + j; lanes past the batch are zero). f32 panels hold value d of each lane at `[p][d][lane]`;
/// int8 panels hold codes + 128 as bytes `[p][d / 4][lane][d % 4]`, with each lane's weight
/// 2·scale (zero past the batch).
#[derive(Debug, Clone)]
pub struct QueryPanels {
    dim: usize,
    count: usize,
    values: Vec<f32>,
    offset_codes: Vec<u8>,
    weights: Vec<f32>,
}

impl QueryPanels {
    /// f32 panels of `queries` (each of `dim` values).
    pub fn f32(queries: &[&[f32]], dim: usize) -> Self {
        let panels = queries.len().div_ceil(PANEL_QUERIES);
        let mut values = vec![0.0; panels * dim * PANEL_QUERIES];
        for (q, query) in queries.iter().enumerate() {
            let base = q / PANEL_QUERIES * dim * PANEL_QUERIES + q % PANEL_QUERIES;
            for (d, &v) in query.iter().enumerate() {
                values[base + d * PANEL_QUERIES] = v;
            }
        }
        Self {
            dim,
            count: queries.len(),
            values,
            offset_codes: Vec::new(),
            weights: Vec::new(),
        }
    }

    /// int8 panels of queries given as (codes, scale); `dim` must be a multiple of 4.
    pub fn i8(queries: &[(&[i8], f32)], dim: usize) -> Self {
        assert_eq!(
            dim % I8_GROUP,
            0,
            "int8 panels need a dimension divisible by {I8_GROUP}"
        );
        let panels = queries.len().div_ceil(PANEL_QUERIES);
        let mut offset_codes = vec![I8_OFFSET as u8; panels * dim * PANEL_QUERIES];
        let mut weights = vec![0.0; panels * PANEL_QUERIES];
        for (q, (codes, scale)) in queries.iter().enumerate() {
            let (panel, lane) = (q / PANEL_QUERIES, q % PANEL_QUERIES);
            for (d, &c) in codes.iter().enumerate() {
                let at = panel * dim * PANEL_QUERIES + (d / I8_GROUP * PANEL_QUERIES + lane) * I8_GROUP + d % I8_GROUP;
                offset_codes[at] = (c as i32 + I8_OFFSET) as u8;
            }
            weights[q] = 2.0 * scale;
        }
        Self {
            dim,
            count: queries.len(),
            values: Vec::new(),
            offset_codes,
            weights,
        }
    }

    /// Whether int8 panels can hold `dim`-D queries.
    pub fn supports_i8(dim: usize) -> bool {
        dim.is_multiple_of(I8_GROUP)
    }

    /// The number of panels (queries rounded up to 16).
    pub fn panels(&self) -> usize {
        self.count.div_ceil(PANEL_QUERIES)
    }
}

/// Appends to `out` every (query, row) of the batch whose f32 score ‖row‖² − 2 q·row is below
/// `bounds[query]` (`bounds` has one value per panel lane; lanes past the batch should be −∞).
pub fn batch_candidates_f32(queries: &QueryPanels, bounds: &[f32], rows: F32Rows, out: &mut Vec<Candidate>) {
    check_batch(queries, bounds, rows.norms.len());
    assert_eq!(
        rows.vectors.len(),
        rows.norms.len() * queries.dim,
        "rows should have the queries' dimension"
    );
    assert_eq!(
        queries.values.len(),
        queries.panels() * queries.dim * PANEL_QUERIES,
        "f32 panels expected"
    );
    #[cfg(target_arch = "x86_64")]
    if avx512::has_f32() {
        // SAFETY: the CPU has the features the kernel is compiled for; sizes were checked above.
        return unsafe { avx512::candidates_f32(queries, bounds, rows, out) };
    }
    candidates_f32_portable(queries, bounds, rows, out)
}

/// As [`batch_candidates_f32`] over int8 codes: the score is ‖row‖² − 2 s_q s_r Σ q̂ᵢ r̂ᵢ.
pub fn batch_candidates_i8(queries: &QueryPanels, bounds: &[f32], rows: I8Rows, out: &mut Vec<Candidate>) {
    let n = rows.norms.len();
    check_batch(queries, bounds, n);
    assert!(
        rows.code_sums.len() == n && rows.scales.len() == n,
        "one code sum and scale per row"
    );
    assert_eq!(
        rows.codes.len(),
        n * queries.dim,
        "rows should have the queries' dimension"
    );
    assert_eq!(
        queries.offset_codes.len(),
        queries.panels() * queries.dim * PANEL_QUERIES,
        "int8 panels expected"
    );
    #[cfg(target_arch = "x86_64")]
    if avx512::has_vnni() {
        // SAFETY: the CPU has the features the kernel is compiled for; sizes were checked above.
        return unsafe { avx512::candidates_i8(queries, bounds, rows, out) };
    }
    candidates_i8_portable(queries, bounds, rows, out)
}

fn check_batch(queries: &QueryPanels, bounds: &[f32], rows: usize) {
    assert_eq!(
        bounds.len(),
        queries.panels() * PANEL_QUERIES,
        "one bound per panel lane"
    );
    assert!(rows <= u32::MAX as usize, "a block should have fewer than 2³² rows");
}

multiversion! {
    fn candidates_f32_portable(queries: &QueryPanels, bounds: &[f32], rows: F32Rows, out: &mut Vec<Candidate>) = candidates_f32_generic;
}

multiversion! {
    fn candidates_i8_portable(queries: &QueryPanels, bounds: &[f32], rows: I8Rows, out: &mut Vec<Candidate>) = candidates_i8_generic;
}

/// The portable f32 batch kernel: lanes across the 16 queries of a panel.
#[inline(always)]
fn candidates_f32_generic(queries: &QueryPanels, bounds: &[f32], rows: F32Rows, out: &mut Vec<Candidate>) {
    let dim = queries.dim;
    for (p, (panel, bound)) in queries
        .values
        .chunks_exact(dim * PANEL_QUERIES)
        .zip(bounds.chunks_exact(PANEL_QUERIES))
        .enumerate()
    {
        for (r, (row, &norm)) in rows.vectors.chunks_exact(dim).zip(rows.norms).enumerate() {
            let mut acc = [0.0f32; PANEL_QUERIES];
            for (lanes, &x) in panel.chunks_exact(PANEL_QUERIES).zip(row) {
                for (a, &q) in acc.iter_mut().zip(lanes) {
                    *a += q * x;
                }
            }
            push_below(p, r, acc.map(|dot| norm - 2.0 * dot), bound, out);
        }
    }
}

/// The portable int8 batch kernel, with the same offset-byte panels as the VNNI one.
#[inline(always)]
fn candidates_i8_generic(queries: &QueryPanels, bounds: &[f32], rows: I8Rows, out: &mut Vec<Candidate>) {
    let dim = queries.dim;
    let panels = queries.offset_codes.chunks_exact(dim * PANEL_QUERIES);
    for (p, ((panel, bound), weights)) in panels
        .zip(bounds.chunks_exact(PANEL_QUERIES))
        .zip(queries.weights.chunks_exact(PANEL_QUERIES))
        .enumerate()
    {
        for (r, row) in rows.codes.chunks_exact(dim).enumerate() {
            let mut acc = [0i32; PANEL_QUERIES];
            for (group, x) in panel
                .chunks_exact(PANEL_QUERIES * I8_GROUP)
                .zip(row.chunks_exact(I8_GROUP))
            {
                for (a, q) in acc.iter_mut().zip(group.chunks_exact(I8_GROUP)) {
                    *a += (0..I8_GROUP).map(|i| q[i] as i32 * x[i] as i32).sum::<i32>();
                }
            }
            let dot = acc.map(|a| (a - I8_OFFSET * rows.code_sums[r]) as f32);
            let scores = std::array::from_fn(|j| rows.norms[r] - weights[j] * rows.scales[r] * dot[j]);
            push_below(p, r, scores, bound, out);
        }
    }
}

#[inline(always)]
fn push_below(panel: usize, row: usize, scores: [f32; PANEL_QUERIES], bound: &[f32], out: &mut Vec<Candidate>) {
    for (lane, (&score, &b)) in scores.iter().zip(bound).enumerate() {
        if score < b {
            out.push(Candidate {
                query: (panel * PANEL_QUERIES + lane) as u32,
                row: row as u32,
                score,
            });
        }
    }
}

#[inline(always)]
fn dot_rows_f32_generic(query: &[f32], rows: &[f32], out: &mut [f32]) {
    for (row, o) in rows.chunks_exact(query.len()).zip(out.iter_mut()) {
        *o = dot_f32(query, row);
    }
}

#[inline(always)]
fn dot_rows_i8_generic(query: &[i8], rows: &[i8], out: &mut [i32]) {
    for (row, o) in rows.chunks_exact(query.len()).zip(out.iter_mut()) {
        *o = dot_i8(query, row);
    }
}

#[inline(always)]
fn dot_f32(a: &[f32], b: &[f32]) -> f32 {
    let (a_chunks, a_tail) = a.as_chunks::<F32_LANES>();
    let (b_chunks, b_tail) = b.as_chunks::<F32_LANES>();
    let mut acc = [0.0f32; F32_LANES];
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for i in 0..F32_LANES {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = a_tail.iter().zip(b_tail).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

#[inline(always)]
fn dot_i8(a: &[i8], b: &[i8]) -> i32 {
    let (a_chunks, a_tail) = a.as_chunks::<I8_LANES>();
    let (b_chunks, b_tail) = b.as_chunks::<I8_LANES>();
    let mut acc = [0i32; I8_LANES];
    for (x, y) in a_chunks.iter().zip(b_chunks) {
        for i in 0..I8_LANES {
            acc[i] += x[i] as i32 * y[i] as i32;
        }
    }
    let tail: i32 = a_tail.iter().zip(b_tail).map(|(&x, &y)| x as i32 * y as i32).sum();
    acc.iter().sum::<i32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use facenet_core::{distance, quantize};
    use proptest::prelude::*;

    fn rows_and_query<T: Arbitrary + Clone>(
        value: impl Strategy<Value = T> + Clone,
    ) -> impl Strategy<Value = (Vec<T>, Vec<T>)> {
        (1usize..200, 0usize..9).prop_flat_map(move |(dim, n)| {
            (
                prop::collection::vec(value.clone(), dim),
                prop::collection::vec(value.clone(), dim * n),
            )
        })
    }

    /// (dim, queries, rows, bound per query).
    type Batch = (usize, Vec<Vec<f32>>, Vec<Vec<f32>>, Vec<f32>);

    /// Batches with dims divisible by 4, up to 70 queries (five panels, so every group size of the
    /// AVX-512 kernels runs) and 20 rows (full and partial row tiles).
    fn batch(value: impl Strategy<Value = f32> + Clone) -> impl Strategy<Value = Batch> {
        (1usize..40, 0usize..70, 0usize..20).prop_flat_map(move |(groups, nq, nr)| {
            let dim = groups * I8_GROUP;
            let vector = prop::collection::vec(value.clone(), dim);
            (
                Just(dim),
                prop::collection::vec(vector.clone(), nq),
                prop::collection::vec(vector, nr),
                prop::collection::vec(-1.0f32..3.0, nq),
            )
        })
    }

    /// Bounds for a batch: the given ones, or +∞ (every pair), then −∞ for the lanes past the batch.
    fn lane_bounds(bounds: &[f32], panels: &QueryPanels, every_pair: bool) -> Vec<f32> {
        let mut lanes: Vec<f32> = bounds
            .iter()
            .map(|&b| if every_pair { f32::INFINITY } else { b })
            .collect();
        lanes.resize(panels.panels() * PANEL_QUERIES, f32::NEG_INFINITY);
        lanes
    }

    fn sorted(mut c: Vec<Candidate>) -> Vec<Candidate> {
        c.sort_by_key(|c| (c.query, c.row));
        c
    }

    /// The expected candidates, by naive loops, given each pair's score; pairs within `slack` of the
    /// bound may go either way (rounding), so they are returned apart.
    fn naive_candidates(
        nq: usize,
        nr: usize,
        bounds: &[f32],
        slack: f32,
        score: impl Fn(usize, usize) -> f32,
    ) -> (Vec<Candidate>, Vec<(u32, u32)>) {
        let (mut sure, mut either) = (Vec::new(), Vec::new());
        for (q, &bound) in bounds.iter().enumerate().take(nq) {
            for r in 0..nr {
                let s = score(q, r);
                if (s - bound).abs() <= slack {
                    either.push((q as u32, r as u32));
                } else if s < bound {
                    sure.push(Candidate {
                        query: q as u32,
                        row: r as u32,
                        score: s,
                    });
                }
            }
        }
        (sure, either)
    }

    fn assert_candidates(
        got: Vec<Candidate>,
        sure: &[Candidate],
        either: &[(u32, u32)],
        tolerance: f32,
    ) -> Result<(), TestCaseError> {
        let got: Vec<Candidate> = sorted(got)
            .into_iter()
            .filter(|c| !either.contains(&(c.query, c.row)))
            .collect();
        prop_assert_eq!(got.len(), sure.len());
        for (g, w) in got.iter().zip(sure) {
            prop_assert_eq!((g.query, g.row), (w.query, w.row));
            prop_assert!(
                (g.score - w.score).abs() <= tolerance * (1.0 + w.score.abs()),
                "{} vs {}",
                g.score,
                w.score
            );
        }
        Ok(())
    }

    fn f32_case(
        dim: usize,
        queries: &[Vec<f32>],
        rows: &[Vec<f32>],
        bounds: &[f32],
        every_pair: bool,
        kernel: fn(&QueryPanels, &[f32], F32Rows, &mut Vec<Candidate>),
    ) -> Result<(), TestCaseError> {
        let refs: Vec<&[f32]> = queries.iter().map(Vec::as_slice).collect();
        let panels = QueryPanels::f32(&refs, dim);
        let lanes = lane_bounds(bounds, &panels, every_pair);
        let vectors: Vec<f32> = rows.concat();
        let norms: Vec<f32> = rows.iter().map(|r| distance::dot(r, r)).collect();
        let mut got = Vec::new();
        kernel(
            &panels,
            &lanes,
            F32Rows {
                vectors: &vectors,
                norms: &norms,
            },
            &mut got,
        );
        let (sure, either) = naive_candidates(queries.len(), rows.len(), &lanes, 1e-3, |q, r| {
            norms[r] - 2.0 * distance::dot(&queries[q], &rows[r])
        });
        assert_candidates(got, &sure, &either, 1e-4)
    }

    fn i8_case(
        dim: usize,
        queries: &[Vec<f32>],
        rows: &[Vec<f32>],
        bounds: &[f32],
        every_pair: bool,
        kernel: fn(&QueryPanels, &[f32], I8Rows, &mut Vec<Candidate>),
    ) -> Result<(), TestCaseError> {
        let q8: Vec<quantize::Quantized> = queries.iter().map(|q| quantize::Quantized::new(q)).collect();
        let r8: Vec<quantize::Quantized> = rows.iter().map(|r| quantize::Quantized::new(r)).collect();
        let refs: Vec<(&[i8], f32)> = q8.iter().map(|q| (q.codes.as_slice(), q.scale)).collect();
        let panels = QueryPanels::i8(&refs, dim);
        let lanes = lane_bounds(bounds, &panels, every_pair);
        let codes: Vec<i8> = r8.iter().flat_map(|r| r.codes.iter().copied()).collect();
        let code_sums: Vec<i32> = r8.iter().map(|r| r.codes.iter().map(|&c| c as i32).sum()).collect();
        let scales: Vec<f32> = r8.iter().map(|r| r.scale).collect();
        let norms: Vec<f32> = rows.iter().map(|r| distance::dot(r, r)).collect();
        let mut got = Vec::new();
        kernel(
            &panels,
            &lanes,
            I8Rows {
                codes: &codes,
                code_sums: &code_sums,
                scales: &scales,
                norms: &norms,
            },
            &mut got,
        );
        let score = |q: usize, r: usize| {
            norms[r] - 2.0 * q8[q].scale * r8[r].scale * quantize::dot_i8(&q8[q].codes, &r8[r].codes) as f32
        };
        let (sure, either) = naive_candidates(queries.len(), rows.len(), &lanes, 1e-3, score);
        assert_candidates(got, &sure, &either, 1e-5)
    }

    proptest! {
        #[test]
        fn f32_kernel_matches_the_naive_dot((query, rows) in rows_and_query(-1.0f32..1.0)) {
            let mut out = vec![0.0; rows.len() / query.len()];
            dot_rows_f32(&query, &rows, &mut out);
            for (row, got) in rows.chunks_exact(query.len()).zip(&out) {
                let want = distance::dot(&query, row);
                prop_assert!((got - want).abs() <= 1e-4 * (1.0 + want.abs()), "{got} vs {want}");
            }
        }

        #[test]
        fn i8_kernel_matches_the_naive_dot_exactly((query, rows) in rows_and_query(-127i8..=127)) {
            let mut out = vec![0; rows.len() / query.len()];
            dot_rows_i8(&query, &rows, &mut out);
            for (row, got) in rows.chunks_exact(query.len()).zip(&out) {
                prop_assert_eq!(*got, quantize::dot_i8(&query, row));
            }
        }

        #[test]
        fn f32_batch_kernels_find_the_naive_candidates((dim, queries, rows, bounds) in batch(-1.0f32..1.0), every_pair: bool) {
            f32_case(dim, &queries, &rows, &bounds, every_pair, batch_candidates_f32)?;
            f32_case(dim, &queries, &rows, &bounds, every_pair, candidates_f32_generic)?;
        }

        #[test]
        fn i8_batch_kernels_find_the_naive_candidates((dim, queries, rows, bounds) in batch(-1.0f32..1.0), every_pair: bool) {
            i8_case(dim, &queries, &rows, &bounds, every_pair, batch_candidates_i8)?;
            i8_case(dim, &queries, &rows, &bounds, every_pair, candidates_i8_generic)?;
        }
    }

    #[test]
    fn extreme_codes_do_not_overflow() {
        let query = vec![-127i8; 1000];
        let mut out = [0];
        dot_rows_i8(&query, &query, &mut out);
        assert_eq!(out[0], 127 * 127 * 1000);
    }

    #[test]
    fn extreme_codes_do_not_overflow_the_batch_kernel() {
        // (−127 + 128)·… and 127·(−127): the largest offset products, over 1,024 values.
        let dim = 1024;
        let codes = [vec![-127i8; dim], vec![127i8; dim]];
        let refs: Vec<(&[i8], f32)> = codes.iter().map(|c| (c.as_slice(), 1.0)).collect();
        let panels = QueryPanels::i8(&refs, dim);
        let mut bounds = vec![f32::NEG_INFINITY; PANEL_QUERIES];
        bounds[..2].fill(f32::INFINITY);
        let rows: Vec<i8> = codes.concat();
        let sums: Vec<i32> = codes.iter().map(|c| c.iter().map(|&x| x as i32).sum()).collect();
        let mut got = Vec::new();
        batch_candidates_i8(
            &panels,
            &bounds,
            I8Rows {
                codes: &rows,
                code_sums: &sums,
                scales: &[1.0, 1.0],
                norms: &[0.0, 0.0],
            },
            &mut got,
        );
        let extreme = (127 * 127 * dim) as f32 * 2.0;
        let want = [-extreme, extreme, extreme, -extreme];
        assert_eq!(sorted(got).iter().map(|c| c.score).collect::<Vec<_>>(), want);
    }
}
