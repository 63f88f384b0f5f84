#!/usr/bin/env bash
# npm run infra:down — stop only what scripts/infra.sh started (its state file says
# what); a PostgreSQL/Redis/Kafka that was already running is left alone.
# Kafka data and the cached jars stay in the cache dir, so the next start is fast.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE_DIR=${LABS_CACHE_DIR:-$HOME/.cache/distributed-systems-labs}
KAFKA_PID_FILE=$CACHE_DIR/kafka.pid
STATE_FILE=$CACHE_DIR/infra.state

state_get() { sed -n "s/^$1=//p" "$STATE_FILE" 2>/dev/null | tail -n1; }
state_del() {
  [[ -f $STATE_FILE ]] || return 0
  local tmp
  tmp=$(mktemp "$STATE_FILE.XXXX")
  grep -v "^$1=" "$STATE_FILE" >"$tmp" || true
  mv "$tmp" "$STATE_FILE"
}

# Same lock as infra.sh: do not stop things while it is starting them.
mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.infra.lock"
flock -w 300 9 || { echo "infra-down: infra.sh is still running" >&2; exit 1; }

# shellcheck source=scripts/compose.sh
. "$ROOT/scripts/compose.sh"
compose_stop() {
  [[ ${#COMPOSE[@]} -gt 0 ]] || detect_compose || { echo "$1: started with Docker, but $COMPOSE_NOTE" >&2; return 1; }
  "${COMPOSE[@]}" -f "$ROOT/docker-compose.yml" stop "$1" >&2
}
COMPOSE=()

stop_kafka_local() {
  local pid
  pid=$(cat "$KAFKA_PID_FILE" 2>/dev/null || true)
  # only signal the pid if it still is our broker (pids get reused)
  if [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka '; then
    kill -TERM "$pid"
    # SIGTERM = controlled shutdown (flushes logs); give it 30 s before SIGKILL
    local i
    for ((i = 0; i < 60; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL "$pid"
      echo "kafka: local broker (pid $pid) did not stop in 30s, killed"
    else
      echo "kafka: stopped local broker (pid $pid)"
    fi
  else
    echo "kafka: local broker was not running"
  fi
  rm -f "$KAFKA_PID_FILE"
}

# The replication lab's streaming trio: standbys first, then the primary (a fast shutdown each).
stop_pg_streaming() { # <bin dir>:<data dir>
  local bin=${1%%:*} data=${1#*:} name
  for name in replica2 replica1 primary; do
    [[ -f $data/$name/postmaster.pid ]] || { echo "pg-streaming: $name was not running"; continue; }
    if [[ $(id -u) -eq 0 ]]; then
      runuser -u postgres -- "$bin/pg_ctl" -D "$data/$name" -m fast -w -t 60 stop >/dev/null 9>&-
    else
      "$bin/pg_ctl" -D "$data/$name" -m fast -w -t 60 stop >/dev/null 9>&-
    fi && echo "pg-streaming: stopped $name ($data/$name)"
  done
}

for dep in postgres redis kafka pg-streaming; do
  how=$(state_get "$dep")
  case "$dep:$how" in
    *:docker)
      compose_stop "$dep" && echo "$dep: stopped docker compose service $dep" ;;
    kafka:local)
      stop_kafka_local ;;
    postgres:local:*) # local:<major version>
      pg_ctlcluster --skip-systemctl-redirect "${how#local:}" main stop
      echo "postgres: stopped local cluster ${how#local:}/main" ;;
    pg-streaming:local:*) # local:<bin dir>:<data dir>
      stop_pg_streaming "${how#local:}" ;;
    redis:local:*) # local:<port>
      redis-cli -h 127.0.0.1 -p "${how#local:}" shutdown nosave >/dev/null 2>&1 || true
      echo "redis: stopped local redis-server on port ${how#local:}" ;;
    *)
      echo "$dep: not started by infra.sh, left alone"
      continue ;;
  esac
  state_del "$dep"
done
