#!/usr/bin/env bash
# The GPU path (`--features gpu`: burn's wgpu backend) on lavapipe, the software Vulkan device of Debian's
# mesa-vulkan-drivers, so that machines without a GPU test it: the networks embed and detect as on the CPU
# and training steps and resume match (crates/facenet/tests/gpu.rs, crates/facenet-train/tests/gpu.rs).
# Called by scripts/test.sh (GPU_TESTS=0 skips it). Builds only the two tested crates with the feature, in
# the same target folder: the dependencies the feature does not touch are reused.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -q && apt-get install -y -q mesa-vulkan-drivers
  elif command -v sudo >/dev/null; then
    sudo apt-get update -q && sudo apt-get install -y -q mesa-vulkan-drivers
  else
    echo "test_gpu.sh: SKIPPED: no Vulkan driver (mesa-vulkan-drivers) and no root to install it" >&2
    exit 0
  fi
fi
# lavapipe warns when it finds no runtime directory
XDG_RUNTIME_DIR=$(mktemp -d)
export XDG_RUNTIME_DIR
trap 'rm -rf "$XDG_RUNTIME_DIR"' EXIT
start=$(date +%s)
cargo test --release --locked -p facenet -p facenet-train --features facenet/gpu,facenet-train/gpu --test gpu
echo "test_gpu.sh: GPU tests passed in $(( $(date +%s) - start )) s"
