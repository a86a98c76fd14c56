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
# BENCH_REDIS_URL (redis://127.0.0.1:6379), BENCH_NO_DOC=1 to leave docs/BENCHMARKS.md alone.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

CONNECTIONS=${BENCH_CONNECTIONS:-32}
THREADS=${BENCH_THREADS:-2}
DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-3}
USERS=${BENCH_USERS:-32}
LIGHT=${BENCH_LIGHT_CONNECTIONS:-4}
DB_POOL=${BENCH_DB_POOL:-32}
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

CPU_MODEL=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
CORES=$(nproc)
MEM_TOTAL_MIB=$(awk '/^MemTotal/ {printf "%d", $2 / 1024}' /proc/meminfo)
LOADAVG_START=$(cut -d' ' -f1-3 /proc/loadavg)
COMMIT=$(git rev-parse --short=12 HEAD)
CHANGED=$(git diff --name-only HEAD -- . ':!docs/BENCHMARKS.md' 2>/dev/null | paste -sd, - | sed 's/,/, /g' || true)
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
for bin in "$SERVER_BIN" "$BASELINE_BIN" "$LOAD_BIN"; do [[ -x $bin ]] || die "missing $bin"; done
BUILD_SECONDS=$(($(date +%s) - BUILD_STARTED_AT))

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
)
# The admin that grants DUST in benchmark 2 (this also applies the migrations).
(cd "$WORK" && env -i PATH="$PATH" HOME="$HOME" NO_COLOR=1 "${SERVER_ENV[@]}" \
  "$SERVER_BIN" create-admin --email admin@bench.test) >"$WORK/create-admin.log" 2>&1 \
  || { cat "$WORK/create-admin.log" >&2; die "create-admin failed"; }
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

metric_sum() { # NAME -> value summed over label sets, from /metrics
  curl -fsS "http://127.0.0.1:$SERVER_PORT/metrics" | awk -v m="$1" '$1 == m || index($1, m "{") == 1 {s += $2} END {printf "%.6f", s}'
}

PEAK_CONSUME=0
run_consume() { # NAME CONNECTIONS extra-args...
  local name=$1 connections=$2; shift 2
  echo "-- $name: warm-up ${WARMUP}s"
  "$LOAD_BIN" --threads "$THREADS" consume --addr "127.0.0.1:$SERVER_PORT" --users "$WORK/users.json" \
    --connections "$connections" --duration "$WARMUP" --warmup 0 --label warmup "$@" >/dev/null
  local statements_before seconds_before
  statements_before=$(metric_sum db_statement_duration_seconds_count)
  seconds_before=$(metric_sum db_statement_duration_seconds_sum)
  local rss_file=$WORK/rss-$name
  : >"$rss_file"
  sample_rss "$SERVER_PID" "$rss_file" &
  local sampler=$!
  PIDS+=("$sampler")
  echo "-- $name: ${DURATION}s, $connections connections, $THREADS threads"
  timed "$WORK/load-$name" "$LOAD_BIN" --threads "$THREADS" consume --addr "127.0.0.1:$SERVER_PORT" \
    --users "$WORK/users.json" --connections "$connections" --duration "$DURATION" --warmup 0 \
    --label "$name" "$@"
  stop_pid "$sampler"
  PEAK_CONSUME=$(printf '%s\n%s\n' "$PEAK_CONSUME" "$(max_of "$rss_file")" | sort -n | tail -n1)
  grep -v '^BENCH_RESULT' "$WORK/load-$name" | sed 's/^/   /'
  RESULT=$(grep '^BENCH_RESULT' "$WORK/load-$name")
  CPU=$(cpu_breakdown "$CPU_BEFORE" "$CPU_AFTER" "$TIMED_CPU")
  local statements_after seconds_after requests
  statements_after=$(metric_sum db_statement_duration_seconds_count)
  seconds_after=$(metric_sum db_statement_duration_seconds_sum)
  requests=$(field "$RESULT" requests)
  DB_PER_REQUEST=$(awk -v c0="$statements_before" -v c1="$statements_after" -v s0="$seconds_before" \
    -v s1="$seconds_after" -v n="$requests" 'BEGIN {
      if (n > 0 && c1 > c0) printf "%.2f statements, %.2f ms of statement time (%.3f ms each)", (c1 - c0) / n, 1000 * (s1 - s0) / n, 1000 * (s1 - s0) / (c1 - c0)
      else print "n/a" }')
  echo "   $RESULT"
  echo "   per request: $DB_PER_REQUEST"
  echo "   CPU: $(cpu_text "$CPU")"
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

stop_pid "$SERVER_PID"
SERVER_PID=

# ------------------------------------------------------------------------------------------------
say "Benchmark 2: pgbench, the same UPDATE + INSERT on the same PostgreSQL"
run_pgbench() { # NAME USERS CLIENTS
  local name=$1 users=$2 clients=$3 dir=$WORK/pgbench-$1
  mkdir -p "$dir"
  local args=(-h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" -n -M prepared -c "$clients" -j "$THREADS"
    -f "$ROOT/bench/pgbench/consume.sql" -D users="$users" -D app="$APP_ID" -D cost="$COST")
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
run_pgbench pgbench "$USERS" "$CONNECTIONS"
R_PG=$RESULT; CPU_PG=$CPU
run_pgbench pgbench-hot 1 "$CONNECTIONS"
R_PG_HOT=$RESULT; CPU_PG_HOT=$CPU
run_pgbench pgbench-light "$USERS" "$LIGHT"
R_PG_LIGHT=$RESULT; CPU_PG_LIGHT=$CPU

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
row_load() { # LABEL RESULT PGBENCH_TPS FAILURES GOALS?
  local rps p99 goals=""
  rps=$(p "$2" ok_rps); p99=$(p "$2" p99_ms)
  if [[ ${5:-} == goals ]]; then
    goals="throughput $(verdict ge "$rps" "$(awk -v t="$3" 'BEGIN {print 0.6 * t}')"); p99 $(verdict ge 10 "$p99")"
  fi
  echo "| $1 | $(n0 "$rps") | $(n2 "$(p "$2" p50_ms)") | $(n2 "$(p "$2" p90_ms)") | $(n2 "$p99") | $(n2 "$(p "$2" p999_ms)") | $(n2 "$(p "$2" max_ms)") | $4 | $(pct "$rps" "$3") % | $goals |"
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
  echo "- Every run: ${WARMUP} s warm-up, then ${DURATION} s measured; $CONNECTIONS connections and $THREADS load-generator threads unless the row says otherwise. Server: release build, \`DATABASE_MAX_CONNECTIONS=$DB_POOL\`, \`RUST_LOG=warn,fairydust::otp=info\`."
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
  echo "| run | ok tx/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | failures | vs. pgbench alike | goals: ≥ 60 % of pgbench, p99 ≤ 10 ms |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|---:|---|"
  row_load "\`consumeDust\`, $USERS users (one per connection), \`appId: \"fairydust-story\"\`" "$R_SPREAD" "$PG_TPS" "$(p "$R_SPREAD" failed) + $(p "$R_SPREAD" io_errors)" goals
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
  echo "#### Where the CPU went"
  echo
  echo "In % of one core ($CORES cores = $((100 * CORES)) %), over each measured window; \"other processes\" is everything else running on the machine (other builds)."
  echo
  echo "| run | server | PostgreSQL | Redis | load generator | other processes | idle |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  row_cpu "plain axum (in the server column)" "$CPU_BASE"
  row_cpu "\`{ version }\`" "$CPU_VERSION"
  row_cpu "\`{ health { status } }\`" "$CPU_HEALTH"
  row_cpu "\`consumeDust\`, $USERS users" "$CPU_SPREAD"
  row_cpu "\`consumeDust\`, app by UUID" "$CPU_SPREAD_ID"
  row_cpu "\`consumeDust\`, 1 hot user" "$CPU_HOT"
  row_cpu "\`consumeDust\`, light load" "$CPU_LIGHT"
  row_cpu "pgbench, $USERS users" "$CPU_PG"
  row_cpu "pgbench, 1 hot user" "$CPU_PG_HOT"
  row_cpu "pgbench, light load" "$CPU_PG_LIGHT"
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
