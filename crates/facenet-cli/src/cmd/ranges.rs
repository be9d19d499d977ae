//! The ranges of the numeric options (issue 22: `detect --min-face 0` asked for 32 GiB and aborted).
//! Every number a command takes is parsed by one of these functions, which names the range and the reason
//! for it; clap reports a value outside as a usage error (exit code 2). No option can make the pyramid,
//! a buffer or a loop grow without bound.

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::str::FromStr;

/// `s` as a number within `range`, or a message with the range and `why`.
fn within<T>(s: &str, range: RangeInclusive<T>, why: &str) -> Result<T, String>
where
    T: FromStr + PartialOrd + Display,
    T::Err: Display,
{
    let value: T = s.trim().parse().map_err(|e| format!("{s:?} is not a number ({e})"))?;
    if range.contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is outside {}..={}: {why}", range.start(), range.end()))
    }
}

/// `detect --min-face`.
pub fn min_face(s: &str) -> Result<f64, String> {
    within(
        s,
        facenet::nn::models::mtcnn::MIN_FACE_SIZE..=1e6,
        "P-Net's window is 12 px; a smaller face would need the photo upscaled",
    )
}

/// `detect --upsample`, `bench detect --upsample` (HOG).
pub fn upsample(s: &str) -> Result<u32, String> {
    within(
        s,
        0..=3,
        "each upsampling doubles the photo's sides; 3 already makes 64× its pixels",
    )
}

/// `detect --size`.
pub fn crop_size(s: &str) -> Result<u32, String> {
    within(s, 16..=1024, "the crop's side in pixels (the networks take 96 to 250)")
}

/// `detect --margin`.
pub fn margin(s: &str) -> Result<f64, String> {
    within(
        s,
        0.0..=1000.0,
        "a fraction of the crop (similarity) or pixels added to the box (tight)",
    )
}

/// `--max-pixels`.
pub fn max_pixels(s: &str) -> Result<u64, String> {
    within(
        s,
        1..=1_000_000_000,
        "a decoded photo takes 3 bytes a pixel; 10⁹ pixels is 3 GB",
    )
}

/// `--threshold` of compare, recognize, identify, cluster and cluster-eval.
pub fn distance(s: &str) -> Result<f32, String> {
    within(
        s,
        0.0..=10.0,
        "a distance in the model's metric (unit vectors are at most 4 apart in squared L2)",
    )
}

/// `--far` of eval and calibrate.
pub fn far(s: &str) -> Result<f64, String> {
    within(s, 1e-9..=1.0, "a false accept rate: above 0, at most 1")
}

/// `eval --folds`.
pub fn folds(s: &str) -> Result<usize, String> {
    within(s, 2..=100, "k-fold needs at least 2 folds")
}

/// A face index (`compare --face`, `enroll --face`).
pub fn face_index(s: &str) -> Result<usize, String> {
    within(s, 0..=9_999, "the face's index in its photo, in detector order, from 0")
}

/// `--min-score`: a detector score (MTCNN's probability in 0…1; HOG's SVM margin, about −1…3).
pub fn score(s: &str) -> Result<f32, String> {
    within(
        s,
        -10.0..=10.0,
        "a detector score: MTCNN's is a probability (0 to 1), HOG's an SVM margin (its own threshold is 0)",
    )
}

/// A count of at least one, such as `identify --k`, `eval ytf --frames`, bench repeats.
pub fn count(s: &str) -> Result<usize, String> {
    within(s, 1..=1_000_000, "a count: at least 1")
}

/// A count that may be 0 (0 meaning "none" or "all", as each option's help says).
pub fn count_or_zero(s: &str) -> Result<usize, String> {
    within(s, 0..=1_000_000, "a count")
}

/// Threads of the benches.
pub fn threads(s: &str) -> Result<usize, String> {
    within(s, 1..=1024, "worker threads")
}

/// A batch size (bench embed, train's embedding chunk).
pub fn batch(s: &str) -> Result<usize, String> {
    within(s, 1..=4096, "faces per batch; each holds a network's activations")
}

/// Seconds a bench runs.
pub fn seconds(s: &str) -> Result<f64, String> {
    within(s, 0.01..=86_400.0, "seconds: above 0, at most a day")
}

/// A side in pixels of the pixel baseline's thumbnails and photos.
pub fn side(s: &str) -> Result<u32, String> {
    within(s, 4..=1024, "a side in pixels")
}

/// A fraction in [0, 1] (augmentation, weight and moving-average decay, collapse floor).
pub fn fraction(s: &str) -> Result<f64, String> {
    within(s, 0.0..=1.0, "a fraction")
}

/// `--alpha`, the triplet margin.
pub fn margin_alpha(s: &str) -> Result<f32, String> {
    within(
        s,
        0.0..=4.0,
        "a margin on squared distances of unit vectors, which are at most 4",
    )
}

/// `--lr`.
pub fn learning_rate(s: &str) -> Result<f64, String> {
    within(s, 1e-9..=10.0, "a learning rate: above 0")
}

/// Steps of training (`--steps`, `--lr-decay-every`).
pub fn steps(s: &str) -> Result<u64, String> {
    within(s, 1..=1_000_000_000, "training steps: at least 1")
}

/// Steps between validations or checkpoints (0: as the option's help says).
pub fn steps_or_zero(s: &str) -> Result<u64, String> {
    within(s, 0..=1_000_000_000, "training steps")
}

/// An embedding size.
pub fn embedding_dim(s: &str) -> Result<usize, String> {
    within(s, 1..=4096, "the embedding's size (the paper: 128)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_outside_the_range_name_the_range_and_the_reason() {
        let err = min_face("0").unwrap_err();
        assert!(err.contains("outside 12..=1000000") && err.contains("P-Net"), "{err}");
        assert_eq!(min_face("20").unwrap(), 20.0);
        assert!(min_face("NaN").is_err());
        assert!(min_face("inf").is_err());
        assert!(min_face("x").unwrap_err().contains("not a number"));
        assert!(distance("-0.1").is_err() && distance("0.6").is_ok());
        assert!(folds("1").unwrap_err().contains("at least 2"));
        assert_eq!(count_or_zero("0").unwrap(), 0);
        assert!(count("0").is_err());
    }
}
