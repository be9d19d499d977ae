//! JPEGs decode to exactly the pixels Pillow (libjpeg-turbo) gives, which dlib's and facenet-pytorch's
//! references were computed on. The fixture holds the sha256 of Pillow 13.0.0's RGB pixels of each
//! fixture photo (`numpy.array(Image.open(p).convert("RGB")).tobytes()`), never the photos themselves.

mod common;

use sha2::{Digest, Sha256};

const PILLOW_PIXELS_SHA256: [(&str, &str); 6] = [
    (
        "obama.jpg",
        "fc008c49b09a2c260f438218a38efcc471b10df79f39e34117c0a7453a722afd",
    ),
    (
        "obama2.jpg",
        "5f36099b2a55d78c83297da5d8b24ac47838bfa36db77a8450678e7e3aa44648",
    ),
    (
        "obama3.jpg",
        "bc281369b96cebf7bfa2eb59ebf41a4aff1bdc4a1709fe2cb120fc4d277db658",
    ),
    (
        "biden.jpg",
        "4fa33c4b39578062cfcce3dff2f9eb8e52e357b3f630ccd14aad6e054d7510dc",
    ),
    (
        "obama_partial_face.jpg",
        "358ae602ebd4331b234691f20db58a162af7a37ea4e800c69ae4e4ee441a5a3a",
    ),
    (
        "obama_partial_face2.jpg",
        "e0dc9cea299754eca3177f60811cd910dc51d238c50790bf8823c5b426253678",
    ),
];

#[test]
fn jpegs_decode_to_pillows_pixels_byte_for_byte() {
    for (name, want) in PILLOW_PIXELS_SHA256 {
        let pixels = common::photo(name);
        let got: String = Sha256::digest(pixels.as_raw())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(got, want, "{name}: decoded pixels differ from Pillow's");
    }
}
