#!/usr/bin/env bash
# Seed corpora for the fuzz targets (fuzz/, issue 20), derived from the fetched assets and the fixture files
# into target/fuzz/corpus/<target>/ (not committed; nothing fetched is). Big model files are cut to their
# first SEED_BYTES bytes: headers and the first layers are what a parser spends its branches on, and
# libFuzzer runs with a bounded -max_len anyway. Idempotent: rerunning rewrites the same files.
#
#   scripts/fuzz_seeds.sh        (env: FACENET_HOME, BIN = the facenet binary for the generated seeds)
set -euo pipefail
cd "$(dirname "$0")/.."
assets=${FACENET_HOME:-$HOME/.cache/facenet}/assets
BIN=${BIN:-target/release/facenet}
SEED_BYTES=${SEED_BYTES:-65536}
corpus=target/fuzz/corpus
fixtures=crates/facenet-core/tests/fixtures

seed() { # seed TARGET NAME: stdin → target/fuzz/corpus/TARGET/NAME
  mkdir -p "$corpus/$1" && cat > "$corpus/$1/$2"
}
head_of() { head -c "$SEED_BYTES" "$1"; }
# a seed with a leading mode byte (targets that read several formats take the first byte as the choice)
with_mode() { printf "\\x$(printf %02x "$1")"; cat; }

for photo in obama.jpg biden.jpg obama_partial_face.jpg 32bit.png; do
  if [ -f "$assets/$photo" ]; then head_of "$assets/$photo" | seed image_decode "cut-$photo"; fi
done
for image in crates/facenet-server/tests/fixtures/blank.png; do
  seed image_decode "$(basename "$image")" < "$image"
done

for model in shape_predictor_5_face_landmarks.dat shape_predictor_68_face_landmarks.dat; do
  if [ -f "$assets/$model" ]; then head_of "$assets/$model" | seed shape_predictor "cut-$model"; fi
done

if [ -f "$assets/frontal_face_detector.h" ]; then
  # the header text (mode 0), cut; and a whole small detector is what the text decodes to (mode 2)
  # (16 KiB: the instrumented decoder takes ~0.4 s of CPU for 64 KiB of header, near the 1 s limit on a busy
  # machine)
  head -c 16384 "$assets/frontal_face_detector.h" | with_mode 0 | seed hog_detector header.h
  grep -o 'sout << ".*";' "$assets/frontal_face_detector.h" | sed -n 1,40p | with_mode 0 | seed hog_detector lines.h
fi

for pairs in "$fixtures"/lfw/*.txt; do seed lfw_pairs "$(basename "$pairs")" < "$pairs"; done
with_mode 0 < "$fixtures/ytf/videos_sample.tsv" | seed ytf_splits videos.tsv
with_mode 1 < "$fixtures/ytf/splits_sample.tsv" | seed ytf_splits splits.tsv
for scores in "$fixtures"/metrics/*.csv; do head -c 16384 "$scores" | seed score_csv "$(basename "$scores")"; done

if [ -f "$assets/dlib_face_recognition_resnet_model_v1.dat" ]; then head_of "$assets/dlib_face_recognition_resnet_model_v1.dat" | with_mode 0 | seed dlib_dnn cut-resnet.dat; fi
if [ -f "$assets/mmod_human_face_detector.dat" ]; then head_of "$assets/mmod_human_face_detector.dat" | with_mode 1 | seed dlib_dnn cut-mmod.dat; fi
for net in pnet rnet onet; do
  if [ -f "$assets/$net.pt" ]; then head_of "$assets/$net.pt" | seed torch_pickle "cut-$net.pt"; fi
done
if [ -f "$assets/pnet.pt" ]; then seed torch_pickle pnet.pt < "$assets/pnet.pt"; fi
if [ -f "$assets/graph_final.pb" ]; then head_of "$assets/graph_final.pb" | seed tf_graph cut-graph_final.pb; fi

# Server requests: "query\ncontent type\nbody", multipart and base64 JSON, one image or two, a small PNG.
png=crates/facenet-server/tests/fixtures/blank.png
part() { # part NAME: a multipart part of the PNG under boundary xyz
  printf -- '--xyz\r\nContent-Disposition: form-data; name="%s"; filename="%s.png"\r\nContent-Type: image/png\r\n\r\n' "$1" "$1"
  cat "$png"
  printf '\r\n'
}
{
  printf 'limit=1&det_prob_threshold=0.5&face_plugins=landmarks,calculator&status=true\nmultipart/form-data; boundary=xyz\n'
  part file
  printf -- '--xyz--\r\n'
} | seed server_request multipart-file
{
  printf 'face_plugins=landmarks&prediction_count=3\nmultipart/form-data; boundary="xyz"\n'
  part source_image
  part target_image
  printf -- '--xyz--\r\n'
} | seed server_request multipart-verify
b64=$(base64 -w0 "$png")
printf 'subject=ann%%20lee&limit=0&status=false\napplication/json\n{"file": "data:image/png;base64,%s"}' "$b64" |
  seed server_request json-file
printf 'det_prob_threshold=0.9\napplication/json; charset=utf-8\n{"source_image": "%s", "target_image": "%s"}' \
  "$b64" "${b64%%=*}" | seed server_request json-verify

# Generated with the binary (skipped without it): a gallery export of one face, a trained checkpoint's config.
if [ -x "$BIN" ] && [ -f "$assets/obama.jpg" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  if "$BIN" -q enroll --db "$work/g.db" --name obama "$assets/obama.jpg" >/dev/null 2>&1 &&
    "$BIN" -q gallery --db "$work/g.db" export --out "$work/export.jsonl" >/dev/null 2>&1; then
    seed gallery_import export.jsonl < "$work/export.jsonl"
  else
    echo "fuzz_seeds.sh: no gallery export seed (enrol or export failed)" >&2
  fi
  if "$BIN" -q synth --identities 3 --per-identity 3 --size 48 --seed 1 --out "$work/data" >/dev/null 2>&1 &&
    "$BIN" -q train --data "$work/data" --arch nns2 --input-size 40x40 --out "$work/run" --steps 1 \
      --people-per-batch 3 --images-per-person 3 >/dev/null 2>&1; then
    config=$(find "$work/run" -name config.json | head -1)
    [ -n "$config" ] && with_mode 0 < "$config" | seed checkpoint config.json
    weights=$(find "$work/run" -name model.safetensors | head -1)
    [ -n "$weights" ] && head_of "$weights" | with_mode 1 | seed checkpoint cut-model.safetensors
  else
    echo "fuzz_seeds.sh: no checkpoint seed (training one step failed)" >&2
  fi
fi
# small synthetic seeds, committed with the targets (fuzz/seeds/<target>/)
for dir in fuzz/seeds/*/; do
  [ -d "$dir" ] || continue
  target=$(basename "$dir")
  mkdir -p "$corpus/$target" && cp "$dir"* "$corpus/$target/"
done
for dir in "$corpus"/*/; do echo "$(basename "$dir"): $(ls "$dir" | wc -l) seeds, $(du -sh "$dir" | cut -f1)"; done
