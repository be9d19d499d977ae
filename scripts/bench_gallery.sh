#!/usr/bin/env bash
# The gallery backends on the same vectors (crates/facenet-gallery/examples/bench_backends.rs): enrol
# rate, identify p50/p99 and recall@1 against exact, for SQLite exact f32, SQLite int8 + re-rank and
# pgvector HNSW at ef_search 40 and 200, at 512-D and 128-D, on a throw-away PostgreSQL
# (scripts/pg_test_server.sh). The faces go in as one bulk load: PostgreSQL's rate includes building
# the HNSW index once at the end.
#
#   scripts/bench_gallery.sh [N]     # N faces per run, default 100000; the issue's figure is N=1000000
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100000}
echo "bench_gallery: N=$n on $(hostname), $(nproc) cores; uptime: $(uptime)"
cargo build --release -q --workspace --all-targets  # builds the bench_backends example with the workspace's feature set
server=$(scripts/pg_test_server.sh start)
for dim in 512 128; do
  db="facenet_bench_${dim}_$$"
  # a fresh database per run, created with the test server's own psql
  # the HNSW build after the bulk load is fast only while its graph fits in maintenance_work_mem
  # (≈ 2.3 KB per 512-D face, docs/scale-out.md)
  "$(cat "${TMPDIR:-/tmp}/facenet-pg-test.state")/site/pgserver/pginstall/bin/psql" "$server" -q \
    -c "CREATE DATABASE $db" -c "ALTER DATABASE $db SET maintenance_work_mem = '$(( n * 3 / 1000 + 64 ))MB'"
  ./target/release/examples/bench_backends "$n" "$dim" "${server%/*}/$db"
done
echo "bench_gallery: uptime after: $(uptime)"
