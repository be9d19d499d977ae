//! MTCNN on awkward input: tiny, faceless, grayscale and 16-bit photos; truncated, corrupt and mismatched
//! weight files. Nothing may panic; bad weights are errors naming the file.

use facenet_assets::Cache;
use facenet_kernels::device::default_device;
use facenet_nn::import::mtcnn::{MtcnnNet, convert_torch_checkpoint, load_torch_safetensors, mtcnn_weights};
use facenet_nn::models::mtcnn::{Mtcnn, MtcnnConfig, PNet};
use facenet_vision::{Detector, LoadOptions, RgbImage, load_rgb, load_rgb_from_memory};
use image::{DynamicImage, ImageFormat};
use std::path::Path;
use std::sync::OnceLock;

fn mtcnn() -> &'static Mtcnn {
    static MTCNN: OnceLock<Mtcnn> = OnceLock::new();
    MTCNN.get_or_init(|| Mtcnn::pretrained(&Cache::from_env().unwrap(), MtcnnConfig::new(), &default_device()).unwrap())
}

fn obama() -> RgbImage {
    load_rgb(
        &Cache::from_env().unwrap().ensure("obama.jpg").unwrap(),
        &LoadOptions::default(),
    )
    .unwrap()
}

#[test]
fn tiny_and_faceless_photos_give_no_face_not_an_error() {
    for (w, h) in [(1, 1), (20, 20), (12, 500), (300, 200)] {
        let image = RgbImage::from_pixel(w, h, image::Rgb([120, 130, 140]));
        assert_eq!(mtcnn().detect(&image).unwrap(), vec![], "{w}×{h}");
    }
}

#[test]
fn grayscale_and_16_bit_photos_are_detected() {
    let colour = obama();
    let encode = |image: DynamicImage| {
        let mut bytes = std::io::Cursor::new(Vec::new());
        image.write_to(&mut bytes, ImageFormat::Png).unwrap();
        bytes.into_inner()
    };
    let gray = encode(DynamicImage::ImageRgb8(colour.clone()).into_luma8().into());
    let deep = encode(DynamicImage::ImageRgb16(
        DynamicImage::ImageRgb8(colour.clone()).into_rgb16(),
    ));
    let reference = mtcnn().detect_faces(&colour);
    for (name, bytes) in [("gray.png", gray), ("deep.png", deep)] {
        let image = load_rgb_from_memory(&bytes, Path::new(name), &LoadOptions::default()).unwrap();
        let faces = mtcnn().detect_faces(&image);
        let main = faces.first().unwrap_or_else(|| panic!("{name}: no face"));
        let iou = facenet_vision::BBox::new(main.bbox[0], main.bbox[1], main.bbox[2], main.bbox[3]).iou(
            &facenet_vision::BBox::new(
                reference[0].bbox[0],
                reference[0].bbox[1],
                reference[0].bbox[2],
                reference[0].bbox[3],
            ),
        );
        assert!(iou > 0.9 && main.probability > 0.99, "{name}: {main:?}");
    }
}

#[test]
fn truncated_or_corrupt_torch_weights_are_errors_naming_the_file() {
    let source = Cache::from_env().unwrap().ensure("pnet.pt").unwrap();
    let bytes = std::fs::read(&source).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut damaged: Vec<(String, Vec<u8>)> = [0, 10, 100, 1000, bytes.len() / 2, bytes.len() - 10]
        .iter()
        .map(|&cut| (format!("cut{cut}.pt"), bytes[..cut].to_vec()))
        .collect();
    let mut scrambled = bytes.clone();
    scrambled[..64]
        .iter_mut()
        .for_each(|b| *b = b.wrapping_mul(31).wrapping_add(7));
    damaged.push(("scrambled.pt".into(), scrambled));
    for (name, data) in damaged {
        let path = dir.path().join(&name);
        std::fs::write(&path, data).unwrap();
        let err = convert_torch_checkpoint(&path, &dir.path().join("out.safetensors")).expect_err(&name);
        assert!(err.to_string().contains(&name), "{err}");
    }
}

#[test]
fn weights_of_another_network_are_refused() {
    let cache = Cache::from_env().unwrap();
    let rnet = mtcnn_weights(&cache, MtcnnNet::RNet).unwrap();
    let err = load_torch_safetensors(PNet::new(&default_device()), &rnet).unwrap_err();
    assert!(err.to_string().contains("mtcnn-rnet.safetensors"), "{err}");
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.safetensors");
    std::fs::write(&junk, b"\x10\0\0\0\0\0\0\0{not json at all").unwrap();
    assert!(
        load_torch_safetensors(PNet::new(&default_device()), &junk)
            .unwrap_err()
            .to_string()
            .contains("junk.safetensors")
    );
}
