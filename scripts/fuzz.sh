#!/usr/bin/env bash
# Builds the cargo-fuzz targets of fuzz/ (issue 20) and runs each: libFuzzer with a 2 GB RSS limit and a
# 1 s limit per input; any crash, timeout or out-of-memory fails the script and leaves the input in
# fuzz/artifacts/<target>/. Prints one line per target: executions, seconds, coverage (edges), result.
#
#   scripts/fuzz.sh                      # every burn-free target for FUZZ_SECONDS (20) each
#   FUZZ_BURN=1 scripts/fuzz.sh          # also the targets that reach facenet-nn (builds burn instrumented)
#   FUZZ_RUNS=1000000 scripts/fuzz.sh image_decode    # a campaign: N executions of the named targets
#
# env: FUZZ_SECONDS, FUZZ_RUNS (overrides the time limit), FUZZ_JOBS (targets run at once, default 2),
# FUZZ_NICE (default 19). Needs cargo-fuzz (installed if missing, --locked) and runs on the stable toolchain
# through RUSTC_BOOTSTRAP=1 (libFuzzer's sanitizer-coverage flags are nightly-only).
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
FUZZ_JOBS=${FUZZ_JOBS:-2}
FUZZ_NICE=${FUZZ_NICE:-19}
export RUSTC_BOOTSTRAP=1
target_dir=$PWD/target/fuzz

light=(image_decode shape_predictor hog_detector lfw_pairs ytf_splits score_csv gallery_import)
heavy=(dlib_dnn torch_pickle tf_graph checkpoint)
features=()
if [ $# -gt 0 ]; then
  targets=("$@")
else
  targets=("${light[@]}")
  [ "${FUZZ_BURN:-0}" = 1 ] && targets+=("${heavy[@]}")
fi
for t in "${targets[@]}"; do
  for h in "${heavy[@]}"; do [ "$t" = "$h" ] && features=(--features burn); done
done

# the longest input libFuzzer makes per target: model files need their headers and first layers, text short
max_len() {
  case $1 in
    lfw_pairs | ytf_splits | score_csv | checkpoint) echo 8192 ;;
    gallery_import | hog_detector) echo 16384 ;;
    *) echo 65536 ;;
  esac
}

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
start=$(date +%s)
mkdir -p target/fuzz/logs
if ! (cd fuzz && nice -n "$FUZZ_NICE" cargo fuzz build -O -a --target-dir "$target_dir" "${features[@]}") \
  >target/fuzz/logs/build.log 2>&1; then
  grep -vE '^\s+(Compiling|Downloaded|Downloading)' target/fuzz/logs/build.log | tail -40 >&2
  echo "fuzz.sh: the fuzz targets did not build (target/fuzz/logs/build.log)" >&2
  exit 1
fi
built=$(( $(date +%s) - start ))
echo "fuzz.sh: built in ${built} s"
[ -d fuzz/corpus ] || scripts/fuzz_seeds.sh >/dev/null

bin_dir=$target_dir/x86_64-unknown-linux-gnu/release
run_one() {
  local t=$1 log=target/fuzz/logs/$1.log limit
  mkdir -p target/fuzz/logs "fuzz/corpus/$t" "fuzz/artifacts/$t"
  if [ -n "${FUZZ_RUNS:-}" ]; then limit=(-runs="$FUZZ_RUNS"); else limit=(-max_total_time="$FUZZ_SECONDS"); fi
  local t0 rc=0
  t0=$(date +%s)
  nice -n "$FUZZ_NICE" "$bin_dir/$t" "fuzz/corpus/$t" -artifact_prefix="fuzz/artifacts/$t/" \
    -rss_limit_mb=2048 -timeout=1 -max_len="$(max_len "$t")" -print_final_stats=1 "${limit[@]}" >"$log" 2>&1 || rc=$?
  local runs cov
  runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || echo '?')
  local result=ok
  [ "$rc" = 0 ] || result="FAILED (rc $rc): $(grep -m1 -E 'ERROR|panicked|Test unit written' "$log" || true) — see $log"
  printf '%-16s %12s runs %6s s  cov %6s  %s\n' "$t" "$runs" "$(( $(date +%s) - t0 ))" "$cov" "$result"
  [ "$rc" = 0 ]
}

failed=0
pids=()
for t in "${targets[@]}"; do
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$FUZZ_JOBS" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
echo "fuzz.sh: ${#targets[@]} targets in $(( $(date +%s) - start )) s (build ${built} s)"
exit "$failed"
