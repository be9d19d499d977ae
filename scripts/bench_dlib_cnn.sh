#!/usr/bin/env bash
# dlib's MMOD CNN face detector (face_recognition's model="cnn") against facenet's port, in one run, on the
# same photos (face_recognition's test photos from the asset cache) at upsample 1: median ms per photo, the
# ratio, and the machine's load before and after. dlib takes ~20–100 s a photo on two cores, so REPEAT
# defaults to 1 for it (facenet: 3).
# Needs the dlib peer: ../shared/peers/setup.sh dlib (or $PEERS_HOME/dlib). Usage: scripts/bench_dlib_cnn.sh [REPEAT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
repeat=${1:-1}
peers=${PEERS_HOME:-$HOME/.cache/facenet-peers}
python=$peers/dlib/bin/python
[ -x "$python" ] || { echo "dlib peer missing: run ../shared/peers/setup.sh dlib" >&2; exit 1; }
# the whole workspace, as scripts/test.sh builds it: one feature set, so burn is not rebuilt for a subset
cargo build --release -q --workspace --all-targets --manifest-path "$repo/Cargo.toml"
facenet=$repo/target/release/facenet
assets=${FACENET_HOME:-$HOME/.cache/facenet}/assets
photos=(obama.jpg obama2.jpg)
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo "== upsample 1: dlib 20.0.1 cnn_face_detection_model_v1 =="
dlib_out=$("$python" "$here/dlib_detect_timing.py" --cnn "$assets/mmod_human_face_detector.dat" 1 "$repeat" \
  "${photos[@]/#/$assets/}")
echo "$dlib_out"
echo "== upsample 1: facenet --detector cnn (2 threads) =="
ours=$("$facenet" -q bench detect --detector cnn --upsample 1 --repeat 3 --threads 2 | sed -n '1,2p')
echo "$ours"
for photo in "${photos[@]}"; do
  d=$(echo "$dlib_out" | awk -v p="$photo" '$1 == p { print $(NF-1) }')
  f=$(echo "$ours" | awk -v p="$photo" '$1 == p { print $(NF-1) }')
  awk -v p="$photo" -v d="$d" -v f="$f" 'BEGIN { printf "%-12s dlib %.0f ms, facenet %.0f ms: %.1f× faster\n", p, d, f, d / f }'
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
