//! Shared helpers of facenet-vision's integration tests: dlib's reference numbers and the assets they
//! refer to. The reference fixture (7 faces) is facenet-nn's, made by dlib 20.0.1 with
//! face_recognition_models 0.3.0 on the asset photos (see its `_about`).
#![allow(dead_code)]

use facenet_vision::{BBox, LoadOptions, Point, RgbImage, load_rgb};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
pub struct Fixture {
    pub photos: BTreeMap<String, ReferencePhoto>,
}

#[derive(Debug, Deserialize)]
pub struct ReferencePhoto {
    pub faces: Vec<ReferenceFace>,
}

#[derive(Debug, Deserialize)]
pub struct ReferenceFace {
    /// dlib's HOG box, [left, top, right, bottom].
    pub box_ltrb: [f32; 4],
    pub landmarks5: [[f32; 2]; 5],
    /// File name of dlib's chip, under shared/reference/.
    #[serde(default)]
    pub chip_png: String,
}

impl ReferenceFace {
    pub fn bbox(&self) -> BBox {
        let [l, t, r, b] = self.box_ltrb;
        BBox::new(l, t, r, b)
    }

    pub fn landmarks(&self) -> Vec<Point> {
        self.landmarks5.iter().map(|&[x, y]| Point::new(x, y)).collect()
    }
}

/// dlib's reference on the photos as PIL (libjpeg-turbo) decodes them.
pub fn dlib_reference() -> Fixture {
    parse(include_str!("../../../facenet-nn/tests/fixtures/dlib_reference.json"))
}

fn parse(text: &str) -> Fixture {
    serde_json::from_str(text).expect("the fixture should parse")
}

pub fn asset(name: &str) -> PathBuf {
    facenet_assets::Cache::from_env()
        .and_then(|c| c.ensure(name))
        .unwrap_or_else(|e| panic!("asset {name}: {e}"))
}

pub fn photo(name: &str) -> RgbImage {
    load_rgb(&asset(name), &LoadOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

/// The folder of shared/reference: `$FACENET_SHARED/reference`, else `shared/reference` beside the
/// workspace or beside one of its ancestors (CI has shared/ beside the repository). `None`, with a
/// note, when absent: the reference chips are not the project's and a fresh clone may lack them.
pub fn shared_reference_dir() -> Option<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let candidates: Vec<PathBuf> = match std::env::var_os("FACENET_SHARED") {
        Some(shared) => vec![PathBuf::from(shared)],
        None => workspace.ancestors().skip(1).map(|dir| dir.join("shared")).collect(),
    };
    let found = candidates
        .iter()
        .map(|shared| shared.join("reference"))
        .find(|dir| dir.join("chips").is_dir());
    if found.is_none() {
        eprintln!(
            "note: shared/reference/chips not found (set FACENET_SHARED); skipping the comparison with dlib's chips"
        );
    }
    found
}
