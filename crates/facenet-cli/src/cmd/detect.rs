//! `facenet detect IMG…`: faces in photos with MTCNN (boxes, scores and 5 landmarks) or dlib's HOG
//! detector (boxes and scores) as a table, CSV or JSON; `--draw DIR` writes annotated PNGs; `--crop DIR` writes aligned face crops of photos or of whole
//! folder-per-identity datasets (davidsandberg's `align_dataset_mtcnn.py`), in parallel, resumably.

use super::Status;
use crate::output::Ctx;
use anyhow::Context;
use facenet::kernels::device::default_device;
use facenet::nn::models::mtcnn::{Mtcnn, MtcnnConfig};
use facenet::pipeline::{DetectorSpec, build_detector};
use facenet::vision::align::dataset::{CropOutcome, crop_all, crop_tasks, photos_below};
use facenet::vision::{Aligner, DEFAULT_MAX_PIXELS, Detection, Detector, LoadOptions, detect_paths, write_annotated};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
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
    /// Print CSV: path,face,score,x1,y1,x2,y2, then x,y of the 5 landmarks.
    #[arg(long, conflicts_with = "crop")]
    csv: bool,
    /// Write each photo with its faces drawn (boxes, landmarks, scores) as DIR/NAME.png.
    #[arg(long, value_name = "DIR", conflicts_with = "crop")]
    draw: Option<PathBuf>,
    /// Write the most prominent face of each photo, aligned, as DIR/[IDENTITY/]NAME.png; photos whose
    /// crop exists are skipped (resumable).
    #[arg(long, value_name = "DIR")]
    crop: Option<PathBuf>,
    /// Crop size in pixels (square).
    #[arg(long, default_value_t = 160, requires = "crop")]
    size: u32,
    /// How crops are cut.
    #[arg(long, value_enum, default_value_t = AlignArg::Similarity, requires = "crop")]
    align: AlignArg,
    /// Margin: for `similarity` the fraction of the crop left around the landmark template on each side
    /// (default 0); for `tight` pixels added to the box in total (default 44, davidsandberg's; the
    /// crop is resized to size·182/160 and centre-cropped to size).
    #[arg(long, requires = "crop")]
    margin: Option<f64>,
    /// Face detector: `mtcnn` (boxes and 5 landmarks) or `hog` (dlib's HOG detector: boxes and scores
    /// above its threshold, as `dlib.get_frontal_face_detector()`).
    #[arg(long, default_value = "mtcnn", value_parser = ["mtcnn", "hog"])]
    detector: String,
    /// Smallest face searched for, in pixels (MTCNN).
    #[arg(long, default_value_t = 20.0)]
    min_face: f64,
    /// 2× upsamplings before detecting (HOG; face_recognition's default is 1: faces down to ~40 px).
    #[arg(long, default_value_t = 1)]
    upsample: u32,
    /// Refuse images with more pixels than this (checked before decoding).
    #[arg(long, default_value_t = DEFAULT_MAX_PIXELS)]
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
            &cache,
        )
        .context("loading dlib's HOG")?,
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
        Some(out_dir) => crop(&args, detector.as_ref(), &load, out_dir),
        None => detect(&args, detector.as_ref(), &load, ctx),
    }
}

fn detect(args: &DetectArgs, detector: &dyn Detector, load: &LoadOptions, ctx: &Ctx) -> anyhow::Result<Status> {
    let paths = expand(&args.inputs)?;
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
    if let Some(dir) = &args.draw {
        for (path, faces) in &photos {
            let target = dir.join(path.file_stem().unwrap_or_default()).with_extension("png");
            if let Err(e) = write_annotated(path, faces, load, &target) {
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
        print_rows(&photos, args.csv);
    }
    Ok(Status::from_failures(failures))
}

fn expand(inputs: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found = photos_below(input)?;
            found.sort();
            paths.extend(found);
        } else {
            paths.push(input.clone());
        }
    }
    Ok(paths)
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

fn print_rows(photos: &[(PathBuf, Vec<Detection>)], csv: bool) {
    if csv {
        println!(
            "path,face,score,x1,y1,x2,y2,{}",
            (1..=5).map(|k| format!("lx{k},ly{k}")).collect::<Vec<_>>().join(",")
        );
    }
    for (path, faces) in photos {
        if faces.is_empty() && !csv {
            println!("{}\tno face", path.display());
        }
        for (i, d) in faces.iter().enumerate() {
            let b = d.bbox.to_array().map(|v| format!("{v:.2}"));
            let points: Vec<String> = d
                .landmarks
                .iter()
                .flat_map(|l| &l.points)
                .map(|p| format!("{:.2},{:.2}", p.x, p.y))
                .collect();
            if csv {
                println!(
                    "{},{i},{:.6},{},{}",
                    path.display(),
                    d.score,
                    b.join(","),
                    points.join(",")
                );
            } else {
                println!(
                    "{}\tface {i}\tscore {:.6}\tbox [{}]\tlandmarks {}",
                    path.display(),
                    d.score,
                    b.join(", "),
                    points.join(" ")
                );
            }
        }
    }
}

fn crop(args: &DetectArgs, detector: &dyn Detector, load: &LoadOptions, out_dir: &Path) -> anyhow::Result<Status> {
    let aligner = match args.align {
        AlignArg::Similarity => Aligner::similarity(args.size, args.size, args.margin.unwrap_or(0.0))?,
        AlignArg::Tight => Aligner::tight(args.size, args.margin.unwrap_or(44.0) as f32, args.size * 182 / 160)?,
    };
    let tasks = crop_tasks(&args.inputs, out_dir)?;
    let bar = ProgressBar::new(tasks.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} photos, {elapsed} elapsed, {eta} left")
            .expect("the progress template should parse"),
    );
    let results = crop_all(detector, &aligner, load, &tasks, &|task, outcome| {
        if let Err(e) = outcome {
            bar.suspend(|| eprintln!("error: {e}"));
        } else if let Ok(CropOutcome::NoFace) = outcome {
            bar.suspend(|| eprintln!("{}: no face found", task.source.display()));
        }
        bar.inc(1);
    });
    bar.finish_and_clear();
    let count = |want: fn(&CropOutcome) -> bool| results.iter().filter(|r| r.as_ref().is_ok_and(want)).count();
    let failures = results.iter().filter(|r| r.is_err()).count();
    eprintln!(
        "{} written, {} skipped (already there), {} without a face, {failures} failed",
        count(|o| matches!(o, CropOutcome::Written { .. })),
        count(|o| *o == CropOutcome::Skipped),
        count(|o| *o == CropOutcome::NoFace),
    );
    Ok(Status::from_failures(failures))
}
