# Shared by the scripts of bench/faults/ (kill9.sh, pg_restart.sh, replicas.sh, slow.sh; sourced, not run): a work directory
# and an exit trap that undoes everything started here (LIFO), a free port, the server binary started
# and stopped, a database on the shared PostgreSQL or a throwaway cluster of our own, a fresh Redis key
# prefix, the loopback mock LLM provider, replicas behind a round-robin proxy. The GraphQL side (sign-in, set-up, load, checks) is
# bench/faults/load.py.
#
# Environment: SERVER_BIN (default the debug build), PGHOST/PGPORT/PGUSER for the shared PostgreSQL
# (default 127.0.0.1:5432, postgres), REDIS_HOST/REDIS_PORT (127.0.0.1:6379).

FAULTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$FAULTS_DIR/../.." && pwd)
SERVER_BIN=${SERVER_BIN:-/root/.cache/fairydust-target/debug/server}
PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
REDIS_HOST=${REDIS_HOST:-127.0.0.1} REDIS_PORT=${REDIS_PORT:-6379}
LOAD_PY=(python3 "$FAULTS_DIR/load.py")

WORK= SERVER_PID= SERVER_PORT= MOCK_PID= LOAD_PID= CLEANUPS=()

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }
now() { date +%s.%N; }

# Registers a command for the exit trap; they run last-registered first, on success, failure or Ctrl-C.
at_exit() { CLEANUPS+=("$*"); }

faults_cleanup() {
  local rc=$? i
  set +eu
  trap - EXIT INT TERM
  for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
    eval "${CLEANUPS[i]}" >/dev/null 2>&1 || true
  done
  [[ -n $WORK && -d $WORK ]] && rm -rf "$WORK"
  exit "$rc"
}

faults_init() { # name of the scenario
  [[ -x $SERVER_BIN ]] || die "no server binary at $SERVER_BIN (set SERVER_BIN, or build: cargo build --workspace --bins)"
  command -v python3 >/dev/null || die "python3 is needed"
  WORK=$(mktemp -d "/tmp/fairydust-$1.XXXXXX")
  RUN_ID="$1-$(date +%s)-$$"
  RUN_ID=${RUN_ID//_/-}
  trap faults_cleanup EXIT
  trap 'log "interrupted"; exit 130' INT TERM
  EVENTS=$WORK/events.txt
  : >"$EVENTS"
}

# An event for load.py's checks: name, epoch seconds (now when left out).
event() { echo "$1 ${2:-$(now)}" >>"$EVENTS"; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- databases ------------------------------------------------------------------------------------

# A fresh database on the shared PostgreSQL, dropped on exit. Sets DATABASE_URL.
shared_pg_database() {
  local db="fairydust_fault_${RUN_ID//-/_}"
  psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -d postgres -v ON_ERROR_STOP=1 -qc "CREATE DATABASE \"$db\"" \
    || die "cannot create a database on $PGHOST:$PGPORT"
  at_exit "psql -h '$PGHOST' -p '$PGPORT' -U '$PGUSER' -d postgres -qc 'DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)'"
  DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$db"
}

# A throwaway PostgreSQL cluster of our own (initdb into a temp dir, trust auth, a free port), stopped
# and removed on exit. Sets PG_BIN, PG_DATA, PG_PORT_OWN and DATABASE_URL (database `fairydust`).
own_pg_cluster() {
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [[ -x $PG_BIN/initdb ]] || die "no initdb under /usr/lib/postgresql/*/bin"
  local root
  root=$(mktemp -d /tmp/fairydust-pg.XXXXXX)
  at_exit "rm -rf '$root'"
  PG_DATA=$root/data
  PG_PORT_OWN=$(free_port)
  local as_pg=()
  [[ $(id -u) == 0 ]] && { chown postgres: "$root"; as_pg=(runuser -u postgres --); }
  PG_AS=("${as_pg[@]}")
  "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -A trust -U postgres -E UTF8 >"$WORK/initdb.log" 2>&1 \
    || { cat "$WORK/initdb.log" >&2; die "initdb failed"; }
  cat >>"$PG_DATA/postgresql.conf" <<EOF
port = $PG_PORT_OWN
listen_addresses = '127.0.0.1'
unix_socket_directories = '$root'
max_connections = 50
shared_buffers = 32MB
EOF
  at_exit 'pg_own_stop_immediate' 
  pg_own_start || die "the throwaway PostgreSQL did not start"
  psql -h 127.0.0.1 -p "$PG_PORT_OWN" -U postgres -d postgres -qc 'CREATE DATABASE fairydust' \
    || die "cannot create the database"
  DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT_OWN/fairydust"
}

pg_own_start() {
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_DATA/../postgres.log" -w -t 60 start >/dev/null
}
pg_own_stop_immediate() {
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
}
pg_own_stop_fast() {
  "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
}

# A fresh key prefix on the shared Redis; its keys are deleted on exit. Sets REDIS_URL, REDIS_KEY_PREFIX.
fresh_redis_prefix() {
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1 || die "no Redis at $REDIS_HOST:$REDIS_PORT"
  REDIS_URL="redis://$REDIS_HOST:$REDIS_PORT"
  REDIS_KEY_PREFIX="fairydust-fault:$RUN_ID:"
  at_exit "redis-cli -h '$REDIS_HOST' -p '$REDIS_PORT' --scan --pattern '$REDIS_KEY_PREFIX*' | xargs -r -n 500 redis-cli -h '$REDIS_HOST' -p '$REDIS_PORT' del"
}

# ---- the mock LLM provider and the server ---------------------------------------------------------

# Extra arguments go to `load.py mock-llm` (e.g. --min-delay 4 --max-delay 4 for a provider slower than
# LLM_TIMEOUT_SECONDS).
start_mock_llm() {
  "${LOAD_PY[@]}" mock-llm --port-file "$WORK/mock.port" "$@" >"$WORK/mock.log" 2>&1 &
  MOCK_PID=$!
  at_exit 'kill $MOCK_PID'
  local _
  for _ in $(seq 1 50); do [[ -s $WORK/mock.port ]] && break; sleep 0.1; done
  [[ -s $WORK/mock.port ]] || die "the mock LLM provider did not start"
  MOCK_URL="http://127.0.0.1:$(cat "$WORK/mock.port")"
}

# The server's environment: production-like defaults, development mode for codes in the log.
server_env() {
  SERVER_PORT=${SERVER_PORT:-$(free_port)}
  JWT_SECRET=${JWT_SECRET:-$(python3 -c 'import secrets; print(secrets.token_hex(32))')}
  SERVER_ENV=(
    PATH="$PATH" HOME="$HOME" NO_COLOR=1 HOST=127.0.0.1 PORT="$SERVER_PORT"
    DATABASE_URL="$DATABASE_URL" JWT_SECRET="$JWT_SECRET" PORTALS_DIR="$WORK/no-portals"
    RUST_LOG="warn,fairydust::otp=info" TRUSTED_PROXIES=127.0.0.1
    LLM_RATE_LIMIT_PER_MINUTE=1000000 LLM_APP_RATE_LIMIT_PER_MINUTE=1000000
  )
  [[ -n ${REDIS_URL:-} ]] && SERVER_ENV+=(REDIS_URL="$REDIS_URL" REDIS_KEY_PREFIX="$REDIS_KEY_PREFIX")
  [[ -n ${MOCK_URL:-} ]] && SERVER_ENV+=(ANTHROPIC_API_KEY=sk-ant-fault ANTHROPIC_BASE_URL="$MOCK_URL"
    OPENAI_API_KEY=sk-openai-fault OPENAI_BASE_URL="$MOCK_URL")
  return 0
}

server_cli() { env -i "${SERVER_ENV[@]}" "$SERVER_BIN" "$@"; }

# Starts `server serve` (log appended to $WORK/server.log) and waits until /health/ready is 200.
server_start() {
  (cd "$WORK" && exec env -i "${SERVER_ENV[@]}" "$SERVER_BIN" serve >>"$WORK/server.log" 2>&1) &
  SERVER_PID=$!
  wait_ready "$SERVER_PORT" "$SERVER_PID" "$WORK/server.log" "the server"
}

# Waits until the server on PORT answers /health/ready with 200; dies when PID exits first (showing
# the end of LOG) or after 60 s. Usage: wait_ready PORT PID LOG NAME
wait_ready() {
  local port=$1 pid=$2 log=$3 name=$4 _
  for _ in $(seq 1 600); do
    curl -fsS -m 2 "http://127.0.0.1:$port/health/ready" >/dev/null 2>&1 && return 0
    kill -0 "$pid" 2>/dev/null || { tail -n 40 "$log" >&2; die "$name exited"; }
    sleep 0.1
  done
  die "$name was not ready within 60 s"
}

server_kill9() { kill -9 "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }
server_stop() {
  [[ -n $SERVER_PID ]] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  local _
  for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}

server_url() { echo "http://127.0.0.1:$SERVER_PORT"; }

# ---- replicas and the proxy in front of them (bench/faults/replicas.sh) ----------------------------

# Starts one more `server serve` with the environment of server_env on another port, its log in
# $WORK/server-<name>.log; waits until /health/ready is 200. Sets REPLICA_PID_<name>, REPLICA_PORT_<name>;
# the exit trap stops it.
replica_start() { # name
  local name=$1 port pid
  port=$(free_port)
  (cd "$WORK" && exec env -i "${SERVER_ENV[@]}" PORT="$port" "$SERVER_BIN" serve >>"$WORK/server-$name.log" 2>&1) &
  pid=$!
  printf -v "REPLICA_PID_$name" '%s' "$pid"
  printf -v "REPLICA_PORT_$name" '%s' "$port"
  at_exit "kill $pid; sleep 0.3; kill -9 $pid"
  wait_ready "$port" "$pid" "$WORK/server-$name.log" "replica $name"
}

# The round-robin TCP proxy of load.py in front of the given ports; sets PROXY_PORT, PROXY_PID; its
# connection log is $WORK/proxy.log.
start_proxy() { # port...
  local backends _
  backends=$(IFS=,; echo "$*")
  "${LOAD_PY[@]}" proxy --backends "$backends" --port-file "$WORK/proxy.port" --log "$WORK/proxy.log" \
    >"$WORK/proxy.err" 2>&1 &
  PROXY_PID=$!
  at_exit "kill $PROXY_PID"
  for _ in $(seq 1 50); do [[ -s $WORK/proxy.port ]] && break; sleep 0.1; done
  [[ -s $WORK/proxy.port ]] || die "the proxy did not start"
  PROXY_PORT=$(cat "$WORK/proxy.port")
}

# Panics in any server log of the run (server.log, server-<name>.log) fail it.
check_server_logs() {
  local f bad=0
  for f in "$WORK"/server*.log; do
    [[ -e $f ]] || continue
    if grep -q 'panicked' "$f"; then grep -n -A5 'panicked' "$f" | head -40 >&2; bad=1; fi
  done
  return $bad
}

# VmRSS of a process in KiB.
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# Panics in the server log fail the run.
check_server_log() {
  if grep -q 'panicked' "$WORK/server.log"; then
    grep -n -A5 'panicked' "$WORK/server.log" | head -40 >&2
    return 1
  fi
}

# Keeps the work directory (logs, outcomes) when FAULT_KEEP=1, for a look after the run.
keep_work_if_asked() {
  if [[ ${FAULT_KEEP:-} == 1 ]]; then
    local kept
    kept=$(mktemp -d /tmp/fairydust-faults-kept.XXXXXX)
    cp -r "$WORK"/. "$kept"/
    log "work files kept in $kept"
  fi
}

# FAULT_TAMPER=1, a check of the checks: before they run, one successful consume's ledger row is deleted
# behind the server's back, which every ledger check must then report.
tamper_if_asked() {
  [[ ${FAULT_TAMPER:-} == 1 ]] || return 0
  log "FAULT_TAMPER=1: deleting one consume's ledger row; the checks must fail"
  psql "$DATABASE_URL" -X -qc "DELETE FROM dust_transactions WHERE id = (SELECT id FROM dust_transactions
    WHERE idempotency_key LIKE '$RUN_ID-con-%' ORDER BY created_at LIMIT 1)"
}
