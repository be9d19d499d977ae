"""The native API: images, detection, alignment, embeddings, distances, the gallery and errors."""

import numpy as np
import pytest

import facenet


@pytest.fixture(scope="module")
def facenet_pipe():
    return facenet.Pipeline()


@pytest.fixture(scope="module")
def dlib_pipe():
    return facenet.Pipeline(model="dlib", detector="hog")


def test_load_image_gives_rgb_uint8(photo):
    image = facenet.load_image(photo("obama.jpg"))
    assert image.shape == (1137, 910, 3) and image.dtype == np.uint8


def test_a_missing_file_is_a_facenet_error_naming_it(tmp_path):
    missing = tmp_path / "nobody.jpg"
    with pytest.raises(facenet.FacenetError, match="nobody.jpg"):
        facenet.load_image(missing)


def test_a_corrupt_file_is_an_error_not_a_crash(tmp_path):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff not a jpeg")
    with pytest.raises(facenet.FacenetError, match="broken.jpg"):
        facenet.load_image(bad)


def test_bad_names_and_shapes_are_value_errors(facenet_pipe):
    with pytest.raises(ValueError, match="unknown detector"):
        facenet.Pipeline(detector="nope")
    with pytest.raises(ValueError, match="shape"):
        facenet_pipe.detect(np.zeros((4, 4, 4), dtype=np.uint8))
    with pytest.raises(ValueError, match="metric"):
        facenet.distance(np.zeros(3, np.float32), np.zeros(3, np.float32), metric="cosine")
    with pytest.raises(ValueError, match="lengths"):
        facenet.distance(np.zeros(3, np.float32), np.zeros(4, np.float32))


def test_facenet_detect_align_embed_compare(photo, facenet_pipe):
    assert (facenet_pipe.model_id, facenet_pipe.dim, facenet_pipe.metric) == ("facenet_20180408_102900", 512,
                                                                          "squared_l2")
    embeddings = {}
    for name in ("obama.jpg", "obama2.jpg", "biden.jpg"):
        image = facenet.load_image(photo(name))
        faces = facenet_pipe.detect(image)
        main = max(faces, key=lambda f: f.score * (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]))
        assert main.landmarks.shape == (5, 2) and main.landmark_scheme == "mtcnn5"
        chips = facenet_pipe.align(image, [main])
        assert chips.shape == (1, 160, 160, 3) and chips.dtype == np.uint8
        emb = facenet_pipe.embed(chips)
        assert emb.shape == (1, 512) and emb.dtype == np.float32
        assert abs(np.linalg.norm(emb[0]) - 1.0) < 1e-4
        embeddings[name] = emb[0]
    assert facenet_pipe.compare(embeddings["obama.jpg"], embeddings["obama2.jpg"])
    assert not facenet_pipe.compare(embeddings["obama.jpg"], embeddings["biden.jpg"])
    d = facenet_pipe.distance(embeddings["obama.jpg"], embeddings["biden.jpg"])
    assert d == pytest.approx(float(np.sum((embeddings["obama.jpg"] - embeddings["biden.jpg"]) ** 2)), rel=1e-5)


def test_embed_image_equals_the_three_steps(photo, dlib_pipe):
    image = facenet.load_image(photo("obama.jpg"))
    faces, emb = dlib_pipe.embed_image(image)
    assert len(faces) == 1 and emb.shape == (1, 128)
    # dlib's HOG box of obama.jpg at upsample 1 (face_recognition: (142, 617, 409, 349))
    assert faces[0].box == (349.0, 142.0, 617.0, 409.0)
    steps = dlib_pipe.embed(dlib_pipe.align(image, faces))
    np.testing.assert_allclose(emb, steps, atol=1e-6)


def test_the_cnn_detector_gives_dlibs_box(photo):
    pipe = facenet.Pipeline(model="dlib", detector="cnn")
    faces, emb = pipe.embed_image(facenet.load_image(photo("obama.jpg")))
    # dlib's cnn_face_detection_model_v1(...)(img, 1) on obama.jpg: [354, 135, 599, 379], confidence 1.105634
    assert len(faces) == 1 and emb.shape == (1, 128)
    assert faces[0].box == (354.0, 135.0, 599.0, 379.0)
    assert faces[0].score == pytest.approx(1.105634, abs=1e-3)


def test_an_image_without_faces_gives_empty_arrays(dlib_pipe):
    blank = np.full((200, 300, 3), 127, dtype=np.uint8)
    faces, emb = dlib_pipe.embed_image(blank)
    assert faces == [] and emb.shape[0] == 0
    assert dlib_pipe.align(blank, []).shape[0] == 0


def test_gray_and_strided_images_are_accepted(photo, dlib_pipe):
    image = facenet.load_image(photo("obama.jpg"))
    flipped = image[:, ::-1]  # a negative stride
    faces = dlib_pipe.detect(flipped)
    assert len(faces) == 1
    assert len(dlib_pipe.detect(image[:, :, 0])) == 1


def test_gallery_enrolls_identifies_and_refuses_another_model(photo, tmp_path, dlib_pipe, facenet_pipe):
    def first(name):
        return dlib_pipe.embed_image(facenet.load_image(photo(name)))[1]

    gallery = facenet.Gallery(tmp_path / "faces.db", dlib_pipe)
    assert gallery.enroll("obama", first("obama.jpg")) == 1
    assert gallery.enroll("biden", first("biden.jpg")) == 1
    assert len(gallery) == 2 and sorted(gallery.subjects()) == [("biden", 1), ("obama", 1)]
    (name, distance), = gallery.identify(first("obama2.jpg"))
    assert name == "obama" and distance < dlib_pipe.threshold
    assert gallery.remove("obama") == 1
    (name, _), = gallery.identify(first("obama2.jpg"))
    assert name == "unknown"
    with pytest.raises(facenet.FacenetError):
        facenet.Gallery(tmp_path / "faces.db", facenet_pipe)
