//! `facenet detect IMG…`: faces in photos with MTCNN (boxes, scores and 5 landmarks) or dlib's HOG
//! detector (boxes and scores) as a table, CSV or JSON; `--draw DIR` writes annotated PNGs; `--crop DIR` writes aligned face crops of photos or of whole
//! folder-per-identity datasets (davidsandberg's `align_dataset_mtcnn.py`), in parallel, resumably;
//! `--crop --for-model M` writes exactly the chip model M embeds (dlib's 150×150 chip, FaceNet's 160×160
//! margin crop), so `embed --aligned --model M` of it equals `embed --model M` of the photo. Crops skip
//! faces below `--min-score` (default: the detector's decision score, as enrol and compare).

use super::Status;
use crate::output::{Ctx, FACE_COLUMNS, csv_stdout, face_fields};
use anyhow::Context;
use facenet::gallery::photos::find_photos;
use facenet::kernels::device::default_device;
use facenet::nn::models::mtcnn::{Mtcnn, MtcnnConfig};
use facenet::pipeline::{DetectorSpec, ModelSpec, build_aligner, build_detector};
use facenet::vision::align::dataset::{CropOutcome, crop_all, crop_tasks};
use facenet::vision::{
    Aligner, DEFAULT_MAX_PIXELS, Detection, Detector, LoadOptions, ScoreFloor, detect_paths, write_annotated,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum AlignArg {
    /// Least-squares similarity from the 5 landmarks to the canonical template.
    Similarity,
    /// The FaceNet paper's tight crop: box + margin, resized, no alignment.
    Tight,
}

#[derive(Debug, clap::Args)]
pub struct DetectArgs {
    /// Photos, or folders of photos (searched recursively).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Print CSV with a header: path,face,score,x1,y1,x2,y2,lx1,ly1,…,lx5,ly5 (quoted where needed).
    #[arg(long, conflicts_with = "crop")]
    csv: bool,
    /// Write each photo with its faces drawn (boxes, landmarks, scores) as DIR/NAME.png (DIR/REL/NAME.png
    /// for a photo REL/NAME.jpg below a folder given); two photos that would write one file are an error.
    #[arg(long, value_name = "DIR", conflicts_with = "crop")]
    draw: Option<PathBuf>,
    /// Write the most prominent face of each photo, aligned, as DIR/[IDENTITY/]NAME.png (relative folders
    /// kept); photos whose crop exists are skipped (resumable); two photos that would write one file are
    /// an error.
    #[arg(long, value_name = "DIR")]
    crop: Option<PathBuf>,
    /// Write the chip this model embeds (`facenet`: 160×160 margin crop; `dlib`: 150×150 dlib chip; a
    /// checkpoint's path: its crop) instead of a --size/--align/--margin crop: `embed --aligned --model M`
    /// of it gives the embedding `embed --model M` gives of the photo.
    #[arg(long, value_name = "MODEL", requires = "crop", conflicts_with_all = ["size", "align", "margin"],
          value_parser = clap::value_parser!(ModelSpec))]
    for_model: Option<ModelSpec>,
    /// Crop no face the detector scores below this (default: MTCNN 0.95, HOG and CNN 0, as enrol and compare).
    #[arg(value_parser = super::ranges::score, long, value_name = "SCORE", requires = "crop")]
    min_score: Option<f32>,
    /// Crop size in pixels (square).
    #[arg(value_parser = super::ranges::crop_size, long, default_value_t = 160, requires = "crop")]
    size: u32,
    /// How crops are cut.
    #[arg(long, value_enum, default_value_t = AlignArg::Similarity, requires = "crop")]
    align: AlignArg,
    /// Margin: for `similarity` the fraction of the crop left around the landmark template on each side
    /// (default 0); for `tight` pixels added to the box in total (default 44, davidsandberg's; the
    /// crop is resized to size·182/160 and centre-cropped to size).
    #[arg(value_parser = super::ranges::margin, long, requires = "crop")]
    margin: Option<f64>,
    /// Face detector: `mtcnn` (boxes and 5 landmarks), `hog` (dlib's HOG detector: boxes and scores
    /// above its threshold, as `dlib.get_frontal_face_detector()`) or `cnn` (dlib's MMOD CNN detector:
    /// boxes and confidences, as `dlib.cnn_face_detection_model_v1`).
    #[arg(long, default_value = "mtcnn", value_parser = ["mtcnn", "hog", "cnn"])]
    detector: String,
    /// Smallest face searched for, in pixels (MTCNN).
    #[arg(value_parser = super::ranges::min_face, long, default_value_t = 20.0)]
    min_face: f64,
    /// 2× upsamplings before detecting (HOG and CNN; face_recognition's default is 1: faces down to ~40 px).
    #[arg(value_parser = super::ranges::upsample, long, default_value_t = 1)]
    upsample: u32,
    /// Refuse images with more pixels than this (checked before decoding).
    #[arg(value_parser = super::ranges::max_pixels, long, default_value_t = DEFAULT_MAX_PIXELS)]
    max_pixels: u64,
}

/// One face in `--json` output.
#[derive(Debug, Serialize)]
struct FaceJson {
    #[serde(rename = "box")]
    bbox: [f32; 4],
    score: f32,
    landmarks: Vec<[f32; 2]>,
}

/// One photo in `--json` output.
#[derive(Debug, Serialize)]
struct PhotoJson {
    path: PathBuf,
    faces: Vec<FaceJson>,
}

pub fn run(args: DetectArgs, ctx: &Ctx) -> anyhow::Result<Status> {
    let cache = facenet::assets::Cache::from_env()?;
    let detector: Box<dyn Detector> = match args.detector.as_str() {
        "hog" => build_detector(
            DetectorSpec::Hog {
                upsample: args.upsample,
            },
            &default_device(),
            &cache,
        )
        .context("loading dlib's HOG")?,
        "cnn" => build_detector(
            DetectorSpec::Cnn {
                upsample: args.upsample,
            },
            &default_device(),
            &cache,
        )
        .context("loading dlib's MMOD CNN detector")?,
        _ => {
            let config = MtcnnConfig::new().with_min_face_size(args.min_face);
            Box::new(Mtcnn::pretrained(&cache, config, &default_device()).context("loading MTCNN")?)
        }
    };
    let load = LoadOptions {
        max_pixels: args.max_pixels,
        ..LoadOptions::default()
    };
    match &args.crop {
        Some(out_dir) => crop(&args, detector.as_ref(), &load, out_dir, ctx),
        None => detect(&args, detector.as_ref(), &load, ctx),
    }
}

fn detect(args: &DetectArgs, detector: &dyn Detector, load: &LoadOptions, ctx: &Ctx) -> anyhow::Result<Status> {
    let paths = find_photos(&args.inputs)?;
    // Where each drawing goes, decided (and collisions refused) before any photo is read.
    let drawings: Option<HashMap<PathBuf, PathBuf>> = match &args.draw {
        Some(dir) => Some(
            crop_tasks(&args.inputs, dir)?
                .into_iter()
                .map(|task| (task.source, task.target))
                .collect(),
        ),
        None => None,
    };
    let results = detect_paths(detector, &paths, load);
    let mut failures = 0;
    let mut photos = Vec::new();
    for (path, result) in paths.iter().zip(results) {
        match result {
            Ok(faces) => photos.push((path.clone(), faces)),
            Err(e) => {
                failures += 1;
                eprintln!("error: {e}");
            }
        }
    }
    if let Some(targets) = &drawings {
        for (path, faces) in &photos {
            let Some(target) = targets.get(path) else { continue };
            if let Err(e) = write_annotated(path, faces, load, target) {
                failures += 1;
                eprintln!("error: {e}");
            }
        }
    }
    if ctx.json {
        ctx.print_json(
            &photos
                .iter()
                .map(|(path, faces)| photo_json(path, faces))
                .collect::<Vec<_>>(),
        )?;
    } else {
        print_rows(&photos, args.csv)?;
    }
    Ok(Status::from_failures(failures))
}

fn photo_json(path: &Path, faces: &[Detection]) -> PhotoJson {
    let faces = faces
        .iter()
        .map(|d| FaceJson {
            bbox: d.bbox.to_array(),
            score: d.score,
            landmarks: d.landmarks.iter().flat_map(|l| &l.points).map(|p| [p.x, p.y]).collect(),
        })
        .collect();
    PhotoJson {
        path: path.into(),
        faces,
    }
}

fn print_rows(photos: &[(PathBuf, Vec<Detection>)], csv: bool) -> anyhow::Result<()> {
    if csv {
        return write_csv(photos);
    }
    for (path, faces) in photos {
        if faces.is_empty() {
            println!("{}\tno face", path.display());
        }
        for (i, d) in faces.iter().enumerate() {
            let b = d.bbox.to_array().map(|v| format!("{v:.2}"));
            let points: Vec<String> = landmarks(d).map(|p| format!("{:.2},{:.2}", p[0], p[1])).collect();
            println!(
                "{}\tface {i}\tscore {:.6}\tbox [{}]\tlandmarks {}",
                path.display(),
                d.score,
                b.join(", "),
                points.join(" ")
            );
        }
    }
    Ok(())
}

/// `path,face,score,x1,y1,x2,y2,lx1,ly1,…,lx5,ly5` with a header; a photo without a face has no row.
fn write_csv(photos: &[(PathBuf, Vec<Detection>)]) -> anyhow::Result<()> {
    let mut writer = csv_stdout();
    let header: Vec<String> = FACE_COLUMNS
        .iter()
        .map(|c| c.to_string())
        .chain((1..=5).flat_map(|k| [format!("lx{k}"), format!("ly{k}")]))
        .collect();
    writer.write_record(&header)?;
    for (path, faces) in photos {
        for (i, d) in faces.iter().enumerate() {
            let mut fields = face_fields(path, i, Some(d.score), Some(d.bbox.to_array()));
            fields.extend(landmarks(d).flat_map(|p| p.map(|v| v.to_string())));
            writer.write_record(&fields)?;
        }
    }
    writer.flush()?;
    Ok(())
}

fn landmarks(d: &Detection) -> impl Iterator<Item = [f32; 2]> + '_ {
    d.landmarks.iter().flat_map(|l| &l.points).map(|p| [p.x, p.y])
}

/// What `--crop` did, as `--json` prints it.
#[derive(Debug, Serialize)]
struct CropSummary<'a> {
    out: &'a Path,
    written: usize,
    skipped: usize,
    no_face: usize,
    failed: usize,
}

fn crop(
    args: &DetectArgs,
    detector: &dyn Detector,
    load: &LoadOptions,
    out_dir: &Path,
    ctx: &Ctx,
) -> anyhow::Result<Status> {
    let aligner = match (&args.for_model, args.align) {
        (Some(model), _) => {
            let detector_spec: DetectorSpec = args.detector.parse().map_err(anyhow::Error::msg)?;
            let cache = facenet::assets::Cache::from_env()?;
            Aligner::external(build_aligner(model, detector_spec, &cache)?)
        }
        (None, AlignArg::Similarity) => Aligner::similarity(args.size, args.size, args.margin.unwrap_or(0.0))?,
        (None, AlignArg::Tight) => {
            Aligner::tight(args.size, args.margin.unwrap_or(44.0) as f32, args.size * 182 / 160)?
        }
    };
    let detector = ScoreFloor {
        detector,
        min_score: args.min_score.unwrap_or(detector.decision_min_score()),
    };
    let tasks = crop_tasks(&args.inputs, out_dir)?;
    let bar = ProgressBar::new(tasks.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} photos, {elapsed} elapsed, {eta} left")
            .expect("the progress template should parse"),
    );
    let results = crop_all(&detector, &aligner, load, &tasks, &|task, outcome| {
        if let Err(e) = outcome {
            bar.suspend(|| eprintln!("error: {e}"));
        } else if let Ok(CropOutcome::NoFace) = outcome {
            bar.suspend(|| eprintln!("{}: no face found", task.source.display()));
        }
        bar.inc(1);
    });
    bar.finish_and_clear();
    let count = |want: fn(&CropOutcome) -> bool| results.iter().filter(|r| r.as_ref().is_ok_and(want)).count();
    let summary = CropSummary {
        out: out_dir,
        written: count(|o| matches!(o, CropOutcome::Written { .. })),
        skipped: count(|o| *o == CropOutcome::Skipped),
        no_face: count(|o| *o == CropOutcome::NoFace),
        failed: results.iter().filter(|r| r.is_err()).count(),
    };
    if ctx.json {
        ctx.print_json(&summary)?;
    }
    eprintln!(
        "{} written, {} skipped (already there), {} without a face, {} failed",
        summary.written, summary.skipped, summary.no_face, summary.failed
    );
    Ok(Status::from_failures(summary.failed))
}
