//! A FaceNet checkpoint as the model of the photo pipeline (`facenet embed --model CHECKPOINT`): MTCNN
//! finds the faces, the checkpoint's own alignment crops them, its network embeds them.

use facenet::assets::Cache;
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
