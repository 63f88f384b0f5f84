#!/usr/bin/env bash
# npm run infra — make PostgreSQL, Redis and Kafka reachable for the labs.
#
# For each dependency, in order:
#   1. already reachable (real protocol check)  -> use it;
#   2. a Docker engine answers                   -> `docker compose up -d <service>`;
#   3. otherwise start it locally: PostgreSQL/Redis from the OS packages, Kafka as a
#      single-node KRaft broker run with the machine's Java from the official jars,
#      which Maven resolves from Maven Central (docker/kafka/pom.xml) into a cache dir.
# What this script starts is recorded in a state file so that scripts/infra-down.sh
# stops only that. Idempotent: a second run finds everything up and does nothing.
#
# Env: DATABASE_URL, REDIS_URL, KAFKA_BROKERS (first broker is checked),
#      LABS_CACHE_DIR (jars, broker data and logs), KAFKA_HEAP_OPTS, KAFKA_JVM_OPTS,
#      INFRA_WAIT_SECONDS (per dependency, default 60).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/labs}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379}
KAFKA_BROKERS=${KAFKA_BROKERS:-127.0.0.1:9092}
WAIT_SECONDS=${INFRA_WAIT_SECONDS:-60}

KAFKA_VERSION=3.9.1 # passed to Maven as -Dkafka.version (overrides the pom default)
CACHE_DIR=${LABS_CACHE_DIR:-$HOME/.cache/distributed-systems-labs}
KAFKA_HOME=$CACHE_DIR/kafka-$KAFKA_VERSION    # libs/ + generated server.properties
KAFKA_DATA_DIR=$CACHE_DIR/kafka-data          # KRaft metadata + topic logs
KAFKA_LOG_DIR=$CACHE_DIR/kafka-logs           # log4j server.log + JVM stdout/stderr
KAFKA_PID_FILE=$CACHE_DIR/kafka.pid
STATE_FILE=$CACHE_DIR/infra.state             # lines "<dep>=docker|local[:<detail>]"

die() { echo "infra: $*" >&2; exit 1; }
now_ms() { date +%s%3N; }
secs_since() { local d=$(($(now_ms) - $1)); printf '%d.%01ds' $((d / 1000)) $((d % 1000 / 100)); }

# Remember that we started <dep> (and how), for infra-down.sh.
state_set() {
  local tmp
  tmp=$(mktemp "$STATE_FILE.XXXX")
  { grep -v "^$1=" "$STATE_FILE" 2>/dev/null || true; echo "$1=$2"; } >"$tmp"
  mv "$tmp" "$STATE_FILE"
}

# parse_url URL DEFAULT_PORT -> U_USER U_PASS U_HOST U_PORT U_PATH
# (scheme://[user[:pass]@]host[:port][/path][?query]; IPv6 hosts in brackets)
parse_url() {
  local rest=${1#*://} hostport auth
  rest=${rest%%\?*}
  hostport=${rest%%/*}
  U_PATH=""
  [[ $rest == */* ]] && U_PATH=${rest#*/}
  U_USER="" U_PASS=""
  if [[ $hostport == *@* ]]; then
    auth=${hostport%@*} hostport=${hostport##*@}
    U_USER=${auth%%:*}
    [[ $auth == *:* ]] && U_PASS=${auth#*:}
  fi
  if [[ $hostport =~ ^\[(.*)\](:([0-9]+))?$ ]]; then
    U_HOST=${BASH_REMATCH[1]} U_PORT=${BASH_REMATCH[3]:-$2}
  elif [[ $hostport == *:* ]]; then
    U_HOST=${hostport%:*} U_PORT=${hostport##*:}
  else
    U_HOST=$hostport U_PORT=$2
  fi
  U_HOST=${U_HOST:-127.0.0.1}
  return 0
}

# We only ever start things on this machine; a remote host must be up already.
is_local() { [[ $1 == 127.0.0.1 || $1 == localhost || $1 == ::1 || $1 == 0.0.0.0 || $1 == "$(hostname)" ]]; }

tcp_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

# A TCP connect alone also succeeds while a broker is still starting (or if something
# else owns the port), so send a Kafka ApiVersions v0 request and expect error_code 0:
# request = size 10 | api_key 18 | version 0 | correlation_id 42 | client_id null;
# response starts with size(4) | correlation_id(4) | error_code(2).
kafka_answers() {
  local out
  out=$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/$0/$1" || exit 1
    printf "\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x2a\xff\xff" >&3
    head -c 10 <&3 | od -An -tx1' "$1" "$2" 2>/dev/null) || return 1
  [[ $(echo $out) =~ ^([0-9a-f]{2}\ ){4}00\ 00\ 00\ 2a\ 00\ 00$ ]]
}

# Install Debian packages on demand (only when a tool we need is missing).
apt_install() {
  local sudo=""
  if ! command -v apt-get >/dev/null; then
    die "$* is needed to run PostgreSQL/Redis/Kafka locally, but this machine has no apt-get, and Docker \
was not usable (${COMPOSE_NOTE:-not probed}). Either install Docker with Compose (Docker Desktop on \
macOS), or start PostgreSQL, Redis and Kafka yourself and point DATABASE_URL, REDIS_URL and \
KAFKA_BROKERS at them (see README)."
  fi
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  echo "infra: installing $* with apt-get" >&2
  $sudo apt-get update -qq >&2 || die "apt-get update failed"
  # 9>&-: package scripts may start services, which must not inherit the lock
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2 9>&- || die "apt-get install $* failed"
}
need_cmd() { command -v "$1" >/dev/null || apt_install "$2"; }

# Docker (engine + Compose v2 or v1) is only probed when something is down, so the all-up path
# stays fast.
# shellcheck source=scripts/compose.sh
. "$ROOT/scripts/compose.sh"
DOCKER_OK=""
docker_available() {
  if [[ -z $DOCKER_OK ]]; then
    DOCKER_OK=no
    if detect_compose; then
      DOCKER_OK=yes
      echo "infra: using ${COMPOSE[*]}" >&2
    else
      echo "infra: not using Docker: $COMPOSE_NOTE; starting what is missing from the OS packages" >&2
    fi
  fi
  [[ $DOCKER_OK == yes ]]
}
compose_up() {
  [[ -f $ROOT/docker-compose.yml ]] || die "$1: Docker is available but $ROOT/docker-compose.yml is missing"
  "${COMPOSE[@]}" -f "$ROOT/docker-compose.yml" up -d "$1" >&2 9>&- || die "$1: ${COMPOSE[*]} up -d $1 failed"
}

# wait_for NAME CHECK_FN ARGS... : poll every 0.5 s up to WAIT_SECONDS.
wait_for() {
  local name=$1 deadline=$(($(now_ms) + WAIT_SECONDS * 1000))
  shift
  until "$@"; do
    (($(now_ms) < deadline)) || die "$name: not reachable after ${WAIT_SECONDS}s"
    sleep 0.5
  done
}

# ---------------------------------------------------------------- PostgreSQL
pg_ready() { pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2; }

ensure_postgres() {
  parse_url "$DATABASE_URL" 5432
  PG_HOST=$U_HOST PG_PORT=$U_PORT PG_USER=${U_USER:-postgres} PG_DB=${U_PATH:-postgres}
  [[ -n $U_PASS ]] && export PGPASSWORD=$U_PASS
  local at="$PG_HOST:$PG_PORT" how t0
  need_cmd pg_isready postgresql-client

  if pg_ready; then
    how="already running at $at"
  elif ! is_local "$PG_HOST"; then
    die "postgres: $at is not reachable (remote host: start it yourself or fix DATABASE_URL)"
  elif docker_available; then
    t0=$(now_ms)
    compose_up postgres
    wait_for postgres pg_ready
    state_set postgres docker
    how="started with docker compose at $at in $(secs_since "$t0")"
  else
    t0=$(now_ms)
    command -v pg_ctlcluster >/dev/null && [[ -n $(ls /etc/postgresql 2>/dev/null) ]] \
      || apt_install postgresql
    # newest installed major version, its "main" cluster (Debian layout)
    local ver
    ver=$(ls /etc/postgresql | sort -V | tail -n1)
    [[ -n $ver ]] || die "postgres: no cluster under /etc/postgresql"
    pg_ctlcluster --skip-systemctl-redirect "$ver" main start >&2 9>&- \
      || die "postgres: pg_ctlcluster $ver main start failed"
    wait_for postgres pg_ready
    state_set postgres "local:$ver"
    how="started local cluster $ver/main at $at in $(secs_since "$t0")"
  fi

  # The labs expect their database to exist (each lab then owns a schema in it).
  local q="SELECT 1 FROM pg_database WHERE datname='${PG_DB//\'/\'\'}'"
  if [[ $(psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -XtAc "$q") != 1 ]]; then
    createdb -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" "$PG_DB" || die "postgres: createdb $PG_DB failed"
    how+=", created database $PG_DB"
  fi
  echo "postgres: $how"
}

# --------------------------------------------------------------------- Redis
redis_ready() { [[ $(timeout 3 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

ensure_redis() {
  parse_url "$REDIS_URL" 6379
  REDIS_HOST=$U_HOST REDIS_PORT=$U_PORT
  [[ -n $U_PASS ]] && export REDISCLI_AUTH=$U_PASS
  local at="$REDIS_HOST:$REDIS_PORT" t0
  need_cmd redis-cli redis-tools

  if redis_ready; then
    echo "redis: already running at $at"
  elif ! is_local "$REDIS_HOST"; then
    die "redis: $at is not reachable (remote host: start it yourself or fix REDIS_URL)"
  elif docker_available; then
    t0=$(now_ms)
    compose_up redis
    wait_for redis redis_ready
    state_set redis docker
    echo "redis: started with docker compose at $at in $(secs_since "$t0")"
  else
    t0=$(now_ms)
    command -v redis-server >/dev/null || apt_install redis-server
    mkdir -p /var/lib/redis /var/log/redis
    # no persistence: lab data is disposable
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
      --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log >&2 9>&- \
      || die "redis: redis-server failed to start (see /var/log/redis/ci.log)"
    wait_for redis redis_ready
    state_set redis "local:$REDIS_PORT"
    echo "redis: started local redis-server at $at in $(secs_since "$t0")"
  fi
}

# --------------------------------------------------------------------- Kafka
# pid of the broker we started earlier, if it is still that process
kafka_pid() {
  local pid
  pid=$(cat "$KAFKA_PID_FILE" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka ' \
    && echo "$pid"
}

# Resolve the broker classpath once; a marker file tells a complete download from an
# interrupted one.
kafka_fetch_jars() {
  [[ -f $KAFKA_HOME/libs/.complete ]] && return 0
  command -v java >/dev/null || apt_install default-jre-headless
  command -v mvn >/dev/null || apt_install maven
  local t0 tmp
  t0=$(now_ms)
  mkdir -p "$KAFKA_HOME"
  tmp=$(mktemp -d "$KAFKA_HOME/libs.tmp.XXXX")
  # output kept for a failure only (mvn -q still prints colour resets)
  mkdir -p "$KAFKA_LOG_DIR"
  mvn -q -B -Dstyle.color=never -f "$ROOT/docker/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >"$KAFKA_LOG_DIR/mvn.out" 2>&1 \
    || { cat "$KAFKA_LOG_DIR/mvn.out" >&2; rm -rf "$tmp"
         die "kafka: mvn could not resolve the Kafka $KAFKA_VERSION jars from Maven Central"; }
  touch "$tmp/.complete"
  rm -rf "$KAFKA_HOME/libs"
  mv "$tmp" "$KAFKA_HOME/libs"
  KAFKA_NOTES+="jars resolved by Maven in $(secs_since "$t0") ($(ls "$KAFKA_HOME/libs" | wc -l) jars), "
}

# java command line shared by StorageTool and the broker; heap/JVM opts can be overridden
kafka_java_cmd() {
  local heap=${KAFKA_HEAP_OPTS:--Xms128m -Xmx512m}
  local jvm=${KAFKA_JVM_OPTS:--XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true}
  # shellcheck disable=SC2206 # the opts are deliberately word-split
  KAFKA_JAVA=(java $heap $jvm
    -Dlog4j.configuration="file:$ROOT/docker/kafka/log4j.properties" -Dkafka.logs.dir="$KAFKA_LOG_DIR"
    -cp "$KAFKA_HOME/libs/*")
}

kafka_start_local() {
  kafka_fetch_jars
  mkdir -p "$KAFKA_DATA_DIR" "$KAFKA_LOG_DIR"
  # regenerate every time so edits to the template apply on the next start
  sed "s#@KAFKA_DATA_DIR@#$KAFKA_DATA_DIR#g" "$ROOT/docker/kafka/server.properties" \
    >"$KAFKA_HOME/server.properties"

  kafka_java_cmd

  # KRaft storage is formatted once, with a cluster id of its own; later starts reuse it.
  if [[ ! -f $KAFKA_DATA_DIR/meta.properties ]]; then
    local t0 cluster_id
    t0=$(now_ms)
    cluster_id=$("${KAFKA_JAVA[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n1)
    [[ -n $cluster_id ]] || die "kafka: could not generate a cluster id"
    "${KAFKA_JAVA[@]}" kafka.tools.StorageTool format --ignore-formatted -t "$cluster_id" \
      -c "$KAFKA_HOME/server.properties" >"$KAFKA_LOG_DIR/format.out" 2>&1 \
      || { cat "$KAFKA_LOG_DIR/format.out" >&2; die "kafka: formatting $KAFKA_DATA_DIR failed"; }
    KAFKA_NOTES+="storage formatted in $(secs_since "$t0"), "
  fi

  # Detached from this shell (own session, no stdin, lock fd closed) so it outlives
  # `npm run infra`; setsid and nohup exec in place, so $! is the java pid.
  : >"$KAFKA_LOG_DIR/kafka.out"
  setsid nohup "${KAFKA_JAVA[@]}" kafka.Kafka "$KAFKA_HOME/server.properties" \
    >>"$KAFKA_LOG_DIR/kafka.out" 2>&1 </dev/null 9>&- &
  echo $! >"$KAFKA_PID_FILE"
  state_set kafka local
}

# "Really ready": answers ApiVersions and has logged "Kafka Server started" (in KRaft
# that comes after the broker registered with the controller and was unfenced) past
# LOG_OFFSET, the size of server.log before this start; -1 = answering is enough (the
# 3.9 broker only opens its listener once started).
kafka_ready_local() {
  kafka_answers "$KAFKA_HOST" "$KAFKA_PORT" || return 1
  ((LOG_OFFSET < 0)) \
    || tail -c +"$((LOG_OFFSET + 1))" "$KAFKA_LOG_DIR/server.log" 2>/dev/null | grep -q 'Kafka Server started'
}

kafka_wait_local() {
  local pid=$1 deadline=$(($(now_ms) + WAIT_SECONDS * 1000))
  until kafka_ready_local; do
    if ! kill -0 "$pid" 2>/dev/null || (($(now_ms) >= deadline)); then
      echo "---- $KAFKA_LOG_DIR/kafka.out (tail)" >&2
      tail -n 30 "$KAFKA_LOG_DIR/kafka.out" >&2 || true
      echo "---- $KAFKA_LOG_DIR/server.log (tail)" >&2
      tail -c +"$((LOG_OFFSET < 0 ? 1 : LOG_OFFSET + 1))" "$KAFKA_LOG_DIR/server.log" 2>/dev/null \
        | tail -n 30 >&2 || true
      kill -0 "$pid" 2>/dev/null && die "kafka: broker (pid $pid) not ready after ${WAIT_SECONDS}s"
      die "kafka: broker exited during startup"
    fi
    sleep 0.5
  done
}

ensure_kafka() {
  local first=${KAFKA_BROKERS%%,*}
  parse_url "plaintext://${first#*://}" 9092
  KAFKA_HOST=$U_HOST KAFKA_PORT=$U_PORT
  local at="$KAFKA_HOST:$KAFKA_PORT" t0 pid
  KAFKA_NOTES=""

  if kafka_answers "$KAFKA_HOST" "$KAFKA_PORT"; then
    echo "kafka: already running at $at"
    return
  fi
  is_local "$KAFKA_HOST" || die "kafka: $at does not answer (remote host: start it yourself or fix KAFKA_BROKERS)"
  tcp_open "$KAFKA_HOST" "$KAFKA_PORT" && ! kafka_pid >/dev/null \
    && die "kafka: something listens on $at but does not answer the Kafka protocol"

  t0=$(now_ms)
  LOG_OFFSET=$(stat -c %s "$KAFKA_LOG_DIR/server.log" 2>/dev/null || echo 0)
  if pid=$(kafka_pid); then
    # started by an earlier run and still coming up: wait for it, start nothing new
    echo "kafka: waiting for the broker started earlier (pid $pid)" >&2
    LOG_OFFSET=-1
    kafka_wait_local "$pid"
    echo "kafka: local broker (pid $pid) ready at $at after $(secs_since "$t0")"
  elif docker_available; then
    compose_up kafka
    wait_for kafka kafka_answers "$KAFKA_HOST" "$KAFKA_PORT"
    state_set kafka docker
    echo "kafka: started with docker compose at $at in $(secs_since "$t0")"
  else
    [[ $KAFKA_HOST:$KAFKA_PORT =~ ^(127\.0\.0\.1|localhost):9092$ ]] \
      || die "kafka: the local broker listens on 127.0.0.1:9092 only, not $at (see docker/kafka/server.properties)"
    kafka_start_local
    pid=$(cat "$KAFKA_PID_FILE")
    local t1
    t1=$(now_ms)
    kafka_wait_local "$pid"
    echo "kafka: started local KRaft broker $KAFKA_VERSION (pid $pid) at $at — ${KAFKA_NOTES}broker ready in $(secs_since "$t1"), total $(secs_since "$t0"); logs in $KAFKA_LOG_DIR"
  fi
}

# ---------------------------------------------------------------------- main
mkdir -p "$CACHE_DIR"
# One run at a time (two concurrent `npm run infra` must not start two brokers).
# Every daemon we spawn gets `9>&-`, or it would inherit and hold this lock forever.
exec 9>"$CACHE_DIR/.infra.lock"
flock -w 300 9 || die "another infra.sh still running (lock $CACHE_DIR/.infra.lock)"

ensure_postgres
ensure_redis
ensure_kafka
