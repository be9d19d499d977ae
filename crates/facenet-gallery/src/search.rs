//! Exact k-nearest-neighbour search over every face of a gallery, in f32 or over the 128-byte int8 codes.
//!
//! [`FaceMatrix`] holds the gallery's vectors row-major in memory (f32, their squared norms, int8 codes,
//! scales and code sums). A scan splits it in blocks of [`BLOCK_ROWS`] rows over every core (rayon);
//! within a block, every query of a batch is scored before the next block, so the block stays in cache.
//! A batch of [`MIN_BATCH_QUERIES_F32`] ([`MIN_BATCH_QUERIES_INT8`]) or more is one matrix product per block (`kernels::batch_candidates_*`,
//! 16 queries per SIMD register); fewer queries scan the block one by one. Distances are squared L2 through
//! the dot product, ‖q − x‖² = ‖q‖² + ‖x‖² − 2 q·x, and each query's top-k ranks rows by the score
//! ‖x‖² − 2 q·x; with int8 codes q·x ≈ s_q s_x Σ q̂ᵢ x̂ᵢ (see `facenet_core::quantize`).

use crate::kernels::{
    Candidate, F32Rows, I8Rows, PANEL_QUERIES, QueryPanels, batch_candidates_f32, batch_candidates_i8, dot_rows_f32,
    dot_rows_i8,
};
use crate::{Gallery, Result};
use facenet_core::distance::squared_l2;
use facenet_core::quantize::Quantized;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Rows scored per block: 512 rows × 128 f32 = 256 kB, which stays in L2 while a batch of queries runs.
pub const BLOCK_ROWS: usize = 512;
/// Runs of consecutive blocks per thread a scan is split into (for balance when cores are busy): each
/// run starts with an empty top-k, so its first block offers every row, and runs merge at the end.
const TASKS_PER_THREAD: usize = 4;
/// Blocks scored first, on one thread, for the bounds every worker starts from.
const SEED_BLOCKS: usize = 4;
/// Batches of this many queries or more are scanned in f32 as a matrix product; fewer, one query at a
/// time (at 1M rows, 7 queries one by one take as long as 16 in one product).
pub const MIN_BATCH_QUERIES_F32: usize = 8;
/// As [`MIN_BATCH_QUERIES_F32`] for int8, where the VNNI product already beats two queries one by one.
pub const MIN_BATCH_QUERIES_INT8: usize = 2;
/// Int8 candidates re-ranked in f32 per wanted neighbour, and at least.
/// (The int8 distance errs by about 0.002 on unit vectors, so the true top-k lies in the int8 top-k
/// for nearly every query, `benches/gallery.rs`; twice as many leaves room.)
const RERANK_FACTOR: usize = 2;
const RERANK_MIN: usize = 16;

/// Which copy of the vectors exact search reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// The f32 embeddings: exact distances.
    F32,
    /// The int8 codes: 4× less memory to read; [`FaceMatrix::search_batch`] re-ranks the best
    /// `max(2k, 16)` of them by exact f32 distance.
    Int8,
}

/// One search hit: a face, its subject and its squared L2 distance to the query.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Neighbour {
    pub face_id: i64,
    pub subject_id: i64,
    /// ‖query − face‖²₂.
    pub squared_distance: f32,
}

/// Every face of a gallery as rows in memory, ready to scan.
#[derive(Debug, Clone, Default)]
pub struct FaceMatrix {
    dim: usize,
    face_ids: Vec<i64>,
    subject_ids: Vec<i64>,
    vectors: Vec<f32>,
    squared_norms: Vec<f32>,
    codes: Vec<i8>,
    scales: Vec<f32>,
    code_sums: Vec<i32>,
    subject_names: HashMap<i64, String>,
}

impl FaceMatrix {
    /// An empty matrix of `dim`-D rows.
    pub fn new(dim: usize) -> Self {
        Self { dim, ..Self::default() }
    }

    /// Reads every face of `gallery` (in one read transaction), checking each row's model and size.
    pub fn load(gallery: &Gallery) -> Result<Self> {
        let model = gallery.require_model()?;
        let mut matrix = Self::new(model.dim);
        matrix.load_after(gallery, 0)?;
        Ok(matrix)
    }

    /// Appends the faces of `gallery` with id > `after` (the gallery's ids only grow), and refreshes
    /// subject names. Returns how many rows were added.
    pub fn load_after(&mut self, gallery: &Gallery, after: i64) -> Result<usize> {
        let before = self.len();
        let dim = self.dim;
        let names = gallery.store().load_vectors(after, &mut |row| {
            let embedding = gallery.check_vector(row.face_id, &row.model_id, row.dim, row.embedding)?;
            if row.codes.len() != dim {
                return Err(gallery.bad_row(
                    row.face_id,
                    format!("int8 codes of {} bytes, expected {}", row.codes.len(), dim),
                ));
            }
            let quantized = Quantized {
                codes: row.codes.iter().map(|&b| b as i8).collect(),
                scale: row.scale as f32,
            };
            self.push(row.face_id, row.subject_id, embedding.as_slice(), &quantized);
            Ok(())
        })?;
        self.subject_names = names;
        Ok(self.len() - before)
    }

    /// Appends one row. `vector` must have `dim` values (an invariant of the gallery's rows).
    pub fn push(&mut self, face_id: i64, subject_id: i64, vector: &[f32], quantized: &Quantized) {
        assert_eq!(vector.len(), self.dim, "a row should have the matrix's dimension");
        self.face_ids.push(face_id);
        self.subject_ids.push(subject_id);
        self.vectors.extend_from_slice(vector);
        self.squared_norms.push(facenet_core::distance::dot(vector, vector));
        self.codes.extend_from_slice(&quantized.codes);
        self.scales.push(quantized.scale);
        self.code_sums.push(quantized.codes.iter().map(|&c| c as i32).sum());
    }

    pub fn len(&self) -> usize {
        self.face_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.face_ids.is_empty()
    }

    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The id of the newest face held (0 when empty).
    pub fn last_face_id(&self) -> i64 {
        self.face_ids.last().copied().unwrap_or(0)
    }

    /// The name of subject `id`, if the gallery had it when loaded.
    pub fn subject_name(&self, id: i64) -> Option<&str> {
        self.subject_names.get(&id).map(String::as_str)
    }

    /// Row `row`'s f32 vector.
    pub fn vector(&self, row: usize) -> &[f32] {
        &self.vectors[row * self.dim..(row + 1) * self.dim]
    }

    /// The row of face `face_id` (rows are in id order), if held.
    pub fn row_of(&self, face_id: i64) -> Option<usize> {
        self.face_ids.binary_search(&face_id).ok()
    }

    /// Rows of each subject.
    pub fn rows_by_subject(&self) -> HashMap<i64, Vec<usize>> {
        let mut rows: HashMap<i64, Vec<usize>> = HashMap::new();
        for (row, &subject) in self.subject_ids.iter().enumerate() {
            rows.entry(subject).or_default().push(row);
        }
        rows
    }

    /// The hit for row `row` at `squared_distance`.
    pub fn neighbour(&self, row: usize, squared_distance: f32) -> Neighbour {
        Neighbour {
            face_id: self.face_ids[row],
            subject_id: self.subject_ids[row],
            squared_distance,
        }
    }

    /// The `k` nearest faces to `query`, nearest first.
    pub fn search(&self, query: &[f32], k: usize, precision: Precision) -> Vec<Neighbour> {
        self.search_batch(&[query], k, precision)
            .pop()
            .expect("one query should give one result")
    }

    /// The `k` nearest faces to each query, nearest first. Each query must have `dim` values.
    pub fn search_batch(&self, queries: &[&[f32]], k: usize, precision: Precision) -> Vec<Vec<Neighbour>> {
        match precision {
            Precision::F32 => self
                .scan(queries, k, precision)
                .into_iter()
                .map(|hits| hits.into_iter().map(|(d, row)| self.neighbour(row, d)).collect())
                .collect(),
            Precision::Int8 => {
                let candidates = self.scan(queries, (k * RERANK_FACTOR).max(RERANK_MIN), precision);
                queries
                    .par_iter()
                    .zip(candidates)
                    .map(|(q, c)| self.rerank(q, c.into_iter().map(|(_, row)| row), k))
                    .collect()
            }
        }
    }

    /// The `k` of `rows` nearest to `query` by exact f32 distance.
    pub fn rerank(&self, query: &[f32], rows: impl Iterator<Item = usize>, k: usize) -> Vec<Neighbour> {
        let mut hits: Vec<Neighbour> = rows
            .map(|r| self.neighbour(r, squared_l2(query, self.vector(r))))
            .collect();
        hits.sort_by(|a, b| {
            a.squared_distance
                .total_cmp(&b.squared_distance)
                .then(a.face_id.cmp(&b.face_id))
        });
        hits.truncate(k);
        hits
    }

    /// The scan alone, without re-ranking: the `k` best (squared distance, row) pairs per query, by
    /// f32 or int8 distance (the benchmark measures int8 recall with it).
    pub fn scan(&self, queries: &[&[f32]], k: usize, precision: Precision) -> Vec<Vec<(f32, usize)>> {
        assert!(
            queries.iter().all(|q| q.len() == self.dim),
            "queries should have the matrix's dimension"
        );
        let batch = QueryBatch::new(queries, precision, self.dim);
        let blocks = self.len().div_ceil(BLOCK_ROWS);
        let tasks = (rayon::current_num_threads() * TASKS_PER_THREAD).min(blocks).max(1);
        let seed = self.seed_bounds(&batch, queries.len(), k);
        let best = (0..tasks)
            .into_par_iter()
            .map(|task| {
                let mut scan = BlockScan::with_bounds(queries.len(), k, &seed);
                for block in (task * blocks / tasks)..((task + 1) * blocks / tasks) {
                    self.score_block(block, &batch, &mut scan);
                }
                scan
            })
            .reduce(|| BlockScan::new(queries.len(), k), BlockScan::merge);
        best.tops
            .into_iter()
            .zip(queries)
            .map(|(top, q)| {
                let query_norm = facenet_core::distance::dot(q, q);
                top.into_sorted()
                    .into_iter()
                    .map(|(score, row)| ((query_norm + score).max(0.0), row))
                    .collect()
            })
            .collect()
    }

    /// Each query's k-th best score over the first [`SEED_BLOCKS`] blocks, just above: no row scoring
    /// higher can be in its top-k, so every worker starts from these bounds instead of offering its
    /// whole first block.
    fn seed_bounds(&self, queries: &QueryBatch, count: usize, k: usize) -> Vec<f32> {
        let mut scan = BlockScan::new(count, k);
        for block in 0..self.len().div_ceil(BLOCK_ROWS).min(SEED_BLOCKS) {
            self.score_block(block, queries, &mut scan);
        }
        scan.tops.into_iter().map(|top| top.kth_score().next_up()).collect()
    }

    /// Scores the rows of `block` against every query, offering the promising ones to its top-k.
    fn score_block(&self, block: usize, queries: &QueryBatch, scan: &mut BlockScan) {
        let start = block * BLOCK_ROWS;
        let end = (start + BLOCK_ROWS).min(self.len());
        let (dim, norms) = (self.dim, &self.squared_norms[start..end]);
        match queries {
            QueryBatch::Panels(panels, precision) => {
                scan.candidates.clear();
                match precision {
                    Precision::F32 => batch_candidates_f32(
                        panels,
                        &scan.bounds,
                        F32Rows {
                            vectors: &self.vectors[start * dim..end * dim],
                            norms,
                        },
                        &mut scan.candidates,
                    ),
                    Precision::Int8 => {
                        let rows = I8Rows {
                            codes: &self.codes[start * dim..end * dim],
                            code_sums: &self.code_sums[start..end],
                            scales: &self.scales[start..end],
                            norms,
                        };
                        batch_candidates_i8(panels, &scan.bounds, rows, &mut scan.candidates)
                    }
                }
                scan.offer_candidates(start);
            }
            QueryBatch::F32(queries) => {
                let mut dots = [0.0f32; BLOCK_ROWS];
                for (query, top) in queries.iter().zip(&mut scan.tops) {
                    dot_rows_f32(query, &self.vectors[start * dim..end * dim], &mut dots);
                    for (i, (&dot, &norm)) in dots.iter().zip(norms).enumerate() {
                        top.offer(norm - 2.0 * dot, start + i);
                    }
                }
            }
            QueryBatch::Int8(queries) => {
                let scales = &self.scales[start..end];
                let mut dots = [0i32; BLOCK_ROWS];
                for (query, top) in queries.iter().zip(&mut scan.tops) {
                    dot_rows_i8(&query.codes, &self.codes[start * dim..end * dim], &mut dots);
                    let two_scale = 2.0 * query.scale;
                    for (i, ((&dot, &norm), &scale)) in dots.iter().zip(norms).zip(scales).enumerate() {
                        top.offer(norm - two_scale * scale * dot as f32, start + i);
                    }
                }
            }
        }
    }
}

/// The queries of a scan, as the kernels read them.
enum QueryBatch<'q> {
    /// A small batch in f32, scanned query by query.
    F32(&'q [&'q [f32]]),
    /// A small batch as int8 codes, scanned query by query.
    Int8(Vec<Quantized>),
    /// A batch for the matrix-product kernels.
    Panels(QueryPanels, Precision),
}

impl<'q> QueryBatch<'q> {
    fn new(queries: &'q [&'q [f32]], precision: Precision, dim: usize) -> Self {
        match precision {
            Precision::F32 if queries.len() >= MIN_BATCH_QUERIES_F32 => {
                Self::Panels(QueryPanels::f32(queries, dim), precision)
            }
            Precision::F32 => Self::F32(queries),
            Precision::Int8 => {
                let quantized: Vec<Quantized> = queries.iter().map(|q| Quantized::new(q)).collect();
                if queries.len() >= MIN_BATCH_QUERIES_INT8 && QueryPanels::supports_i8(dim) {
                    let codes: Vec<(&[i8], f32)> = quantized.iter().map(|q| (q.codes.as_slice(), q.scale)).collect();
                    Self::Panels(QueryPanels::i8(&codes, dim), precision)
                } else {
                    Self::Int8(quantized)
                }
            }
        }
    }
}

/// One worker's state over the blocks it scans: each query's top-k, the bound a row's score must beat
/// to enter it (one per panel lane, −∞ past the batch), and the kernel's candidates.
struct BlockScan {
    tops: Vec<TopK>,
    bounds: Vec<f32>,
    candidates: Vec<Candidate>,
}

impl BlockScan {
    fn new(queries: usize, k: usize) -> Self {
        Self::with_bounds(queries, k, &vec![f32::INFINITY; queries])
    }

    /// A scan whose query q keeps only rows scoring below `bounds[q]`.
    fn with_bounds(queries: usize, k: usize, bounds: &[f32]) -> Self {
        let tops: Vec<TopK> = bounds.iter().map(|&b| TopK::with_bound(k, b)).collect();
        let mut lanes: Vec<f32> = tops.iter().map(TopK::bound).collect();
        lanes.resize(queries.div_ceil(PANEL_QUERIES) * PANEL_QUERIES, f32::NEG_INFINITY);
        Self {
            tops,
            bounds: lanes,
            candidates: Vec::new(),
        }
    }

    /// Offers the kernel's candidates (rows counted from `start`) and tightens the bounds.
    fn offer_candidates(&mut self, start: usize) {
        for c in &self.candidates {
            self.tops[c.query as usize].offer(c.score, start + c.row as usize);
        }
        for (bound, top) in self.bounds.iter_mut().zip(&self.tops) {
            *bound = top.bound();
        }
    }

    fn merge(mut self, other: BlockScan) -> BlockScan {
        for (a, b) in self.tops.iter_mut().zip(other.tops) {
            a.merge(b);
        }
        self
    }
}

/// The k smallest (score, row) pairs seen so far. Rows below the bound are appended unsorted; when
/// [`TOP_K_SLACK`]·k are held, the k best are selected and the bound drops to the k-th score, so an offer
/// costs O(1) however many rows a scan offers (faiss's reservoir keeps its top-k alike).
#[derive(Debug, Clone)]
struct TopK {
    k: usize,
    items: Vec<(f32, usize)>,
    bound: f32,
}

/// A top-k holds up to this many times k rows between selections.
const TOP_K_SLACK: usize = 2;

impl TopK {
    /// An empty top-k that takes only scores below `bound`.
    fn with_bound(k: usize, bound: f32) -> Self {
        let bound = if k == 0 { f32::NEG_INFINITY } else { bound };
        Self {
            k,
            items: Vec::with_capacity(k * TOP_K_SLACK),
            bound,
        }
    }

    /// The score a row must be below to enter: the given bound until k rows are in, −∞ when k is 0.
    fn bound(&self) -> f32 {
        self.bound
    }

    #[inline]
    fn offer(&mut self, score: f32, row: usize) {
        if score.is_nan() || score >= self.bound {
            return;
        }
        self.items.push((score, row));
        if self.items.len() >= (self.k * TOP_K_SLACK).max(self.k + 1) {
            self.keep_best();
        }
    }

    /// Keeps the k best items and lowers the bound to the k-th score.
    fn keep_best(&mut self) {
        let by_score = |a: &(f32, usize), b: &(f32, usize)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1));
        if self.items.len() > self.k {
            self.items.select_nth_unstable_by(self.k - 1, by_score);
            self.items.truncate(self.k);
        }
        if self.items.len() == self.k {
            self.bound = self.items.iter().map(|i| i.0).fold(f32::NEG_INFINITY, f32::max);
        }
    }

    /// The k-th best score held, +∞ with fewer than k (−∞ when k is 0).
    fn kth_score(mut self) -> f32 {
        self.keep_best();
        if self.items.len() == self.k {
            self.bound
        } else {
            f32::INFINITY
        }
    }

    fn merge(&mut self, other: TopK) {
        for (s, row) in other.items {
            self.offer(s, row);
        }
    }

    fn into_sorted(mut self) -> Vec<(f32, usize)> {
        self.items.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        self.items.truncate(self.k);
        self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::SyntheticFaces;

    fn matrix(faces: &SyntheticFaces) -> FaceMatrix {
        let mut m = FaceMatrix::new(faces.dim());
        for (i, (subject, v)) in faces.iter().enumerate() {
            m.push(
                i as i64 + 1,
                subject as i64,
                v.as_slice(),
                &Quantized::new(v.as_slice()),
            );
        }
        m
    }

    /// Sorts every row by exact distance: the naive reference.
    fn naive(m: &FaceMatrix, query: &[f32], k: usize) -> Vec<(f32, i64)> {
        let mut all: Vec<(f32, i64)> = (0..m.len())
            .map(|r| (squared_l2(query, m.vector(r)), m.face_ids[r]))
            .collect();
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        all.truncate(k);
        all
    }

    #[test]
    fn exact_f32_search_matches_the_naive_scan() {
        // 3,000 rows: more blocks than the seed, so several workers merge; 20 queries: one batch product.
        let faces = SyntheticFaces::new(100, 30, 128, 0.25, 1);
        let m = matrix(&faces);
        let queries = faces.queries(20, 2);
        let refs: Vec<&[f32]> = queries.iter().map(|q| q.as_slice()).collect();
        assert!(m.len() > SEED_BLOCKS * BLOCK_ROWS && refs.len() >= MIN_BATCH_QUERIES_F32);
        let batch = m.search_batch(&refs, 5, Precision::F32);
        for (query, batched) in refs.iter().zip(batch) {
            let want = naive(&m, query, 5);
            for got in [m.search(query, 5, Precision::F32), batched] {
                assert_eq!(
                    got.iter().map(|n| n.face_id).collect::<Vec<_>>(),
                    want.iter().map(|w| w.1).collect::<Vec<_>>()
                );
                for (g, w) in got.iter().zip(&want) {
                    assert!((g.squared_distance - w.0).abs() < 1e-4);
                }
            }
        }
    }

    #[test]
    fn int8_search_keeps_recall_at_one() {
        // A CI-sized version of the 1M-vector benchmark figure: 20,000 faces of 2,000 identities.
        let faces = SyntheticFaces::new(2_000, 10, 128, 0.3, 3);
        let m = matrix(&faces);
        let queries = faces.labelled_queries(500, 4);
        let refs: Vec<&[f32]> = queries.iter().map(|q| q.1.as_slice()).collect();
        let exact = m.search_batch(&refs, 1, Precision::F32);
        let int8 = m.search_batch(&refs, 1, Precision::Int8);
        let agree = exact
            .iter()
            .zip(&int8)
            .filter(|(a, b)| a[0].face_id == b[0].face_id)
            .count();
        assert!(agree as f64 / queries.len() as f64 >= 0.99, "recall@1 {agree}/500");
        // The scan alone, before re-ranking, already finds the right identity.
        let scanned = m.scan(&refs, 1, Precision::Int8);
        let right = queries
            .iter()
            .zip(&scanned)
            .filter(|(q, s)| m.subject_ids[s[0].1] == q.0 as i64)
            .count();
        assert!(
            right as f64 / queries.len() as f64 >= 0.99,
            "identity recall@1 {right}/500"
        );
    }

    #[test]
    fn batch_and_single_queries_agree_and_k_exceeding_rows_is_fine() {
        let faces = SyntheticFaces::new(3, 2, 16, 0.2, 5);
        let m = matrix(&faces);
        let queries = faces.queries(MIN_BATCH_QUERIES_F32, 6); // the batch kernels, then one by one
        let refs: Vec<&[f32]> = queries.iter().map(|q| q.as_slice()).collect();
        let batch = m.search_batch(&refs, 10, Precision::Int8);
        for (q, b) in refs.iter().zip(&batch) {
            assert_eq!(b.len(), 6);
            assert_eq!(&m.search(q, 10, Precision::Int8), b);
        }
        assert!(FaceMatrix::new(16).search(refs[0], 3, Precision::F32).is_empty());
        for precision in [Precision::F32, Precision::Int8] {
            assert!(
                m.search_batch(&[refs[0]; MIN_BATCH_QUERIES_F32], 0, precision)
                    .iter()
                    .all(Vec::is_empty)
            );
        }
    }
}
