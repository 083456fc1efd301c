#!/usr/bin/env bash
# Superset of the product, from its own venv (.local/superset-venv), configured by
# infra/superset/superset_config.py.
#
#   infra/superset/run.sh init           metadata schema, roles, admin user (idempotent)
#   infra/superset/run.sh serve [PORT]   the web server on 127.0.0.1:PORT (default 8088)
#   infra/superset/run.sh cli ARGS...    any `superset` command with this configuration
#
# Environment: SUPERSET_HOME (default .local/superset), SUPERSET_DATABASE_URI,
# SUPERSET_SECRET_KEY, SUPERSET_ADMIN_PASSWORD (default admin), SUPERSET_VENV, APPROVALS_URL.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
SUPERSET_VENV="${SUPERSET_VENV:-$ROOT/.local/superset-venv}"
export SUPERSET_HOME="${SUPERSET_HOME:-$ROOT/.local/superset}"
export SUPERSET_CONFIG_PATH="$HERE/superset_config.py"
export FLASK_APP=superset
export PYTHONUNBUFFERED=1
mkdir -p "$SUPERSET_HOME"
if [ ! -x "$SUPERSET_VENV/bin/superset" ]; then
  echo "Superset is not installed at $SUPERSET_VENV: run 'make superset-venv'" >&2
  exit 1
fi
superset() { "$SUPERSET_VENV/bin/superset" "$@"; }

case "${1:-}" in
  init)
    superset db upgrade
    superset init
    pw="${SUPERSET_ADMIN_PASSWORD:-admin}"
    if ! superset fab list-users 2>/dev/null | grep -q "username:admin "; then
      superset fab create-admin --username admin --firstname Admin --lastname Superset \
        --email admin@localhost --password "$pw"
    else
      superset fab reset-password --username admin --password "$pw"
    fi
    ;;
  serve)
    port="${2:-8088}"
    # One worker with threads: the metadata may be SQLite, and CI has two cores.
    exec "$SUPERSET_VENV/bin/gunicorn" --bind "127.0.0.1:$port" --workers 1 \
      --worker-class gthread --threads 8 --timeout 180 --limit-request-line 0 \
      --limit-request-field_size 0 "superset.app:create_app()"
    ;;
  cli)
    shift; superset "$@" ;;
  *)
    echo "usage: $0 init | serve [PORT] | cli ARGS..." >&2; exit 2 ;;
esac
