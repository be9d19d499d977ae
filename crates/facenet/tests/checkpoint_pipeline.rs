//! A FaceNet checkpoint as the model of the photo pipeline (`facenet embed --model CHECKPOINT`): MTCNN
//! finds the faces, the checkpoint's own alignment crops them, its network embeds them.

use facenet::assets::Cache;
use facenet::kernels::device::DeviceChoice;
use facenet::kernels::device::default_device;
use facenet::nn::checkpoint::{CheckpointConfig, save_checkpoint};
use facenet::nn::{Arch, FaceNetConfig};
use facenet::pipeline::{DetectorSpec, ModelSpec, PipelineSpec, build_pipeline};
use facenet::vision::LoadOptions;

fn spec(model: ModelSpec) -> PipelineSpec {
    PipelineSpec {
        model,
        detector: DetectorSpec::Mtcnn,
        load: LoadOptions::default(),
        device: DeviceChoice::Cpu,
    }
}

#[test]
fn a_checkpoint_embeds_the_faces_of_a_photo() {
    let cache = Cache::from_env().unwrap();
    let photo = cache.ensure("obama.jpg").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = CheckpointConfig::new(FaceNetConfig::new(Arch::Nn4));
    save_checkpoint(dir.path(), &config.model.init(&default_device()), &config).unwrap();

    let pipeline = build_pipeline(&spec(ModelSpec::Checkpoint(dir.path().into())), &cache).unwrap();
    assert_eq!(pipeline.model_info().id, "facenet-nn4-128d");
    assert_eq!(pipeline.model_info().input_size, (96, 96));
    let records = pipeline.process_path(&photo).unwrap();
    assert!(!records.is_empty(), "obama.jpg has a face");
    for record in &records {
        assert_eq!(record.embedding.dim(), 128);
        assert!((record.embedding.l2_norm() - 1.0).abs() < 1e-4);
    }
}

#[test]
fn a_missing_checkpoint_is_an_error_naming_it() {
    let cache = Cache::from_env().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-checkpoint");
    let err = build_pipeline(&spec(ModelSpec::Checkpoint(missing.clone())), &cache)
        .err()
        .expect("should fail");
    assert!(
        err.to_string()
            .contains(&missing.join("config.json").display().to_string()),
        "{err}"
    );
}

/// The pretrained FaceNet restored into its trainable form (`facenet train --init facenet` at step 0) and
/// saved as a checkpoint finds, crops and embeds the faces of the reference photos as `--model facenet` does.
#[test]
fn a_pretrained_facenet_checkpoint_embeds_like_the_pretrained_model() {
    let cache = Cache::from_env().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = CheckpointConfig::new(facenet::nn::finetune::pretrained_config());
    let model = facenet::nn::finetune::load_pretrained(&cache, &default_device()).unwrap();
    save_checkpoint(dir.path(), &model, &config).unwrap();
    let ours = build_pipeline(&spec(ModelSpec::Checkpoint(dir.path().into())), &cache).unwrap();
    let pretrained = build_pipeline(&spec(ModelSpec::FaceNet), &cache).unwrap();
    assert_eq!(ours.model_info().input_size, (160, 160));
    assert_eq!(ours.model_info().threshold, pretrained.model_info().threshold);
    for photo in ["obama.jpg", "obama2.jpg", "biden.jpg"] {
        let path = cache.ensure(photo).unwrap();
        let (a, b) = (
            ours.process_path(&path).unwrap(),
            pretrained.process_path(&path).unwrap(),
        );
        assert_eq!(a.len(), b.len(), "{photo}");
        for (x, y) in a.iter().zip(&b) {
            let distance = facenet::core::distance::l2(x.embedding.as_slice(), y.embedding.as_slice());
            assert!(distance < 1e-4, "{photo}: L2 {distance} to the pretrained embedding");
        }
    }
}
