//! JSON Lines export and import of a gallery, for backups and moves between machines.
//!
//! The first line is a header `{"format":"facenet-gallery","version":1,"model":{…}}`; every further line
//! is one [`StoredFace`] (id, subject, model id, embedding, source, detection, created time). Import
//! gives faces new ids and creation times, and skips faces the gallery already holds (same subject,
//! photo sha256 and face index), so importing one file twice adds nothing the second time.

use crate::{Error, Gallery, GalleryModel, NewFace, Result, StoredFace};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::Path;

const FORMAT: &str = "facenet-gallery";
const VERSION: u32 = 1;
/// Faces enrolled per transaction on import.
const IMPORT_BATCH: usize = 1_000;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    model: GalleryModel,
}

/// What an import added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Faces added.
    pub faces: usize,
    /// Faces of the file the gallery already held (same subject, photo sha256 and face index).
    pub duplicates: usize,
}

/// Writes `gallery` to `out` (to file `out_name`, for messages); returns the number of faces written.
pub fn export(gallery: &Gallery, out: &mut impl Write, out_name: &Path) -> Result<usize> {
    let io = |source| Error::Io {
        path: out_name.into(),
        source,
    };
    let header = Header {
        format: FORMAT.into(),
        version: VERSION,
        model: gallery.require_model()?.clone(),
    };
    writeln!(
        out,
        "{}",
        serde_json::to_string(&header).expect("the header should serialise")
    )
    .map_err(io)?;
    let mut count = 0;
    gallery.for_each_face(1_000, |face| {
        count += 1;
        writeln!(
            out,
            "{}",
            serde_json::to_string(&face).expect("a face should serialise")
        )
        .map_err(io)
    })?;
    out.flush().map_err(io)?;
    Ok(count)
}

/// Reads an export from `input` (file `input_name`) into `gallery`, which must be empty or of the same
/// model. A bad line stops the import with its line number; faces before it stay imported. An import
/// into a gallery without faces is a [`Gallery::bulk_load`] (PostgreSQL builds the HNSW index once, at
/// the end).
pub fn import(gallery: &mut Gallery, input: impl BufRead, input_name: &Path) -> Result<ImportReport> {
    let bad = |line, message| line_error(input_name, line, message);
    let mut lines = input.lines().enumerate().map(|(i, line)| (i + 1, line));
    let (_, first) = lines
        .next()
        .ok_or_else(|| bad(1, "empty file, expected a facenet-gallery header".into()))?;
    let first = first.map_err(|source| Error::Io {
        path: input_name.into(),
        source,
    })?;
    let header: Header =
        serde_json::from_str(&first).map_err(|e| bad(1, format!("not a facenet-gallery header: {e}")))?;
    if header.format != FORMAT || header.version != VERSION {
        return Err(bad(
            1,
            format!(
                "format {:?} version {}, expected {FORMAT:?} version {VERSION}",
                header.format, header.version
            ),
        ));
    }
    gallery.bind_model(&header.model)?;
    if gallery.face_count()? == 0 {
        gallery.bulk_load(|gallery| read_faces(gallery, lines, &header, input_name))
    } else {
        read_faces(gallery, lines, &header, input_name)
    }
}

/// Reads the face lines after the header into `gallery`, [`IMPORT_BATCH`] per transaction.
fn read_faces(
    gallery: &mut Gallery,
    lines: impl Iterator<Item = (usize, std::io::Result<String>)>,
    header: &Header,
    input_name: &Path,
) -> Result<ImportReport> {
    let bad = |line, message| line_error(input_name, line, message);
    let mut last_line = 1;
    let mut report = ImportReport {
        faces: 0,
        duplicates: 0,
    };
    let mut batch: Vec<(String, NewFace)> = Vec::with_capacity(IMPORT_BATCH);
    for (number, line) in lines {
        let line = line.map_err(|source| Error::Io {
            path: input_name.into(),
            source,
        })?;
        last_line = number;
        if line.trim().is_empty() {
            continue;
        }
        let face: StoredFace = serde_json::from_str(&line).map_err(|e| bad(number, e.to_string()))?;
        if face.face.embedding.dim() != header.model.dim {
            return Err(bad(
                number,
                format!(
                    "embedding of {} values in an export of {}-D {:?}",
                    face.face.embedding.dim(),
                    header.model.dim,
                    header.model.id
                ),
            ));
        }
        if face.model_id != header.model.id {
            return Err(bad(
                number,
                format!(
                    "face of model {:?} in an export of {:?}",
                    face.model_id, header.model.id
                ),
            ));
        }
        batch.push((face.subject, face.face));
        if batch.len() == IMPORT_BATCH {
            flush(gallery, &mut batch, &mut report).map_err(|e| bad(number, e.to_string()))?;
        }
    }
    flush(gallery, &mut batch, &mut report).map_err(|e| bad(last_line, e.to_string()))?;
    Ok(report)
}

/// The error of a bad line of `input_name`.
fn line_error(input_name: &Path, line: usize, message: String) -> Error {
    Error::Import {
        path: input_name.into(),
        line,
        message,
    }
}

/// Enrols and empties `batch`, counting in `report` the faces that went in and the duplicates.
fn flush(gallery: &mut Gallery, batch: &mut Vec<(String, NewFace)>, report: &mut ImportReport) -> Result<()> {
    let items: Vec<(&str, &NewFace)> = batch.iter().map(|(s, f)| (s.as_str(), f)).collect();
    let ids = gallery.enroll_batch(&items)?;
    let added = ids.iter().flatten().count();
    report.faces += added;
    report.duplicates += ids.len() - added;
    batch.clear();
    Ok(())
}
