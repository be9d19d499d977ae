#!/usr/bin/env bash
# The README's test command: every test the project has, on a fresh machine. Installs what is missing
# (Debian packages: pip, venv, npm, chromium + chromium-driver for the web page's browser test; PyPI: the
# CompreFace SDK, maturin and the Python test tools, each into a venv under target/), fetches the pinned
# assets, then runs the Rust tests (unit, integration, process, SDK and browser tests) and the Python
# package's tests (ours and face_recognition 1.3.0's own suite), the ONNX export through onnxruntime, and
# the GPU path on lavapipe (scripts/test_gpu.sh: installs mesa-vulkan-drivers).
#
#   scripts/test.sh            # everything
#   PYTHON_TESTS=0 GPU_TESTS=0 scripts/test.sh   # without the Python package's and the GPU's tests
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)

need_apt=()
command -v cargo >/dev/null || { echo "test.sh: cargo is missing (install Rust first)" >&2; exit 1; }
python3 -m pip --version >/dev/null 2>&1 || need_apt+=(python3-pip)
python3 -c "import ensurepip" >/dev/null 2>&1 || need_apt+=(python3-venv)
command -v npm >/dev/null || need_apt+=(npm)
# The web page's browser test (facenet-server tests/web.rs) drives Debian's chromium through chromedriver.
command -v chromium >/dev/null || need_apt+=(chromium)
command -v chromedriver >/dev/null || need_apt+=(chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -q && apt-get install -y -q "${need_apt[@]}"
  elif command -v sudo >/dev/null; then
    sudo apt-get update -q && sudo apt-get install -y -q "${need_apt[@]}"
  else
    echo "test.sh: missing ${need_apt[*]} and no root: the tests that need them skip with a note" >&2
  fi
fi

export FACENET_HOME=${FACENET_HOME:-$HOME/.cache/facenet}
# every target of the workspace, so that the binary and the tests share one feature set (one build of burn)
cargo build --release --workspace --all-targets
./target/release/facenet models fetch

# The official CompreFace Python SDK, run unchanged against `facenet serve` by facenet-cli's tests/serve.rs
# (its requests-toolbelt needs urllib3 1.x).
sdk_venv=target/compreface-sdk-venv
[ -x "$sdk_venv/bin/python" ] || python3 -m venv "$sdk_venv"
"$sdk_venv/bin/python" -m pip install -q "compreface-sdk==0.6.0" "urllib3<2"
export FACENET_SDK_PYTHON="$PWD/$sdk_venv/bin/python"

# A throw-away PostgreSQL + pgvector server for the gallery's PostgreSQL backend tests (stopped and deleted
# on exit; without FACENET_TEST_PG_URL those tests skip with a loud line).
if [ -z "${FACENET_TEST_PG_URL:-}" ]; then
  FACENET_TEST_PG_URL=$(scripts/pg_test_server.sh start)
  export FACENET_TEST_PG_URL
  export FACENET_TEST_PG_SCRIPT="$PWD/scripts/pg_test_server.sh"
  trap 'scripts/pg_test_server.sh destroy' EXIT
fi

cargo test --release --workspace

# `facenet export --onnx` against onnxruntime (PyPI, in a venv under target/): embeddings within 1e-4.
scripts/check_onnx_export.sh

# The GPU path on lavapipe (software Vulkan): `--features gpu` builds of facenet and facenet-train.
if [ "${GPU_TESTS:-1}" != 0 ]; then
  scripts/test_gpu.sh
fi

# The Python package: wheel, fresh venv, our pytest suite and face_recognition's own suite.
if [ "${PYTHON_TESTS:-1}" != 0 ]; then
  scripts/test_python.sh
fi
echo "test.sh: every suite passed in $(( $(date +%s) - start )) s"
