#!/usr/bin/env bash
# Builds the cargo-fuzz targets of fuzz/ (issue 20) and runs each: libFuzzer with a 2 GB RSS limit and a
# 1 s limit per input; any crash, timeout or out-of-memory fails the script and leaves the input in
# target/fuzz/artifacts/<target>/. Prints one line per target: executions, seconds, coverage (edges),
# result. Corpora live in target/fuzz/corpus/<target>/ (scripts/fuzz_seeds.sh makes them on first use).
#
#   scripts/fuzz.sh                      # every target for FUZZ_SECONDS (20) each, two at a time
#   FUZZ_RUNS=1000000 scripts/fuzz.sh image_decode    # a campaign: N executions of the named targets
#   FUZZ_SANITIZER=address scripts/fuzz.sh            # with AddressSanitizer (its own build folder)
#
# One instrumented build serves every target (the model readers and the server pull burn in, so it is
# built once, not once per feature set). The default sanitizer is none: the parsers are safe Rust, where
# out-of-bounds reads and overflows already panic (the build has debug assertions), so ASan adds little
# there and costs a slower build and 2-5x fewer executions per second; it is worth a long campaign on
# the parsers that reach unsafe code or C (the JPEG decoder's SIMD paths, SQLite in gallery_import).
#
# env: FUZZ_SECONDS, FUZZ_RUNS (overrides the time limit), FUZZ_JOBS (targets run at once, default 2),
# FUZZ_NICE (default 19), FUZZ_SANITIZER (none, address, ...), FUZZ_TIMEOUT (seconds per input, default
# 1; libFuzzer measures it on the wall clock, so a campaign at nice 19 on a busy machine needs more, and a
# timeout it reports is checked by rerunning the input alone: `target/fuzz/<triple>/release/T INPUT`).
# Needs cargo-fuzz (installed if missing, --locked) and runs on the stable toolchain through
# RUSTC_BOOTSTRAP=1 (libFuzzer's sanitizer-coverage flags are nightly-only).
# Campaign figures and the CI cost: docs/fuzzing.md.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
FUZZ_JOBS=${FUZZ_JOBS:-2}
FUZZ_NICE=${FUZZ_NICE:-19}
FUZZ_SANITIZER=${FUZZ_SANITIZER:-none}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-1}
export RUSTC_BOOTSTRAP=1
target_dir=$PWD/target/fuzz
[ "$FUZZ_SANITIZER" = none ] || target_dir=$PWD/target/fuzz-$FUZZ_SANITIZER
work=target/fuzz

all=(checkpoint dlib_dnn torch_pickle tf_graph image_decode shape_predictor hog_detector server_request
  gallery_import score_csv lfw_pairs ytf_splits)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi

# the longest input libFuzzer makes per target: model files need their headers and first layers, text short
max_len() {
  case $1 in
    lfw_pairs | ytf_splits | score_csv) echo 8192 ;;
    gallery_import | hog_detector | server_request) echo 16384 ;;
    *) echo 65536 ;;
  esac
}

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
start=$(date +%s)
mkdir -p $work/logs
if ! (cd fuzz && nice -n "$FUZZ_NICE" cargo fuzz build -O -a -s "$FUZZ_SANITIZER" --target-dir "$target_dir") \
  >$work/logs/build.log 2>&1; then
  grep -vE '^\s+(Compiling|Downloaded|Downloading)' $work/logs/build.log | tail -40 >&2
  echo "fuzz.sh: the fuzz targets did not build ($work/logs/build.log)" >&2
  exit 1
fi
built=$(( $(date +%s) - start ))
echo "fuzz.sh: built in ${built} s (sanitizer $FUZZ_SANITIZER)"
scripts/fuzz_seeds.sh >/dev/null # idempotent: a new target gets its seeds beside an existing corpus

bin_dir=$target_dir/x86_64-unknown-linux-gnu/release
run_one() {
  local t=$1 log=$work/logs/$1.log limit
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  if [ -n "${FUZZ_RUNS:-}" ]; then limit=(-runs="$FUZZ_RUNS"); else limit=(-max_total_time="$FUZZ_SECONDS"); fi
  local t0 rc=0
  t0=$(date +%s)
  nice -n "$FUZZ_NICE" "$bin_dir/$t" "$work/corpus/$t" -artifact_prefix="$work/artifacts/$t/" \
    -rss_limit_mb=2048 -timeout="$FUZZ_TIMEOUT" -max_len="$(max_len "$t")" -print_final_stats=1 "${limit[@]}" >"$log" 2>&1 || rc=$?
  local runs cov rss
  runs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -ao 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo '?')
  rss=$(grep -ao 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  local result=ok
  [ "$rc" = 0 ] || result="FAILED (rc $rc): $(grep -a -m1 -E 'ERROR|panicked|Test unit written' "$log" || true) — see $log"
  printf '%-16s %12s runs %6s s  cov %6s  rss %5s MB  %s\n' "$t" "$runs" "$(( $(date +%s) - t0 ))" "$cov" "$rss" "$result"
  [ "$rc" = 0 ]
}

failed=0
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$FUZZ_JOBS" ]; then
    wait -n || failed=1
    running=$((running - 1))
  fi
  run_one "$t" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || failed=1
  running=$((running - 1))
done
echo "fuzz.sh: ${#targets[@]} targets in $(( $(date +%s) - start )) s (build ${built} s)"
exit "$failed"
