#!/usr/bin/env bash
# The Python package end to end: build the wheel (maturin build --release, sharing the workspace's target/),
# install it into a fresh venv with numpy, Pillow, click and pytest, run python/tests, then face_recognition
# 1.3.0's own tests/test_face_recognition.py (the asset `test_face_recognition.py`, with its test photos, from
# the asset cache: `facenet models fetch`) with `face_recognition` resolving to facenet.face_recognition
# (python/tests/shim). Prints the pass/fail/skip counts of both.
#
#   scripts/test_python.sh            # both suites; fails when either fails
#   FR_SUITE=0 scripts/test_python.sh # ours only
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export FACENET_HOME=${FACENET_HOME:-$HOME/.cache/facenet}

python3 -m venv "$work/venv"
py="$work/venv/bin/python"
"$py" -m pip install -q --upgrade pip
"$py" -m pip install -q "maturin>=1.9,<2" numpy Pillow click pytest
# maturin finds the workspace root and builds into its target/ (release, reused by cargo).
(cd python && "$work/venv/bin/maturin" build --release --interpreter "$py" --out "$work/wheels")
"$py" -m pip install -q "$work"/wheels/facenet-*.whl

echo "== python/tests (facenet's own)"
(cd "$work" && "$py" -m pytest -q -p no:cacheprovider "$root/python/tests")

if [ "${FR_SUITE:-1}" != 0 ]; then
  echo "== face_recognition 1.3.0's tests/test_face_recognition.py against facenet.face_recognition"
  suite="$work/fr/tests"
  mkdir -p "$suite/test_images"
  cp "$FACENET_HOME/assets/test_face_recognition.py" "$suite/" \
    || { echo "the asset test_face_recognition.py is missing: run facenet models fetch" >&2; exit 1; }
  for photo in obama.jpg obama2.jpg obama3.jpg biden.jpg obama_partial_face.jpg obama_partial_face2.jpg 32bit.png; do
    ln -s "$FACENET_HOME/assets/$photo" "$suite/test_images/$photo"
  done
  (cd "$work/fr" && PYTHONPATH="$root/python/tests/shim" "$py" -m pytest -q -p no:cacheprovider -rfs tests)
fi
echo "test_python.sh: $(( $(date +%s) - start )) s"
