"""facenet: FaceNet and dlib face recognition, computed in Rust.

The native API (numpy arrays in and out; the GIL is released while Rust computes)::

    import facenet
    image = facenet.load_image("photo.jpg")            # (H, W, 3) uint8
    pipe = facenet.Pipeline(model="facenet")            # or "dlib"; detector="mtcnn", "hog" or "cnn"
    faces = pipe.detect(image)                          # [Face(box, score, landmarks)]
    chips = pipe.align(image, faces)                    # (N, 160, 160, 3) uint8
    emb = pipe.embed(chips)                             # (N, 512) float32
    pipe.compare(emb[0], emb[1])                        # same person?
    gallery = facenet.Gallery("faces.db", pipe)
    gallery.enroll("obama", emb[:1]); gallery.identify(emb)

``facenet.face_recognition`` is face_recognition 1.3.0's API on the same Rust code: change
``import face_recognition`` to ``from facenet import face_recognition``.

Errors of the library are raised as :class:`FacenetError` with the Rust message; bad argument values as
``ValueError``.
"""

from ._native import DlibFaces, Face, FacenetError, Gallery, Pipeline, distance, load_image
from . import face_recognition  # noqa: E402  (face_recognition 1.3.0's API)

__all__ = ["face_recognition", "DlibFaces", "Face", "FacenetError", "Gallery", "Pipeline", "distance", "load_image"]
__version__ = "0.1.0"
