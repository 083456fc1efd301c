#!/usr/bin/env bash
# Superset of the product, from its own venv (.local/superset-venv), configured by
# infra/superset/superset_config.py.
#
#   infra/superset/run.sh init           metadata schema, roles; in demo also the admin user
#                                        (created, or its password reset to the demo one)
#   infra/superset/run.sh admin          the admin user, created once from SUPERSET_ADMIN_PASSWORD
#                                        (an existing admin is left as it is; `make users`)
#   infra/superset/run.sh serve [PORT]   the web server on 127.0.0.1:PORT (default 8088)
#   infra/superset/run.sh cli ARGS...    any `superset` command with this configuration
#
# Environment: SUPERSET_HOME (default .local/superset), SUPERSET_DATABASE_URI,
# SUPERSET_SECRET_KEY, SUPERSET_ADMIN_PASSWORD (demo default admin), SUPERSET_VENV, APPROVALS_URL,
# APP_ENV. In production (APP_ENV=production) superset_config.py refuses a missing or short
# secret key and demo passwords, and no command here ever resets a password.
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

has_admin() { superset fab list-users 2>/dev/null | grep -q "username:admin "; }
create_admin() {
  superset fab create-admin --username admin --firstname Admin --lastname Superset \
    --email "${SUPERSET_ADMIN_EMAIL:-admin@localhost}" --password "$1"
}

case "${1:-}" in
  init)
    superset db upgrade
    superset init
    if [ "${APP_ENV:-demo}" != "production" ]; then
      # the demo's known login: admin/admin (or SUPERSET_ADMIN_PASSWORD) on every start
      pw="${SUPERSET_ADMIN_PASSWORD:-admin}"
      if has_admin; then superset fab reset-password --username admin --password "$pw"; else create_admin "$pw"; fi
    fi
    ;;
  admin)
    if [ -z "${SUPERSET_ADMIN_PASSWORD:-}" ]; then
      echo "SUPERSET_ADMIN_PASSWORD is not set: the admin user is created with it" >&2; exit 2
    fi
    if has_admin; then echo "[superset] user admin exists: its password is left as it is"
    else create_admin "$SUPERSET_ADMIN_PASSWORD"; fi
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
    echo "usage: $0 init | admin | serve [PORT] | cli ARGS..." >&2; exit 2 ;;
esac
