//! Examples: faces added through the server (CompreFace's "examples of a subject", REST API v1), each with
//! a UUID `image_id` and the bytes of its photo for download, plus the subject operations that API names
//! (add an empty subject, merge on rename, delete every subject). The SQL is in the backends
//! ([`crate::schema`] for SQLite).

use crate::store::check_name;
use crate::{Error, Gallery, NewFace, Result};
use facenet_core::Embedding;
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
            None => {
                let subject_id = self.subject_id(subject)?;
                self.store()
                    .face_of_source(subject_id, &source.sha256, source.face_index)?
            }
        };
        let image_id = match self.store().example_of_face(face_id)? {
            Some(id) => id,
            None => {
                let id = new_image_id();
                self.store_mut().insert_example(&id, face_id, image)?;
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
        let (examples, total) = self.store().examples(subject, size, page.saturating_mul(size))?;
        Ok(ExamplePage { examples, total })
    }

    /// The photo bytes of example `image_id`; `None` when there is no such example.
    pub fn example_image(&self, image_id: &str) -> Result<Option<Vec<u8>>> {
        self.store().example_image(image_id)
    }

    /// The subject and embedding of example `image_id`; `None` when there is no such example.
    pub fn example_face(&self, image_id: &str) -> Result<Option<ExampleFace>> {
        self.store()
            .example_face(image_id)?
            .map(|(face_id, subject, model_id, dim, values)| {
                let embedding = self.check_vector(face_id, &model_id, dim, values)?;
                Ok(ExampleFace { subject, embedding })
            })
            .transpose()
    }

    /// Removes example `image_id` (its face and photo); the removed example, `None` when there was none.
    pub fn remove_example(&mut self, image_id: &str) -> Result<Option<Example>> {
        let Some(found) = self.example_face(image_id)? else {
            return Ok(None);
        };
        if let Some(face_id) = self.store().face_of_example(image_id)? {
            self.remove_face(face_id)?;
        }
        Ok(Some(Example {
            image_id: image_id.into(),
            subject: found.subject,
        }))
    }

    /// Removes every face of `subject` (the subject stays), or of every subject; returns how many went.
    pub fn remove_faces(&mut self, subject: Option<&str>) -> Result<usize> {
        self.store_mut().delete_faces(subject)
    }

    /// Creates subject `name` with no faces; refused when it exists or the name is empty.
    pub fn add_subject(&mut self, name: &str) -> Result<()> {
        check_name(name)?;
        if self.store().subject_id(name)?.is_some() {
            return Err(Error::SubjectExists {
                path: self.path().into(),
                name: name.into(),
            });
        }
        self.store_mut().insert_subject(name)
    }

    /// Renames `from` to `to`; when `to` exists, `from`'s faces join it and `from` is removed (CompreFace's
    /// rename). Faces `to` already holds (same photo and face) are not duplicated.
    pub fn rename_or_merge_subject(&mut self, from: &str, to: &str) -> Result<()> {
        let Some(to_id) = self.store().subject_id(to)? else {
            return self.rename_subject(from, to);
        };
        let from_id = self.subject_id(from)?;
        if from_id == to_id {
            return Ok(());
        }
        self.store_mut().merge_subject(from_id, to_id)
    }

    /// Removes every subject and face; returns how many subjects went.
    pub fn remove_all_subjects(&mut self) -> Result<usize> {
        self.store_mut().delete_all_subjects()
    }
}

/// A random (version 4) UUID.
fn new_image_id() -> String {
    uuid::Builder::from_random_bytes(rand::random()).into_uuid().to_string()
}
