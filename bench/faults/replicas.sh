#!/usr/bin/env bash
# Two replicas behind one address (issue 13): two `server serve` processes on one fresh PostgreSQL
# database and one Redis key prefix, a round-robin TCP proxy (load.py proxy) in front of them, and one
# scripted scenario through the proxy (drills.py replicas) in which every step names the replica it must
# reach (checked against the proxy's connection log). Fails (exit 1) unless the replicas agree:
#   (a) rate limits count across both: a second requestOtp for one address → RATE_LIMITED on the other
#       replica; the 21st code request from one IP (20 an hour) alternating replicas → RATE_LIMITED; the
#       per-user write throttle (WRITE_RATE_LIMIT_PER_MINUTE, 4 for the run) across both;
#   (b) wrong one-time codes alternating replicas count down attemptsLeft 4, 3, 2, 1 and the 5th burns the
#       code (the right one is then refused);
#   (c) signOut on A: the token answers UNAUTHENTICATED on B at once, and its WebSocket on B closes (4401);
#   (d) an action price set through one replica is what consumeDust charges through the other right after
#       (both ways, each replica having cached the old price first);
#   (e) a dustBalanceChanged subscription on A (graphql-transport-ws, load.py's WebSocket client) gets
#       the event of a consumeDust made through B.
#
#   bench/faults/replicas.sh      # about 20 s
#
# Settings: FAULT_SPLIT=1 (a check of the checks: replica B on a Redis key prefix of its own, the
# scenario must fail), FAULT_KEEP=1 (keeps logs), SERVER_BIN, PGHOST/PGPORT/PGUSER (127.0.0.1:5432, postgres,
# trust), REDIS_HOST/REDIS_PORT (127.0.0.1:6379). The database and the key prefix are removed at the end.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
START=$(now)
WRITE_LIMIT=4

faults_init replicas
shared_pg_database
fresh_redis_prefix
server_env
SERVER_ENV+=(WRITE_RATE_LIMIT_PER_MINUTE=$WRITE_LIMIT)
DRILLS_PY=(python3 "$FAULTS_DIR/drills.py")

ADMIN_EMAIL="$RUN_ID-admin@example.com"
log "database ${DATABASE_URL##*/}, Redis prefix $REDIS_KEY_PREFIX"
server_cli create-admin --email "$ADMIN_EMAIL" >"$WORK/create-admin.txt" || die "create-admin failed"
replica_start a
if [[ ${FAULT_SPLIT:-} == 1 ]]; then
  # A check of the checks: replica B gets a Redis key prefix of its own, so the replicas share the
  # database but no cache state; (a), (b), (e) and the session's socket must then fail.
  log "FAULT_SPLIT=1: replica B on its own Redis key prefix; the checks must fail"
  SERVER_ENV+=(REDIS_KEY_PREFIX="${REDIS_KEY_PREFIX}split:")
fi
replica_start b
start_proxy "$REPLICA_PORT_a" "$REPLICA_PORT_b"
PROXY_URL="http://127.0.0.1:$PROXY_PORT"
log "replica A on port $REPLICA_PORT_a (pid $REPLICA_PID_a), B on $REPLICA_PORT_b (pid $REPLICA_PID_b), proxy on $PROXY_PORT"

SETUP_URL=$PROXY_URL
[[ ${FAULT_SPLIT:-} == 1 ]] && SETUP_URL="http://127.0.0.1:$REPLICA_PORT_a" # sign-in codes are in A's Redis only
"${LOAD_PY[@]}" setup --url "$SETUP_URL" --log "$WORK/server-a.log" "$WORK/server-b.log" --state "$WORK/state.json" \
  --run "$RUN_ID" --admin "$ADMIN_EMAIL" --users 4

status=0
"${DRILLS_PY[@]}" replicas --proxy-port "$PROXY_PORT" --proxy-log "$WORK/proxy.log" \
  --ports "$REPLICA_PORT_a,$REPLICA_PORT_b" --logs "$WORK/server-a.log" "$WORK/server-b.log" \
  --state "$WORK/state.json" --write-limit "$WRITE_LIMIT" || status=1
for name in a b; do
  pid_var=REPLICA_PID_$name
  kill -0 "${!pid_var}" 2>/dev/null || { echo "VIOLATION: replica $name died during the run"; status=1; }
done
if ! check_server_logs; then echo "VIOLATION: a replica panicked"; status=1; fi
log "whole run $(python3 -c "print(round($(now) - $START))") s"
keep_work_if_asked
exit $status
