//! The dlib ResNet against dlib itself, and its weight file reader against broken files.
//!
//! Reference numbers: `tests/fixtures/dlib_reference.json`, made with dlib 20.0.1 by
//! `shared/peers/dlib_ref.py` (its `_about` field quotes the command):
//! `desc = net.compute_face_descriptor(dlib.get_face_chip(img, sp(img, det(img, 1)[k]), size=150, padding=0.25))`.
//! dlib's chips are photos and are not committed: the parity test reads them from
//! `$FACENET_SHARED/reference/chips` or `<workspace>/../shared/reference/chips`, and skips (with a note)
//! when neither exists.

use facenet_assets::Cache;
use facenet_core::Embedding;
use facenet_core::distance::{l2, squared_l2};
use facenet_kernels::device::default_device;
use facenet_nn::dlib::{DlibResNet, MODEL_ASSET, NORMALIZED_THRESHOLD, RAW_THRESHOLD, converted_paths};
use facenet_nn::import::dlib_dnn;
use facenet_nn::models::dlib_resnet::DlibResNetConfig;
use facenet_vision::{AlignedFace, Embedder, LoadOptions, load_rgb};
use std::path::{Path, PathBuf};

/// One face of the reference file.
struct RefFace {
    photo: String,
    chip: String,
    descriptor: Vec<f32>,
}

fn reference_faces() -> Vec<RefFace> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dlib_reference.json");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut faces = Vec::new();
    for (photo, entry) in json["photos"].as_object().unwrap() {
        for face in entry["faces"].as_array().unwrap() {
            let descriptor = face["descriptor_from_chip"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as f32)
                .collect();
            let chip = face["chip_png"]
                .as_str()
                .unwrap()
                .trim_start_matches("chips/")
                .to_string();
            faces.push(RefFace {
                photo: photo.clone(),
                chip,
                descriptor,
            });
        }
    }
    faces
}

/// `shared/reference/chips`, if this checkout has shared/ beside it (or FACENET_SHARED names one).
fn shared_chips_dir() -> Option<PathBuf> {
    let shared = std::env::var_os("FACENET_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = shared.join("reference/chips");
    dir.is_dir().then_some(dir)
}

fn model_path() -> PathBuf {
    Cache::from_env().unwrap().ensure(MODEL_ASSET).unwrap()
}

fn load_chip(path: &Path) -> AlignedFace {
    AlignedFace {
        image: load_rgb(path, &LoadOptions::default()).unwrap(),
    }
}

#[test]
fn descriptors_of_dlibs_own_chips_equal_dlibs() {
    let Some(dir) = shared_chips_dir() else {
        eprintln!("note: no shared/reference/chips (set FACENET_SHARED); dlib chip parity not checked");
        return;
    };
    let faces: Vec<RefFace> = reference_faces()
        .into_iter()
        .filter(|f| dir.join(&f.chip).is_file())
        .collect();
    assert!(
        faces.len() >= 3,
        "shared/reference/chips should hold dlib's chips of obama, obama2 and biden"
    );
    let chips: Vec<AlignedFace> = faces.iter().map(|f| load_chip(&dir.join(&f.chip))).collect();
    let net = DlibResNet::load(&Cache::from_env().unwrap()).unwrap();
    let ours = net.descriptors(&chips).unwrap(); // one batch: batching must not change a result
    let burn = net.descriptors_burn(&chips).unwrap();
    for ((face, desc), desc_burn) in faces.iter().zip(&ours).zip(&burn) {
        let distance = l2(desc.as_slice(), &face.descriptor);
        let distance_burn = l2(desc_burn.as_slice(), &face.descriptor);
        eprintln!(
            "{}: L2 to dlib {distance:.2e} (burn module {distance_burn:.2e})",
            face.photo
        );
        assert!(
            distance <= 1e-4,
            "{}: L2 distance {distance} to dlib's descriptor",
            face.photo
        );
        assert!(
            distance_burn <= 1e-4,
            "{}: burn module at L2 distance {distance_burn} from dlib",
            face.photo
        );
    }
    let single = net.descriptors(&chips[..1]).unwrap();
    assert!(
        l2(single[0].as_slice(), ours[0].as_slice()) < 1e-6,
        "batch of one differs from the batch"
    );
}

/// A deterministic 150×150 test pattern (no face needed to compare two implementations).
fn pattern_chip(seed: u32) -> AlignedFace {
    let image = facenet_vision::RgbImage::from_fn(150, 150, |x, y| {
        [
            ((x * 7 + seed) % 256) as u8,
            ((y * 3 + seed * 5) % 256) as u8,
            ((x * y + seed) % 256) as u8,
        ]
        .into()
    });
    AlignedFace { image }
}

#[test]
fn cpu_kernels_equal_the_burn_module() {
    let net = DlibResNet::load(&Cache::from_env().unwrap()).unwrap();
    let chips: Vec<AlignedFace> = (0..3).map(pattern_chip).collect();
    let fast = net.descriptors(&chips).unwrap();
    let burn = net.descriptors_burn(&chips).unwrap();
    for (a, b) in fast.iter().zip(&burn) {
        assert!(
            l2(a.as_slice(), b.as_slice()) < 1e-5,
            "NHWC kernels and burn module differ by {}",
            l2(a.as_slice(), b.as_slice())
        );
    }
}

#[test]
fn second_load_reads_the_converted_files_not_the_dat() {
    let dir = tempfile::tempdir().unwrap();
    let dat = dir.path().join(MODEL_ASSET);
    std::fs::copy(model_path(), &dat).unwrap();
    let derived = dir.path().join("derived");
    std::fs::create_dir(&derived).unwrap();
    let device = default_device();

    let first = DlibResNet::load_converting(&dat, &derived, &device).unwrap();
    let (weights, config) = converted_paths(&derived);
    assert!(
        weights.is_file() && config.is_file(),
        "conversion should write safetensors + JSON"
    );

    // Corrupt the .dat in place (same size): a load that parsed it again would fail.
    let mut bytes = std::fs::read(&dat).unwrap();
    bytes[..64].fill(0xff);
    std::fs::write(&dat, &bytes).unwrap();
    assert!(DlibResNet::from_dat(&dat, &device).is_err());
    let second = DlibResNet::load_converting(&dat, &derived, &device).unwrap();

    let chip = pattern_chip(1);
    let a = first.descriptors(std::slice::from_ref(&chip)).unwrap();
    let b = second.descriptors(&[chip]).unwrap();
    assert_eq!(a, b, "converted weights should give identical descriptors");
}

#[test]
fn truncated_files_give_an_error_naming_the_layer_and_offset() {
    let bytes = std::fs::read(model_path()).unwrap();
    let config = DlibResNetConfig::v1();
    assert!(dlib_dnn::parse(&bytes, &config).is_ok());
    for cut in [
        0,
        1,
        3,
        17,
        100,
        1_000,
        10_000,
        bytes.len() / 3,
        bytes.len() / 2,
        bytes.len() - 100,
        bytes.len() - 1,
    ] {
        let Err(err) = dlib_dnn::parse(&bytes[..cut], &config) else {
            panic!("a file cut at {cut} should not parse")
        };
        let message = err.to_string();
        assert!(message.starts_with("layer<"), "cut at {cut}: {message}");
        assert!(
            message.contains("at byte") && err.error.offset <= cut,
            "cut at {cut}: {message}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    let err = dlib_dnn::parse(&longer, &config).unwrap_err();
    assert!(err.to_string().contains("1 unexpected bytes"), "{err}");
}

#[test]
fn corrupted_headers_give_an_error_naming_the_layer_and_offset() {
    let bytes = std::fs::read(model_path()).unwrap();
    let config = DlibResNetConfig::v1();
    // Break a type tag of each kind, the first tensor version, and a version at the top.
    for (needle, layer) in [
        (&b"con_4"[..], "con"),
        (b"affine_", "affine"),
        (b"relu_", "relu"),
        (b"avg_pool_2", "avg_pool"),
        (b"max_pool_2", "max_pool"),
        (b"fc_", "fc_no_bias"),
        (b"input_rgb", "input_rgb_image_sized"),
        (b"add_prev_", "add_prev"),
    ] {
        let at = bytes.windows(needle.len()).position(|w| w == needle).unwrap();
        let mut broken = bytes.clone();
        broken[at] = b'X';
        let Err(err) = dlib_dnn::parse(&broken, &config) else {
            panic!("a corrupt {layer} tag should not parse")
        };
        assert!(err.layer.contains(layer), "{needle:?}: {err}");
        assert_eq!(
            err.error.offset,
            at - 2,
            "{needle:?}: the error should point at the tag's length byte: {err}"
        );
    }
    // Integer control bytes declaring 15 bytes: the loss version (0) and two layer versions (29, 65).
    for at in [0, 29, 65] {
        let mut broken = bytes.clone();
        broken[at] = 0x0f;
        let Err(err) = dlib_dnn::parse(&broken, &config) else {
            panic!("a corrupt integer at {at} should not parse")
        };
        assert!(err.to_string().contains(&format!("at byte {at}:")), "{err}");
    }
    // The error from a file names the file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.dat");
    std::fs::write(&path, &bytes[..5000]).unwrap();
    let err = DlibResNet::from_dat(&path, &default_device()).unwrap_err().to_string();
    assert!(
        err.contains("broken.dat") && err.contains("layer<") && err.contains("at byte"),
        "{err}"
    );
}

#[test]
fn the_file_holds_the_published_architecture() {
    let bytes = std::fs::read(model_path()).unwrap();
    let file = dlib_dnn::parse(&bytes, &DlibResNetConfig::v1()).unwrap();
    assert_eq!(file.convs.len(), 29);
    assert_eq!((file.input.rows, file.input.cols), (150, 150));
    assert_eq!(file.input.mean_rgb, [122.782, 117.001, 104.298]);
    assert_eq!((file.fc_inputs, file.fc.len()), (256, 256 * 128));
}

#[test]
fn embedder_reports_dlibs_model_info_and_checks_chip_size() {
    let net = DlibResNet::load(&Cache::from_env().unwrap()).unwrap();
    let info = net.info();
    assert_eq!(
        (info.id.as_str(), info.dim, info.input_size, info.threshold),
        ("dlib_resnet_v1", 128, (150, 150), RAW_THRESHOLD)
    );
    let small = AlignedFace {
        image: facenet_vision::RgbImage::new(112, 112),
    };
    let err = net.embed(&[small]).unwrap_err().to_string();
    assert!(err.contains("112×112") && err.contains("150×150"), "{err}");
    let unit = net
        .embed_normalized(&[AlignedFace {
            image: facenet_vision::RgbImage::new(150, 150),
        }])
        .unwrap();
    assert!((unit[0].l2_norm() - 1.0).abs() < 1e-5);
}

#[test]
fn normalized_threshold_decides_every_reference_pair_as_dlib() {
    let faces = reference_faces();
    assert!(faces.len() >= 7);
    let mut pairs = 0;
    for (i, a) in faces.iter().enumerate() {
        for b in &faces[i + 1..] {
            let raw_same = l2(&a.descriptor, &b.descriptor) < RAW_THRESHOLD;
            let (na, nb) = (
                Embedding::new(a.descriptor.clone()).normalized(),
                Embedding::new(b.descriptor.clone()).normalized(),
            );
            let unit_same = squared_l2(na.as_slice(), nb.as_slice()) < NORMALIZED_THRESHOLD;
            assert_eq!(raw_same, unit_same, "{} / {}", a.photo, b.photo);
            pairs += 1;
        }
    }
    assert_eq!(pairs, faces.len() * (faces.len() - 1) / 2);
}
