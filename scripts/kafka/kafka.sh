#!/usr/bin/env bash
# Run a real single-node Apache Kafka broker (KRaft, broker+controller in one JVM) from the
# jars on Maven Central. Needs only java (17+), mvn, bash and coreutils. See README.md here.
#
#   kafka.sh fetch       resolve the broker's jars into the cache (skipped when already complete)
#   kafka.sh start       fetch if needed, wipe + format a fresh data dir, start, wait until ready
#   kafka.sh stop        SIGTERM, wait up to KAFKA_STOP_TIMEOUT (30s), then SIGKILL; idempotent
#   kafka.sh status      print state; exit 0 when running and reachable, 3 when stopped
#   kafka.sh logs [N]    print the last N (default 60) lines of the broker log
#   kafka.sh classpath   print the classpath ("<cache>/*") for running Kafka's CLI tools
#   kafka.sh tool CLASS [ARGS...]   run a Kafka CLI class with quiet logging, e.g.
#        kafka.sh tool org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
#
# Environment (all optional):
#   KAFKA_PORT=9092  KAFKA_CONTROLLER_PORT=9093  KAFKA_HOST=127.0.0.1
#   KAFKA_DATA_DIR=/tmp/cloudpatrol-kafka-$KAFKA_PORT   (wiped on every start unless KAFKA_KEEP_DATA=1)
#   KAFKA_HOME_CACHE=$HOME/.cache/cloudpatrol-kafka/<version>
#   KAFKA_VERSION=<from pom.xml>   KAFKA_START_TIMEOUT=120   KAFKA_STOP_TIMEOUT=30
#   KAFKA_HEAP_OPTS="-Xms256m -Xmx512m"   KAFKA_JVM_OPTS (extra JVM flags)
#   KAFKA_LOG4J_CONFIG=<this dir>/log4j2.properties   MVN=mvn   JAVA=java
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/pom.xml"
TEMPLATE="$SCRIPT_DIR/server.properties.template"

JAVA="${JAVA:-java}"
MVN="${MVN:-mvn}"
POM_KAFKA_VERSION="$(sed -n 's:.*<kafka\.version>\(.*\)</kafka\.version>.*:\1:p' "$POM" | head -n1)"
KAFKA_VERSION="${KAFKA_VERSION:-$POM_KAFKA_VERSION}"
CACHE_DIR="${KAFKA_HOME_CACHE:-$HOME/.cache/cloudpatrol-kafka/$KAFKA_VERSION}"
MARKER="$CACHE_DIR/.cloudpatrol-fetch-complete"

KAFKA_HOST="${KAFKA_HOST:-127.0.0.1}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
DATA_DIR="${KAFKA_DATA_DIR:-/tmp/cloudpatrol-kafka-$KAFKA_PORT}"
START_TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
STOP_TIMEOUT="${KAFKA_STOP_TIMEOUT:-30}"
HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
LOG4J_CONFIG="${KAFKA_LOG4J_CONFIG:-$SCRIPT_DIR/log4j2.properties}"

PID_FILE="$DATA_DIR/kafka.pid"
LOG_FILE="$DATA_DIR/kafka.log"
PROPS_FILE="$DATA_DIR/server.properties"
OWNER_MARK="$DATA_DIR/.cloudpatrol-kafka"   # present only in data dirs this script created

log() { printf '[kafka.sh] %s\n' "$*"; }
err() { printf '[kafka.sh] ERROR: %s\n' "$*" >&2; }
die() { err "$*"; exit 1; }

# Identity of the fetched jar set: Kafka version + pom.xml contents.
fetch_key() { printf '%s %s\n' "$KAFKA_VERSION" "$(sha256sum "$POM" | cut -d' ' -f1)"; }

have_complete_cache() {
  [[ -f "$MARKER" ]] && [[ "$(cat "$MARKER")" == "$(fetch_key)" ]] \
    && compgen -G "$CACHE_DIR/kafka_2.13-*.jar" >/dev/null
}

cmd_fetch() {
  if have_complete_cache; then
    log "jars for Kafka $KAFKA_VERSION already cached in $CACHE_DIR"
    return 0
  fi
  command -v "$MVN" >/dev/null 2>&1 || die "'$MVN' not found; Maven is needed to fetch the Kafka jars"
  local parent tmp mvn_log t0
  parent="$(dirname "$CACHE_DIR")"
  mkdir -p "$parent"
  tmp="$(mktemp -d "$parent/.fetch.XXXXXX")"
  mvn_log="$tmp.mvn.log"
  t0=$SECONDS
  log "fetching Kafka $KAFKA_VERSION jars into $CACHE_DIR (Maven local repo makes reruns fast) ..."
  if ! "$MVN" -q -B -f "$POM" -Dkafka.version="$KAFKA_VERSION" \
        dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" \
        >"$mvn_log" 2>&1; then
    err "mvn dependency:copy-dependencies failed; last lines of its output:"
    tail -n 60 "$mvn_log" >&2 || true
    rm -rf "$tmp" "$mvn_log"
    exit 1
  fi
  rm -f "$mvn_log"
  compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || { rm -rf "$tmp"; die "mvn ran but no kafka_2.13 jar was copied"; }
  fetch_key >"$tmp/$(basename "$MARKER")"
  # Swap the finished directory into place (a concurrent fetch that finished first wins).
  rm -rf "$CACHE_DIR"
  if ! mv -T "$tmp" "$CACHE_DIR" 2>/dev/null; then
    rm -rf "$tmp"
    have_complete_cache || die "could not move fetched jars into $CACHE_DIR"
  fi
  log "fetched $(find "$CACHE_DIR" -maxdepth 1 -name '*.jar' | wc -l) jars in $((SECONDS - t0))s"
}

check_java() {
  command -v "$JAVA" >/dev/null 2>&1 || die "'$JAVA' not found; Kafka $KAFKA_VERSION needs Java 17+"
  local v major
  v="$("$JAVA" -version 2>&1 | sed -n 's/.*version "\([^"]*\)".*/\1/p' | head -n1)"
  major="${v%%.*}"
  [[ "$major" == 1 ]] && major="$(echo "$v" | cut -d. -f2)"
  if [[ "$major" =~ ^[0-9]+$ ]] && (( major < 17 )); then
    die "Java $v found; Kafka 4.x needs Java 17 or newer"
  fi
}

# True when something accepts TCP connections on host:port.
port_open() {
  # shellcheck disable=SC2016  # $1/$2 are expanded by the inner bash, on purpose
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" >/dev/null 2>&1
}

# Who listens on a port (best effort, for error messages).
port_owner() {
  if command -v ss >/dev/null 2>&1; then
    ss -Hltnp "sport = :$1" 2>/dev/null | head -n 3
  fi
}

# PID from the pid file if that process is alive and is the broker this script started there.
our_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "kafka.Kafka $PROPS_FILE" || return 1
  fi
  echo "$pid"
}

stop_pid() {
  local pid="$1" waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if (( waited >= STOP_TIMEOUT * 2 )); then
      log "broker (pid $pid) still running after ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  ! kill -0 "$pid" 2>/dev/null || die "broker (pid $pid) did not exit"
}

classpath() { printf '%s/*' "$CACHE_DIR"; }

java_opts() {
  # shellcheck disable=SC2206  # word splitting of user-supplied option strings is intended
  local opts=($HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$LOG4J_CONFIG"
    -Dkafka.logs.dir="$DATA_DIR" ${KAFKA_JVM_OPTS:-})
  printf '%s\n' "${opts[@]}"
}

# JVM flags for the short-lived StorageTool runs: small heap, fast start.
TOOL_OPTS=(-Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true)

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

cmd_start() {
  local pid t0 t_launch cid opts=()
  t0=$(now_ms)
  [[ "$KAFKA_PORT" =~ ^[0-9]+$ ]] || die "KAFKA_PORT must be a number (got '$KAFKA_PORT')"
  [[ "$KAFKA_CONTROLLER_PORT" =~ ^[0-9]+$ ]] || die "KAFKA_CONTROLLER_PORT must be a number (got '$KAFKA_CONTROLLER_PORT')"
  [[ "$KAFKA_PORT" != "$KAFKA_CONTROLLER_PORT" ]] || die "KAFKA_PORT and KAFKA_CONTROLLER_PORT must differ"

  if pid="$(our_pid)"; then
    if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
      log "Kafka already running (pid $pid) on $KAFKA_HOST:$KAFKA_PORT, started by this script; nothing to do"
      return 0
    fi
    log "found our broker (pid $pid) but $KAFKA_HOST:$KAFKA_PORT is not open; stopping it and starting afresh"
    stop_pid "$pid"
  fi

  local p
  for p in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    if port_open "$KAFKA_HOST" "$p"; then
      err "port $KAFKA_HOST:$p is already in use by another process (not the broker this script started for port $KAFKA_PORT):"
      port_owner "$p" >&2 || true
      err "stop that process, or pick other ports, e.g. KAFKA_PORT=19092 KAFKA_CONTROLLER_PORT=19093 $0 start"
      exit 1
    fi
  done

  check_java
  cmd_fetch
  [[ -f "$LOG4J_CONFIG" ]] || die "log4j2 config not found: $LOG4J_CONFIG"

  # KAFKA_KEEP_DATA=1 restarts on the data a previous start formatted (the fault tests restart a broker
  # mid-stream and expect its topics and offsets back).
  local keep=0
  if [[ "${KAFKA_KEEP_DATA:-0}" == 1 && -f "$DATA_DIR/kraft-logs/meta.properties" && -f "$OWNER_MARK" ]]; then keep=1; fi
  # Otherwise a fresh data dir every start; refuse to wipe a non-empty dir this script did not create.
  if [[ $keep == 0 && -e "$DATA_DIR" ]]; then
    if [[ -f "$OWNER_MARK" ]] || [[ -z "$(ls -A "$DATA_DIR" 2>/dev/null)" ]]; then
      rm -rf "$DATA_DIR"
    else
      die "$DATA_DIR exists, is not empty and was not created by kafka.sh; refusing to wipe it; point KAFKA_DATA_DIR elsewhere or remove it"
    fi
  fi
  mkdir -p "$DATA_DIR/kraft-logs"
  : >"$OWNER_MARK"

  sed -e "s|@KAFKA_HOST@|$KAFKA_HOST|g" \
      -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
      -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@LOG_DIRS@|$DATA_DIR/kraft-logs|g" \
      "$TEMPLATE" >"$PROPS_FILE"

  local cp
  cp="$(classpath)"
  cid="${KAFKA_CLUSTER_ID:-}"
  if [[ $keep == 1 ]]; then
    cid="$(sed -n 's/^cluster.id=//p' "$DATA_DIR/kraft-logs/meta.properties")"
  elif [[ -z "$cid" ]]; then
    cid="$("$JAVA" "${TOOL_OPTS[@]}" -Dlog4j2.configurationFile="$SCRIPT_DIR/tools-log4j2.properties" -cp "$cp" \
           kafka.tools.StorageTool random-uuid 2>"$DATA_DIR/format.log" | tail -n1 | tr -d '[:space:]')" || true
    [[ "$cid" =~ ^[A-Za-z0-9_-]{22}$ ]] || { cat "$DATA_DIR/format.log" >&2; die "StorageTool random-uuid failed (got '$cid')"; }
  fi
  if [[ $keep == 0 ]] && ! "$JAVA" "${TOOL_OPTS[@]}" -Dlog4j2.configurationFile="$SCRIPT_DIR/tools-log4j2.properties" -cp "$cp" \
       kafka.tools.StorageTool format --standalone -t "$cid" -c "$PROPS_FILE" >>"$DATA_DIR/format.log" 2>&1; then
    err "formatting storage failed:"
    tail -n 60 "$DATA_DIR/format.log" >&2
    exit 1
  fi

  mapfile -t opts < <(java_opts)
  log "starting Kafka $KAFKA_VERSION on $KAFKA_HOST:$KAFKA_PORT (controller $KAFKA_CONTROLLER_PORT, cluster id $cid, data $DATA_DIR)"
  t_launch=$(now_ms)
  nohup "$JAVA" "${opts[@]}" -cp "$cp" kafka.Kafka "$PROPS_FILE" >"$LOG_FILE" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"

  local deadline=$((SECONDS + START_TIMEOUT))  # SECONDS: bash's built-in clock
  while :; do
    if ! kill -0 "$pid" 2>/dev/null; then
      err "broker process (pid $pid) exited during startup; last 60 lines of $LOG_FILE:"
      tail -n 60 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE"
      exit 1
    fi
    if grep -q 'Kafka Server started' "$LOG_FILE" 2>/dev/null && port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
      break
    fi
    if (( SECONDS >= deadline )); then
      err "broker not ready after ${START_TIMEOUT}s; last 60 lines of $LOG_FILE:"
      tail -n 60 "$LOG_FILE" >&2 || true
      log "stopping the half-started broker (pid $pid)"
      stop_pid "$pid" || true
      rm -f "$PID_FILE"
      exit 1
    fi
    sleep 0.5
  done
  local t_ready
  t_ready=$(now_ms)
  log "Kafka ready on $KAFKA_HOST:$KAFKA_PORT (pid $pid) in $(( (t_ready - t0) / 1000 )).$(printf '%03d' $(( (t_ready - t0) % 1000 )))s" \
      "(format $(( t_launch - t0 ))ms, broker boot $(( t_ready - t_launch ))ms); log: $LOG_FILE"
}

cmd_stop() {
  local pid
  if ! pid="$(our_pid)"; then
    log "Kafka on port $KAFKA_PORT is not running (no live broker for $PID_FILE)"
    rm -f "$PID_FILE"
    return 0
  fi
  log "stopping Kafka (pid $pid) ..."
  stop_pid "$pid"
  rm -f "$PID_FILE"
  log "stopped"
}

cmd_status() {
  local pid
  if pid="$(our_pid)"; then
    if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
      log "running: pid $pid, bootstrap $KAFKA_HOST:$KAFKA_PORT, Kafka $KAFKA_VERSION, data $DATA_DIR"
      return 0
    fi
    log "starting or unhealthy: pid $pid alive but $KAFKA_HOST:$KAFKA_PORT is not open (see $LOG_FILE)"
    return 1
  fi
  if port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
    log "not started by this script, but $KAFKA_HOST:$KAFKA_PORT is open (another process):"
    port_owner "$KAFKA_PORT" || true
    return 3
  fi
  log "stopped (port $KAFKA_PORT closed)"
  return 3
}

cmd_logs() {
  [[ -f "$LOG_FILE" ]] || die "no log at $LOG_FILE"
  tail -n "${1:-60}" "$LOG_FILE"
}

# Run one of Kafka's CLI classes (TopicCommand, ConsoleProducer, consumer.ConsoleConsumer, ...).
cmd_tool() {
  [[ $# -ge 1 ]] || die "usage: $0 tool CLASS [ARGS...]"
  check_java
  have_complete_cache || cmd_fetch >&2
  exec "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="${KAFKA_TOOLS_LOG4J_CONFIG:-$SCRIPT_DIR/tools-log4j2.properties}" \
    -cp "$(classpath)" "$@"
}

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  restart) cmd_stop; cmd_start ;;
  status) cmd_status ;;
  logs) shift; cmd_logs "$@" ;;
  classpath) have_complete_cache || cmd_fetch >&2; classpath; echo ;;
  tool) shift; cmd_tool "$@" ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
