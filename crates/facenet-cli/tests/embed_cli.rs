//! `facenet embed --aligned` through the binary, with the real asset cache (FACENET_HOME unset): chips of
//! the model's size give rows (160×160 → 512-D for the default pretrained FaceNet, 150×150 → 128-D with
//! `--model dlib`); bad inputs (not an image, 1×1, a truncated file, a missing file) are each reported
//! with the file's name while the batch goes on, and the exit code is 1.

use std::path::Path;
use std::process::Command;

fn facenet(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_facenet"))
        .args(args)
        .env_remove("FACENET_HOME")
        .output()
        .expect("facenet should run")
}

fn write_png(path: &Path, width: u32, height: u32) {
    image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x * 7) as u8, (y * 3) as u8, 90]))
        .save(path)
        .unwrap();
}

#[test]
fn aligned_chips_embed_and_bad_files_are_reported_per_file() {
    let dir = tempfile::tempdir().unwrap();
    let chip = dir.path().join("chip.png");
    let gray = dir.path().join("gray.png");
    let tiny = dir.path().join("tiny.png");
    let text = dir.path().join("notes.txt");
    let cut = dir.path().join("cut.png");
    write_png(&chip, 150, 150);
    image::GrayImage::from_pixel(150, 150, image::Luma([128]))
        .save(&gray)
        .unwrap();
    write_png(&tiny, 1, 1);
    std::fs::write(&text, "not an image").unwrap();
    let bytes = std::fs::read(&chip).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let missing = dir.path().join("missing.jpg");
    let paths: Vec<&str> = [&chip, &gray, &tiny, &text, &cut, &missing]
        .iter()
        .map(|p| p.to_str().unwrap())
        .collect();

    let out = facenet(&[&["--json", "embed", "--model", "dlib", "--aligned"], paths.as_slice()].concat());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(
        rows.len(),
        2,
        "the two 150×150 chips (RGB and grayscale) embed: {stderr}"
    );
    assert_eq!(rows[0]["embedding"].as_array().unwrap().len(), 128);
    for bad in ["tiny.png", "notes.txt", "cut.png", "missing.jpg"] {
        assert!(
            stderr.lines().any(|l| l.starts_with("error:") && l.contains(bad)),
            "no message for {bad}: {stderr}"
        );
    }
    assert!(
        stderr.contains("150×150"),
        "a wrong-size chip says what size is needed: {stderr}"
    );
}

#[test]
fn npy_output_holds_one_row_per_chip() {
    let dir = tempfile::tempdir().unwrap();
    let chip = dir.path().join("chip.png");
    write_png(&chip, 150, 150);
    let npy = dir.path().join("out.npy");
    let out = facenet(&[
        "embed",
        "--model",
        "dlib",
        "--aligned",
        "--normalize",
        "--npy",
        npy.to_str().unwrap(),
        chip.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let bytes = std::fs::read(&npy).unwrap();
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert!(
        std::str::from_utf8(&bytes[10..10 + header_len])
            .unwrap()
            .contains("(1, 128)")
    );
    let values: Vec<f32> = bytes[10 + header_len..]
        .chunks(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    let norm = values.iter().map(|v| v * v).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-4, "--normalize gives unit vectors, got {norm}");
}

#[test]
fn facenet_is_the_default_and_takes_160_crops_to_unit_512_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let (crop, chip) = (dir.path().join("crop.png"), dir.path().join("dlib_chip.png"));
    write_png(&crop, 160, 160);
    write_png(&chip, 150, 150);
    let out = facenet(&[
        "--json",
        "embed",
        "--aligned",
        crop.to_str().unwrap(),
        chip.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let embedding = rows[0]["embedding"].as_array().unwrap();
    assert_eq!((rows.as_array().unwrap().len(), embedding.len()), (1, 512));
    let norm = embedding
        .iter()
        .map(|v| v.as_f64().unwrap().powi(2))
        .sum::<f64>()
        .sqrt();
    assert!(
        (norm - 1.0).abs() < 1e-4,
        "FaceNet embeddings are unit vectors, got {norm}"
    );
    assert!(
        stderr.contains("dlib_chip.png") && stderr.contains("160×160"),
        "{stderr}"
    );
}

/// A JPEG whose EXIF orientation tag says "rotate 90° clockwise" (6).
fn write_rotated_jpeg(path: &Path, width: u32, height: u32) {
    use image::ImageEncoder;
    // TIFF header (little-endian, first IFD at 8), one IFD entry: Orientation (0x0112), SHORT, 1, value 6.
    let exif = [
        b'I', b'I', 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0,
    ];
    let pixels = image::RgbImage::from_pixel(width, height, image::Rgb([120, 80, 60]));
    let mut file = std::fs::File::create(path).unwrap();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new(&mut file);
    encoder.set_exif_metadata(exif.to_vec()).unwrap();
    encoder
        .write_image(pixels.as_raw(), width, height, image::ExtendedColorType::Rgb8)
        .unwrap();
}

#[test]
fn exif_rotation_is_applied_before_embedding() {
    let dir = tempfile::tempdir().unwrap();
    let rotated = dir.path().join("rotated.jpg");
    write_rotated_jpeg(&rotated, 150, 100);
    let out = facenet(&["embed", "--model", "dlib", "--aligned", rotated.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("this one is 100×150"),
        "stored 150×100, shown upright as 100×150: {stderr}"
    );
}
