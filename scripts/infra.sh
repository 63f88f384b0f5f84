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
# Then, for the replication lab's postgres-streaming engine, a separate PostgreSQL primary and two
# hot-standby streaming replicas (see ensure_pg_streaming). That part never fails the script: when
# it cannot be started it prints a warning, records why, and the other labs run as before.
#
# Env: DATABASE_URL, REDIS_URL, KAFKA_BROKERS (first broker is checked),
#      LABS_CACHE_DIR (jars, broker data and logs), KAFKA_HEAP_OPTS, KAFKA_JVM_OPTS,
#      INFRA_WAIT_SECONDS (per dependency, default 60),
#      PG_STREAMING (on|off, default on), PG_STREAMING_PRIMARY_URL, PG_STREAMING_REPLICA1_URL,
#      PG_STREAMING_REPLICA2_URL (defaults 127.0.0.1:5433/5434/5435, database labs_streaming),
#      PG_STREAMING_BIN_DIR (default: the newest /usr/lib/postgresql/<major>/bin).
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

# ------------------------------------------------- PostgreSQL streaming replicas
# A primary and two hot standbys made with the OS's own binaries (initdb, pg_basebackup -R,
# pg_ctl), each in its own data directory under $CACHE_DIR/pg-streaming and on its own port, TCP on
# loopback only (no unix socket, so nothing touches the machine's own cluster). wal_level=replica,
# hot_standby=on, one physical replication slot per standby, trust auth on 127.0.0.1.
# $CACHE_DIR/pg-streaming/infra.status says what happened (read by the app's /health and the tests):
#   binaries=<dir>|missing   status=up|failed|off   reason=<why, when not up>
PGS_PRIMARY_URL=${PG_STREAMING_PRIMARY_URL:-postgres://postgres@127.0.0.1:5433/labs_streaming}
PGS_REPLICA1_URL=${PG_STREAMING_REPLICA1_URL:-postgres://postgres@127.0.0.1:5434/labs_streaming}
PGS_REPLICA2_URL=${PG_STREAMING_REPLICA2_URL:-postgres://postgres@127.0.0.1:5435/labs_streaming}
PGS_ROOT=$CACHE_DIR/pg-streaming
PGS_STATUS=$PGS_ROOT/infra.status
PGS_BIN=""

pgs_status() { # binaries status reason
  mkdir -p "$PGS_ROOT"
  printf 'binaries=%s\nstatus=%s\nreason=%s\nprimary=%s\nreplica1=%s\nreplica2=%s\n' "$1" "$2" "$3" \
    "$PGS_PRIMARY_URL" "$PGS_REPLICA1_URL" "$PGS_REPLICA2_URL" >"$PGS_STATUS.tmp" && mv "$PGS_STATUS.tmp" "$PGS_STATUS"
}

# Run a PostgreSQL binary as the `postgres` OS user when we are root (the server refuses to run as
# root); as ourselves otherwise. fd 9 (the infra lock) is never inherited by a server.
pgs_run() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@" 9>&-; else "$@" 9>&-; fi
}
pgs_sql() { # port sql -> one value
  psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -XtAqc "$2" 2>/dev/null
}
pgs_ready() { pg_isready -q -h 127.0.0.1 -p "$1" -t 2; }

# The data directories must be reachable by the server's OS user: under /root (mode 700) they are
# not, so they then live in that user's home and $PGS_ROOT/data links to them.
pgs_data_root() {
  local want=$PGS_ROOT/data
  [[ -d $want || -L $want ]] || mkdir -p "$want"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$(readlink -f "$want")"
    if ! runuser -u postgres -- test -w "$(readlink -f "$want")" 2>/dev/null; then
      local home
      home=$(getent passwd postgres | cut -d: -f6)
      local alt=${home:-/var/lib/postgresql}/distributed-systems-labs-pg-streaming
      mkdir -p "$alt" && chown postgres: "$alt"
      rmdir "$want" 2>/dev/null || true
      [[ -L $want ]] || ln -s "$alt" "$want"
      echo "pg-streaming: the postgres user cannot reach $PGS_ROOT; data directories in $alt (linked from $want)" >&2
    fi
  fi
  PGS_DATA=$(readlink -f "$want")
}

pgs_conf() { # datadir port name -> the settings every node of the trio shares
  cat >"$1/streaming.conf" <<CONF
# written by scripts/infra.sh (replication lab, postgres-streaming engine)
port = $2
# also the standby's application_name in the primary's pg_stat_replication
cluster_name = '$3'

listen_addresses = '127.0.0.1'
unix_socket_directories = ''
wal_level = replica
max_wal_senders = 10
max_replication_slots = 10
wal_keep_size = '256MB'
hot_standby = on
hot_standby_feedback = on
wal_receiver_status_interval = '1s'
max_connections = 60
shared_buffers = '32MB'
log_min_messages = warning
CONF
  grep -q "^include_if_exists = 'streaming.conf'" "$1/postgresql.conf" \
    || echo "include_if_exists = 'streaming.conf'" >>"$1/postgresql.conf"
}

pgs_start() { # name datadir port
  pgs_ready "$3" && return 0
  pgs_run "$PGS_BIN/pg_ctl" -D "$2" -l "$PGS_DATA/$1.log" -w -t "$WAIT_SECONDS" start >/dev/null \
    || { echo "---- $PGS_DATA/$1.log (tail)" >&2; tail -n 20 "$PGS_DATA/$1.log" >&2 || true; return 1; }
}

pgs_primary() {
  local dir=$PGS_DATA/primary port=$1 db=$2
  if [[ ! -f $dir/PG_VERSION ]]; then
    rm -rf "$dir"
    pgs_run "$PGS_BIN/initdb" -D "$dir" -U postgres --auth=trust --no-instructions -E UTF8 >"$PGS_ROOT/initdb.out" 2>&1 \
      || { cat "$PGS_ROOT/initdb.out" >&2; return 1; }
    pgs_conf "$dir" "$port" primary
    # trust on loopback only, replication connections included
    printf 'host all all 127.0.0.1/32 trust\nhost replication all 127.0.0.1/32 trust\n' >"$dir/pg_hba.conf"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir/streaming.conf" "$dir/pg_hba.conf"
    PGS_NOTES+="primary initialised, "
  fi
  pgs_start primary "$dir" "$port" || return 1
  local slot
  for slot in replica1 replica2; do
    [[ $(pgs_sql "$port" "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$slot'") == 1 ]] \
      || pgs_sql "$port" "SELECT 1 FROM pg_create_physical_replication_slot('$slot')" >/dev/null || return 1
  done
  [[ $(pgs_sql "$port" "SELECT 1 FROM pg_database WHERE datname = '${db//\'/\'\'}'") == 1 ]] \
    || createdb -h 127.0.0.1 -p "$port" -U postgres "$db" || return 1
}

pgs_standby() { # name port primary_port delay_ms
  local name=$1 dir=$PGS_DATA/$1 port=$2 primary_port=$3
  if [[ ! -f $dir/PG_VERSION ]]; then
    rm -rf "$dir"
    # -R writes standby.signal and primary_conninfo (+ primary_slot_name, with -S) for us
    pgs_run "$PGS_BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres -D "$dir" -R -X stream -S "$name" \
      -c fast >"$PGS_ROOT/basebackup-$name.out" 2>&1 || { cat "$PGS_ROOT/basebackup-$name.out" >&2; return 1; }
    pgs_conf "$dir" "$port" "$name"
    # the seed's delay as the starting point; the app changes it at runtime (ALTER SYSTEM + reload)
    echo "recovery_min_apply_delay = '${4}ms'" >>"$dir/streaming.conf"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir/streaming.conf"
    PGS_NOTES+="$name cloned with pg_basebackup -R, "
  fi
  pgs_start "$name" "$dir" "$port" || return 1
  [[ $(pgs_sql "$port" "SELECT pg_is_in_recovery()") == t ]] || { echo "pg-streaming: $name on $port is not a standby" >&2; return 1; }
}

pgs_streaming() { # primary_port -> both standbys stream from the primary
  [[ $(pgs_sql "$1" "SELECT count(*) FROM pg_stat_replication WHERE application_name IN ('replica1', 'replica2') AND state = 'streaming'") -ge 2 ]]
}

ensure_pg_streaming() {
  local t0 p1 p2 p3 db
  t0=$(now_ms)
  PGS_NOTES=""
  if [[ ${PG_STREAMING:-on} == off ]]; then
    pgs_status "${PGS_BIN:-not looked up}" off "PG_STREAMING=off"
    echo "pg-streaming: skipped (PG_STREAMING=off)"
    return 0
  fi
  parse_url "$PGS_PRIMARY_URL" 5433; p1=$U_PORT db=${U_PATH:-labs_streaming}
  is_local "$U_HOST" || { pgs_status remote up ""; echo "pg-streaming: remote primary $U_HOST:$p1, not started here"; return 0; }
  parse_url "$PGS_REPLICA1_URL" 5434; p2=$U_PORT
  parse_url "$PGS_REPLICA2_URL" 5435; p3=$U_PORT

  # Already up (this run's or an earlier one's): nothing to start.
  if pgs_ready "$p1" && pgs_ready "$p2" && pgs_ready "$p3" \
    && [[ $(pgs_sql "$p2" "SELECT pg_is_in_recovery()") == t && $(pgs_sql "$p3" "SELECT pg_is_in_recovery()") == t ]]; then
    pgs_status "$(cat "$PGS_ROOT/bin" 2>/dev/null || echo unknown)" up ""
    echo "pg-streaming: already running (primary :$p1, standbys :$p2 :$p3)"
    return 0
  fi

  local bin=${PG_STREAMING_BIN_DIR:-}
  if [[ -z $bin ]]; then
    bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  fi
  local tool
  for tool in initdb pg_ctl pg_basebackup postgres; do
    if [[ -z $bin || ! -x $bin/$tool ]]; then
      pgs_status missing failed "no $tool in ${bin:-/usr/lib/postgresql/*/bin} (install the postgresql server package or set PG_STREAMING_BIN_DIR)"
      echo "pg-streaming: WARNING: not started: no PostgreSQL server binaries ($tool) in ${bin:-/usr/lib/postgresql/*/bin}; the replication lab's postgres-streaming engine stays unavailable, everything else is unaffected" >&2
      return 0
    fi
  done
  PGS_BIN=$bin
  mkdir -p "$PGS_ROOT" && echo "$bin" >"$PGS_ROOT/bin"
  [[ $(id -u) -ne 0 ]] || getent passwd postgres >/dev/null || {
    pgs_status "$bin" failed "no postgres OS user to run the servers as"
    echo "pg-streaming: WARNING: not started: no postgres OS user to run the servers as" >&2
    return 0
  }
  pgs_data_root

  local step
  for step in "pgs_primary $p1 $db" "pgs_standby replica1 $p2 $p1 500" "pgs_standby replica2 $p3 $p1 1500"; do
    # shellcheck disable=SC2086 # the step is a command line
    if ! $step; then
      pgs_status "$bin" failed "${step%% *} ${step#* } failed (logs in $PGS_DATA)"
      echo "pg-streaming: WARNING: ${step} failed (logs in $PGS_DATA); the replication lab's postgres-streaming engine stays unavailable, everything else is unaffected" >&2
      state_set pg-streaming "local:$bin:$PGS_DATA"
      return 0
    fi
  done
  state_set pg-streaming "local:$bin:$PGS_DATA"
  local deadline=$(($(now_ms) + WAIT_SECONDS * 1000))
  until pgs_streaming "$p1"; do
    if (($(now_ms) >= deadline)); then
      pgs_status "$bin" failed "standbys up but not streaming from the primary after ${WAIT_SECONDS}s (see $PGS_DATA/*.log)"
      echo "pg-streaming: WARNING: the standbys are up but not streaming after ${WAIT_SECONDS}s (logs in $PGS_DATA)" >&2
      return 0
    fi
    sleep 0.5
  done
  pgs_status "$bin" up ""
  echo "pg-streaming: started primary :$p1 and hot standbys :$p2 :$p3 (${PGS_NOTES}$bin) in $(secs_since "$t0"); data and logs in $PGS_DATA"
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
# Never fails the run: the other labs and CI do not need it (it prints why when it is not up).
ensure_pg_streaming || echo "pg-streaming: WARNING: setup stopped early; the postgres-streaming engine stays unavailable" >&2
