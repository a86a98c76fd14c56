#!/usr/bin/env bash
# Schema-driven fuzzing of the real server with schemathesis: every Query and Mutation field, anonymous
# and signed in, against a fresh SQLite database. Fails when any answer is HTTP 5xx, carries the INTERNAL
# code, or lacks extensions.code (scripts/fuzz/checks.py).
#
#   scripts/fuzz.sh                      # the short budget CI runs (FUZZ_SECONDS=60 per identity)
#   FUZZ_SECONDS=1800 scripts/fuzz.sh    # a long run
#
# Needs python3 (schemathesis is installed into ~/.cache/fairydust-tools/fuzz-venv) and the server
# binary (built here unless SERVER_BIN points at one).
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
SCHEMATHESIS_VERSION=4.32.5
TOOLS=${FAIRYDUST_TOOLS:-$HOME/.cache/fairydust-tools}
VENV=$TOOLS/fuzz-venv
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

if [[ ! -x $VENV/bin/schemathesis ]] || ! "$VENV/bin/schemathesis" --version | grep -q "$SCHEMATHESIS_VERSION"; then
  echo "Installing schemathesis $SCHEMATHESIS_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
fi

SERVER_BIN=${SERVER_BIN:-}
if [[ -z $SERVER_BIN ]]; then
  # The whole workspace, so features resolve as in the test build and nothing recompiles.
  cargo build --quiet --workspace --bins
  SERVER_BIN=$CARGO_TARGET_DIR/debug/server
fi

WORK=$(mktemp -d)
PORT=${FUZZ_PORT:-$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')}
SERVER_PID=
cleanup() {
  [[ -n $SERVER_PID ]] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# Development mode: codes go to the log; limits stay as shipped, so throttles answer RATE_LIMITED.
# `exec`: the background job is the server itself, so the cleanup's kill reaches it.
(cd "$WORK" && exec env -i PATH="$PATH" HOME="$HOME" NO_COLOR=1 \
  DATABASE_URL="sqlite://$WORK/fuzz.db?mode=rwc" HOST=127.0.0.1 PORT="$PORT" \
  PORTALS_DIR="$WORK/no-portals" RUST_LOG="warn,fairydust::otp=info" \
  "$SERVER_BIN" serve >"$WORK/server.log" 2>&1) &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/health/ready" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log"; echo "the server did not start"; exit 1; }
  sleep 0.2
done
URL="http://127.0.0.1:$PORT/graphql"

gql() { curl -fsS "$URL" -H 'content-type: application/json' -d "$1"; }
gql '{"query":"mutation { requestOtp(input: {email: \"fuzz@example.com\"}) { sentTo } }"}' >/dev/null
CODE=$(grep -o 'identifier=fuzz@example.com code=[0-9]*' "$WORK/server.log" | tail -n1 | sed 's/.*code=//')
[[ -n $CODE ]] || { cat "$WORK/server.log"; echo "no sign-in code in the log"; exit 1; }
TOKEN=$(gql "{\"query\":\"mutation { verifyOtp(input: {email: \\\"fuzz@example.com\\\", code: \\\"$CODE\\\"}) { accessToken } }\"}" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["verifyOtp"]["accessToken"])')

export SCHEMATHESIS_HOOKS=checks
export PYTHONPATH="$PWD/scripts/fuzz${PYTHONPATH:+:$PYTHONPATH}"
status=0
run() { # label, extra args...
  local label=$1; shift
  echo "==> schemathesis, $label, ${FUZZ_SECONDS}s"
  "$VENV/bin/schemathesis" run "$URL" --checks no_internal_error --max-time "$FUZZ_SECONDS" \
    --workers 2 --suppress-health-check all --seed 1 --no-color "$@" || status=1
}
run anonymous
run "signed in" -H "Authorization: Bearer $TOKEN"

if grep -q "panicked" "$WORK/server.log"; then
  grep -n -A5 "panicked" "$WORK/server.log" | head -40
  echo "the server panicked during fuzzing"
  status=1
fi
exit $status
