"""face_recognition 1.3.0's ``api`` module over facenet's Rust port of dlib (``facenet.DlibFaces``).

HOG locations, 5- and 68-point landmarks and the 128-D encodings are dlib's, computed in Rust: HOG boxes
and landmarks identical to dlib 20.0.1's, encodings within 1e-3. The models load once, on first use, from
facenet's asset cache ($FACENET_HOME).
"""

import os
import threading

import numpy as np
import PIL.Image
from PIL import ImageFile

from .._native import DlibFaces, FacenetError, load_image

ImageFile.LOAD_TRUNCATED_IMAGES = True

_models = None
_models_lock = threading.Lock()


def _dlib():
    """The Rust models, loaded on first use."""
    global _models
    with _models_lock:
        if _models is None:
            _models = DlibFaces()
        return _models


class point:
    """A landmark, as dlib's ``point``: ``x`` and ``y`` in image pixels."""

    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = int(x)
        self.y = int(y)

    def __eq__(self, other):
        return isinstance(other, point) and (self.x, self.y) == (other.x, other.y)

    def __repr__(self):
        return "({}, {})".format(self.x, self.y)


class rectangle:
    """A face box, as dlib's ``rectangle``: inclusive ``left, top, right, bottom`` corners."""

    __slots__ = ("_ltrb",)

    def __init__(self, left=0, top=0, right=-1, bottom=-1):
        self._ltrb = (int(left), int(top), int(right), int(bottom))

    def left(self):
        return self._ltrb[0]

    def top(self):
        return self._ltrb[1]

    def right(self):
        return self._ltrb[2]

    def bottom(self):
        return self._ltrb[3]

    def width(self):
        return self._ltrb[2] - self._ltrb[0] + 1

    def height(self):
        return self._ltrb[3] - self._ltrb[1] + 1

    def __eq__(self, other):
        return isinstance(other, rectangle) and self._ltrb == other._ltrb

    def __repr__(self):
        left, top, right, bottom = self._ltrb
        return "[({}, {}) ({}, {})]".format(left, top, right, bottom)


class mmod_rectangle:
    """A CNN detection, as dlib's ``mmod_rectangle``: ``rect`` and ``confidence``."""

    __slots__ = ("rect", "confidence")

    def __init__(self, rect, confidence):
        self.rect = rect
        self.confidence = confidence


class full_object_detection:
    """Landmarks of one face, as dlib's ``full_object_detection``: ``rect``, ``parts()``, ``num_parts``."""

    __slots__ = ("rect", "_points")

    def __init__(self, rect, points):
        self.rect = rect
        self._points = np.asarray(points, dtype=np.int64)

    @property
    def num_parts(self):
        return len(self._points)

    def part(self, idx):
        x, y = self._points[idx]
        return point(x, y)

    def parts(self):
        return [point(x, y) for x, y in self._points]


def _rect_to_css(rect):
    """A box as face_recognition's css tuple: (top, right, bottom, left)."""
    return rect.top(), rect.right(), rect.bottom(), rect.left()


def _css_to_rect(css):
    """A (top, right, bottom, left) tuple as a box (``rectangle``)."""
    return rectangle(css[3], css[0], css[1], css[2])


def _trim_css_to_bounds(css, image_shape):
    """A (top, right, bottom, left) tuple clipped to an image of numpy shape ``image_shape``."""
    return max(css[0], 0), min(css[1], image_shape[1]), min(css[2], image_shape[0]), max(css[3], 0)


def face_distance(face_encodings, face_to_compare):
    """The Euclidean distance from each of ``face_encodings`` to ``face_to_compare``.

    :param face_encodings: encodings to measure (a list or an (N, 128) array; may be empty)
    :param face_to_compare: the encoding they are measured against
    :return: an ndarray of N distances, in the order of ``face_encodings``
    """
    if len(face_encodings) == 0:
        return np.empty((0))
    return np.linalg.norm(np.asarray(face_encodings) - face_to_compare, axis=1)


def load_image_file(file, mode='RGB'):
    """A photo as a numpy array.

    :param file: a path or an open binary file
    :param mode: 'RGB' (default; (H, W, 3) uint8) or 'L' ((H, W) uint8 gray), as Pillow converts
    :return: the pixels as a numpy array
    """
    if mode == 'RGB' and isinstance(file, (str, bytes, os.PathLike)):
        try:
            # Rust decoding, byte-identical to Pillow's libjpeg-turbo; no EXIF rotation, as Pillow.
            return load_image(os.fsdecode(file), apply_orientation=False)
        except FacenetError:
            pass  # a format the Rust reader lacks: Pillow decides (and raises its own errors)
    im = PIL.Image.open(file)
    if mode:
        im = im.convert(mode)
    return np.array(im)


def _as_image(img):
    """The image as a uint8 array, as dlib's Python binding requires."""
    img = np.asarray(img)
    if img.dtype != np.uint8:
        raise TypeError("Unsupported image type, must be 8bit gray or RGB image.")
    return img


def _raw_face_locations(img, number_of_times_to_upsample=1, model="hog"):
    """The face boxes of an image, best first: ``rectangle`` objects (dlib's HOG detector), or
    ``mmod_rectangle`` objects (``.rect``, ``.confidence``) with model "cnn" (dlib's MMOD CNN detector).

    :param img: a uint8 (H, W, 3) or (H, W) numpy image
    :param number_of_times_to_upsample: 2x upsamplings before detection; more finds smaller faces
    :param model: "hog" (default) or "cnn" (more accurate, slower)
    :return: a list of ``rectangle`` ("hog") or ``mmod_rectangle`` ("cnn")
    """
    if model == "cnn":
        found = _dlib().cnn_locations(_as_image(img), int(number_of_times_to_upsample))
        return [mmod_rectangle(rectangle(left, top, right, bottom), confidence)
                for left, top, right, bottom, confidence in found]
    found = _dlib().hog_locations(_as_image(img), int(number_of_times_to_upsample))
    return [rectangle(left, top, right, bottom) for left, top, right, bottom, _score in found]


def face_locations(img, number_of_times_to_upsample=1, model="hog"):
    """The face boxes of an image as (top, right, bottom, left) tuples, clipped to the image.

    :param img: a uint8 (H, W, 3) or (H, W) numpy image
    :param number_of_times_to_upsample: 2x upsamplings before detection; more finds smaller faces
    :param model: "hog" (default) or "cnn" (dlib's MMOD CNN detector)
    :return: a list of (top, right, bottom, left) tuples of ints
    """
    if model == "cnn":
        return [_trim_css_to_bounds(_rect_to_css(face.rect), img.shape)
                for face in _raw_face_locations(img, number_of_times_to_upsample, "cnn")]
    return [_trim_css_to_bounds(_rect_to_css(face), img.shape)
            for face in _raw_face_locations(img, number_of_times_to_upsample, model)]


def _raw_face_locations_batched(images, number_of_times_to_upsample=1, batch_size=128):
    """CNN detections for each of ``images`` (lists of ``mmod_rectangle``), one image at a time."""
    return [_raw_face_locations(image, number_of_times_to_upsample, "cnn") for image in images]


def batch_face_locations(images, number_of_times_to_upsample=1, batch_size=128):
    """CNN face boxes for each of ``images``, as lists of (top, right, bottom, left) tuples.

    :param images: uint8 numpy images
    :param number_of_times_to_upsample: 2x upsamplings before detection
    :param batch_size: images per batch (a GPU setting in face_recognition; unused on the CPU)
    :return: one list of tuples per image
    """
    batched = _raw_face_locations_batched(images, number_of_times_to_upsample, batch_size)
    return [[_trim_css_to_bounds(_rect_to_css(face.rect), images[0].shape) for face in detections]
            for detections in batched]


def _raw_face_landmarks(face_image, face_locations=None, model="large"):
    if face_locations is None:
        rects = _raw_face_locations(face_image)
    else:
        rects = [_css_to_rect(face_location) for face_location in face_locations]
    if model != "small":
        model = "large"  # as face_recognition: anything but "small" runs the 68-point predictor
    ltrb = [(r.left(), r.top(), r.right(), r.bottom()) for r in rects]
    shapes = _dlib().landmarks(_as_image(face_image), ltrb, model)
    return [full_object_detection(rect, points) for rect, points in zip(rects, shapes)]


def face_landmarks(face_image, face_locations=None, model="large"):
    """Named landmark groups of each face: "chin", "left_eyebrow", "right_eyebrow", "nose_bridge",
    "nose_tip", "left_eye", "right_eye", "top_lip", "bottom_lip" ("large", 68 points), or "nose_tip",
    "left_eye", "right_eye" ("small", 5 points); each a list of (x, y) tuples.

    :param face_image: a uint8 numpy image
    :param face_locations: (top, right, bottom, left) boxes; detected with HOG when None
    :param model: "large" (default) or "small"
    :return: one dict per face
    """
    landmarks = _raw_face_landmarks(face_image, face_locations, model)
    as_tuples = [[(p.x, p.y) for p in landmark.parts()] for landmark in landmarks]
    if model == 'large':
        return [_named_68_groups(points) for points in as_tuples]
    if model == 'small':
        return [{"nose_tip": [points[4]], "left_eye": points[2:4], "right_eye": points[0:2]} for points in as_tuples]
    raise ValueError("Invalid landmarks model type. Supported models are ['small', 'large'].")


def _named_68_groups(points):
    """face_recognition's names for the 68 points (iBUG 300-W markup); the lips run round their outline."""
    return {
        "chin": points[0:17],
        "left_eyebrow": points[17:22],
        "right_eyebrow": points[22:27],
        "nose_bridge": points[27:31],
        "nose_tip": points[31:36],
        "left_eye": points[36:42],
        "right_eye": points[42:48],
        "top_lip": points[48:55] + [points[64], points[63], points[62], points[61], points[60]],
        "bottom_lip": points[54:60] + [points[48], points[60], points[67], points[66], points[65], points[64]],
    }


def face_encodings(face_image, known_face_locations=None, num_jitters=1, model="small"):
    """The dlib ResNet's 128-D encoding of each face (float64 arrays, dlib's scale).

    :param face_image: a uint8 numpy image
    :param known_face_locations: (top, right, bottom, left) boxes; detected with HOG when None
    :param num_jitters: resamplings averaged per face; only 1 is supported so far (NotImplementedError)
    :param model: landmarks the chip is cut around: "small" (default, 5 points) or "large" (68)
    :return: one (128,) array per face
    """
    if num_jitters != 1:
        raise NotImplementedError("num_jitters other than 1 (dlib's random jitter) is not ported to facenet yet")
    raw_landmarks = _raw_face_landmarks(face_image, known_face_locations, model)
    encodings = _dlib().encodings(_as_image(face_image), [shape._points for shape in raw_landmarks])
    return [encoding for encoding in encodings]


def compare_faces(known_face_encodings, face_encoding_to_check, tolerance=0.6):
    """Which of ``known_face_encodings`` are within ``tolerance`` (Euclidean) of ``face_encoding_to_check``.

    :param known_face_encodings: encodings to test (a list or an array; may be empty)
    :param face_encoding_to_check: the encoding they are compared with
    :param tolerance: the largest distance still the same person (0.6, dlib's threshold)
    :return: a list of bools
    """
    return list(face_distance(known_face_encodings, face_encoding_to_check) <= tolerance)
