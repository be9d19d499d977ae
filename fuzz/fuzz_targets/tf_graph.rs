//! TensorFlow frozen graphs: `import::tf_graph::Graph::decode` (the GraphDef protobuf), then what the
//! FaceNet importer asks of it (`import::facenet_graph::import` against the 20180408 network) and the
//! weight count of every node's path.
#![no_main]

use facenet_nn::import::facenet_graph;
use facenet_nn::import::tf_graph::Graph;
use facenet_nn::models::inception_resnet_v1::InceptionResnetV1Spec;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static SPEC: LazyLock<InceptionResnetV1Spec> = LazyLock::new(InceptionResnetV1Spec::facenet_20180408);

fuzz_target!(|bytes: &[u8]| {
    let Ok(graph) = Graph::decode(bytes) else {
        return;
    };
    let _ = facenet_graph::import(bytes, &SPEC);
    let _ = graph.weight_count("embeddings");
});
