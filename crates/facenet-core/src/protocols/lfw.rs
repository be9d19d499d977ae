//! Labeled Faces in the Wild (Huang et al. 2007): the pair files and a runner.
//!
//! `pairs.txt` (View 2): a header `FOLDS<TAB>N` (officially `10<TAB>300`), then per fold N same pairs
//! `name<TAB>i<TAB>j` followed by N different pairs `name1<TAB>i<TAB>name2<TAB>j`. View 1's
//! `pairsDevTrain.txt` / `pairsDevTest.txt` have a header `N` and one such block; having no folds, their
//! pairs are spread over [`VIEW1_FOLDS`] folds for cross-validation (the i-th pair of each class goes to
//! fold 1 + ⌊10·i/N⌋, so each fold holds N/10 same and N/10 different pairs, in file order).
//! Image `i` of `name` is `name/name_%04d.jpg` (or `.png`) under the LFW folder.

use super::{ProtocolPair, ScoredPairs, pair_distance, parse_error, read_text, score_pairs};
use crate::distance::Metric;
use crate::{Embedding, Result};
use rayon::prelude::*;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The folds a single-block file (View 1) is spread over.
pub const VIEW1_FOLDS: u32 = 10;

/// The image extensions tried, in order.
pub const IMAGE_EXTENSIONS: [&str; 2] = ["jpg", "png"];

/// One LFW image: a person and the image's 1-based number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LfwImage {
    pub name: String,
    pub number: u32,
}

impl LfwImage {
    /// `name/name_%04d.<extension>`.
    pub fn relative_path(&self, extension: &str) -> PathBuf {
        Path::new(&self.name).join(format!("{self}.{extension}"))
    }

    /// The image's file under `dir`, trying each of [`IMAGE_EXTENSIONS`]; `None` when none exists.
    pub fn resolve(&self, dir: &Path) -> Option<PathBuf> {
        IMAGE_EXTENSIONS
            .iter()
            .map(|ext| dir.join(self.relative_path(ext)))
            .find(|p| p.is_file())
    }
}

impl fmt::Display for LfwImage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{:04}", self.name, self.number)
    }
}

/// One pair of a pair file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LfwPair {
    pub first: LfwImage,
    pub second: LfwImage,
    pub same: bool,
    /// 1-based fold.
    pub fold: u32,
    /// The pair's line in the file.
    pub line: usize,
}

/// A parsed pair file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LfwPairs {
    /// Blocks in the file (10 for View 2, 1 for View 1).
    pub blocks: u32,
    /// Same pairs per block (= different pairs per block).
    pub per_class: u32,
    /// The pairs, in file order.
    pub pairs: Vec<LfwPair>,
}

/// Reads a pair file (`pairs.txt`, `pairsDevTrain.txt`, `pairsDevTest.txt`).
pub fn read_lfw_pairs(path: &Path) -> Result<LfwPairs> {
    parse_lfw_pairs(&read_text(path)?, &path.display().to_string())
}

/// Parses a pair file's text; `source` names it in errors. Checks the header, that each block has its
/// N same then N different pairs (3 and 4 fields), that image numbers are positive integers, that no pair
/// appears twice, and that the file holds exactly the pairs the header announces. Memory bound: the
/// pairs it keeps come one per line of `text`, whatever count the header declares.
pub fn parse_lfw_pairs(text: &str, source: &str) -> Result<LfwPairs> {
    let lines: Vec<&str> = text.lines().collect();
    let content_lines = lines.iter().rposition(|l| !l.trim().is_empty()).map_or(0, |i| i + 1);
    let Some(header) = lines.first() else {
        return Err(parse_error(
            source,
            1,
            "empty file (expected a header \"FOLDS<TAB>N\" or \"N\")".into(),
        ));
    };
    let (blocks, per_class) = parse_header(header).map_err(|m| parse_error(source, 1, m))?;
    let expected = (blocks as usize).saturating_mul(2).saturating_mul(per_class as usize);
    // the header's count is not trusted for memory: at most one pair per line of the file is reserved
    let mut pairs = Vec::with_capacity(expected.min(content_lines));
    let mut first_seen: HashMap<(LfwImage, LfwImage), usize> = HashMap::new();
    for (offset, text) in lines[1..content_lines].iter().enumerate() {
        let line = offset + 2;
        if offset == expected {
            return Err(parse_error(
                source,
                line,
                format!("more pairs than the {expected} the header announces"),
            ));
        }
        let block = (offset / (2 * per_class as usize)) as u32;
        let within = offset % (2 * per_class as usize);
        let same = within < per_class as usize;
        let (first, second) = parse_pair(text, same).map_err(|m| parse_error(source, line, m))?;
        let key = if first <= second {
            (first.clone(), second.clone())
        } else {
            (second.clone(), first.clone())
        };
        if let Some(previous) = first_seen.insert(key, line) {
            return Err(parse_error(
                source,
                line,
                format!("duplicate pair {first} {second} (also on line {previous})"),
            ));
        }
        let fold = if blocks > 1 {
            block + 1
        } else {
            1 + (VIEW1_FOLDS as usize * (within % per_class as usize) / per_class as usize) as u32
        };
        pairs.push(LfwPair {
            first,
            second,
            same,
            fold,
            line,
        });
    }
    if pairs.len() < expected {
        let message = format!("file ends after {} pairs; the header announces {expected}", pairs.len());
        return Err(parse_error(source, content_lines + 1, message));
    }
    Ok(LfwPairs {
        blocks,
        per_class,
        pairs,
    })
}

fn parse_header(header: &str) -> Result<(u32, u32), String> {
    let numbers: Vec<&str> = header.split_whitespace().collect();
    let positive = |field: &str| field.parse::<u32>().ok().filter(|n| *n > 0);
    let bad = || format!("header {header:?}: expected \"FOLDS<TAB>N\" (View 2) or \"N\" (View 1), positive integers");
    match numbers.as_slice() {
        [n] => Ok((1, positive(n).ok_or_else(bad)?)),
        [folds, n] => Ok((positive(folds).ok_or_else(bad)?, positive(n).ok_or_else(bad)?)),
        _ => Err(bad()),
    }
}

/// A same pair `name i j` or a different pair `name1 i name2 j`.
fn parse_pair(text: &str, same: bool) -> Result<(LfwImage, LfwImage), String> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    match (same, fields.as_slice()) {
        (true, [name, i, j]) => Ok((image(name, i)?, image(name, j)?)),
        (false, [name1, i, name2, j]) => Ok((image(name1, i)?, image(name2, j)?)),
        (true, _) => Err(format!(
            "expected 3 fields (name, number, number) for a same pair, got {}",
            fields.len()
        )),
        (false, _) => Err(format!(
            "expected 4 fields (name, number, name, number) for a different pair, got {}",
            fields.len()
        )),
    }
}

fn image(name: &str, number: &str) -> Result<LfwImage, String> {
    match number.parse::<u32>() {
        Ok(n) if n > 0 => Ok(LfwImage {
            name: name.to_string(),
            number: n,
        }),
        _ => Err(format!("image number {number:?} of {name} is not a positive integer")),
    }
}

/// Scores every pair of `pairs` with images under `dir`: each distinct image is embedded once (in
/// parallel) with `embed` (`Ok(None)`: no face found), and each pair's distance is `metric` between
/// its two embeddings. Pairs with a missing, unreadable or faceless image are skipped and listed.
pub fn evaluate_lfw<F, E>(dir: &Path, pairs: &LfwPairs, metric: Metric, embed: F) -> Result<ScoredPairs>
where
    F: Fn(&Path) -> std::result::Result<Option<Embedding>, E> + Sync,
    E: fmt::Display,
{
    let mut images: Vec<&LfwImage> = pairs.pairs.iter().flat_map(|p| [&p.first, &p.second]).collect();
    images.sort_unstable();
    images.dedup();
    let embeddings: HashMap<&LfwImage, std::result::Result<Embedding, String>> = images
        .into_par_iter()
        .map(|image| (image, embed_image(dir, image, &embed)))
        .collect();
    let protocol_pairs = pairs.pairs.iter().map(|p| ProtocolPair {
        first: &p.first,
        second: &p.second,
        same: p.same,
        fold: p.fold,
        line: p.line,
        names: (p.first.to_string(), p.second.to_string()),
    });
    score_pairs(protocol_pairs, &embeddings, |a, b| pair_distance(metric, a, b))
}

fn embed_image<F, E>(dir: &Path, image: &LfwImage, embed: &F) -> std::result::Result<Embedding, String>
where
    F: Fn(&Path) -> std::result::Result<Option<Embedding>, E>,
    E: fmt::Display,
{
    let Some(path) = image.resolve(dir) else {
        return Err(format!(
            "missing image {} (or .png)",
            dir.join(image.relative_path("jpg")).display()
        ));
    };
    match embed(&path) {
        Ok(Some(embedding)) => Ok(embedding),
        Ok(None) => Err(format!("no face detected in {}", path.display())),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}
