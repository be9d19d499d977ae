//! Examples: faces added through the server (CompreFace's "examples of a subject", REST API v1), each with
//! a UUID `image_id` and the bytes of its photo for download, plus the subject operations that API names
//! (add an empty subject, merge on rename, delete every subject). The SQL is in [`crate::schema`].

use crate::schema;
use crate::store::unix_now;
use crate::{Error, Gallery, NewFace, Result};
use facenet_core::Embedding;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

/// One example: its image id and subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Example {
    pub image_id: String,
    pub subject: String,
}

/// One page of examples, and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExamplePage {
    pub examples: Vec<Example>,
    pub total: usize,
}

/// An example's face: its subject and embedding (verification against a saved example).
#[derive(Debug, Clone, PartialEq)]
pub struct ExampleFace {
    pub subject: String,
    pub embedding: Embedding,
}

impl Gallery {
    /// Stores `face` of the photo `image` as an example of `subject` (created if new), the face and the
    /// photo in one transaction: when this returns, both are on disk. A photo's face already stored for
    /// the subject (same sha256 and face index) is not stored twice; its existing example id is returned.
    pub fn add_example(&mut self, subject: &str, face: &NewFace, image: &[u8]) -> Result<Example> {
        let source = face
            .source
            .clone()
            .ok_or_else(|| Error::Invalid("an example needs its photo's sha256 and face index".into()))?;
        let face_id = match self.enroll(subject, std::slice::from_ref(face))?[0] {
            Some(id) => id,
            None => self.face_of_source(subject, &source.sha256, source.face_index)?,
        };
        let existing: Option<String> = self
            .connection()
            .query_row(schema::EXAMPLE_OF_FACE, [face_id], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))?;
        let image_id = match existing {
            Some(id) => id,
            None => {
                let id = new_image_id();
                self.connection()
                    .execute(schema::INSERT_EXAMPLE, params![id, face_id, image])
                    .map_err(|e| self.sqlite(e))?;
                id
            }
        };
        Ok(Example {
            image_id,
            subject: subject.into(),
        })
    }

    /// Page `page` (from 0) of `size` examples, oldest first, of `subject` or of every subject.
    pub fn examples(&self, subject: Option<&str>, page: usize, size: usize) -> Result<ExamplePage> {
        let conn = self.connection();
        let total: i64 = conn
            .query_row(schema::COUNT_EXAMPLES, [subject], |r| r.get(0))
            .map_err(|e| self.sqlite(e))?;
        let mut stmt = conn.prepare(schema::PAGE_EXAMPLES).map_err(|e| self.sqlite(e))?;
        let offset = page.saturating_mul(size);
        let rows = stmt
            .query_map(params![subject, size as i64, offset as i64], |r| {
                Ok(Example {
                    image_id: r.get(0)?,
                    subject: r.get(1)?,
                })
            })
            .map_err(|e| self.sqlite(e))?;
        let examples = rows.collect::<Result<_, _>>().map_err(|e| self.sqlite(e))?;
        Ok(ExamplePage {
            examples,
            total: total as usize,
        })
    }

    /// The photo bytes of example `image_id`; `None` when there is no such example.
    pub fn example_image(&self, image_id: &str) -> Result<Option<Vec<u8>>> {
        self.connection()
            .query_row(schema::EXAMPLE_IMAGE, [image_id], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    /// The subject and embedding of example `image_id`; `None` when there is no such example.
    pub fn example_face(&self, image_id: &str) -> Result<Option<ExampleFace>> {
        let row: Option<(i64, String, Vec<u8>, String, i64)> = self
            .connection()
            .query_row(schema::EXAMPLE_FACE, [image_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()
            .map_err(|e| self.sqlite(e))?;
        row.map(|(face_id, subject, blob, model_id, dim)| {
            let embedding = self.check_vector(face_id, &model_id, dim, &blob)?;
            Ok(ExampleFace { subject, embedding })
        })
        .transpose()
    }

    /// Removes example `image_id` (its face and photo); the removed example, `None` when there was none.
    pub fn remove_example(&mut self, image_id: &str) -> Result<Option<Example>> {
        let Some(found) = self.example_face(image_id)? else {
            return Ok(None);
        };
        let face_id: i64 = self
            .connection()
            .query_row(schema::FACE_OF_EXAMPLE, [image_id], |r| r.get(0))
            .map_err(|e| self.sqlite(e))?;
        self.remove_face(face_id)?;
        Ok(Some(Example {
            image_id: image_id.into(),
            subject: found.subject,
        }))
    }

    /// Removes every face of `subject` (the subject stays), or of every subject; returns how many went.
    pub fn remove_faces(&mut self, subject: Option<&str>) -> Result<usize> {
        let removed = match subject {
            Some(name) => self.connection().execute(schema::DELETE_FACES_OF_SUBJECT, [name]),
            None => self.connection().execute(schema::DELETE_ALL_FACES, []),
        };
        removed.map_err(|e| self.sqlite(e))
    }

    /// Creates subject `name` with no faces; refused when it exists or the name is empty.
    pub fn add_subject(&mut self, name: &str) -> Result<()> {
        if name.trim().is_empty() {
            return Err(Error::Invalid("subject name: empty".into()));
        }
        if self.subject_id_of(name)?.is_some() {
            return Err(Error::SubjectExists {
                path: self.path().into(),
                name: name.into(),
            });
        }
        self.connection()
            .execute(schema::INSERT_SUBJECT, params![name, unix_now()])
            .map_err(|e| self.sqlite(e))?;
        Ok(())
    }

    /// Renames `from` to `to`; when `to` exists, `from`'s faces join it and `from` is removed (CompreFace's
    /// rename). Faces `to` already holds (same photo and face) are not duplicated.
    pub fn rename_or_merge_subject(&mut self, from: &str, to: &str) -> Result<()> {
        let Some(to_id) = self.subject_id_of(to)? else {
            return self.rename_subject(from, to);
        };
        let from_id = self.subject_id_of(from)?.ok_or_else(|| Error::UnknownSubject {
            path: self.path().into(),
            name: from.into(),
        })?;
        if from_id == to_id {
            return Ok(());
        }
        let tx = self.connection().unchecked_transaction().map_err(|e| self.sqlite(e))?;
        tx.execute(schema::MOVE_FACES, [from_id, to_id])
            .map_err(|e| self.sqlite(e))?;
        tx.execute(schema::DELETE_SUBJECT_BY_ID, [from_id])
            .map_err(|e| self.sqlite(e))?;
        tx.commit().map_err(|e| self.sqlite(e))
    }

    /// Removes every subject and face; returns how many subjects went.
    pub fn remove_all_subjects(&mut self) -> Result<usize> {
        let tx = self.connection().unchecked_transaction().map_err(|e| self.sqlite(e))?;
        let count: i64 = tx
            .query_row(schema::COUNT_SUBJECTS, [], |r| r.get(0))
            .map_err(|e| self.sqlite(e))?;
        tx.execute(schema::DELETE_ALL_FACES, []).map_err(|e| self.sqlite(e))?;
        tx.execute(schema::DELETE_ALL_SUBJECTS, [])
            .map_err(|e| self.sqlite(e))?;
        tx.commit().map_err(|e| self.sqlite(e))?;
        Ok(count as usize)
    }

    fn subject_id_of(&self, name: &str) -> Result<Option<i64>> {
        self.connection()
            .query_row(schema::SUBJECT_ID, [name], |r| r.get(0))
            .optional()
            .map_err(|e| self.sqlite(e))
    }

    fn face_of_source(&self, subject: &str, sha256: &str, face_index: usize) -> Result<i64> {
        let subject_id = self.subject_id_of(subject)?.ok_or_else(|| Error::UnknownSubject {
            path: self.path().into(),
            name: subject.into(),
        })?;
        self.connection()
            .query_row(
                schema::FACE_OF_SOURCE,
                params![subject_id, sha256, face_index as i64],
                |r| r.get(0),
            )
            .map_err(|e| self.sqlite(e))
    }
}

/// A random (version 4) UUID.
fn new_image_id() -> String {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid().to_string()
}
