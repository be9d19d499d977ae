//! The figures behind two defaults of issue 22, on the real photos of the asset cache: MTCNN's scores of
//! real faces shrunk down to ~30 px (the `--min-score` default, `facenet_nn::models::mtcnn::DECISION_MIN_SCORE`),
//! and clustering quality (clusters, BCubed purity/recall) of each model at a sweep of thresholds, with and
//! without the same-photo cannot-link, on a collection of known identities made from those photos
//! (each at four scales, mirrored, and Obama beside Biden in group photos).
//!
//! `cargo run --release -p facenet-cli --example quality_figures`

use facenet::core::cluster::{CannotLink, bcubed_scores};
use facenet::gallery::cluster::{ClusterMethod, ClusterOptions, cluster_labels, group_ids};
use facenet::vision::align::cv_linear::resize_linear;
use facenet::vision::{FacePipeline, RgbImage, load_rgb};
use facenet::{Cache, DetectorSpec, ModelSpec, PipelineSpec, build_pipeline};

const PEOPLE: [(&str, &str); 6] = [
    ("obama.jpg", "obama"),
    ("obama2.jpg", "obama"),
    ("obama3.jpg", "obama"),
    ("obama_partial_face2.jpg", "obama"),
    ("obama_partial_face.jpg", "obama"),
    ("biden.jpg", "biden"),
];

fn scaled(image: &RgbImage, scale: f32) -> RgbImage {
    let (w, h) = (
        (image.width() as f32 * scale) as u32,
        (image.height() as f32 * scale) as u32,
    );
    resize_linear(image, w.max(1), h.max(1))
}

fn mirrored(image: &RgbImage) -> RgbImage {
    RgbImage::from_fn(image.width(), image.height(), |x, y| {
        *image.get_pixel(image.width() - 1 - x, y)
    })
}

/// `images` side by side on black.
fn side_by_side(images: &[&RgbImage]) -> RgbImage {
    let width = images.iter().map(|i| i.width()).sum();
    let height = images.iter().map(|i| i.height()).max().unwrap_or(1);
    let mut out = RgbImage::new(width, height);
    let mut left = 0;
    for image in images {
        for (x, y, p) in image.enumerate_pixels() {
            out.put_pixel(left + x, y, *p);
        }
        left += image.width();
    }
    out
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cache = Cache::from_env()?;
    let photos: Vec<(RgbImage, &str)> = PEOPLE
        .iter()
        .map(|(file, who)| Ok((load_rgb(&cache.ensure(file)?, &Default::default())?, *who)))
        .collect::<Result<_, Box<dyn std::error::Error>>>()?;
    // The collection: (image, photo id, who is where: x ranges per person).
    let mut collection: Vec<(RgbImage, Vec<(u32, &str)>)> = Vec::new();
    for (image, who) in &photos {
        for scale in [1.0, 0.5, 0.25, 0.12] {
            let small = scaled(image, scale);
            collection.push((mirrored(&small), vec![(u32::MAX, *who)]));
            collection.push((small, vec![(u32::MAX, *who)]));
        }
    }
    for scale in [0.5, 0.25, 0.12] {
        let group: Vec<RgbImage> = [2, 5].iter().map(|&i| scaled(&photos[i].0, scale)).collect();
        let refs: Vec<&RgbImage> = group.iter().collect();
        let bounds: Vec<(u32, &str)> = group
            .iter()
            .zip([2, 5])
            .scan(0, |left, (image, i)| {
                *left += image.width();
                Some((*left, photos[i].1))
            })
            .collect();
        collection.push((side_by_side(&refs), bounds));
    }
    for model in [ModelSpec::FaceNet, ModelSpec::Dlib] {
        let spec = PipelineSpec {
            model: model.clone(),
            detector: DetectorSpec::Mtcnn,
            ..Default::default()
        };
        let pipeline = build_pipeline(&spec, &cache)?.with_min_score(0.0);
        measure(&pipeline, &collection, &format!("{model:?}"))?;
    }
    Ok(())
}

fn measure(
    pipeline: &FacePipeline,
    collection: &[(RgbImage, Vec<(u32, &str)>)],
    name: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let (mut embeddings, mut truth, mut photo, mut scores) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (id, (image, bounds)) in collection.iter().enumerate() {
        for (detection, embedding) in pipeline.process_image(image)? {
            let centre = detection.bbox.center().x as u32;
            let who = bounds.iter().find(|(right, _)| centre < *right).map_or("?", |b| b.1);
            let real = detection.score >= 0.95;
            scores.push((detection.bbox.height().round(), detection.score, who, real));
            if real {
                embeddings.push(embedding.normalized().into_vec());
                truth.push(who);
                photo.push(id);
            }
        }
    }
    if name == "FaceNet" {
        let mut real: Vec<_> = scores.iter().filter(|s| s.1 >= 0.95).map(|s| (s.0, s.1)).collect();
        real.sort_by(|a, b| a.1.total_cmp(&b.1));
        println!(
            "lowest real-face scores (box height px, score): {:?}",
            &real[..real.len().min(8)]
        );
        let below: Vec<_> = scores.iter().filter(|s| s.1 < 0.95).collect();
        println!("detections below 0.95: {below:?}");
    }
    let groups = group_ids(photo.iter().map(Some));
    println!(
        "{name}: {} faces ({} obama, {} biden) in {} photos",
        truth.len(),
        truth.iter().filter(|t| **t == "obama").count(),
        truth.iter().filter(|t| **t == "biden").count(),
        collection.len()
    );
    let metric = facenet::core::distance::Metric::SquaredL2;
    for method in [ClusterMethod::Agglomerative, ClusterMethod::ChineseWhispers] {
        for threshold in [
            0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.6, 0.8, 0.9, 1.0, 1.1, 1.2, 1.25, 1.3, 1.4, 1.5, 1.6,
        ] {
            let options = ClusterOptions::new(method, threshold, metric);
            let mut row = format!("  {method:?} {threshold:.2}:");
            for (label, constraint) in [
                ("free", CannotLink::none()),
                ("cannot-link", CannotLink::groups(&groups)),
            ] {
                let labels = cluster_labels(&embeddings, &options, constraint)?;
                let b = bcubed_scores(&truth, &labels)?;
                let clusters = labels.iter().max().map_or(0, |m| m + 1);
                row += &format!(
                    "  {label}: {clusters} clusters, purity {:.3}, recall {:.3}, F {:.3}",
                    b.precision, b.recall, b.f
                );
            }
            println!("{row}");
        }
    }
    Ok(())
}
