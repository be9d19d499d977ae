//! The pretrained FaceNet restored into the trainable Inception-ResNet-v1 (`facenet train --init facenet`):
//! it embeds the reference faces like the frozen network (within 1e-4) before and after the batch norms
//! are calibrated, and in training mode on the calibration batch; `--freeze-until` leaves the frozen layers
//! bit-identical after training steps while later ones change; `--freeze-bn` keeps the running statistics.
//!
//! The reference crops are made from the fetched photos with the crop boxes of
//! `tests/fixtures/facenet_reference.json`, as `pretrained_facenet.rs` makes them.

use burn::module::{Module, ModuleVisitor, Param};
use burn::optim::{AdaGradConfig, GradientsParams};
use burn::tensor::{Device, Distribution, Tensor};
use facenet_assets::Cache;
use facenet_core::distance::l2;
use facenet_nn::finetune::{
    calibrate, freeze_batch_norm, freeze_until, frozen_layers, load_pretrained, pretrained_config,
};
use facenet_nn::models::{FaceNet, Layer};
use facenet_nn::preprocess::{Preprocessing, faces_to_tensor};
use facenet_nn::pretrained::PretrainedFaceNet;
use facenet_nn::triplet_loss;
use facenet_vision::align::margin_crop::crop_and_resize;
use facenet_vision::{AlignedFace, Embedder, LoadOptions, RgbImage, load_rgb};
use std::path::Path;

/// The four reference crops (160×160), made from the fetched photos.
fn reference_crops(cache: &Cache) -> Vec<RgbImage> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/facenet_reference.json");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut crops = Vec::new();
    for (photo, entry) in json["photos"].as_object().unwrap() {
        let image = load_rgb(&cache.ensure(photo).unwrap(), &LoadOptions::default()).unwrap();
        for face in entry["faces"].as_array().unwrap() {
            let b: Vec<u32> = face["crop_ltrb"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_f64().unwrap() as u32)
                .collect();
            crops.push(crop_and_resize(&image, [b[0], b[1], b[2], b[3]], 160).unwrap());
        }
    }
    assert_eq!(crops.len(), 4);
    crops
}

fn rows(y: Tensor<2>) -> Vec<Vec<f32>> {
    let d = y.dims()[1];
    y.into_data()
        .try_to_vec::<f32>()
        .unwrap()
        .chunks(d)
        .map(<[f32]>::to_vec)
        .collect()
}

fn assert_close(ours: &[Vec<f32>], frozen: &[Vec<f32>], bound: f32, what: &str) {
    for (i, (a, b)) in ours.iter().zip(frozen).enumerate() {
        let distance = l2(a, b);
        eprintln!("{what}, face {i}: L2 {distance:.2e} to the frozen network");
        assert!(distance < bound, "{what}, face {i}: L2 {distance}");
    }
}

#[test]
fn the_restored_network_embeds_like_the_frozen_one_before_and_after_calibration() {
    let cache = Cache::from_env().unwrap();
    let crops = reference_crops(&cache);
    let frozen = PretrainedFaceNet::load(&cache).unwrap();
    let faces: Vec<AlignedFace> = crops.iter().map(|c| AlignedFace { image: c.clone() }).collect();
    let expected: Vec<Vec<f32>> = frozen
        .embed(&faces)
        .unwrap()
        .iter()
        .map(|e| e.as_slice().to_vec())
        .collect();
    let images: Vec<&RgbImage> = crops.iter().collect();
    let device = Device::flex();
    let x = faces_to_tensor(&images, &Preprocessing::Fixed, &device);

    let restored = load_pretrained(&cache, &device).unwrap();
    assert_close(&rows(restored.forward(x.clone())), &expected, 1e-4, "restored");
    let calibrated = calibrate(restored, x.clone());
    assert_close(&rows(calibrated.forward(x.clone())), &expected, 1e-4, "calibrated");
    // training mode normalises with the batch's own statistics: on the calibration batch, the same function
    let training = calibrated.train();
    let autodiff = Device::flex().autodiff();
    let x = faces_to_tensor(&images, &Preprocessing::Fixed, &autodiff);
    assert_close(&rows(training.forward(x)), &expected, 1e-4, "training mode");
}

/// Every float tensor of `model` (weights, norms, running statistics), flattened, in visiting order.
fn tensors(model: &FaceNet) -> Vec<Vec<f32>> {
    struct Collect(Vec<Vec<f32>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.val().into_data().try_to_vec::<f32>().unwrap());
        }
    }
    let mut collect = Collect(vec![]);
    model.valid().visit(&mut collect);
    collect.0
}

/// Every float tensor of `layer`.
fn layer_tensors(layer: &Layer) -> Vec<Vec<f32>> {
    struct Collect(Vec<Vec<f32>>);
    impl ModuleVisitor for Collect {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.val().into_data().try_to_vec::<f32>().unwrap());
        }
    }
    let mut collect = Collect(vec![]);
    layer.valid().visit(&mut collect);
    collect.0
}

/// Two AdaGrad steps on one random triplet (margin 4: every triplet active, every weight gets a gradient).
fn two_steps(mut model: FaceNet, device: &Device) -> FaceNet {
    let mut optim = AdaGradConfig::new().init();
    for _ in 0..2 {
        let x = Tensor::<4>::random([3, 3, 160, 160], Distribution::Normal(0.0, 1.0), device);
        let y = model.forward(x);
        let [a, p, n] = [0, 1, 2].map(|i| y.clone().narrow(0, i, 1));
        let grads = GradientsParams::from_grads(triplet_loss(a, p, n, 4.0).backward(), &model);
        model = optim.step(0.05, model, grads);
    }
    model
}

#[test]
fn freeze_until_keeps_the_layers_up_to_it_bit_identical() {
    let device = Device::flex().autodiff();
    let config = pretrained_config();
    let frozen_count = frozen_layers(&config, "Repeat_1/block17_10").unwrap();
    let model = freeze_until(config.init(&device), &config, "Repeat_1/block17_10").unwrap();
    let before: Vec<_> = model.features.iter().map(layer_tensors).collect();
    let bottleneck_before = model.embedding.weight.val().into_data();
    let after = two_steps(model, &device);
    for (i, (layer, old)) in after.features.iter().zip(&before).enumerate() {
        let same = layer_tensors(layer) == *old;
        match i < frozen_count {
            true => assert!(same, "layer {i} is frozen but changed"),
            false if old.is_empty() => {}
            false => assert!(!same, "layer {i} is trained but did not change"),
        }
    }
    assert_ne!(after.embedding.weight.val().into_data(), bottleneck_before);
    let message = freeze_until(after, &config, "Mixed_8a").unwrap_err().to_string();
    assert!(
        message.contains("Mixed_8a") && message.contains("Mixed_7a"),
        "{message}"
    );
}

#[test]
fn freeze_bn_keeps_the_running_statistics_and_trains_the_rest() {
    let device = Device::flex().autodiff();
    let config = pretrained_config();
    let model = freeze_until(config.init(&device), &config, "Mixed_7a").unwrap();
    let model = freeze_batch_norm(model);
    let statistics = |m: &FaceNet| {
        let bn = m.bottleneck_bn.as_ref().unwrap();
        (
            bn.running_mean.value().into_data(),
            bn.running_var.value().into_data(),
            bn.gamma.val().into_data(),
        )
    };
    let before = statistics(&model);
    let all_before = tensors(&model);
    let after = two_steps(model, &device);
    let now = statistics(&after);
    assert_eq!((&now.0, &now.1), (&before.0, &before.1), "running statistics changed");
    assert_ne!(now.2, before.2, "γ should still train");
    assert_ne!(tensors(&after), all_before);
}
