#!/usr/bin/env bash
# dlib's HOG detector against facenet's port, in one run, on the same photos (face_recognition's test photos
# from the asset cache), at upsample 0 and 1: median ms per photo, and the machine's load before and after.
# Needs the dlib peer: ../shared/peers/setup.sh dlib (or $PEERS_HOME/dlib). Usage: scripts/bench_dlib_detect.sh [REPEAT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
repeat=${1:-5}
peers=${PEERS_HOME:-$HOME/.cache/facenet-peers}
python=$peers/dlib/bin/python
[ -x "$python" ] || { echo "dlib peer missing: run ../shared/peers/setup.sh dlib" >&2; exit 1; }
# the whole workspace, as scripts/test.sh builds it: one feature set, so burn is not rebuilt for a subset
cargo build --release -q --workspace --all-targets --manifest-path "$repo/Cargo.toml"
facenet=$repo/target/release/facenet
assets=${FACENET_HOME:-$HOME/.cache/facenet}/assets
photos=("$assets/obama.jpg" "$assets/obama2.jpg" "$assets/obama3.jpg" "$assets/biden.jpg")
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
for up in 0 1; do
  echo "== upsample $up: dlib 20.0.1 (one thread) =="
  "$python" "$here/dlib_detect_timing.py" "$up" "$repeat" "${photos[@]}"
  echo "== upsample $up: facenet (2 threads) =="
  "$facenet" -q bench detect --detector hog --upsample "$up" --repeat "$repeat" --threads 2 | sed -n '1,4p'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
