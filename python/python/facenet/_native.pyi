"""Type stubs of the Rust extension module ``facenet._native``."""

from os import PathLike
from typing import List, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

class FacenetError(Exception):
    """An error of the facenet library; its message says what went wrong and where."""

def load_image(path: Union[str, PathLike], apply_orientation: bool = True) -> npt.NDArray[np.uint8]:
    """Reads a photo as an (H, W, 3) uint8 RGB array (EXIF orientation applied when asked)."""

def distance(a: npt.ArrayLike, b: npt.ArrayLike, metric: str = "squared_l2") -> float:
    """The distance between two float32 embeddings: "l2" or "squared_l2"."""

class Face:
    """One detected face."""

    @property
    def box(self) -> Tuple[float, float, float, float]:
        """(x1, y1, x2, y2) in image pixels."""
    @property
    def score(self) -> float:
        """The detector's confidence."""
    @property
    def landmarks(self) -> Optional[npt.NDArray[np.float32]]:
        """(K, 2) (x, y) landmarks, or None."""
    @property
    def landmark_scheme(self) -> Optional[str]:
        """"mtcnn5", "dlib5", "dlib68" or None."""

class Pipeline:
    """A detector, an aligner and an embedding model that belong together."""

    def __init__(self, model: str = "facenet", detector: str = "mtcnn") -> None:
        """model: "facenet", "dlib" or a checkpoint folder; detector: "mtcnn", "hog" or "cnn"."""
    @property
    def model_id(self) -> str: ...
    @property
    def dim(self) -> int: ...
    @property
    def metric(self) -> str:
        """"l2" or "squared_l2": the metric of ``threshold``."""
    @property
    def threshold(self) -> float: ...
    def detect(self, image: npt.NDArray[np.uint8]) -> List[Face]:
        """The faces of an (H, W, 3) uint8 image."""
    def align(self, image: npt.NDArray[np.uint8], faces: List[Face]) -> npt.NDArray[np.uint8]:
        """The model's aligned crops of ``faces``: (N, H, W, 3) uint8."""
    def embed(self, chips: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
        """Embeddings of aligned (N, H, W, 3) uint8 chips: (N, dim) float32."""
    def embed_image(self, image: npt.NDArray[np.uint8]) -> Tuple[List[Face], npt.NDArray[np.float32]]:
        """Detect, align and embed every face of an image."""
    def distance(self, a: npt.ArrayLike, b: npt.ArrayLike) -> float:
        """The model's distance between two embeddings."""
    def compare(self, a: npt.ArrayLike, b: npt.ArrayLike, threshold: Optional[float] = None) -> bool:
        """Whether two embeddings are the same person (distance within the threshold)."""

class Gallery:
    """A face gallery file (SQLite) bound to one pipeline's model."""

    def __init__(self, path: Union[str, PathLike], pipeline: Pipeline) -> None: ...
    def enroll(self, name: str, embeddings: npt.NDArray[np.float32]) -> int:
        """Stores (N, dim) or (dim,) embeddings under ``name``; returns how many were stored."""
    def identify(self, embeddings: npt.NDArray[np.float32]) -> List[Tuple[str, Optional[float]]]:
        """(name or "unknown", distance) for each embedding."""
    def subjects(self) -> List[Tuple[str, int]]:
        """(name, number of faces) of every subject."""
    def remove(self, name: str) -> int:
        """Removes a subject; returns how many faces went."""
    def __len__(self) -> int: ...

class DlibFaces:
    """dlib's HOG and CNN detectors, 5/68-point predictors and ResNet in Rust (face_recognition's models)."""

    def __init__(self) -> None: ...
    def hog_locations(
        self, image: npt.NDArray[np.uint8], upsample: int
    ) -> List[Tuple[int, int, int, int, float]]:
        """[(left, top, right, bottom, score)], highest score first."""
    def cnn_locations(
        self, image: npt.NDArray[np.uint8], upsample: int
    ) -> List[Tuple[int, int, int, int, float]]:
        """[(left, top, right, bottom, confidence)] of dlib's MMOD CNN detector, highest first."""
    def landmarks(
        self, image: npt.NDArray[np.uint8], rects: List[Tuple[int, int, int, int]], model: str
    ) -> List[npt.NDArray[np.int64]]:
        """(K, 2) (x, y) landmarks of each (left, top, right, bottom) box; model "small" or "large"."""
    def encodings(self, image: npt.NDArray[np.uint8], shapes: List[npt.NDArray[np.int64]]) -> npt.NDArray[np.float64]:
        """(N, 128) dlib encodings of the faces whose landmarks are given."""
