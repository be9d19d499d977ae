//! `--device gpu` (burn's wgpu backend; in CI the software Vulkan device lavapipe, from Debian's
//! mesa-vulkan-drivers): every network embeds and detects as on the CPU. The pretrained FaceNet (its burn
//! module on the GPU, the frozen NHWC form on the CPU), the dlib ResNet, NN1…NNS2 and MTCNN each give the
//! CPU's output within 1e-4, and the whole pipeline decides the reference photos as on the CPU.
//!
//! Built and run only with the `gpu` feature (`scripts/test.sh` does it when it finds a Vulkan device).

#![cfg(feature = "gpu")]

use burn::module::Module;
use facenet::core::distance::l2;
use facenet::kernels::device::{DeviceChoice, describe, device_for, is_flex};
use facenet::nn::checkpoint::CheckpointConfig;
use facenet::nn::embedder::FaceNetEmbedder;
use facenet::nn::layers::initialized;
use facenet::nn::models::mtcnn::{Mtcnn, MtcnnConfig, MtcnnFace};
use facenet::nn::{Arch, FaceNetConfig};
use facenet::pipeline::{DetectorSpec, ModelSpec, PipelineSpec, build_embedder, build_pipeline};
use facenet::vision::align::margin_crop::crop_and_resize;
use facenet::vision::{AlignedFace, Embedder, LoadOptions, RgbImage, load_rgb};
use facenet::{Cache, Device, Embedding};
use std::path::Path;

/// The most an embedding may move between the devices (L2).
const BOUND: f32 = 1e-4;
const PHOTOS: [&str; 3] = ["obama.jpg", "obama2.jpg", "biden.jpg"];

fn cpu() -> Device {
    device_for(DeviceChoice::Cpu).unwrap()
}

fn gpu() -> Device {
    device_for(DeviceChoice::Gpu).unwrap()
}

/// The four 160×160 reference crops of `facenet_reference.json`, cut from the fetched photos.
fn reference_crops(cache: &Cache) -> Vec<RgbImage> {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("../facenet-nn/tests/fixtures/facenet_reference.json");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let mut crops = Vec::new();
    for (photo, entry) in json["photos"].as_object().unwrap() {
        let image = load_rgb(&cache.ensure(photo).unwrap(), &LoadOptions::default()).unwrap();
        for face in entry["faces"].as_array().unwrap() {
            let b: Vec<u32> = face["crop_ltrb"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as u32)
                .collect();
            crops.push(crop_and_resize(&image, [b[0], b[1], b[2], b[3]], 160).unwrap());
        }
    }
    assert_eq!(crops.len(), 4);
    crops
}

fn faces(crops: &[RgbImage], (w, h): (u32, u32)) -> Vec<AlignedFace> {
    crops
        .iter()
        .map(|c| AlignedFace {
            image: image::imageops::resize(c, w, h, image::imageops::FilterType::Triangle),
        })
        .collect()
}

fn assert_close(on_gpu: &[Embedding], on_cpu: &[Embedding], what: &str) {
    assert_eq!(on_gpu.len(), on_cpu.len(), "{what}: number of embeddings");
    for (i, (g, c)) in on_gpu.iter().zip(on_cpu).enumerate() {
        let distance = l2(g.as_slice(), c.as_slice());
        assert!(
            distance < BOUND,
            "{what}, face {i}: GPU and CPU embeddings {distance} apart"
        );
    }
}

#[test]
fn the_gpu_is_a_named_adapter_and_not_flex() {
    let adapter = describe(DeviceChoice::Gpu).unwrap();
    eprintln!("{adapter}");
    assert!(adapter.starts_with("gpu ("), "{adapter}");
    assert!(!is_flex(&gpu()) && is_flex(&cpu()));
}

#[test]
fn pretrained_facenet_embeds_the_reference_crops_as_on_the_cpu() {
    let cache = Cache::from_env().unwrap();
    let crops = faces(&reference_crops(&cache), (160, 160));
    let on_cpu = build_embedder(&ModelSpec::FaceNet, &cpu(), &cache).unwrap();
    let on_gpu = build_embedder(&ModelSpec::FaceNet, &gpu(), &cache).unwrap();
    assert_eq!(on_gpu.info(), on_cpu.info());
    assert_close(
        &on_gpu.embed(&crops).unwrap(),
        &on_cpu.embed(&crops).unwrap(),
        "FaceNet",
    );
}

#[test]
fn the_dlib_resnet_embeds_its_chips_as_on_the_cpu() {
    let cache = Cache::from_env().unwrap();
    let cpu_pipeline = build_pipeline(
        &PipelineSpec {
            model: ModelSpec::Dlib,
            ..PipelineSpec::default()
        },
        &cache,
    )
    .unwrap();
    let mut chips = Vec::new();
    for photo in PHOTOS {
        let image = load_rgb(&cache.ensure(photo).unwrap(), &LoadOptions::default()).unwrap();
        let detections = cpu_pipeline.detector().detect(&image).unwrap();
        chips.extend(cpu_pipeline.align(&image, &detections).unwrap());
    }
    assert!(chips.len() >= 3);
    let on_gpu = build_embedder(&ModelSpec::Dlib, &gpu(), &cache).unwrap();
    let on_cpu = cpu_pipeline.embedder();
    // raw descriptors (norm ≈ 1.4): the same bound as for unit vectors is tighter here
    assert_close(
        &on_gpu.embed(&chips).unwrap(),
        &on_cpu.embed(&chips).unwrap(),
        "dlib ResNet",
    );
}

#[test]
fn every_paper_network_embeds_as_on_the_cpu() {
    let crops = reference_crops(&Cache::from_env().unwrap());
    for arch in [Arch::Nn1, Arch::Nn2, Arch::Nn3, Arch::Nn4, Arch::Nns1, Arch::Nns2] {
        let config = FaceNetConfig::new(arch);
        let model = initialized(config.init(&cpu())); // drawn here, not again on the GPU
        let what = format!("{arch:?}");
        if let Err(e) = model.check_fits(&gpu(), &what) {
            // NN1's fc1 (102.8M floats, 392 MiB) is more than lavapipe binds in one buffer (128 MiB)
            eprintln!("note: {e}");
            assert!(e.to_string().contains("--device cpu"), "{e}");
            continue;
        }
        let checkpoint = CheckpointConfig::new(config);
        let on_cpu = FaceNetEmbedder::new(model.clone(), checkpoint.clone(), &cpu());
        let on_gpu = FaceNetEmbedder::new(model.to_device(&gpu()), checkpoint, &gpu());
        let chips = faces(&crops[..2], on_cpu.info().input_size);
        assert_close(&on_gpu.embed(&chips).unwrap(), &on_cpu.embed(&chips).unwrap(), &what);
    }
}

fn assert_same_faces(on_gpu: &[MtcnnFace], on_cpu: &[MtcnnFace], photo: &str) {
    assert_eq!(on_gpu.len(), on_cpu.len(), "{photo}: faces found");
    for (g, c) in on_gpu.iter().zip(on_cpu) {
        let moved = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
        assert!(
            moved(&g.bbox, &c.bbox) < 1e-2,
            "{photo}: box {:?} on the GPU, {:?} on the CPU",
            g.bbox,
            c.bbox
        );
        assert!((g.probability - c.probability).abs() < 1e-4, "{photo}: probability");
        assert!(
            moved(g.landmarks.as_flattened(), c.landmarks.as_flattened()) < 1e-2,
            "{photo}: landmarks"
        );
    }
}

#[test]
fn mtcnn_finds_the_faces_it_finds_on_the_cpu() {
    let cache = Cache::from_env().unwrap();
    let on_cpu = Mtcnn::pretrained(&cache, MtcnnConfig::new(), &cpu()).unwrap();
    let on_gpu = Mtcnn::pretrained(&cache, MtcnnConfig::new(), &gpu()).unwrap();
    for photo in PHOTOS {
        let image = load_rgb(&cache.ensure(photo).unwrap(), &LoadOptions::default()).unwrap();
        let found = on_cpu.detect_faces(&image);
        assert!(!found.is_empty(), "{photo}: no face on the CPU");
        assert_same_faces(&on_gpu.detect_faces(&image), &found, photo);
    }
}

#[test]
fn the_default_pipeline_on_the_gpu_decides_the_reference_photos_as_on_the_cpu() {
    let cache = Cache::from_env().unwrap();
    let spec = |device| PipelineSpec {
        detector: DetectorSpec::Mtcnn,
        device,
        ..PipelineSpec::default()
    };
    let on_cpu = build_pipeline(&spec(DeviceChoice::Cpu), &cache).unwrap();
    let on_gpu = build_pipeline(&spec(DeviceChoice::Gpu), &cache).unwrap();
    let largest = |pipeline: &facenet::FacePipeline, photo: &str| {
        let path = cache.ensure(photo).unwrap();
        let records = pipeline.process_path(&path).unwrap();
        records
            .into_iter()
            .max_by(|a, b| a.detection.prominence().total_cmp(&b.detection.prominence()))
            .unwrap()
            .embedding
    };
    let [obama, obama2, biden] = PHOTOS.map(|p| largest(&on_gpu, p));
    assert_close(
        &[obama.clone(), obama2.clone(), biden.clone()],
        &PHOTOS.map(|p| largest(&on_cpu, p)),
        "pipeline",
    );
    let info = on_gpu.model_info();
    assert!(info.metric.distance(obama.as_slice(), obama2.as_slice()) < info.threshold);
    assert!(info.metric.distance(obama.as_slice(), biden.as_slice()) > info.threshold);
}

/// With no adapter of the kind asked for, `--device gpu` is an error naming what wgpu looked for. The
/// GPU is set up once per process, so the check runs in a child process of this test binary with
/// `CUBECL_WGPU_DEFAULT_DEVICE` naming a GPU this machine lacks.
#[test]
fn a_missing_adapter_is_an_error_naming_what_was_looked_for() {
    const NAME: &str = "a_missing_adapter_is_an_error_naming_what_was_looked_for";
    if std::env::var_os("FACENET_GPU_TEST_CHILD").is_some() {
        let err = device_for(DeviceChoice::Gpu).unwrap_err().to_string();
        assert!(
            err.contains("no usable GPU adapter") && err.contains("DiscreteGpu(9)"),
            "{err}"
        );
        assert!(err.contains("--device cpu"), "{err}");
        return;
    }
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", NAME, "--nocapture"])
        .env("FACENET_GPU_TEST_CHILD", "1")
        .env("CUBECL_WGPU_DEFAULT_DEVICE", "DiscreteGpu(9)")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&child.stdout);
    assert!(child.status.success() && stdout.contains("1 passed"), "{stdout}");
}
