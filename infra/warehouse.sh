#!/usr/bin/env bash
# The private warehouse: a PostgreSQL cluster of the project's own, under .local/pg,
# listening on 127.0.0.1:${WAREHOUSE_PORT:-55432}. Started from the machine's PostgreSQL
# binaries (/usr/lib/postgresql/*/bin, or PG_BIN), or from the pip-shipped `pgserver`
# build when the machine has none. As root the server runs as the unprivileged `postgres`
# user (initdb refuses root). Not used at all when WAREHOUSE_URL is set.
#
#   infra/warehouse.sh start|stop|status|url
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PORT=${WAREHOUSE_PORT:-55432}
DB=warehouse
USER_NAME=warehouse
PASSWORD=warehouse
LINK=$ROOT/.local/pg

log() { printf '[warehouse] %s\n' "$*" >&2; }

find_bin() {
  if [ -n "${PG_BIN:-}" ]; then echo "$PG_BIN"; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return; fi
  # No server binaries on this machine: use the build that the `pgserver` wheel ships.
  log "no PostgreSQL server binaries found; installing the pip-shipped build (pgserver)"
  uv pip install --python "$ROOT/.venv/bin/python" -q pgserver >&2
  "$ROOT/.venv/bin/python" -c 'import os, pgserver; print(os.path.join(os.path.dirname(pgserver.__file__), "pginstall", "bin"))'
}

as_owner() {
  # from / : the postgres user may not be allowed into the current folder
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

data_home() {
  # The cluster lives under .local/pg; when running as root the `postgres` user must be able
  # to reach it. A clone under a 0700 folder (mktemp -d) is not reachable, so the cluster
  # then lives in /var/tmp and .local/pg links to it.
  mkdir -p "$ROOT/.local"
  if [ -e "$LINK" ]; then echo "$LINK"; return; fi
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$LINK"
    if runuser -u postgres -- test -x "$LINK"; then
      chown postgres: "$LINK"
    else
      rmdir "$LINK"
      local alt
      alt=/var/tmp/warehouse-$(printf '%s' "$ROOT" | md5sum | cut -c1-10)
      mkdir -p "$alt"; chown postgres: "$alt"; chmod 700 "$alt"
      ln -s "$alt" "$LINK"
    fi
  else
    mkdir -p "$LINK"
  fi
  echo "$LINK"
}

psql_admin() {
  as_owner "$BIN/psql" -h "$HOME_DIR" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"
}

# Memory, WAL and planner settings, sized to this machine and rewritten on every start (so an
# existing cluster gets them too; the ones marked * need a restart: `make stop warehouse`).
# This cluster is a disposable local warehouse, so durability is traded for speed (fsync off,
# wal_level minimal: CREATE TABLE AS / COPY into a new table skip the WAL). JIT is off because
# it adds 50-300 ms of compilation to the large analytic queries that dashboards send.
tune() {
  local mem_mb shared cache
  mem_mb=$(( $(getconf _PHYS_PAGES) * $(getconf PAGE_SIZE) / 1048576 ))
  shared=$(( mem_mb / 4 )); [ "$shared" -gt 4096 ] && shared=4096; [ "$shared" -lt 128 ] && shared=128
  cache=$(( mem_mb / 2 ))
  as_owner tee "$DATA/warehouse_tuning.conf" >/dev/null <<CONF
# written by infra/warehouse.sh on every start; edit the script, not this file
shared_buffers = ${shared}MB
effective_cache_size = ${cache}MB
work_mem = 64MB
maintenance_work_mem = 1GB
max_wal_size = 8GB
checkpoint_timeout = 30min
wal_level = minimal
max_wal_senders = 0
synchronous_commit = off
fsync = off
full_page_writes = off
jit = off
random_page_cost = 1.1
CONF
  grep -q "^include_if_exists = 'warehouse_tuning.conf'" "$DATA/postgresql.conf" \
    || echo "include_if_exists = 'warehouse_tuning.conf'" | as_owner tee -a "$DATA/postgresql.conf" >/dev/null
}

start() {
  BIN=$(find_bin)
  HOME_DIR=$(cd "$(data_home)" && pwd -P)
  DATA=$HOME_DIR/data
  if [ ! -s "$DATA/PG_VERSION" ]; then
    log "initialising a new cluster in $DATA"
    as_owner mkdir -p "$DATA"
    as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
      -E UTF8 --locale=C.UTF-8 >"$HOME_DIR/initdb.log" 2>&1 || { cat "$HOME_DIR/initdb.log" >&2; exit 1; }
    cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$HOME_DIR'
max_connections = 200
timezone = 'UTC'
CONF
  fi
  tune
  if as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_owner "$BIN/pg_ctl" -D "$DATA" reload >/dev/null  # settings that need no restart
    log "already running on 127.0.0.1:$PORT"
  else
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$HOME_DIR/server.log" -w -t 60 start >/dev/null \
      || { tail -n 30 "$HOME_DIR/server.log" >&2; exit 1; }
    log "started on 127.0.0.1:$PORT (log: .local/pg/server.log)"
  fi
  if [ "$(psql_admin -c "select 1 from pg_roles where rolname = '$USER_NAME'")" != 1 ]; then
    psql_admin -c "create role $USER_NAME login createdb password '$PASSWORD'"
  fi
  if [ "$(psql_admin -c "select 1 from pg_database where datname = '$DB'")" != 1 ]; then
    psql_admin -c "create database $DB owner $USER_NAME"
  fi
}

# The data folder by its physical path (.local/pg may be a link the postgres user cannot follow).
data_dir() { echo "$(readlink -f "$LINK")/data"; }

stop() {
  [ -e "$LINK/data/PG_VERSION" ] || { log "no cluster"; return 0; }
  BIN=$(find_bin)
  if as_owner "$BIN/pg_ctl" -D "$(data_dir)" status >/dev/null 2>&1; then
    as_owner "$BIN/pg_ctl" -D "$(data_dir)" -m fast -w stop >/dev/null
    log "stopped"
  fi
}

status() {
  [ -e "$LINK/data/PG_VERSION" ] || { echo "not initialised"; return 1; }
  BIN=$(find_bin)
  as_owner "$BIN/pg_ctl" -D "$(data_dir)" status
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  url) echo "postgresql://$USER_NAME:$PASSWORD@127.0.0.1:$PORT/$DB" ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
