#!/usr/bin/env bash
# The fairydust benchmarks, in one command: `bench/run.sh`.
#
# 1. GraphQL overhead and memory: wrk POSTs `{ version }` and `{ health { status } }` to the release server
#    (PostgreSQL + Redis) and a small JSON to a plain axum handler (bench-baseline), same settings, same
#    run; the server's RSS is read from /proc idle, during and after load, and idle on the embedded
#    default (SQLite + in-process cache).
# 2. DUST consumption: bench-load drives `consumeDust` with one connection per signed-in user; pgbench
#    runs the same conditional UPDATE + INSERT (bench/pgbench/consume.sql) on the same PostgreSQL server;
#    then the ledger invariant (Σ transactions = balance) is checked in SQL for every bench user.
# 3. Hot paths: after storing recipes and publishing approved apps through the API (bench-load seed),
#    bench-load drives `me`, a recipes page, the marketplace and `generateText` (to bench-mock-llm on
#    loopback) with one user per connection, and requestOtp + verifyOtp pairs; each is compared with the
#    plain axum handler driven by the same generator, with SQL statements (the server's metric) and
#    Redis commands (INFO commandstats) per request. BENCH_PROFILE_DIR=dir adds one more run of each
#    with `perf record` on the server and writes flat profiles there. After the server has stopped,
#    pgbench runs the SQL the server sends for one `me`, recipes page and marketplace request
#    (bench/pgbench/me.sql, recipes.sql, marketplace.sql) with the same settings: PostgreSQL's own
#    ceiling for each path. Subscriptions: 1 000 more users each keep a WebSocket subscribed to
#    dustBalanceChanged while bench-load debits them with consumeDust; it measures from each debit's
#    answer to its event at the client, and the server's RSS. Portal bundles: the gzipped WebAssembly
#    and JS of each console, as scripts/build-portals.sh builds them for dist/.
#
# Needs PostgreSQL (trust auth) and Redis running; installs wrk with apt-get when missing; builds the
# server and the bench crate in release mode. Creates a fresh database and a fresh Redis key prefix, and
# removes both, and every process it started, when it ends (also on failure or Ctrl-C). Prints a summary
# and rewrites the results section of docs/BENCHMARKS.md.
#
# Settings (environment): BENCH_CONNECTIONS (32), BENCH_THREADS (2), BENCH_DURATION (15 s),
# BENCH_WARMUP (3 s), BENCH_USERS (32), BENCH_LIGHT_CONNECTIONS (4: the light-load latency runs of
# benchmark 2), BENCH_DB_POOL (32: the server's DATABASE_MAX_CONNECTIONS),
# BENCH_PGHOST (127.0.0.1), BENCH_PGPORT (5432), BENCH_PGUSER (postgres),
# BENCH_REDIS_URL (redis://127.0.0.1:6379), BENCH_NO_DOC=1 to leave docs/BENCHMARKS.md alone,
# BENCH_PROFILE_DIR (unset: no profiles), BENCH_SOCKETS (1000: subscribed WebSockets, one per user),
# BENCH_PORTALS=0 to skip building the portals and measuring their bundles.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-3}
USERS=${BENCH_USERS:-32}
LIGHT=${BENCH_LIGHT_CONNECTIONS:-4}
RECIPES=50 # per user, benchmark 3
APPS=50    # in the marketplace, benchmark 3
DB_POOL=${BENCH_DB_POOL:-32}
SOCKETS=${BENCH_SOCKETS:-1000}
PGHOST_=${BENCH_PGHOST:-127.0.0.1}
PGPORT_=${BENCH_PGPORT:-5432}
PGUSER_=${BENCH_PGUSER:-postgres}
REDIS_URL_=${BENCH_REDIS_URL:-redis://127.0.0.1:6379}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
DOC=$ROOT/docs/BENCHMARKS.md

STARTED_AT=$(date +%s)
WORK=$(mktemp -d -t fairydust-bench.XXXXXX)
DB_NAME="fairydust_bench_$$_${RANDOM}"
REDIS_PREFIX="bench:${RANDOM}${RANDOM}:"
DB_CREATED=false
PIDS=()

say() { printf '\n== %s\n' "$*"; }
die() { printf 'bench/run.sh: %s\n' "$*" >&2; exit 1; }

psql_() { psql -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" -v ON_ERROR_STOP=1 -qtAX "$@"; }

stop_pid() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  set +e
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  if $DB_CREATED; then
    psql_ -d postgres -c "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null \
      && echo "dropped database $DB_NAME"
  fi
  if command -v redis-cli >/dev/null; then
    redis-cli -u "$REDIS_URL_" --scan --pattern "${REDIS_PREFIX}*" 2>/dev/null \
      | xargs -r -n 500 redis-cli -u "$REDIS_URL_" del >/dev/null 2>&1
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------------------------------------
say "Preflight"
if ! command -v wrk >/dev/null; then
  echo "installing wrk"
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
for tool in wrk pgbench psql curl cargo; do
  command -v "$tool" >/dev/null || die "$tool is needed"
done
# Every subscribed WebSocket is a descriptor in the generator and one in the server (both inherit this
# limit), on top of their HTTP and database connections.
NOFILE_WANTED=$((SOCKETS + 1024))
if [[ $(ulimit -n) != unlimited ]] && (($(ulimit -n) < NOFILE_WANTED)); then
  ulimit -n "$NOFILE_WANTED" 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
fi
[[ $(ulimit -n) == unlimited ]] || (($(ulimit -n) >= NOFILE_WANTED)) \
  || die "$SOCKETS WebSockets need ulimit -n ≥ $NOFILE_WANTED; the hard limit is $(ulimit -Hn)"
echo "open files limit (generator and server): $(ulimit -n)"
psql_ -d postgres -c "SELECT 1" >/dev/null || die "PostgreSQL does not answer at $PGHOST_:$PGPORT_ as $PGUSER_"
redis_host_port=${REDIS_URL_#redis://}; redis_host_port=${redis_host_port%%/*}
(exec 3<>"/dev/tcp/${redis_host_port%:*}/${redis_host_port##*:}") 2>/dev/null \
  || die "Redis does not answer at $REDIS_URL_"

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local port
  for port in $(seq "$1" $(($1 + 200))); do
    answers "$port" || { echo "$port"; return 0; }
  done
  die "no free port near $1"
}
SERVER_PORT=$(free_port 18400)
BASELINE_PORT=$(free_port $((SERVER_PORT + 1)))
EMBEDDED_PORT=$(free_port $((BASELINE_PORT + 1)))
MOCK_LLM_PORT=$(free_port $((EMBEDDED_PORT + 1)))

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
CORES=$(nproc)
MEM_TOTAL_MIB=$(awk '/^MemTotal/ {printf "%d", $2 / 1024}' /proc/meminfo)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
COMMIT=$(git rev-parse --short=12 HEAD)
CHANGED=$({ git diff --name-only HEAD -- . ':!docs/BENCHMARKS.md'; git ls-files --others --exclude-standard -- . ':!docs/BENCHMARKS.md'; } 2>/dev/null | paste -sd, - | sed 's/,/, /g' || true)
[[ -n $CHANGED ]] && COMMIT="$COMMIT + uncommitted changes to $CHANGED"
PG_VERSION=$(psql_ -d postgres -c "SHOW server_version" | cut -d' ' -f1)
PG_SETTINGS=$(psql_ -d postgres -c "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'fsync', 'max_connections')")
REDIS_VERSION=$(redis-cli -u "$REDIS_URL_" INFO server 2>/dev/null | awk -F: '/^redis_version/ {gsub("\r", ""); print $2}' || true)
WRK_VERSION=$(wrk -v 2>&1 | head -n1 | awk '{print $2}' || true)
echo "CPU: $CPU_MODEL × $CORES, ${MEM_TOTAL_MIB} MiB; load average at start: $LOADAVG_START"
echo "PostgreSQL $PG_VERSION ($PG_SETTINGS); Redis ${REDIS_VERSION:-?}; wrk ${WRK_VERSION:-?}"
echo "commit $COMMIT; database $DB_NAME; Redis prefix $REDIS_PREFIX; work dir $WORK"

# ------------------------------------------------------------------------------------------------
say "Building (release)"
BUILD_STARTED_AT=$(date +%s)
cargo build --release -p fairydust-server --bin server -p fairydust-bench --bins \
  || die "the release build failed (if rustc says 'queries overflow the depth limit', see docs/BENCHMARKS.md)"
SERVER_BIN=$TARGET_DIR/release/server
BASELINE_BIN=$TARGET_DIR/release/bench-baseline
LOAD_BIN=$TARGET_DIR/release/bench-load
MOCK_LLM_BIN=$TARGET_DIR/release/bench-mock-llm
for bin in "$SERVER_BIN" "$BASELINE_BIN" "$LOAD_BIN" "$MOCK_LLM_BIN"; do [[ -x $bin ]] || die "missing $bin"; done
BUILD_SECONDS=$(($(date +%s) - BUILD_STARTED_AT))

# ------------------------------------------------------------------------------------------------
# Portal bundles: what a browser downloads for each console, built as they are shipped (before any
# measurement, so the build's CPU is not in a measured window). BENCH_PORTALS=0 skips it.
say "Portal bundles (scripts/build-portals.sh, gzip -9 of what dist/ serves)"
PORTAL_ROWS=()
if [[ ${BENCH_PORTALS:-1} == 0 ]]; then
  PORTALS_SKIPPED="skipped (BENCH_PORTALS=0)"
elif ! "$ROOT/scripts/build-portals.sh" >"$WORK/portals.log" 2>&1; then
  PORTALS_SKIPPED="not measured: scripts/build-portals.sh failed (its last line: $(tail -n1 "$WORK/portals.log"))"
else
  PORTALS_SKIPPED=
  gz() { gzip -9c "$1" | wc -c; }
  for portal in admin builder; do
    wasm=$(gz "$ROOT/dist/$portal/${portal}_ui_bg.wasm"); js=0
    for file in "$ROOT/dist/$portal"/*.js; do js=$((js + $(gz "$file"))); done # the glue and boot.js
    PORTAL_ROWS+=("$portal $wasm $js")
    echo "   $portal: wasm $wasm B, js $js B gzipped"
  done
fi
[[ -n ${PORTALS_SKIPPED:-} ]] && echo "   $PORTALS_SKIPPED"

# ------------------------------------------------------------------------------------------------
# Helpers: processes, memory, CPU accounting, result lines.

# Starts a process in the work dir with a clean environment (no .env, no provider keys, ENVIRONMENT
# unset); sets STARTED_PID. Usage: start LOGFILE VAR=value... -- command args...
start() {
  local log=$1; shift
  local vars=()
  while [[ $1 != -- ]]; do vars+=("$1"); shift; done
  shift
  (cd "$WORK" && exec env -i PATH="$PATH" HOME="$HOME" NO_COLOR=1 "${vars[@]}" "$@" >"$log" 2>&1) &
  STARTED_PID=$!
  PIDS+=("$STARTED_PID")
}

wait_ready() { # URL PID LOG
  for _ in $(seq 1 300); do
    curl -fsS -m 2 -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; die "the process behind $1 exited"; }
    sleep 0.1
  done
  cat "$3" >&2
  die "$1 did not answer in 30 s"
}

rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
kib() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1024}'; }

# Samples VmRSS of PID every 0.2 s into FILE until killed.
sample_rss() {
  local pid=$1 file=$2
  while [[ -r /proc/$pid/status ]]; do
    awk '/^VmRSS/ {print $2}' "/proc/$pid/status" >>"$file" 2>/dev/null || break
    sleep 0.2
  done
}
max_of() { sort -n "$1" | tail -n1; }

# CPU ticks (user + system, own and reaped children) of one process, 0 when it is gone.
proc_ticks() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }
  local f
  read -r -a f <<<"$stat"
  echo $((f[11] + f[12] + f[13] + f[14]))
}
comm_ticks() { # ticks of every process whose name is $1 (PostgreSQL's postmaster counts its exited backends)
  local total=0 dir
  for dir in /proc/[0-9]*; do
    [[ $(cat "$dir/comm" 2>/dev/null) == "$1" ]] && total=$((total + $(proc_ticks "${dir#/proc/}")))
  done
  echo "$total"
}
# "busy total server postgres redis" in clock ticks.
cpu_snapshot() {
  local _cpu user nice system idle iowait irq softirq steal _rest
  read -r _cpu user nice system idle iowait irq softirq steal _rest </proc/stat
  local busy=$((user + nice + system + irq + softirq + steal))
  local server=0
  [[ -n ${SERVER_PID:-} ]] && server=$(proc_ticks "$SERVER_PID")
  echo "$busy $((busy + idle + iowait)) $server $(comm_ticks postgres) $(comm_ticks redis-server)"
}
# Percent of one core for each part, from two snapshots and the generator's CPU seconds.
cpu_breakdown() { # "BEFORE" "AFTER" GENERATOR_SECONDS -> "server pg redis generator other idle" (% of one core)
  awk -v a="$1" -v b="$2" -v gen="$3" -v cores="$CORES" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    split(a, x, " "); split(b, y, " ")
    total = y[2] - x[2]; if (total <= 0) total = 1
    scale = 100 * cores / total
    busy = (y[1] - x[1]) * scale
    server = (y[3] - x[3]) * scale; pg = (y[4] - x[4]) * scale; redis = (y[5] - x[5]) * scale
    g = gen * hz * scale
    other = busy - server - pg - redis - g; if (other < 0) other = 0
    printf "%.0f %.0f %.0f %.0f %.0f %.0f", server, pg, redis, g, other, 100 * cores - busy
  }'
}
cpu_text() { # "server pg redis generator other idle"
  local s p r g o i
  read -r s p r g o i <<<"$1"
  echo "server ${s}%, PostgreSQL ${p}%, Redis ${r}%, load generator ${g}%, other processes ${o}%, idle ${i}%"
}

# Value of key=value in a BENCH_RESULT line.
field() { tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k {print $2; exit}'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.0f", 100 * a / b; else print "n/a"}'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a >= b)}'; }
verdict() { if "$@"; then echo "met"; else echo "**not met**"; fi; }

# Runs a command under bash's `time` so its own CPU (user + system) is known. Usage:
# timed OUTFILE cmd...   -> sets TIMED_CPU (seconds) and CPU_BEFORE/CPU_AFTER snapshots.
timed() {
  local out=$1; shift
  local timing=$WORK/timing
  CPU_BEFORE=$(cpu_snapshot)
  { TIMEFORMAT='%U %S'; time "$@" >"$out" 2>"$out.err"; } 2>"$timing" || {
    cat "$out" "$out.err" >&2
    die "failed: $*"
  }
  sleep 0.2 # let the postmaster reap exited pgbench backends so their CPU is counted
  CPU_AFTER=$(cpu_snapshot)
  TIMED_CPU=$(awk '{print $1 + $2}' "$timing")
}

# wrk against URL with BODY; warm-up run, then the measured run. Sets RESULT, SAMPLE, CPU.
run_wrk() { # NAME URL BODY [PID to sample RSS]
  local name=$1 url=$2 body=$3 pid=${4:-}
  echo "-- $name: warm-up ${WARMUP}s"
  BENCH_BODY=$body wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s bench/wrk/graphql.lua "$url" >/dev/null
  local rss_file=$WORK/rss-$name sampler=
  if [[ -n $pid ]]; then
    : >"$rss_file"
    sample_rss "$pid" "$rss_file" &
    sampler=$!
    PIDS+=("$sampler")
  fi
  echo "-- $name: ${DURATION}s, $CONNECTIONS connections, $THREADS threads"
  BENCH_BODY=$body timed "$WORK/wrk-$name" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" -s bench/wrk/graphql.lua "$url"
  [[ -n $sampler ]] && stop_pid "$sampler"
  RESULT=$(grep '^BENCH_RESULT' "$WORK/wrk-$name") || { cat "$WORK/wrk-$name" >&2; die "no result from wrk"; }
  SAMPLE=$(grep '^BENCH_FAILURE_SAMPLE' "$WORK/wrk-$name" | cut -d' ' -f2- || true)
  CPU=$(cpu_breakdown "$CPU_BEFORE" "$CPU_AFTER" "$TIMED_CPU")
  PEAK_RSS=
  [[ -n $pid ]] && PEAK_RSS=$(max_of "$rss_file")
  echo "   $RESULT"
  [[ -n $SAMPLE ]] && echo "   first failure: $SAMPLE"
  echo "   CPU: $(cpu_text "$CPU")"
}

metric_sum() { # NAME -> value summed over label sets, from the server's /metrics
  curl -fsS "http://127.0.0.1:$SERVER_PORT/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 {s += $2} END {printf "%.6f", s}'
}
# Redis commands by name since Redis started ("name calls" lines), from INFO commandstats.
redis_commands() {
  redis-cli -u "$REDIS_URL_" INFO commandstats 2>/dev/null | tr -d '\r' \
    | awk -F'[:=,]' '/^cmdstat_/ {sub("cmdstat_", "", $1); print $1, $3}'
}
# Transactions PostgreSQL counted in the bench database (committed + rolled back).
pg_xacts() {
  psql_ -d "$DB_NAME" -c "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '$DB_NAME'"
}

# bench-load SUBCOMMAND against 127.0.0.1:PORT: a warm-up run, then the measured run with the same
# settings; the RSS of SERVER_PID is sampled during the measured run. Sets RESULT, CPU, PEAK_RSS and,
# when PORT is the server's, DB_PER_REQUEST (text) and STATEMENTS (SQL statements per request, from the
# server's db_statement_duration_seconds metric). With XACT_CHECK=1 it also counts PostgreSQL's own
# transactions in the bench database around the measured run (XACTS, per request): that costs two
# 11 s pauses, because a PostgreSQL 15 backend reports its counters at most once a second while busy
# and within 10 s once idle.
run_load() { # NAME PORT CONNECTIONS SUBCOMMAND args...
  local name=$1 port=$2 connections=$3 sub=$4; shift 4
  local common=(--threads "$THREADS" "$sub" --addr "127.0.0.1:$port" --connections "$connections" --warmup 0)
  local server=false
  [[ $port == "$SERVER_PORT" ]] && server=true
  echo "-- $name: warm-up ${WARMUP}s"
  "$LOAD_BIN" "${common[@]}" --duration "$WARMUP" --label warmup "$@" >"$WORK/warmup-$name" 2>&1 \
    || { cat "$WORK/warmup-$name" >&2; die "bench-load $sub failed"; }
  local statements_before=0 seconds_before=0 xacts_before=0
  if [[ ${XACT_CHECK:-} == 1 ]]; then sleep 11; xacts_before=$(pg_xacts); fi
  if $server; then
    statements_before=$(metric_sum db_statement_duration_seconds_count)
    seconds_before=$(metric_sum db_statement_duration_seconds_sum)
    redis_commands >"$WORK/redis-before-$name"
  fi
  local rss_file=$WORK/rss-$name
  : >"$rss_file"
  sample_rss "$SERVER_PID" "$rss_file" &
  local sampler=$!
  PIDS+=("$sampler")
  echo "-- $name: ${DURATION}s, $connections connections, $THREADS threads"
  timed "$WORK/load-$name" "$LOAD_BIN" "${common[@]}" --duration "$DURATION" --label "$name" "$@"
  stop_pid "$sampler"
  PEAK_RSS=$(max_of "$rss_file")
  grep -v '^BENCH_RESULT' "$WORK/load-$name" | sed 's/^/   /'
  RESULT=$(grep '^BENCH_RESULT' "$WORK/load-$name")
  CPU=$(cpu_breakdown "$CPU_BEFORE" "$CPU_AFTER" "$TIMED_CPU")
  local requests
  requests=$(field "$RESULT" requests)
  DB_PER_REQUEST=n/a; STATEMENTS=n/a; XACTS=n/a; REDIS_PER_REQUEST=n/a
  if $server; then
    local statements_after seconds_after
    statements_after=$(metric_sum db_statement_duration_seconds_count)
    seconds_after=$(metric_sum db_statement_duration_seconds_sum)
    DB_PER_REQUEST=$(awk -v c0="$statements_before" -v c1="$statements_after" -v s0="$seconds_before" \
      -v s1="$seconds_after" -v n="$requests" 'BEGIN {
        if (n > 0 && c1 > c0) printf "%.2f statements, %.2f ms of statement time (%.3f ms each)", (c1 - c0) / n, 1000 * (s1 - s0) / n, 1000 * (s1 - s0) / (c1 - c0)
        else print "n/a" }')
    STATEMENTS=$(awk -v c0="$statements_before" -v c1="$statements_after" -v n="$requests" \
      'BEGIN { if (n > 0) printf "%.2f", (c1 - c0) / n; else print "n/a" }')
    echo "   per request: $DB_PER_REQUEST"
    redis_commands >"$WORK/redis-after-$name"
    # Commands per request, all together and the busiest three by name.
    REDIS_PER_REQUEST=$(awk -v n="$requests" 'NR == FNR {before[$1] = $2; next}
      { d = $2 - before[$1]; if (d > 0) { total += d; by[$1] = d } }
      END {
        if (n <= 0) { print "n/a"; exit }
        line = sprintf("%.2f", total / n); shown = 0
        while (shown < 3) {
          best = ""; for (c in by) if (best == "" || by[c] > by[best]) best = c
          if (best == "" || by[best] / n < 0.005) break
          line = line sprintf("%s%s %.2f", shown ? ", " : " (", best, by[best] / n); delete by[best]; shown++
        }
        print line (shown ? ")" : "") }' "$WORK/redis-before-$name" "$WORK/redis-after-$name")
    echo "   Redis commands per request (whole Redis server): $REDIS_PER_REQUEST"
  fi
  if [[ ${XACT_CHECK:-} == 1 ]]; then
    sleep 11
    # The query that read the first count is itself one transaction in the difference.
    XACTS=$(awk -v a="$xacts_before" -v b="$(pg_xacts)" -v n="$requests" \
      'BEGIN { if (n > 0) printf "%.2f", (b - a - 1) / n; else print "n/a" }')
    echo "   PostgreSQL transactions per request: $XACTS"
  fi
  echo "   $RESULT"
  echo "   CPU: $(cpu_text "$CPU")"
}

# ------------------------------------------------------------------------------------------------
say "Benchmark 1: plain axum baseline"
SERVER_PID=
start "$WORK/baseline.log" -- "$BASELINE_BIN" "$BASELINE_PORT"
BASELINE_PID=$STARTED_PID
wait_ready "http://127.0.0.1:$BASELINE_PORT/health" "$BASELINE_PID" "$WORK/baseline.log"
sleep 1
BASELINE_IDLE_RSS=$(rss_kib "$BASELINE_PID")
SERVER_PID=$BASELINE_PID # so the CPU breakdown counts the baseline as "server"
run_wrk baseline "http://127.0.0.1:$BASELINE_PORT/graphql" '{"query":"{ version }"}'
R_BASE=$RESULT; CPU_BASE=$CPU; S_BASE=$SAMPLE
# The same handler driven by bench-load, the generator of benchmark 3, so its ratios compare like with like.
run_load baseline-load "$BASELINE_PORT" "$CONNECTIONS" query --document '{ version }'
R_BASE_LOAD=$RESULT; CPU_BASE_LOAD=$CPU
stop_pid "$BASELINE_PID"
SERVER_PID=

say "Benchmark 1: the server (release, PostgreSQL + Redis, RUST_LOG=warn)"
psql_ -d postgres -c "CREATE DATABASE \"$DB_NAME\"" >/dev/null
DB_CREATED=true
DATABASE_URL_="postgres://$PGUSER_@$PGHOST_:$PGPORT_/$DB_NAME"
# RUST_LOG: warn everywhere; the development code sender's one info line stays on, for the sign-ins of
# benchmark 2.
SERVER_ENV=(
  DATABASE_URL="$DATABASE_URL_"
  REDIS_URL="$REDIS_URL_"
  REDIS_KEY_PREFIX="$REDIS_PREFIX"
  DATABASE_MAX_CONNECTIONS="$DB_POOL"
  RUST_LOG="warn,fairydust::otp=info"
  TRUST_FORWARDED_FOR=true
  HOST=127.0.0.1
  PORT="$SERVER_PORT"
  PORTALS_DIR="$WORK/no-portals"
  APP_AUTO_APPROVE=false
  # generateText (benchmark 3) goes to bench-mock-llm on loopback; the per-user (60) and per-app (1000)
  # calls-a-minute limits are raised for the run so that the gateway, not the limiter, is measured.
  ANTHROPIC_API_KEY=bench-not-a-key
  ANTHROPIC_BASE_URL="http://127.0.0.1:$MOCK_LLM_PORT"
  LLM_RATE_LIMIT_PER_MINUTE=1000000000
  LLM_APP_RATE_LIMIT_PER_MINUTE=1000000000
)
# The admin that grants DUST in benchmark 2 (this also applies the migrations).
(cd "$WORK" && env -i PATH="$PATH" HOME="$HOME" NO_COLOR=1 "${SERVER_ENV[@]}" \
  "$SERVER_BIN" create-admin --email admin@bench.test) >"$WORK/create-admin.log" 2>&1 \
  || { cat "$WORK/create-admin.log" >&2; die "create-admin failed"; }
start "$WORK/mock-llm.log" -- "$MOCK_LLM_BIN" "$MOCK_LLM_PORT"
MOCK_LLM_PID=$STARTED_PID
for _ in $(seq 1 100); do answers "$MOCK_LLM_PORT" && break; sleep 0.1; done
answers "$MOCK_LLM_PORT" || { cat "$WORK/mock-llm.log" >&2; die "bench-mock-llm did not start"; }
SERVER_LOG=$WORK/server.log
start "$SERVER_LOG" "${SERVER_ENV[@]}" -- "$SERVER_BIN" serve
SERVER_PID=$STARTED_PID
wait_ready "http://127.0.0.1:$SERVER_PORT/health/ready" "$SERVER_PID" "$SERVER_LOG"
sleep 2
SERVER_IDLE_RSS=$(rss_kib "$SERVER_PID")
echo "server idle RSS after start-up: $(mib "$SERVER_IDLE_RSS") MiB"

run_wrk version "http://127.0.0.1:$SERVER_PORT/graphql" '{"query":"{ version }"}' "$SERVER_PID"
R_VERSION=$RESULT; CPU_VERSION=$CPU; S_VERSION=$SAMPLE; PEAK_VERSION=$PEAK_RSS
run_wrk health "http://127.0.0.1:$SERVER_PORT/graphql" '{"query":"{ health { status } }"}' "$SERVER_PID"
R_HEALTH=$RESULT; CPU_HEALTH=$CPU; S_HEALTH=$SAMPLE; PEAK_HEALTH=$PEAK_RSS
sleep 2
SERVER_AFTER_RSS=$(rss_kib "$SERVER_PID")
SERVER_HWM=$(hwm_kib "$SERVER_PID")
PEAK_KIB=$(printf '%s\n%s\n' "$PEAK_VERSION" "$PEAK_HEALTH" | sort -n | tail -n1)
echo "server RSS: idle $(mib "$SERVER_IDLE_RSS") MiB; peak sampled under load $(mib "$PEAK_KIB") MiB; after load $(mib "$SERVER_AFTER_RSS") MiB; VmHWM $(mib "$SERVER_HWM") MiB"

# ------------------------------------------------------------------------------------------------
say "Benchmark 2: consumeDust through the server"
APP_ID=$(psql_ -d "$DB_NAME" -c "SELECT id FROM apps WHERE slug = 'fairydust-story'")
COST=$(psql_ -d "$DB_NAME" -c "SELECT dust_cost FROM app_actions WHERE app_id = '$APP_ID' AND action = 'story_short'")
[[ -n $APP_ID && -n $COST ]] || die "the seeded story app or its story_short action is missing"
echo "story app $APP_ID, story_short costs $COST DUST"
# Each user gets 3 × 100 000 DUST: enough for every run below even if all went to one (hot) user at
# several thousand requests per second.
"$LOAD_BIN" setup --addr "127.0.0.1:$SERVER_PORT" --log "$SERVER_LOG" --users "$USERS" \
  --grant 100000 --grants 3 --out "$WORK/users.json"

PEAK_CONSUME=0
run_consume() { # NAME CONNECTIONS extra-args...
  local name=$1 connections=$2; shift 2
  run_load "$name" "$SERVER_PORT" "$connections" consume --users "$WORK/users.json" "$@"
  PEAK_CONSUME=$(printf '%s\n%s\n' "$PEAK_CONSUME" "$PEAK_RSS" | sort -n | tail -n1)
}

# Which PostgreSQL connections use TLS (sqlx and libpq both default to sslmode=prefer).
PG_TLS_SERVER=$(psql_ -d "$DB_NAME" -c "SELECT coalesce(string_agg(DISTINCT CASE WHEN s.ssl THEN coalesce(s.version, 'TLS') ELSE 'no TLS' END, ', '), '?') FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname = '$DB_NAME' AND a.pid <> pg_backend_pid()")
PG_TLS_LIBPQ=$(psql_ -d "$DB_NAME" -c "SELECT CASE WHEN ssl THEN coalesce(version, 'TLS') ELSE 'no TLS' END FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
echo "PostgreSQL connections: server $PG_TLS_SERVER; libpq (psql, pgbench) $PG_TLS_LIBPQ"

run_consume spread "$CONNECTIONS" --app fairydust-story
R_SPREAD=$RESULT; CPU_SPREAD=$CPU; DB_SPREAD=$DB_PER_REQUEST
run_consume spread-id "$CONNECTIONS" --app "$APP_ID"
R_SPREAD_ID=$RESULT; CPU_SPREAD_ID=$CPU; DB_SPREAD_ID=$DB_PER_REQUEST
run_consume hot "$CONNECTIONS" --app fairydust-story --hot
R_HOT=$RESULT; CPU_HOT=$CPU; DB_HOT=$DB_PER_REQUEST
run_consume light "$LIGHT" --app fairydust-story
R_LIGHT=$RESULT; CPU_LIGHT=$CPU; DB_LIGHT=$DB_PER_REQUEST
FAILURES=$(cat "$WORK"/load-* | grep '^  failure' | sort | uniq | head -n 5 || true)
echo "server RSS: peak sampled under the consumeDust load $(mib "$PEAK_CONSUME") MiB"

# ------------------------------------------------------------------------------------------------
say "Benchmark 3: hot paths through the server (bench-load, one user per connection)"
# Through the API, as apps and builders would: 50 recipes for every user (saveRecipe) and 50 apps by
# min(users, 50) builders (becomeBuilder, createApp — pending, as the server runs with
# APP_AUTO_APPROVE=false —, setAppAction, then the admin's approveApp).
"$LOAD_BIN" seed --addr "127.0.0.1:$SERVER_PORT" --users "$WORK/users.json" --recipes "$RECIPES" \
  --apps "$APPS" 2>&1 | sed 's/^/   /'
[[ ${PIPESTATUS[0]} == 0 ]] || die "bench-load seed failed"
Q_ME='{ me { fairyname dustBalance } }'
Q_RECIPES='{ me { recipes(first: 20) { edges { node { id title } } } } }'
Q_APPS='{ apps(first: 50) { edges { node { name builder { fairyname } actions { action dustCost } } } } }'
run_query() { # NAME DOCUMENT
  run_load "$1" "$SERVER_PORT" "$CONNECTIONS" query --users "$WORK/users.json" --document "$2"
}
run_query me "$Q_ME"
R_ME=$RESULT; CPU_ME=$CPU; DB_ME=$DB_PER_REQUEST; ST_ME=$STATEMENTS; REDIS_ME=$REDIS_PER_REQUEST
run_query recipes "$Q_RECIPES"
R_RECIPES=$RESULT; CPU_RECIPES=$CPU; DB_RECIPES=$DB_PER_REQUEST; ST_RECIPES=$STATEMENTS; REDIS_RECIPES=$REDIS_PER_REQUEST
XACT_CHECK=1 run_query marketplace "$Q_APPS"
R_APPS=$RESULT; CPU_APPS=$CPU; DB_APPS=$DB_PER_REQUEST; ST_APPS=$STATEMENTS; XACT_APPS=$XACTS; REDIS_APPS=$REDIS_PER_REQUEST
# generateText through the gateway to bench-mock-llm (answers at once): bench-app-0's action `run`
# (3 DUST), a unique idempotency key per call.
Q_GENERATE='mutation G($k: String!) { generateText(input: {appId: "bench-app-0", action: "run", prompt: "Give me an idea for a rainy day", idempotencyKey: $k}) { text dustCharged } }'
MOCK_CALLS_BEFORE=$(curl -fsS "http://127.0.0.1:$MOCK_LLM_PORT/calls")
run_load generate "$SERVER_PORT" "$CONNECTIONS" query --users "$WORK/users.json" --document "$Q_GENERATE" --unique k
R_GEN=$RESULT; CPU_GEN=$CPU; DB_GEN=$DB_PER_REQUEST; ST_GEN=$STATEMENTS; REDIS_GEN=$REDIS_PER_REQUEST
MOCK_CALLS=$(($(curl -fsS "http://127.0.0.1:$MOCK_LLM_PORT/calls") - MOCK_CALLS_BEFORE))
echo "   bench-mock-llm answered $MOCK_CALLS calls during the warm-up and the measured run"
# Sign-in: every pair is a new address (a new user) from its own client address in 198.18.0.0/15, so
# the code throttles (1 a minute and 5 an hour per address, 20 an hour per client IP; fixed in
# schema/src/identity/otp.rs, no setting) are never reached; nothing is raised for this run.
run_load sign-in "$SERVER_PORT" "$CONNECTIONS" sign-in --log "$SERVER_LOG"
R_SIGNIN=$RESULT; CPU_SIGNIN=$CPU; DB_SIGNIN=$DB_PER_REQUEST; ST_SIGNIN=$STATEMENTS; REDIS_SIGNIN=$REDIS_PER_REQUEST

# Subscriptions: SOCKETS more users (s1…s<SOCKETS>@bench.test, signed in like the others, granted DUST
# by the admin of the first set-up), each with one WebSocket (graphql-transport-ws, the token in
# connection_init) subscribed to dustBalanceChanged; meanwhile CONNECTIONS connections debit them with
# consumeDust (connection c owns the users u with u mod CONNECTIONS = c, in turn). bench-load
# matches each event to its debit by (user, balance after) and measures from the debit's answer — the
# commit happened before it — to the event's arrival, and reads the server's RSS with every socket open.
say "Benchmark 3: subscriptions ($SOCKETS WebSockets on dustBalanceChanged while consumeDust runs)"
"$LOAD_BIN" setup --addr "127.0.0.1:$SERVER_PORT" --log "$SERVER_LOG" --users "$SOCKETS" \
  --email-prefix s --admin-from "$WORK/users.json" --grant 10000 --grants 1 \
  --out "$WORK/subscribers.json" 2>&1 | sed 's/^/   /'
[[ ${PIPESTATUS[0]} == 0 ]] || die "bench-load setup of the subscribers failed"
run_load subscriptions "$SERVER_PORT" "$CONNECTIONS" subscriptions --users "$WORK/subscribers.json" \
  --sockets "$SOCKETS" --server-pid "$SERVER_PID"
R_SUB=$RESULT; CPU_SUB=$CPU; DB_SUB=$DB_PER_REQUEST; REDIS_SUB=$REDIS_PER_REQUEST; PEAK_SUB=$PEAK_RSS
E_SUB=$(grep '^BENCH_EVENTS' "$WORK/load-subscriptions") || die "no event figures from bench-load subscriptions"
PEAK_SUB=$(printf '%s\n%s\n' "$PEAK_SUB" "$(field "$E_SUB" rss_peak_kib)" | sort -n | tail -n1)

FAILURES_HOT=$(cat "$WORK"/load-me "$WORK"/load-recipes "$WORK"/load-marketplace "$WORK"/load-generate "$WORK"/load-sign-in \
  "$WORK"/load-subscriptions | grep '^  failure' | sort | uniq | head -n 5 || true)

# Optional profiles (BENCH_PROFILE_DIR=dir): one more load of each hot path with `perf record` on the
# server (flat, 499 Hz), after the measured runs so the measurements are not disturbed by perf.
if [[ -n ${BENCH_PROFILE_DIR:-} ]]; then
  say "Profiles of the server (perf record) into $BENCH_PROFILE_DIR"
  command -v perf >/dev/null || die "BENCH_PROFILE_DIR is set but perf is missing (apt-get install linux-perf)"
  mkdir -p "$BENCH_PROFILE_DIR"
  profile() { # NAME bench-load args...
    local name=$1; shift
    "$LOAD_BIN" --threads "$THREADS" "$@" --addr "127.0.0.1:$SERVER_PORT" --connections "$CONNECTIONS" \
      --duration "$DURATION" --warmup 0 --label "profile-$name" >"$WORK/profile-$name" 2>&1 &
    local load=$!
    PIDS+=("$load")
    sleep 2
    perf record -F 499 -p "$SERVER_PID" -o "$BENCH_PROFILE_DIR/$name.data" -- sleep $((DURATION - 4)) \
      >"$WORK/perf-$name.log" 2>&1 || { cat "$WORK/perf-$name.log" >&2; die "perf record failed"; }
    wait "$load" || true
    grep '^BENCH_RESULT' "$WORK/profile-$name" | sed 's/^/   under perf: /'
    perf report -i "$BENCH_PROFILE_DIR/$name.data" --stdio --no-children --sort dso \
      >"$BENCH_PROFILE_DIR/$name.dso.txt" 2>/dev/null
    perf report -i "$BENCH_PROFILE_DIR/$name.data" --stdio --no-children --sort dso,symbol \
      --percent-limit 0.3 >"$BENCH_PROFILE_DIR/$name.symbols.txt" 2>/dev/null
    echo "   $name: $BENCH_PROFILE_DIR/$name.dso.txt, $BENCH_PROFILE_DIR/$name.symbols.txt"
  }
  profile me query --users "$WORK/users.json" --document "$Q_ME"
  profile recipes query --users "$WORK/users.json" --document "$Q_RECIPES"
  profile marketplace query --users "$WORK/users.json" --document "$Q_APPS"
  profile generate query --users "$WORK/users.json" --document "$Q_GENERATE" --unique k
  profile sign-in sign-in --log "$SERVER_LOG"
fi

stop_pid "$SERVER_PID"
SERVER_PID=
stop_pid "$MOCK_LLM_PID"

# ------------------------------------------------------------------------------------------------
say "Benchmark 2: pgbench, the same UPDATE + INSERT on the same PostgreSQL"
# pgbench running SCRIPT on the bench database: a warm-up run, then the measured run with the same
# settings (-M prepared, -j THREADS) and a per-transaction log. Sets RESULT (a BENCH_RESULT line with
# pgbench's tx/s as ok_rps and percentiles from the log) and CPU.
run_pgbench() { # NAME SCRIPT CLIENTS [-D var=value]...
  local name=$1 script=$2 clients=$3 dir=$WORK/pgbench-$1
  shift 3
  mkdir -p "$dir"
  local args=(-h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" -n -M prepared -c "$clients" -j "$THREADS"
    -f "$script" "$@")
  echo "-- $name: warm-up ${WARMUP}s"
  pgbench "${args[@]}" -T "$WARMUP" "$DB_NAME" >"$dir/warmup" 2>&1 || { cat "$dir/warmup" >&2; die "pgbench failed"; }
  echo "-- $name: ${DURATION}s, -c $clients -j $THREADS -M prepared"
  timed "$dir/out" pgbench "${args[@]}" -T "$DURATION" --log --log-prefix="$dir/tx" "$DB_NAME"
  CPU=$(cpu_breakdown "$CPU_BEFORE" "$CPU_AFTER" "$TIMED_CPU")
  grep -E '^(number of transactions actually processed|number of failed|latency average|tps)' "$dir/out" | sed 's/^/   /'
  local tps failed
  tps=$(awk '/^tps = / {print $3; exit}' "$dir/out")
  failed=$(awk -F': ' '/^number of failed transactions/ {split($2, a, " "); print a[1]; exit}' "$dir/out")
  # Per-transaction log lines: client_id transaction_no latency_us script_no epoch_s epoch_us.
  RESULT=$(cat "$dir"/tx.* | awk '{print $3}' | sort -n | awk -v tps="$tps" -v failed="${failed:-0}" '
    { v[NR] = $1; sum += $1 }
    END {
      q = "p50 0.50 p90 0.90 p99 0.99 p999 0.999"; n = split(q, a, " ")
      line = sprintf("BENCH_RESULT requests=%d failed=%s ok_rps=%s", NR, failed, tps)
      for (i = 1; i < n; i += 2) { k = int(a[i + 1] * NR + 0.5); if (k < 1) k = 1; if (k > NR) k = NR; line = line sprintf(" %s_ms=%.3f", a[i], v[k] / 1000) }
      printf "%s max_ms=%.3f mean_ms=%.3f\n", line, v[NR] / 1000, sum / NR / 1000
    }')
  echo "   $RESULT"
  echo "   CPU: $(cpu_text "$CPU")"
}
CONSUME_VARS=(-D app="$APP_ID" -D cost="$COST")
run_pgbench pgbench bench/pgbench/consume.sql "$CONNECTIONS" -D users="$USERS" "${CONSUME_VARS[@]}"
R_PG=$RESULT; CPU_PG=$CPU
run_pgbench pgbench-hot bench/pgbench/consume.sql "$CONNECTIONS" -D users=1 "${CONSUME_VARS[@]}"
R_PG_HOT=$RESULT; CPU_PG_HOT=$CPU
run_pgbench pgbench-light bench/pgbench/consume.sql "$LIGHT" -D users="$USERS" "${CONSUME_VARS[@]}"
R_PG_LIGHT=$RESULT; CPU_PG_LIGHT=$CPU

# ------------------------------------------------------------------------------------------------
say "Benchmark 3: pgbench, each hot path's SQL alone on the same PostgreSQL"
# The statements of a pgbench script: its lines that are neither comments, meta-commands nor blank.
sql_lines() { grep -vE '^(--|\\|$)' "$1"; }
# The marketplace's second and third statements take the ids its first returns on this database (see
# bench/pgbench/marketplace.sql): the page's app ids and their distinct builders, as array literals.
MARKET_PAGE=$(sql_lines bench/pgbench/marketplace.sql | head -n1)
IFS='|' read -r MARKET_APPS MARKET_BUILDERS <<<"$(psql_ -d "$DB_NAME" -c "SELECT '{' || string_agg(id::text, ',') || '}', '{' || string_agg(DISTINCT builder_id::text, ',') || '}' FROM (${MARKET_PAGE%;}) page")"
[[ -n $MARKET_APPS ]] || die "the marketplace page is empty"
echo "marketplace page: $(awk -F, '{print NF}' <<<"$MARKET_APPS") apps, $(awk -F, '{print NF}' <<<"$MARKET_BUILDERS") distinct builders"
run_pgbench pgbench-me bench/pgbench/me.sql "$CONNECTIONS" -D users="$USERS"
R_PG_ME=$RESULT; CPU_PG_ME=$CPU
run_pgbench pgbench-recipes bench/pgbench/recipes.sql "$CONNECTIONS" -D users="$USERS"
R_PG_RECIPES=$RESULT; CPU_PG_RECIPES=$CPU
run_pgbench pgbench-marketplace bench/pgbench/marketplace.sql "$CONNECTIONS" -D apps="$MARKET_APPS" -D builders="$MARKET_BUILDERS"
R_PG_APPS=$RESULT; CPU_PG_APPS=$CPU

# ------------------------------------------------------------------------------------------------
say "Ledger invariant: Σ dust_transactions.amount = users.dust_balance for every bench user"
LEDGER=$(psql_ -d "$DB_NAME" -c "
  SELECT count(*), count(*) FILTER (WHERE u.dust_balance <> coalesce(t.total, 0)), coalesce(sum(t.rows), 0)
  FROM users u LEFT JOIN (SELECT user_id, sum(amount) AS total, count(*) AS rows FROM dust_transactions GROUP BY user_id) t
    ON t.user_id = u.id
  WHERE u.email LIKE '%@bench.test'")
IFS='|' read -r LEDGER_USERS LEDGER_BAD LEDGER_ROWS <<<"$LEDGER"
if [[ $LEDGER_BAD == 0 ]]; then
  LEDGER_TEXT="holds for all $LEDGER_USERS bench users ($LEDGER_ROWS transaction rows)"
else
  LEDGER_TEXT="**BROKEN** for $LEDGER_BAD of $LEDGER_USERS bench users ($LEDGER_ROWS transaction rows)"
fi
echo "$LEDGER_TEXT"

# ------------------------------------------------------------------------------------------------
say "Embedded default (SQLite + in-process cache): idle RSS"
start "$WORK/embedded.log" DATABASE_URL="sqlite://$WORK/embedded.db?mode=rwc" RUST_LOG=warn \
  HOST=127.0.0.1 PORT="$EMBEDDED_PORT" PORTALS_DIR="$WORK/no-portals" -- "$SERVER_BIN" serve
SERVER_PID=$STARTED_PID
wait_ready "http://127.0.0.1:$EMBEDDED_PORT/health/ready" "$SERVER_PID" "$WORK/embedded.log"
sleep 2
EMBEDDED_IDLE_RSS=$(rss_kib "$SERVER_PID")
echo "embedded default idle RSS: $(mib "$EMBEDDED_IDLE_RSS") MiB"
stop_pid "$SERVER_PID"
SERVER_PID=

LOADAVG_END=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(($(date +%s) - STARTED_AT - BUILD_SECONDS))

# ------------------------------------------------------------------------------------------------
# Results.
p() { field "$1" "$2"; }
n0() { awk -v x="$1" 'BEGIN {printf "%.0f", x}'; }
n2() { awk -v x="$1" 'BEGIN {printf "%.2f", x}'; }
half() { awk -v x="$1" 'BEGIN {print x / 2}'; }
BASE_RPS=$(p "$R_BASE" ok_rps)
PG_TPS=$(p "$R_PG" ok_rps)
PG_HOT_TPS=$(p "$R_PG_HOT" ok_rps)
PG_LIGHT_TPS=$(p "$R_PG_LIGHT" ok_rps)

row_wrk() { # LABEL RESULT GOAL?
  local rps; rps=$(p "$2" ok_rps)
  local goal=""
  [[ ${3:-} == goal ]] && goal=$(verdict ge "$rps" "$(half "$BASE_RPS")")
  echo "| $1 | $(n0 "$rps") | $(n2 "$(p "$2" p50_ms)") | $(n2 "$(p "$2" p99_ms)") | $(n2 "$(p "$2" max_ms)") | $(p "$2" non200) / $(p "$2" gql_errors) / $(p "$2" socket_errors) | $(pct "$rps" "$BASE_RPS") % | $goal |"
}
# The p99 goal of `consumeDust` against a pgbench run: 1.25 × its p99.
p99_limit() { awk -v p="$(p "$1" p99_ms)" 'BEGIN {printf "%.2f", 1.25 * p}'; } # PGBENCH_RESULT
row_load() { # LABEL RESULT PGBENCH_TPS FAILURES [PGBENCH_RESULT: judge the goals against it]
  local rps p99 goals=""
  rps=$(p "$2" ok_rps); p99=$(p "$2" p99_ms)
  if [[ -n ${5:-} ]]; then
    goals="throughput $(verdict ge "$rps" "$(awk -v t="$3" 'BEGIN {print 0.6 * t}')"); p99 $(verdict ge "$(p99_limit "$5")" "$p99")"
  fi
  echo "| $1 | $(n0 "$rps") | $(n2 "$(p "$2" p50_ms)") | $(n2 "$(p "$2" p90_ms)") | $(n2 "$p99") | $(n2 "$(p "$2" p999_ms)") | $(n2 "$(p "$2" max_ms)") | $4 | $(pct "$rps" "$3") % | $goals |"
}
BASE_LOAD_RPS=$(p "$R_BASE_LOAD" ok_rps)
pct1() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.1f", 100 * a / b; else print "n/a"}'; }
row_hot() { # LABEL RESULT STATEMENTS GOAL_PERCENT(or empty)
  local rps io goal=""
  rps=$(p "$2" ok_rps); io=$(p "$2" io_errors) # no io_errors from pgbench
  [[ -n ${4:-} ]] && goal="≥ $4 %: $(verdict ge "$rps" "$(awk -v b="$BASE_LOAD_RPS" -v g="$4" 'BEGIN {print b * g / 100}')")"
  echo "| $1 | $(n0 "$rps") | $(n2 "$(p "$2" p50_ms)") | $(n2 "$(p "$2" p99_ms)") | $(n2 "$(p "$2" max_ms)") | $(p "$2" failed)${io:+ + $io} | $3 | $(pct1 "$rps" "$BASE_LOAD_RPS") % | $(pct1 "$rps" "$BASE_RPS") % | $goal |"
}
row_cpu() { # LABEL CPU
  local s pg r g o i
  read -r s pg r g o i <<<"$2"
  echo "| $1 | $s | $pg | $r | $g | $o | $i |"
}

RESULTS=$WORK/results.md
{
  echo "Measured by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit \`$COMMIT\`, in ${ELAPSED} s (plus ${BUILD_SECONDS} s of \`cargo build --release\`)."
  echo
  echo "- Machine: $CPU_MODEL, $CORES cores, $MEM_TOTAL_MIB MiB. Load average $LOADAVG_START at the start and $LOADAVG_END at the end: the machine is shared (see \"other processes\" below)."
  echo "- PostgreSQL $PG_VERSION ($PG_SETTINGS); connections: server $PG_TLS_SERVER, libpq/pgbench $PG_TLS_LIBPQ. Redis ${REDIS_VERSION:-?}. wrk ${WRK_VERSION:-?}. $(pgbench --version | head -n1)."
  echo "- Every run: ${WARMUP} s warm-up, then ${DURATION} s measured; $CONNECTIONS connections and $THREADS load-generator threads unless the row says otherwise. Server: release build, \`DATABASE_MAX_CONNECTIONS=$DB_POOL\`, \`RUST_LOG=warn,fairydust::otp=info\`, \`APP_AUTO_APPROVE=false\` (so the admin approves the bench apps), every other setting at its default."
  echo
  echo "#### 1. GraphQL overhead (wrk, \`POST /graphql\`)"
  echo
  echo "| endpoint | ok req/s | p50 ms | p99 ms | max ms | failures: non-200 / \`errors\` / socket | vs. plain axum | goal ≥ 50 % of plain axum |"
  echo "|---|---:|---:|---:|---:|---|---:|---|"
  row_wrk "plain axum handler (bench-baseline), small JSON" "$R_BASE"
  row_wrk "\`{ version }\`" "$R_VERSION" goal
  row_wrk "\`{ health { status } }\` (pings PostgreSQL and Redis)" "$R_HEALTH" goal
  echo
  echo "#### 1. Memory (VmRSS of the server process)"
  echo
  echo "| server | RSS | goal ≤ 50 MiB idle |"
  echo "|---|---:|---|"
  echo "| PostgreSQL + Redis, idle after start-up (2 s after \`/health/ready\`) | $(mib "$SERVER_IDLE_RSS") MiB | $(verdict ge $((50 * 1024)) "$SERVER_IDLE_RSS") |"
  echo "| PostgreSQL + Redis, peak under the wrk load (sampled every 0.2 s) | $(mib "$PEAK_KIB") MiB | |"
  echo "| PostgreSQL + Redis, 2 s after the wrk load | $(mib "$SERVER_AFTER_RSS") MiB | |"
  echo "| PostgreSQL + Redis, peak under the \`consumeDust\` load (sampled every 0.2 s) | $(mib "$PEAK_CONSUME") MiB | |"
  echo "| embedded default (SQLite + in-process cache), idle after start-up | $(mib "$EMBEDDED_IDLE_RSS") MiB | $(verdict ge $((50 * 1024)) "$EMBEDDED_IDLE_RSS") |"
  echo "| plain axum baseline, idle | $(mib "$BASELINE_IDLE_RSS") MiB | |"
  echo
  echo "#### 2. DUST consumption"
  echo
  echo "| run | ok tx/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | failures | vs. pgbench alike | goals: ≥ 60 % of pgbench, p99 ≤ 1.25 × pgbench's p99 |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|---:|---|"
  row_load "\`consumeDust\`, $USERS users (one per connection), \`appId: \"fairydust-story\"\`" "$R_SPREAD" "$PG_TPS" "$(p "$R_SPREAD" failed) + $(p "$R_SPREAD" io_errors)" "$R_PG"
  row_load "\`consumeDust\`, $USERS users, \`appId\` = the app's UUID" "$R_SPREAD_ID" "$PG_TPS" "$(p "$R_SPREAD_ID" failed) + $(p "$R_SPREAD_ID" io_errors)"
  row_load "\`consumeDust\`, 1 hot user on all $CONNECTIONS connections" "$R_HOT" "$PG_HOT_TPS" "$(p "$R_HOT" failed) + $(p "$R_HOT" io_errors)"
  row_load "\`consumeDust\`, light load: $LIGHT connections, $LIGHT users" "$R_LIGHT" "$PG_LIGHT_TPS" "$(p "$R_LIGHT" failed) + $(p "$R_LIGHT" io_errors)"
  row_load "pgbench UPDATE + INSERT, $USERS users (one per client)" "$R_PG" "$PG_TPS" "$(p "$R_PG" failed)"
  row_load "pgbench UPDATE + INSERT, 1 hot user on all $CONNECTIONS clients" "$R_PG_HOT" "$PG_HOT_TPS" "$(p "$R_PG_HOT" failed)"
  row_load "pgbench UPDATE + INSERT, light load: $LIGHT clients, $LIGHT users" "$R_PG_LIGHT" "$PG_LIGHT_TPS" "$(p "$R_PG_LIGHT" failed)"
  echo
  echo "Failures are GraphQL \`errors\` or non-200 answers + transport errors (load generator), or failed transactions (pgbench)."
  if [[ -n $FAILURES ]]; then
    echo "Failures seen:"
    echo
    echo '```'
    echo "$FAILURES"
    echo '```'
  fi
  echo
  echo "SQL statements per \`consumeDust\` (the server's \`db_statement_duration_seconds\` metric; pool pings, BEGIN and COMMIT are not counted): by slug $DB_SPREAD; by UUID $DB_SPREAD_ID; hot user $DB_HOT; light load $DB_LIGHT."
  echo
  echo "Ledger invariant after all runs (SQL): Σ \`dust_transactions.amount\` = \`users.dust_balance\` $LEDGER_TEXT."
  echo
  echo "#### 3. Hot paths (bench-load, \`POST /graphql\`, one signed-in user per connection)"
  echo
  echo "After \`bench-load seed\` stored $RECIPES recipes (about 1.5 kB of Markdown each) for each of the $USERS users and published $APPS apps through the API. Ratios are to the plain axum handler driven by the same generator in this run (bench-load column; the goals are judged on it) and, for reference, by wrk."
  echo
  echo "| path | ok req/s | p50 ms | p99 ms | max ms | failures | SQL statements per request | vs. plain axum (bench-load) | vs. plain axum (wrk) | goal (of plain axum, bench-load) |"
  echo "|---|---:|---:|---:|---:|---|---:|---:|---:|---|"
  row_hot "plain axum handler (bench-load, no token), small JSON" "$R_BASE_LOAD" "–"
  row_hot "\`me { fairyname dustBalance }\`" "$R_ME" "$ST_ME" 15
  row_hot "recipes page: \`me { recipes(first: 20) { edges { node { id title } } } }\`" "$R_RECIPES" "$ST_RECIPES" 8
  row_hot "marketplace: \`apps(first: 50) { edges { node { name builder { fairyname } actions { action dustCost } } } }\`" "$R_APPS" "$ST_APPS" 3
  row_hot "PostgreSQL alone (pgbench, the same SQL): \`me\`" "$R_PG_ME" "$(sql_lines bench/pgbench/me.sql | wc -l)"
  row_hot "PostgreSQL alone (pgbench, the same SQL): recipes page" "$R_PG_RECIPES" "$(sql_lines bench/pgbench/recipes.sql | wc -l)"
  row_hot "PostgreSQL alone (pgbench, the same SQL): marketplace" "$R_PG_APPS" "$(sql_lines bench/pgbench/marketplace.sql | wc -l)"
  row_hot "\`generateText\` to a loopback mock provider that answers at once" "$R_GEN" "$ST_GEN"
  row_hot "sign-in: \`requestOtp\` + \`verifyOtp\` of a new address (pairs/s, latency of the pair)" "$R_SIGNIN" "$ST_SIGNIN"
  echo
  echo "Failures are GraphQL \`errors\` or non-200 answers + transport errors (load generator), or failed transactions (pgbench)."
  if [[ -n $FAILURES_HOT ]]; then
    echo "Failures seen:"
    echo
    echo '```'
    echo "$FAILURES_HOT"
    echo '```'
  fi
  echo
  echo "PostgreSQL alone: after the server has stopped, pgbench runs on the same database exactly the SQL the server sends for one request of the path — \`bench/pgbench/me.sql\`, \`recipes.sql\` and \`marketplace.sql\`, each statement outside a transaction block as the server runs it — with \`-M prepared -c $CONNECTIONS -j $THREADS\`, the same warm-up and duration; client *c* reads user \`b<c mod $USERS + 1>@bench.test\` (the marketplace reads no user). Its req/s is pgbench's tx/s (one transaction = one request's statements), its latencies come from pgbench's per-transaction log. How the scripts differ from the server's statements is in their headers: the user is found by email in a sub-select (one more index lookup), the marketplace's ids are bound as one array, and pgbench takes the rows as text where the server's driver takes them binary."
  echo
  echo "SQL statements (the server's \`db_statement_duration_seconds\` metric, which its sea-orm metric callback records for every statement it runs, as it counts its \`StatementCounter\`; BEGIN, COMMIT and pool pings are not statements there): \`me\` $DB_ME; recipes page $DB_RECIPES; marketplace $DB_APPS; \`generateText\` $DB_GEN; sign-in pair $DB_SIGNIN."
  echo
  echo "Redis commands per request (\`INFO commandstats\` before and after the measured run; the Redis server is shared with the rest of the machine, so other clients' commands would be counted too; commands a Lua script runs count as well as the script): \`me\` $REDIS_ME; recipes page $REDIS_RECIPES; marketplace $REDIS_APPS; \`generateText\` $REDIS_GEN; sign-in pair $REDIS_SIGNIN. The mock provider answered $MOCK_CALLS model calls during the \`generateText\` warm-up and measured run together ($WARMUP + $DURATION s)."
  echo "Cross-check for the marketplace: PostgreSQL's own count of transactions in the bench database (\`pg_stat_database\` xact_commit + xact_rollback, 11 s after each end of load so every backend has reported) rose by $XACT_APPS per request; each statement outside a transaction block is one transaction, so this is also an upper bound on the round trips that are statements."
  echo
  echo "#### 3. Subscriptions (\`dustBalanceChanged\` on $(field "$E_SUB" sockets) WebSockets while \`consumeDust\` runs)"
  echo
  echo "$(field "$E_SUB" sockets) more users (\`s<n>@bench.test\`, signed in like the others) each keep one graphql-transport-ws socket subscribed to \`dustBalanceChanged\` (opened, authenticated in \`connection_init\` and subscribed in $(n2 "$(field "$E_SUB" open_s)") s); $CONNECTIONS connections debit them with \`consumeDust\` (each owns 1/$CONNECTIONS of the users and debits them in turn). An event is matched to its debit by user and balance after; its latency is measured from the arrival of the debit's HTTP answer (the commit happened before it) to the event's arrival at the client, and — an upper bound — from the debit's request."
  echo
  echo "| measured | ok/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | failures |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  echo "| \`consumeDust\` with the sockets open (its own latency) | $(n0 "$(p "$R_SUB" ok_rps)") | $(n2 "$(p "$R_SUB" p50_ms)") | $(n2 "$(p "$R_SUB" p90_ms)") | $(n2 "$(p "$R_SUB" p99_ms)") | $(n2 "$(p "$R_SUB" p999_ms)") | $(n2 "$(p "$R_SUB" max_ms)") | $(p "$R_SUB" failed) + $(p "$R_SUB" io_errors) |"
  echo "| event, from the debit's answer | $(n0 "$(awk -v e="$(field "$E_SUB" events)" -v d="$DURATION" 'BEGIN {print e / d}')") | $(n2 "$(field "$E_SUB" p50_ms)") | $(n2 "$(field "$E_SUB" p90_ms)") | $(n2 "$(field "$E_SUB" p99_ms)") | $(n2 "$(field "$E_SUB" p999_ms)") | $(n2 "$(field "$E_SUB" max_ms)") | $(field "$E_SUB" missed) missed of $(field "$E_SUB" expected) |"
  echo "| event, from the debit's request | | $(n2 "$(field "$E_SUB" request_p50_ms)") | | $(n2 "$(field "$E_SUB" request_p99_ms)") | | | |"
  echo
  echo "$(field "$E_SUB" events) events for $(field "$E_SUB" debits) debits measured; $(field "$E_SUB" before_answer) arrived before their debit's answer (counted as 0 ms from the answer); $(field "$E_SUB" open_at_end) of $(field "$E_SUB" sockets) sockets still open at the end. Per debit: $DB_SUB; Redis commands $REDIS_SUB. Server RSS with every socket open: $(mib "$(field "$E_SUB" rss_sockets_kib)") MiB before the debits, $(mib "$PEAK_SUB") MiB at the peak under load (sampled every 0.2 s)."
  echo
  echo "#### Portal bundles (gzip -9 of the files \`scripts/build-portals.sh\` writes to \`dist/\`)"
  echo
  if [[ -n ${PORTALS_SKIPPED:-} ]]; then
    echo "$PORTALS_SKIPPED."
  else
    echo "| portal | WebAssembly | JS (wasm-bindgen glue + boot.js) | together | WebAssembly budget ≤ 600 KiB |"
    echo "|---|---:|---:|---:|---|"
    for row in "${PORTAL_ROWS[@]}"; do
      read -r portal wasm js <<<"$row"
      echo "| $portal | $wasm B ($(kib "$wasm") KiB) | $js B | $(kib $((wasm + js))) KiB | $(verdict ge $((600 * 1024)) "$wasm") |"
    done
  fi
  echo
  echo "#### Goals in this run"
  echo
  echo "| goal | measured | met? |"
  echo "|---|---|---|"
  echo "| \`{ version }\` ≥ 50 % of the plain handler (wrk) | $(pct "$(p "$R_VERSION" ok_rps)" "$BASE_RPS") % | $(verdict ge "$(p "$R_VERSION" ok_rps)" "$(half "$BASE_RPS")") |"
  echo "| idle RSS ≤ 50 MiB | $(mib "$SERVER_IDLE_RSS") MiB (PostgreSQL + Redis), $(mib "$EMBEDDED_IDLE_RSS") MiB (embedded) | $(verdict ge $((50 * 1024)) "$(printf '%s\n%s\n' "$SERVER_IDLE_RSS" "$EMBEDDED_IDLE_RSS" | sort -n | tail -n1)") |"
  echo "| \`consumeDust\` ≥ 60 % of pgbench, $USERS users | $(pct "$(p "$R_SPREAD" ok_rps)" "$PG_TPS") % | $(verdict ge "$(p "$R_SPREAD" ok_rps)" "$(awk -v t="$PG_TPS" 'BEGIN {print 0.6 * t}')") |"
  echo "| \`consumeDust\` p99 ≤ 1.25 × pgbench's p99 at $CONNECTIONS connections | $(n2 "$(p "$R_SPREAD" p99_ms)") ms vs. 1.25 × $(n2 "$(p "$R_PG" p99_ms)") ms = $(n2 "$(p99_limit "$R_PG")") ms | $(verdict ge "$(p99_limit "$R_PG")" "$(p "$R_SPREAD" p99_ms)") |"
  echo "| \`me\` ≥ 15 % of the plain handler | $(pct1 "$(p "$R_ME" ok_rps)" "$BASE_LOAD_RPS") % ($(n0 "$(p "$R_ME" ok_rps)") req/s) (PostgreSQL alone: $(pct1 "$(p "$R_PG_ME" ok_rps)" "$BASE_LOAD_RPS") %) | $(verdict ge "$(p "$R_ME" ok_rps)" "$(awk -v b="$BASE_LOAD_RPS" 'BEGIN {print b * 0.15}')") |"
  echo "| recipes page ≥ 8 % of the plain handler | $(pct1 "$(p "$R_RECIPES" ok_rps)" "$BASE_LOAD_RPS") % ($(n0 "$(p "$R_RECIPES" ok_rps)") req/s) (PostgreSQL alone: $(pct1 "$(p "$R_PG_RECIPES" ok_rps)" "$BASE_LOAD_RPS") %) | $(verdict ge "$(p "$R_RECIPES" ok_rps)" "$(awk -v b="$BASE_LOAD_RPS" 'BEGIN {print b * 0.08}')") |"
  echo "| marketplace ≤ 4 SQL statements per request | $ST_APPS | $(verdict ge 4 "$ST_APPS") |"
  echo "| marketplace ≥ 3 % of the plain handler | $(pct1 "$(p "$R_APPS" ok_rps)" "$BASE_LOAD_RPS") % ($(n0 "$(p "$R_APPS" ok_rps)") req/s) (PostgreSQL alone: $(pct1 "$(p "$R_PG_APPS" ok_rps)" "$BASE_LOAD_RPS") %) | $(verdict ge "$(p "$R_APPS" ok_rps)" "$(awk -v b="$BASE_LOAD_RPS" 'BEGIN {print b * 0.03}')") |"
  GEN_BOUND=$(awk -v n="$(p "$R_GEN" requests)" -v c="$CONNECTIONS" 'BEGIN {if (n > 0) printf "%.2f", 3 * (n + c) / n; else print 0}')
  echo "| \`generateText\`: ≤ 3 SQL statements and ≤ 2 Redis round trips per call beyond the provider | $ST_GEN SQL statements per request ($(n0 "$(p "$R_GEN" ok_rps)") calls/s, p50 $(n2 "$(p "$R_GEN" p50_ms)") ms); the token check runs none, so all are the gateway's (the ≤ $CONNECTIONS requests in flight when the run ends add their statements, so 3 a request would read as up to $GEN_BOUND). Redis round trips are not measured by this run: \`INFO commandstats\` counts commands, a script's inner commands too — $REDIS_GEN per request, the token check's one MGET included; \`tests/tests/api/gateway_cost.rs\` counts the gateway's round trips at its cache port and asserts at most 2 | SQL ≤ 3: $(verdict ge "$GEN_BOUND" "$ST_GEN"); Redis round trips: not measured here |"
  echo "| subscription event p99 (from the debit's answer) ≤ 2 × the p99 of the \`consumeDust\` that caused it, $(field "$E_SUB" sockets) sockets open | $(n2 "$(field "$E_SUB" p99_ms)") ms vs. 2 × $(n2 "$(p "$R_SUB" p99_ms)") ms; $(field "$E_SUB" missed) events missed | $(verdict awk -v e="$(field "$E_SUB" p99_ms)" -v c="$(p "$R_SUB" p99_ms)" -v m="$(field "$E_SUB" missed)" 'BEGIN {exit !(e <= 2 * c && m == 0)}') |"
  echo "| server RSS ≤ 150 MiB with $(field "$E_SUB" sockets) sockets open, under load | $(mib "$PEAK_SUB") MiB | $(verdict ge $((150 * 1024)) "$PEAK_SUB") |"
  echo "| sign-in pairs per second | $(n0 "$(p "$R_SIGNIN" ok_rps)") pairs/s, p99 $(n2 "$(p "$R_SIGNIN" p99_ms)") ms | no goal set |"
  echo
  echo "#### Where the CPU went"
  echo
  echo "In % of one core ($CORES cores = $((100 * CORES)) %), over each measured window; \"other processes\" is everything else running on the machine (other builds)."
  echo
  echo "| run | server | PostgreSQL | Redis | load generator | other processes | idle |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  row_cpu "plain axum (in the server column)" "$CPU_BASE"
  row_cpu "plain axum, bench-load (in the server column)" "$CPU_BASE_LOAD"
  row_cpu "\`{ version }\`" "$CPU_VERSION"
  row_cpu "\`{ health { status } }\`" "$CPU_HEALTH"
  row_cpu "\`consumeDust\`, $USERS users" "$CPU_SPREAD"
  row_cpu "\`consumeDust\`, app by UUID" "$CPU_SPREAD_ID"
  row_cpu "\`consumeDust\`, 1 hot user" "$CPU_HOT"
  row_cpu "\`consumeDust\`, light load" "$CPU_LIGHT"
  row_cpu "pgbench, $USERS users" "$CPU_PG"
  row_cpu "pgbench, 1 hot user" "$CPU_PG_HOT"
  row_cpu "pgbench, light load" "$CPU_PG_LIGHT"
  row_cpu "\`me\`" "$CPU_ME"
  row_cpu "recipes page" "$CPU_RECIPES"
  row_cpu "marketplace" "$CPU_APPS"
  row_cpu "PostgreSQL alone (pgbench): \`me\`" "$CPU_PG_ME"
  row_cpu "PostgreSQL alone (pgbench): recipes page" "$CPU_PG_RECIPES"
  row_cpu "PostgreSQL alone (pgbench): marketplace" "$CPU_PG_APPS"
  row_cpu "\`generateText\` (mock provider in \"other\")" "$CPU_GEN"
  row_cpu "sign-in pairs" "$CPU_SIGNIN"
  row_cpu "\`consumeDust\` with $(field "$E_SUB" sockets) subscribed sockets" "$CPU_SUB"
} >"$RESULTS"

say "Summary"
cat "$RESULTS"

if [[ ${BENCH_NO_DOC:-} != 1 ]]; then
  START='<!-- bench/run.sh results: start -->'
  END='<!-- bench/run.sh results: end -->'
  if [[ -f $DOC ]] && grep -qF "$START" "$DOC" && grep -qF "$END" "$DOC"; then
    awk -v start="$START" -v end="$END" -v results="$RESULTS" '
      $0 == start { print; while ((getline line < results) > 0) print line; skip = 1; next }
      $0 == end { skip = 0 }
      !skip { print }' "$DOC" >"$WORK/doc" && cat "$WORK/doc" >"$DOC"
  else
    { echo "# Benchmarks"; echo; echo "## Results"; echo; echo "$START"; cat "$RESULTS"; echo "$END"; } >>"$DOC"
  fi
  echo
  echo "rewrote the results section of docs/BENCHMARKS.md"
fi
