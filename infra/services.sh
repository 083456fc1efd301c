#!/usr/bin/env bash
# Background services of the local demo (simulator, Dagster, Superset, approvals page):
# each runs in its own process group, with a pid file in .local/run and a log in .local/log.
#
#   infra/services.sh start NAME URL_TO_WAIT_FOR -- COMMAND...
#   infra/services.sh stop NAME | stop-all | status
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=.local/run; LOGS=.local/log
mkdir -p "$RUN" "$LOGS"

running() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

# Who listens on the port of URL (when `ss` may say), for the message below.
holder() {
  local port
  port=$(echo "$1" | sed -E 's#^[a-z]+://[^/:]+:([0-9]+).*#\1#')
  command -v ss >/dev/null && ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'users:.*' | head -n 1
}

start() {
  local name=$1 url=$2; shift 2; [ "${1:-}" = "--" ] && shift
  if running "$name"; then echo "[$name] already running (pid $(cat "$RUN/$name.pid"))"; return 0; fi
  # An answer with no process of ours behind it is someone else's service (another checkout's
  # demo, an old run): using it would mix worlds, so say which port is taken and stop.
  if [ -n "$url" ] && curl -fsS -o /dev/null --max-time 3 "$url" 2>/dev/null; then
    local who; who=$(holder "$url" || true)
    echo "[$name] $url already answers, but not from this checkout's $name (no live pid in $RUN):" \
         "the port is taken${who:+ by $who}; stop that process or choose another port" >&2
    return 1
  fi
  setsid "$@" >"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! >"$RUN/$name.pid"
  if [ -n "$url" ]; then
    for _ in $(seq 1 ${WAIT_SECONDS:-180}); do
      if curl -fsS -o /dev/null "$url" 2>/dev/null; then echo "[$name] up at $url"; return 0; fi
      if ! running "$name"; then echo "[$name] exited; last lines of $LOGS/$name.log:" >&2; tail -n 40 "$LOGS/$name.log" >&2; return 1; fi
      sleep 1
    done
    echo "[$name] did not answer at $url in time; see $LOGS/$name.log" >&2; return 1
  fi
}

stop() {
  local name=$1 pid
  [ -f "$RUN/$name.pid" ] || return 0
  pid=$(cat "$RUN/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "[$name] stopped"
  fi
  rm -f "$RUN/$name.pid"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop "$2" ;;
  stop-all) for f in "$RUN"/*.pid; do [ -e "$f" ] && stop "$(basename "$f" .pid)"; done; true ;;
  status) for f in "$RUN"/*.pid; do [ -e "$f" ] || continue; n=$(basename "$f" .pid); if running "$n"; then echo "$n: running"; else echo "$n: dead"; fi; done ;;
  *) echo "usage: $0 start NAME URL -- CMD... | stop NAME | stop-all | status" >&2; exit 2 ;;
esac
