//! YouTube Faces (Wolf et al. 2011): the protocol files and a runner with the paper's video distance.
//!
//! `videos.tsv`: a header, then `index<TAB>label<TAB>name/video` (1-based index, e.g. `1<TAB>1<TAB>AJ_Cook/0`).
//! `splits.tsv`: a header, then `split<TAB>video1<TAB>video2<TAB>same<TAB>name1<TAB>name2` (10 splits ×
//! 500 pairs; video numbers index videos.tsv). A video's frames are the image files in
//! `FRAMES/name/video/`, in frame order (by the last number in the file name, e.g. `0.555.jpg` → 555).
//!
//! FaceNet (Sec. 5.7) scores a pair of videos by the mean distance over all pairs of the first 100 frames
//! in which a face is detected: [`evaluate_ytf`] with `max_frames = 100`.

use super::{ProtocolPair, ScoredPairs, pair_distance, parse_error, read_text, score_pairs};
use crate::distance::Metric;
use crate::{Embedding, Result};
use rayon::prelude::*;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The paper's frames per video.
pub const PAPER_FRAMES: usize = 100;

/// One video of videos.tsv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YtfVideo {
    /// 1-based index (what splits.tsv refers to).
    pub index: u32,
    /// The person's label.
    pub label: u32,
    /// `name/video`, also the video's folder under the frames folder.
    pub name: String,
}

/// One pair of splits.tsv.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YtfPair {
    pub split: u32,
    pub first: u32,
    pub second: u32,
    pub same: bool,
    /// The pair's line in splits.tsv.
    pub line: usize,
}

/// The two protocol files, checked against each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YtfProtocol {
    pub videos: Vec<YtfVideo>,
    pub pairs: Vec<YtfPair>,
}

/// Reads and cross-checks `videos.tsv` and `splits.tsv`.
pub fn read_ytf(videos: &Path, splits: &Path) -> Result<YtfProtocol> {
    let videos_source = videos.display().to_string();
    let videos = parse_videos(&read_text(videos)?, &videos_source)?;
    let splits_source = splits.display().to_string();
    let pairs = parse_splits(&read_text(splits)?, &splits_source)?;
    check_references(&videos, &pairs, &splits_source)?;
    Ok(YtfProtocol { videos, pairs })
}

/// The data lines of a TSV file with a header: (line number, fields), checking the field count.
fn data_rows<'a>(text: &'a str, source: &str, header_start: &str, fields: usize) -> Result<Vec<(usize, Vec<&'a str>)>> {
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
    match lines.next() {
        Some((_, header)) if header.starts_with(header_start) => {}
        Some((i, header)) => {
            return Err(parse_error(
                source,
                i + 1,
                format!("header {header:?} should start with {header_start:?}"),
            ));
        }
        None => return Err(parse_error(source, 1, "empty file".into())),
    }
    lines
        .map(|(i, l)| {
            let row: Vec<&str> = l.split('\t').map(str::trim).collect();
            if row.len() == fields {
                Ok((i + 1, row))
            } else {
                Err(parse_error(
                    source,
                    i + 1,
                    format!("expected {fields} tab-separated fields, got {}", row.len()),
                ))
            }
        })
        .collect()
}

fn number(source: &str, line: usize, what: &str, field: &str) -> Result<u32> {
    field
        .parse::<u32>()
        .map_err(|_| parse_error(source, line, format!("{what} {field:?} is not a non-negative integer")))
}

/// Parses videos.tsv; indices must be unique.
pub fn parse_videos(text: &str, source: &str) -> Result<Vec<YtfVideo>> {
    let mut seen = HashMap::new();
    let mut videos = Vec::new();
    for (line, row) in data_rows(text, source, "video_index", 3)? {
        let index = number(source, line, "video index", row[0])?;
        let label = number(source, line, "label", row[1])?;
        if row[2].is_empty() {
            return Err(parse_error(source, line, "empty video name".into()));
        }
        if let Some(previous) = seen.insert(index, line) {
            return Err(parse_error(
                source,
                line,
                format!("duplicate video index {index} (also on line {previous})"),
            ));
        }
        videos.push(YtfVideo {
            index,
            label,
            name: row[2].to_string(),
        });
    }
    Ok(videos)
}

/// Parses splits.tsv; `same` must be 0 or 1 and no video pair may appear twice.
pub fn parse_splits(text: &str, source: &str) -> Result<Vec<YtfPair>> {
    let mut seen = HashMap::new();
    let mut pairs = Vec::new();
    for (line, row) in data_rows(text, source, "split", 6)? {
        let split = number(source, line, "split", row[0])?;
        let first = number(source, line, "video1", row[1])?;
        let second = number(source, line, "video2", row[2])?;
        let same = match row[3] {
            "1" => true,
            "0" => false,
            other => return Err(parse_error(source, line, format!("same {other:?} is not 0 or 1"))),
        };
        if let Some(previous) = seen.insert((first.min(second), first.max(second)), line) {
            return Err(parse_error(
                source,
                line,
                format!("duplicate pair of videos {first} and {second} (also on line {previous})"),
            ));
        }
        pairs.push(YtfPair {
            split,
            first,
            second,
            same,
            line,
        });
    }
    Ok(pairs)
}

/// Every video a pair names must be in videos.tsv.
fn check_references(videos: &[YtfVideo], pairs: &[YtfPair], source: &str) -> Result<()> {
    let known: std::collections::HashSet<u32> = videos.iter().map(|v| v.index).collect();
    for pair in pairs {
        if let Some(missing) = [pair.first, pair.second].into_iter().find(|v| !known.contains(v)) {
            return Err(parse_error(
                source,
                pair.line,
                format!("video {missing} is not in videos.tsv"),
            ));
        }
    }
    Ok(())
}

/// The frame files of a video folder, in frame order (by the last number in the file name, then by name).
pub fn video_frames(folder: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut frames: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && p.extension()
                    .is_some_and(|e| ["jpg", "jpeg", "png"].contains(&e.to_ascii_lowercase().to_str().unwrap_or("")))
        })
        .collect();
    frames.sort_by_cached_key(|p| (frame_number(p), p.clone()));
    Ok(frames)
}

/// The last run of digits in a file's stem (`0.555` → 555; none → 0).
fn frame_number(path: &Path) -> u64 {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let digits: String = stem
        .chars()
        .rev()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.chars().rev().collect::<String>().parse().unwrap_or(0)
}

/// Scores every pair of `protocol` with frames under `frames_dir`: each video is embedded once (in
/// parallel), walking its frames in order with `embed` (`Ok(None)`: no face) until `max_frames` faces are
/// found; a pair's distance is the mean of `metric` over all frame pairs of the two videos. Pairs with a
/// missing video folder or without any face are skipped and listed. Folds are the splits.
pub fn evaluate_ytf<F, E>(
    frames_dir: &Path,
    protocol: &YtfProtocol,
    max_frames: usize,
    metric: Metric,
    embed: F,
) -> Result<ScoredPairs>
where
    F: Fn(&Path) -> std::result::Result<Option<Embedding>, E> + Sync,
    E: fmt::Display,
{
    let names: HashMap<u32, &str> = protocol.videos.iter().map(|v| (v.index, v.name.as_str())).collect();
    let mut used: Vec<u32> = protocol.pairs.iter().flat_map(|p| [p.first, p.second]).collect();
    used.sort_unstable();
    used.dedup();
    let embedded: HashMap<u32, std::result::Result<Vec<Embedding>, String>> = used
        .into_par_iter()
        .map(|v| (v, embed_video(&frames_dir.join(names[&v]), max_frames, &embed)))
        .collect();
    let protocol_pairs = protocol.pairs.iter().map(|p| ProtocolPair {
        first: p.first,
        second: p.second,
        same: p.same,
        fold: p.split,
        line: p.line,
        names: (names[&p.first].to_string(), names[&p.second].to_string()),
    });
    score_pairs(protocol_pairs, &embedded, |a, b| mean_distance(metric, a, b))
}

/// The embeddings of the first `max_frames` frames of `folder` with a face; an error names why none.
fn embed_video<F, E>(folder: &Path, max_frames: usize, embed: &F) -> std::result::Result<Vec<Embedding>, String>
where
    F: Fn(&Path) -> std::result::Result<Option<Embedding>, E>,
    E: fmt::Display,
{
    let frames = video_frames(folder).map_err(|e| format!("video folder {}: {e}", folder.display()))?;
    // An unreadable frame is passed over like a frame without a face (a video has many frames).
    let mut faces = Vec::new();
    let mut unreadable = None;
    for frame in frames {
        if faces.len() == max_frames {
            break;
        }
        match embed(&frame) {
            Ok(Some(embedding)) => faces.push(embedding),
            Ok(None) => {}
            Err(e) => unreadable = Some(format!("{}: {e}", frame.display())),
        }
    }
    if !faces.is_empty() {
        return Ok(faces);
    }
    let last_error = unreadable.map_or(String::new(), |e| format!(" (last error: {e})"));
    Err(format!(
        "no face detected in any frame of {}{last_error}",
        folder.display()
    ))
}

/// The mean distance over all pairs (a, b) of `a` × `b`.
fn mean_distance(metric: Metric, a: &[Embedding], b: &[Embedding]) -> Result<f64> {
    let mut total = 0.0;
    for x in a {
        for y in b {
            total += pair_distance(metric, x, y)?;
        }
    }
    Ok(total / (a.len() * b.len()) as f64)
}
