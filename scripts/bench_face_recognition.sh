#!/usr/bin/env bash
# face_recognition 1.3.0 (the dlib peer) against facenet.face_recognition on the same photos, in one Python
# process: builds the wheel, installs it into a temporary venv that also sees the dlib peer's packages, runs
# scripts/bench_face_recognition.py and records the machine's load. Needs ../shared/peers/setup.sh dlib.
# Usage: scripts/bench_face_recognition.sh [REPEAT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
repeat=${1:-5}
peers=${PEERS_HOME:-$HOME/.cache/facenet-peers}
peer_python=$peers/dlib/bin/python
[ -x "$peer_python" ] || { echo "dlib peer missing: run ../shared/peers/setup.sh dlib" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$peer_python" -m venv "$work/venv"
py=$work/venv/bin/python
# The peer's packages (dlib, face_recognition, numpy, Pillow, click) on the venv's path, behind its own.
"$peer_python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' > "$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/dlib_peer.pth"
"$py" -m pip install -q "maturin>=1.9,<2"
(cd "$repo/python" && "$work/venv/bin/maturin" build -q --release --interpreter "$py" --out "$work/wheels")
"$py" -m pip install -q --no-deps "$work"/wheels/facenet-*.whl
assets=${FACENET_HOME:-$HOME/.cache/facenet}/assets
echo "uptime before: $(uptime)"
echo "cores: $(nproc); facenet threads: ${RAYON_NUM_THREADS:-all}; dlib: one thread"
"$py" "$here/bench_face_recognition.py" "$repeat" "$assets/obama.jpg" "$assets/obama2.jpg" "$assets/obama3.jpg" "$assets/biden.jpg"
echo "uptime after: $(uptime)"
