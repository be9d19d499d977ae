#!/usr/bin/env bash
# Runs the official CompreFace Python SDK (PyPI compreface-sdk 0.6.0, unchanged) against `facenet serve`:
# installs it into a venv (target/compreface-sdk-venv), then runs the Rust test that starts the server and
# drives scripts/compreface_sdk_round.py through it.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/compreface-sdk-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -c "import compreface" 2>/dev/null || "$venv/bin/python" -m pip install -q "compreface-sdk==0.6.0" "urllib3<2"
FACENET_SDK_PYTHON="$PWD/$venv/bin/python" cargo test --release -p facenet-cli --test serve -- compreface_sdk --nocapture
