"""facenet.face_recognition against face_recognition 1.3.0 with dlib 20.0.1: the numbers of
crates/facenet/tests/fixtures/face_recognition_reference.json (scripts/face_recognition_reference.py),
the shapes and types face_recognition returns, its console scripts, errors, and the GIL released."""

import json
import os
import threading
import time

import numpy as np
import pytest
from click.testing import CliRunner

from facenet import face_recognition
from facenet.face_recognition import api, face_detection_cli, face_recognition_cli

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "..", "crates", "facenet", "tests", "fixtures",
                       "face_recognition_reference.json")


@pytest.fixture(scope="module")
def reference():
    with open(FIXTURE) as f:
        return json.load(f)


@pytest.mark.parametrize("name", ["obama.jpg", "obama2.jpg", "biden.jpg"])
def test_locations_landmarks_and_encodings_equal_dlibs(photo, reference, name):
    expected = reference[name]
    image = face_recognition.load_image_file(photo(name))
    locations = face_recognition.face_locations(image)
    assert locations == [tuple(l) for l in expected["face_locations"]]
    assert all(isinstance(v, int) for v in locations[0])
    assert face_recognition.face_locations(image, 0) == [tuple(l) for l in expected["face_locations_upsample0"]]
    small = api._raw_face_landmarks(image, locations, "small")
    assert [[p.x, p.y] for p in small[0].parts()] == expected["landmarks_small"][0]
    for model, key in (("small", "encodings_small"), ("large", "encodings_large")):
        encodings = face_recognition.face_encodings(image, locations, model=model)
        assert isinstance(encodings, list) and encodings[0].shape == (128,) and encodings[0].dtype == np.float64
        np.testing.assert_allclose(np.array(encodings), np.array(expected[key]), atol=1e-3)


def test_known_locations_skip_detection_and_gray_images_work(photo):
    rgb = face_recognition.load_image_file(photo("obama.jpg"))
    gray = face_recognition.load_image_file(photo("obama.jpg"), mode="L")
    assert gray.shape == rgb.shape[:2]
    assert face_recognition.face_locations(gray) == [(142, 617, 409, 349)]
    encodings = face_recognition.face_encodings(rgb, known_face_locations=[(142, 617, 409, 349)])
    assert len(encodings) == 1


def test_load_image_file_reads_file_objects_and_equals_pillow(photo):
    import PIL.Image
    with open(photo("obama.jpg"), "rb") as f:
        from_object = face_recognition.load_image_file(f)
    np.testing.assert_array_equal(from_object, face_recognition.load_image_file(photo("obama.jpg")))
    np.testing.assert_array_equal(np.array(PIL.Image.open(photo("32bit.png")).convert("RGB")),
                                  face_recognition.load_image_file(photo("32bit.png")))


def test_distances_and_comparisons_take_lists_and_arrays():
    known = [np.zeros(128), np.full(128, 0.1)]
    d = face_recognition.face_distance(known, np.zeros(128))
    assert isinstance(d, np.ndarray) and d.tolist() == pytest.approx([0.0, np.sqrt(128) * 0.1])
    assert face_recognition.compare_faces(known, np.zeros(128)) == [True, False]
    assert face_recognition.compare_faces(np.array([]), np.zeros(128)) == []


def test_bad_arguments_raise_python_exceptions():
    with pytest.raises(ValueError, match="small"):
        face_recognition.face_landmarks(np.zeros((50, 50, 3), np.uint8), [(0, 40, 40, 0)], model="medium")
    with pytest.raises(TypeError):
        face_recognition.face_locations(np.zeros((50, 50, 3), np.float32))
    with pytest.raises(ValueError, match="shape"):
        face_recognition.face_locations(np.zeros((50, 50, 4), np.uint8))


def test_the_cnn_model_gives_dlibs_boxes_and_confidences(photo):
    # dlib 20.0.1: cnn_face_detection_model_v1(mmod_human_face_detector.dat)(img, 1) on obama.jpg and obama2.jpg
    obama = face_recognition.load_image_file(photo("obama.jpg"))
    obama2 = face_recognition.load_image_file(photo("obama2.jpg"))
    assert face_recognition.face_locations(obama, model="cnn") == [(135, 599, 379, 354)]
    raw = api._raw_face_locations(obama2, 1, "cnn")
    assert len(raw) == 1 and raw[0].confidence == pytest.approx(1.055411, abs=1e-3)
    assert (raw[0].rect.left(), raw[0].rect.top(), raw[0].rect.right(), raw[0].rect.bottom()) == (135, 277, 429, 571)
    assert face_recognition.batch_face_locations([obama, obama], 1) == [[(135, 599, 379, 354)]] * 2
    assert face_recognition.face_locations(np.zeros((50, 50, 3), np.uint8), model="cnn") == []


def test_face_detection_prints_face_recognitions_lines(photo):
    result = CliRunner().invoke(face_detection_cli.main, [photo("obama.jpg")])
    assert result.exit_code == 0, result.output
    # upsample 0, as face_recognition's face_detection
    assert result.output == "{},136,624,394,366\n".format(photo("obama.jpg"))


def test_face_recognition_names_known_people(photo, tmp_path):
    known = tmp_path / "known"
    known.mkdir()
    for name in ("obama", "biden"):
        (known / (name + ".jpg")).symlink_to(photo(name + ".jpg"))
    blank = tmp_path / "blank.png"
    import PIL.Image
    PIL.Image.new("RGB", (64, 64), (128, 128, 128)).save(blank)
    result = CliRunner().invoke(face_recognition_cli.main, [str(known), photo("obama2.jpg"), "--show-distance", "1"])
    assert result.exit_code == 0, result.output
    path, name, distance = result.output.strip().split(",")
    assert (path, name) == (photo("obama2.jpg"), "obama") and float(distance) < 0.6
    result = CliRunner().invoke(face_recognition_cli.main, [str(known), str(blank)])
    assert result.output == "{},no_persons_found\n".format(blank)


def test_the_gil_is_released_while_rust_computes(photo):
    image = face_recognition.load_image_file(photo("obama.jpg"))
    face_recognition.face_locations(image)  # models loaded
    start = time.perf_counter()
    face_recognition.face_locations(image)
    alone = time.perf_counter() - start

    done = threading.Event()

    def work():
        for _ in range(3):
            face_recognition.face_locations(image)
        done.set()

    worker = threading.Thread(target=work)
    worker.start()
    longest_gap, last = 0.0, time.perf_counter()
    while not done.is_set():
        time.sleep(0.001)
        now = time.perf_counter()
        longest_gap, last = max(longest_gap, now - last), now
    worker.join()
    # Holding the GIL would stall this loop for a whole call.
    assert longest_gap < alone / 2, (longest_gap, alone)
