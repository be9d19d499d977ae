//! The backends side by side on the same vectors (issue 17's benchmark; scripts/bench_gallery.sh runs
//! it): enrol rate, identify latency p50/p99 (one query at a time) and recall@1 against exact search, for
//! SQLite exact f32, SQLite int8 + f32 re-rank, and pgvector HNSW at two `ef_search` values. The faces
//! go in as one [`Gallery::bulk_load`], so PostgreSQL's enrol rate includes building the HNSW index once.
//!
//!   cargo run --release -p facenet-gallery --example bench_backends -- N DIM [POSTGRES_URL]

use facenet_core::distance::Metric;
use facenet_gallery::synthetic::SyntheticFaces;
use facenet_gallery::{Engine, Gallery, GalleryLocation, GalleryModel, NewFace, SearchIndex};
use std::time::Instant;

const QUERIES: usize = 300;
const BATCH: usize = 2_000;
const FACES_PER_IDENTITY: usize = 10;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().map(|a| a.parse()).transpose()?.unwrap_or(100_000);
    let dim: usize = args.get(1).map(|a| a.parse()).transpose()?.unwrap_or(512);
    let url = args.get(2);
    let faces = SyntheticFaces::new(n / FACES_PER_IDENTITY, FACES_PER_IDENTITY, dim, 0.5, 1);
    let queries = faces.queries(QUERIES, 2);
    let model = GalleryModel {
        id: format!("bench{dim}"),
        dim,
        metric: Metric::SquaredL2,
        threshold: 1.0,
    };
    println!("{} faces, {dim}-D, {QUERIES} queries", faces.len());
    println!("backend\tengine\tenrol faces/s\tp50 ms\tp99 ms\trecall@1");
    let dir = tempfile::tempdir()?;
    let sqlite = GalleryLocation::File(dir.path().join("bench.db"));
    let (gallery, rate) = enrol(&sqlite, &model, &faces)?;
    let exact = SearchIndex::open(&gallery, Engine::ExactF32)?;
    let truth: Vec<i64> = queries
        .iter()
        .map(|q| exact.search(q.as_slice(), 1)[0].face_id)
        .collect();
    report("sqlite", "exact f32", rate, &exact, &queries, &truth);
    report(
        "sqlite",
        "int8 + re-rank",
        rate,
        &SearchIndex::open(&gallery, Engine::ExactInt8)?,
        &queries,
        &truth,
    );
    drop((gallery, exact));
    if let Some(url) = url {
        let location = GalleryLocation::Postgres(url.clone());
        let (_gallery, rate) = enrol(&location, &model, &faces)?;
        for ef in [40, 200] {
            let tuned = GalleryLocation::Postgres(format!("{url}?hnsw_ef_search={ef}"));
            let gallery = Gallery::open_location(&tuned, false)?;
            let index = SearchIndex::open(&gallery, Engine::Hnsw)?;
            report(
                "postgres",
                &format!("hnsw ef_search={ef}"),
                rate,
                &index,
                &queries,
                &truth,
            );
        }
    }
    Ok(())
}

fn enrol(
    location: &GalleryLocation,
    model: &GalleryModel,
    faces: &SyntheticFaces,
) -> Result<(Gallery, f64), facenet_gallery::Error> {
    let mut gallery = Gallery::open_location_for(location, model)?;
    let start = Instant::now();
    let all: Vec<(String, NewFace)> = faces
        .iter()
        .map(|(i, e)| (format!("id{i}"), NewFace::bare(e)))
        .collect();
    gallery.bulk_load(|gallery| {
        for chunk in all.chunks(BATCH) {
            let batch: Vec<(&str, &NewFace)> = chunk.iter().map(|(s, f)| (s.as_str(), f)).collect();
            gallery.enroll_batch(&batch)?;
        }
        Ok(())
    })?;
    Ok((gallery, faces.len() as f64 / start.elapsed().as_secs_f64()))
}

fn report(
    backend: &str,
    engine: &str,
    rate: f64,
    index: &SearchIndex,
    queries: &[facenet_core::Embedding],
    truth: &[i64],
) {
    let mut millis = Vec::with_capacity(queries.len());
    let mut hits = 0;
    for (query, want) in queries.iter().zip(truth) {
        let start = Instant::now();
        let found = index.search(query.as_slice(), 1);
        millis.push(start.elapsed().as_secs_f64() * 1e3);
        hits += usize::from(found.first().map(|n| n.face_id) == Some(*want));
    }
    millis.sort_by(f64::total_cmp);
    let at = |p: f64| millis[((millis.len() - 1) as f64 * p).round() as usize];
    println!(
        "{backend}\t{engine}\t{rate:.0}\t{:.2}\t{:.2}\t{:.3}",
        at(0.5),
        at(0.99),
        hits as f64 / truth.len() as f64
    );
}
