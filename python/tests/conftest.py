"""Shared fixtures: the face_recognition photos from facenet's asset cache ($FACENET_HOME or
~/.cache/facenet, filled by `facenet models fetch`)."""

import os

import pytest


def _assets():
    home = os.environ.get("FACENET_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "facenet")
    return os.path.join(home, "assets")


@pytest.fixture(scope="session")
def photo():
    """The path of a cached photo by name; skips (with the reason) when the cache lacks it."""

    def path(name):
        p = os.path.join(_assets(), name)
        if not os.path.exists(p):
            pytest.skip("{} is not in the asset cache: run `facenet models fetch`".format(p))
        return p

    return path
