#!/usr/bin/env bash
# PostgreSQL restarts under load (issue 13). A throwaway PostgreSQL cluster of our own (initdb into a
# temp dir, trust auth, a free port; the machine's shared PostgreSQL is never touched) serves the server,
# with the shared Redis under a fresh key prefix. While clients run consumeDust, PostgreSQL is stopped
# (fast shutdown) for a few seconds and started again; the server keeps running. Fails (exit 1) unless
#   - every request overlapping the outage answered within FAULT_LATENCY_LIMIT seconds (4: the server's
#     DATABASE_ACQUIRE_TIMEOUT_SECONDS, 3 by default, and a second of slack), and every
#     failure was SERVICE_UNAVAILABLE with retryAfter (never INTERNAL, never HTTP 500, never no answer);
#   - /health/ready answered 503 while PostgreSQL was down, never 200, and 200 again after;
#   - requests succeed again after the outage without restarting the server (same process);
#   - no half-posted debit: every success is in the ledger once with the id it was answered, no failure
#     is, a retry of every key answers the first result (or charges once now), ledgerAudit is empty and
#     Σ amount = users.dust_balance for every user.
#
#   bench/faults/pg_restart.sh                    # 30 s of load, PostgreSQL down 12 s (about 1 min)
#   FAULT_SECONDS=12 bench/faults/pg_restart.sh   # CI: 12 s of load, down 4 s (well under 60 s)
#
# Settings: FAULT_SECONDS (30), FAULT_PG_DOWN_SECONDS (12; 4 when FAULT_SECONDS < 20: longer than the
# pool's acquire timeout, so requests that wait for a connection give up while it is still down, and short
# enough to leave the load a few seconds after the restart — the load must outlast the outage, or there is
# no recovery to check),
# FAULT_LATENCY_LIMIT (4), FAULT_USERS (8), FAULT_WORKERS (8, at most 16),
# FAULT_TAMPER=1 (deletes one ledger row before the checks: a check of the checks, they must fail),
# FAULT_KEEP=1 (keeps logs and outcomes); SERVER_BIN, REDIS_HOST/REDIS_PORT (127.0.0.1:6379).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SECONDS_OF_LOAD=${FAULT_SECONDS:-30}
DOWN=${FAULT_PG_DOWN_SECONDS:-$(((SECONDS_OF_LOAD < 20) ? 4 : 12))}
# Stop at 30 % of the load, a fast shutdown takes up to 2 s: keep at least 3 s of load after the restart.
if python3 -c "import sys; sys.exit(0 if $SECONDS_OF_LOAD * 0.3 + 2 + $DOWN + 3 <= $SECONDS_OF_LOAD else 1)"; then :; else
  echo "pg_restart.sh: ${SECONDS_OF_LOAD}s of load leave no time after a ${DOWN}s outage; raise FAULT_SECONDS" >&2
  exit 2
fi
LATENCY_LIMIT=${FAULT_LATENCY_LIMIT:-4}
USERS=${FAULT_USERS:-8}
WORKERS=${FAULT_WORKERS:-8}
START=$(now)

faults_init pg-restart
own_pg_cluster
fresh_redis_prefix
server_env
at_exit 'server_stop'
at_exit 'kill $LOAD_PID'

ADMIN_EMAIL="$RUN_ID-admin@example.com"
log "own PostgreSQL ($("$PG_BIN/postgres" --version)) on port $PG_PORT_OWN, Redis prefix $REDIS_KEY_PREFIX, server on port $SERVER_PORT"
server_cli create-admin --email "$ADMIN_EMAIL" >"$WORK/create-admin.txt" || die "create-admin failed"
server_start
FIRST_PID=$SERVER_PID
"${LOAD_PY[@]}" setup --url "$(server_url)" --log "$WORK/server.log" --state "$WORK/state.json" \
  --run "$RUN_ID" --admin "$ADMIN_EMAIL" --users "$USERS"

log "consumeDust load for ${SECONDS_OF_LOAD}s with $WORKERS workers; PostgreSQL down ${DOWN}s from 30% of it"
"${LOAD_PY[@]}" run --url "$(server_url)" --state "$WORK/state.json" --out "$WORK/outcomes.json" \
  --seconds "$SECONDS_OF_LOAD" --workers "$WORKERS" --kinds consume &
LOAD_PID=$!
sleep "$(python3 -c "print($SECONDS_OF_LOAD * 0.3)")"
event pg_stop
pg_own_stop_fast || die "pg_ctl stop failed"
event pg_stopped
log "PostgreSQL stopped (fast); starting it again in ${DOWN}s"
sleep "$DOWN"
event pg_start
pg_own_start || die "PostgreSQL did not start again"
event pg_started
log "PostgreSQL accepts connections again"
wait "$LOAD_PID" || die "the load client failed"
LOAD_PID=

status=0
tamper_if_asked
if [[ $SERVER_PID != "$FIRST_PID" ]] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "VIOLATION: the server process did not survive the outage"
  status=1
fi
"${LOAD_PY[@]}" verify --url "$(server_url)" --state "$WORK/state.json" --outcomes "$WORK/outcomes.json" \
  --events "$EVENTS" --db-url "$DATABASE_URL" --mode pg --workers "$WORKERS" --redis-prefix "$REDIS_KEY_PREFIX" \
  --latency-limit "$LATENCY_LIMIT" \
  --title "PostgreSQL restart under load: down ${DOWN}s in ${SECONDS_OF_LOAD}s of consumeDust" || status=1
if ! check_server_log; then echo "VIOLATION: the server panicked"; status=1; fi
log "whole run $(python3 -c "print(round($(now) - $START))") s"
keep_work_if_asked
exit $status
