//! Moving a gallery between backends (`facenet gallery migrate --from g.db --to postgres://…` and back):
//! subjects and faces with their ids, names, times, sources, boxes and embeddings bit for bit, and the
//! model, into an empty gallery, then the examples (the REST API's stored photos, by image id) and the API
//! keys (ids, hashes, revocations); a [`checksum`] of the faces computed the same way on both sides shows
//! the copy is exact.

use crate::{Error, Gallery, Result, StoredFace};
use sha2::{Digest, Sha256};

/// Faces copied per transaction.
const BATCH: usize = 1_000;

/// What a migration copied.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Migration {
    pub subjects: usize,
    pub faces: usize,
    pub examples: usize,
    pub api_keys: usize,
    /// [`checksum`] of the source, read in the same snapshot as the copy.
    pub source_checksum: String,
    /// [`checksum`] of the target after the copy.
    pub target_checksum: String,
}

/// Copies every subject and face of `from` into `to`, which must be empty (no faces, no subjects);
/// `progress(done, total)` is called after each batch. The target's model becomes the source's; the copy
/// is a [`Gallery::bulk_load`] (PostgreSQL builds the HNSW index once, after the last face).
pub fn migrate(from: &Gallery, to: &mut Gallery, mut progress: impl FnMut(usize, usize)) -> Result<Migration> {
    let model = from.require_model()?.clone();
    if to.face_count()? > 0 || !to.subjects()?.is_empty() {
        return Err(Error::Invalid(format!(
            "gallery {}: not empty; migrate copies into an empty gallery only",
            to.path().display()
        )));
    }
    to.bind_model(&model)?;
    let subjects = from.subjects()?;
    let (faces, source_checksum) = to.bulk_load(|to| copy_faces(from, to, &subjects, &mut progress))?;
    let examples = copy_examples(from, to)?;
    let api_keys = from.store().api_keys()?;
    to.store_mut().import_api_keys(&api_keys)?;
    Ok(Migration {
        subjects: subjects.len(),
        faces,
        examples,
        api_keys: api_keys.len(),
        source_checksum,
        target_checksum: checksum(to)?,
    })
}

/// Copies `subjects` and then every face of `from` into `to`, [`BATCH`] faces per transaction; returns
/// how many faces it copied and the [`checksum`] of what it read.
fn copy_faces(
    from: &Gallery,
    to: &mut Gallery,
    subjects: &[crate::SubjectSummary],
    progress: &mut impl FnMut(usize, usize),
) -> Result<(usize, String)> {
    to.store_mut().import_subjects(subjects)?;
    let ids: std::collections::HashMap<&str, i64> = subjects.iter().map(|s| (s.name.as_str(), s.id)).collect();
    let total = subjects.iter().map(|s| s.faces).sum();
    let mut hasher = Sha256::new();
    let (mut batch, mut done) = (Vec::with_capacity(BATCH), 0);
    let mut flush = |batch: &mut Vec<StoredFace>, to: &mut Gallery| -> Result<()> {
        let rows: Vec<(i64, &StoredFace)> = batch.iter().map(|f| (ids[f.subject.as_str()], f)).collect();
        to.store_mut().import_faces(&rows)?;
        done += batch.len();
        progress(done, total);
        batch.clear();
        Ok(())
    };
    from.for_each_face(BATCH, |face| {
        hash_face(&mut hasher, &face);
        batch.push(face);
        if batch.len() == BATCH {
            flush(&mut batch, to)?;
        }
        Ok(())
    })?;
    flush(&mut batch, to)?;
    Ok((done, hex(&hasher.finalize())))
}

/// Copies every example (its image id, face id and photo) of `from` into `to`, a page at a time;
/// returns how many. The faces must be copied first (same ids).
fn copy_examples(from: &Gallery, to: &mut Gallery) -> Result<usize> {
    let mut copied = 0;
    loop {
        let page = from.examples(None, copied / BATCH, BATCH)?;
        for example in &page.examples {
            let missing = || Error::Invalid(format!("example {}: vanished during the copy", example.image_id));
            let face_id = from.store().face_of_example(&example.image_id)?.ok_or_else(missing)?;
            let image = from.example_image(&example.image_id)?.ok_or_else(missing)?;
            to.store_mut().insert_example(&example.image_id, face_id, &image)?;
        }
        copied += page.examples.len();
        if page.examples.len() < BATCH {
            return Ok(copied);
        }
    }
}

/// sha256 over every face in id order: id, subject name, model id and the embedding's f32 bits (the
/// same value on SQLite and PostgreSQL for the same faces), lowercase hex.
pub fn checksum(gallery: &Gallery) -> Result<String> {
    let mut hasher = Sha256::new();
    gallery.for_each_face(BATCH, |face| {
        hash_face(&mut hasher, &face);
        Ok(())
    })?;
    Ok(hex(&hasher.finalize()))
}

fn hash_face(hasher: &mut Sha256, face: &StoredFace) {
    hasher.update(face.id.to_le_bytes());
    for text in [&face.subject, &face.model_id] {
        hasher.update((text.len() as u64).to_le_bytes());
        hasher.update(text.as_bytes());
    }
    for value in face.face.embedding.as_slice() {
        hasher.update(value.to_bits().to_le_bytes());
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
