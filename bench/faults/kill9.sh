#!/usr/bin/env bash
# kill -9 under load (issue 13): the server on PostgreSQL + Redis is SIGKILLed while clients run
# consumeDust, generateText (against a loopback mock LLM provider) and admin grantDustBulk, then started
# again on the same database. Fails (exit 1) unless
#   - every request a client saw succeed is in dust_transactions exactly once, with the id it was answered;
#   - no request that failed with a definite GraphQL error, or whose connection was refused, is there;
#   - a bulk grant without an answer is in the ledger for all its users or for none;
#   - a retry of every key after the restart answers the first result for the successes (same transaction
#     id, amount and balanceAfter, replayed: true; the same text for generateText) and the committed
#     unknowns, and resolves the others without a second charge;
#   - ledgerAudit is empty and Σ amount = users.dust_balance for every user (SQL);
#   - no DUST hold counts for longer than 10 minutes, and none of a request of the running server is left.
#
#   bench/faults/kill9.sh                    # 30 s of load, two kills (about 1.5 min)
#   FAULT_SECONDS=14 bench/faults/kill9.sh   # CI: 14 s of load, one kill (well under 60 s)
#
# Settings: FAULT_SECONDS (30), FAULT_KILLS (2, or 1 when FAULT_SECONDS < 20), FAULT_USERS (8),
# FAULT_WORKERS (8, at most 16), FAULT_MIX (consume,generate,consume,grant: the workers' kinds in turn,
# so 8 workers are 4 consumeDust, 2 generateText and 2 grantDustBulk clients), FAULT_TAMPER=1 (deletes
# one ledger row before the checks: a check of the checks, they must fail), FAULT_KEEP=1 (keeps logs and
# outcomes); SERVER_BIN, PGHOST/PGPORT/PGUSER (127.0.0.1:5432, postgres, trust), REDIS_HOST/REDIS_PORT
# (127.0.0.1:6379). A fresh database and a fresh REDIS_KEY_PREFIX are made for the run and removed at
# the end.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

SECONDS_OF_LOAD=${FAULT_SECONDS:-30}
KILLS=${FAULT_KILLS:-$(((SECONDS_OF_LOAD < 20) ? 1 : 2))}
USERS=${FAULT_USERS:-8}
WORKERS=${FAULT_WORKERS:-8}
MIX=${FAULT_MIX:-consume,generate,consume,grant}
START=$(now)

faults_init kill9
shared_pg_database
fresh_redis_prefix
start_mock_llm
server_env
at_exit 'server_stop'
at_exit 'kill $LOAD_PID'

ADMIN_EMAIL="$RUN_ID-admin@example.com"
log "database ${DATABASE_URL##*/}, Redis prefix $REDIS_KEY_PREFIX, server on port $SERVER_PORT"
server_cli create-admin --email "$ADMIN_EMAIL" >"$WORK/create-admin.txt" || die "create-admin failed"
server_start
"${LOAD_PY[@]}" setup --url "$(server_url)" --log "$WORK/server.log" --state "$WORK/state.json" \
  --run "$RUN_ID" --admin "$ADMIN_EMAIL" --users "$USERS" --llm

log "load for ${SECONDS_OF_LOAD}s with $WORKERS workers (consumeDust, generateText, grantDustBulk); $KILLS kill(s) -9"
"${LOAD_PY[@]}" run --url "$(server_url)" --state "$WORK/state.json" --out "$WORK/outcomes.json" \
  --seconds "$SECONDS_OF_LOAD" --workers "$WORKERS" --kinds "$MIX" &
LOAD_PID=$!
LOAD_START=$(now)
for k in $(seq 1 "$KILLS"); do
  # Kills at evenly spaced points of the load, the last one leaving a third of it after the restart.
  at=$(python3 -c "print($LOAD_START + $SECONDS_OF_LOAD * 0.66 * $k / $KILLS)")
  sleep "$(python3 -c "print(max(0, $at - $(now)))")"
  kill -0 "$SERVER_PID" 2>/dev/null || die "the server died on its own before the kill"
  event kill
  server_kill9
  log "kill -9 #$k sent; restarting on the same database"
  server_start
  event ready
  log "the server is ready again"
done
wait "$LOAD_PID" || die "the load client failed"
LOAD_PID=

status=0
tamper_if_asked
"${LOAD_PY[@]}" verify --url "$(server_url)" --state "$WORK/state.json" --outcomes "$WORK/outcomes.json" \
  --events "$EVENTS" --db-url "$DATABASE_URL" --mode kill9 --workers "$WORKERS" --redis-prefix "$REDIS_KEY_PREFIX" \
  --title "kill -9 under load: $KILLS kill(s) in ${SECONDS_OF_LOAD}s of load" || status=1
if ! check_server_log; then echo "VIOLATION: the server panicked"; status=1; fi
log "whole run $(python3 -c "print(round($(now) - $START))") s"
keep_work_if_asked
exit $status
