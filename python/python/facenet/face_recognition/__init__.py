"""face_recognition 1.3.0's API (ageitgey/face_recognition), computed by facenet's Rust port of dlib's
models: switch a program with ``from facenet import face_recognition`` in place of
``import face_recognition``. Same functions, signatures, defaults and return types; the module layout
(``api``, ``face_recognition_cli``, ``face_detection_cli``) is face_recognition's too.
"""

from .api import (
    batch_face_locations,
    compare_faces,
    face_distance,
    face_encodings,
    face_landmarks,
    face_locations,
    load_image_file,
)

__all__ = [
    "batch_face_locations",
    "compare_faces",
    "face_distance",
    "face_encodings",
    "face_landmarks",
    "face_locations",
    "load_image_file",
]
__version__ = "1.3.0"
