#!/usr/bin/env bash
# Fairydust at scale on PostgreSQL: builds a database of SCALE_USERS users (default 1 000 000; ten DUST
# transactions each, 1 000 apps, 100 000 recipes, one LLM usage row per user) with bench/scale/seed.sql,
# starts the server on it and prints p50/p99 of the queries users and admins make most
# (bench/scale/probe.py), then EXPLAIN (ANALYZE, BUFFERS) of the history page.
#
#   bench/scale/run.sh                      # the full size (the seed takes minutes)
#   SCALE_USERS=100000 bench/scale/run.sh   # a tenth
#
# PGHOST/PGPORT/PGUSER default to the local server; SERVER_BIN to the debug build in CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."

USERS=${SCALE_USERS:-1000000}
PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
DB=${SCALE_DB:-fairydust_scale}
SERVER_BIN=${SERVER_BIN:-${CARGO_TARGET_DIR:-target}/debug/server}
URL_DB="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"
psql_() { psql -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" -v ON_ERROR_STOP=1 "$@"; }

[[ -x $SERVER_BIN ]] || { echo "no server binary at $SERVER_BIN (cargo build --workspace --bins)"; exit 1; }

if [[ ${SCALE_REUSE:-} != 1 ]]; then
  echo "==> a fresh database $DB with $USERS users"
  psql_ -d postgres -qc "DROP DATABASE IF EXISTS \"$DB\"" -qc "CREATE DATABASE \"$DB\""
  DATABASE_URL="$URL_DB" "$SERVER_BIN" migrate up
  time psql_ -d "$DB" -q -v users="$USERS" -f bench/scale/seed.sql
fi
psql_ -d "$DB" -Atc "SELECT 'users ' || count(*) FROM users" -c "SELECT 'dust_transactions ' || count(*) FROM dust_transactions" \
  -c "SELECT 'database ' || pg_size_pretty(pg_database_size(current_database()))"

WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SERVER_PID=
trap '[[ -n $SERVER_PID ]] && kill $SERVER_PID 2>/dev/null; rm -rf "$WORK"' EXIT
DATABASE_URL="$URL_DB" "$SERVER_BIN" create-admin --email admin@scale.test >/dev/null
(cd "$WORK" && exec env DATABASE_URL="$URL_DB" HOST=127.0.0.1 PORT="$PORT" PORTALS_DIR="$WORK/none" \
  RUST_LOG="warn,fairydust::otp=info,fairydust_server::report_rollups=info" NO_COLOR=1 "$SERVER_BIN" serve >"$WORK/server.log" 2>&1) &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break; sleep 0.2; done
URL="http://127.0.0.1:$PORT/graphql"
# The server fills the last days' report rollups at start-up (REPORT_ROLLUP_DAYS); the probe measures what
# an admin meets afterwards. How long the fill took is in its log line.
for _ in $(seq 1 600); do grep -q "report rollups" "$WORK/server.log" && break; sleep 0.5; done
grep "report rollups" "$WORK/server.log" || echo "the report rollups were not filled within 5 minutes"

token_of() { # email -> access token, signing in with the code the server logs
  curl -fsS "$URL" -H 'content-type: application/json' \
    -d "{\"query\":\"mutation { requestOtp(input: {email: \\\"$1\\\"}) { sentTo } }\"}" >/dev/null
  local code
  code=$(grep -o "identifier=$1 code=[0-9]*" "$WORK/server.log" | tail -n1 | sed 's/.*code=//')
  curl -fsS "$URL" -H 'content-type: application/json' \
    -d "{\"query\":\"mutation { verifyOtp(input: {email: \\\"$1\\\", code: \\\"$code\\\"}) { accessToken } }\"}" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["verifyOtp"]["accessToken"])'
}
USER_TOKEN=$(token_of scale42@example.com)
ADMIN_TOKEN=$(token_of admin@scale.test)

echo "==> latency through the server ($(basename "$SERVER_BIN") build)"
python3 bench/scale/probe.py "$URL" "$USER_TOKEN" "$ADMIN_TOKEN" "${SCALE_REQUESTS:-200}"

echo "==> EXPLAIN (ANALYZE, BUFFERS): a user's newest 20 transactions"
psql_ -d "$DB" -c "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM dust_transactions
  WHERE user_id = (SELECT id FROM users WHERE email = 'scale42@example.com')
  ORDER BY created_at DESC, id DESC LIMIT 21"
