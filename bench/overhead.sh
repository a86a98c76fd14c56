#!/usr/bin/env bash
# A quick look at the GraphQL layer's overhead, for comparing server builds within one run:
# `bench/overhead.sh SERVER_BIN...` drives the plain axum handler (bench-baseline) with wrk and
# bench-load, then each given server binary in turn (release build, a fresh PostgreSQL database,
# Redis, 32 signed-in users) with `{ version }` (wrk and bench-load) and `me { fairyname dustBalance }`
# (bench-load), and prints req/s, the ratio to the plain handler and the server's CPU per request.
# bench/run.sh is the full benchmark; this takes about a minute per binary. Needs what run.sh needs
# (PostgreSQL with trust auth on 127.0.0.1:5432, Redis on 127.0.0.1:6379, wrk) and the release
# bench binaries in CARGO_TARGET_DIR. OVERHEAD_DURATION (8 s) per measured run.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
T=${CARGO_TARGET_DIR:-$ROOT/target}/release
D=${OVERHEAD_DURATION:-8}
W=$(mktemp -d -t fairydust-overhead.XXXXXX)
PIDS=()
DB=
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  [[ -n $DB ]] && psql -h 127.0.0.1 -U postgres -qtAX -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
  rm -rf "$W"
}
trap cleanup EXIT
(($# > 0)) || { echo "usage: bench/overhead.sh SERVER_BIN..." >&2; exit 2; }
pick() { awk -v keys="$1" '/^BENCH_RESULT/ { n = split(keys, k, " "); for (i = 2; i <= NF; i++) { split($i, a, "="); for (j = 1; j <= n; j++) if (a[1] == k[j]) r[a[1]] = a[2] } for (j = 1; j <= n; j++) printf "%s=%s ", k[j], r[k[j]] }'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wrk_run() { BENCH_BODY=$2 wrk -t2 -c32 -d"$3"s -s bench/wrk/graphql.lua "$1" 2>&1; }
load_run() { "$T/bench-load" query --addr "$1" --connections 32 --duration "$D" --warmup 1 "${@:2}" 2>&1; }
# CPU ticks, req/s, seconds of load (bench-load's 1 s warm-up is inside its CPU window).
per_request() { awk -v t="$1" -v r="$2" -v d="${3:-$D}" -v hz="$(getconf CLK_TCK)" 'BEGIN { if (r > 0) printf "%.0f µs CPU/request", 1e6 * t / hz / (r * d) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f %%", 100 * a / b }'; }
VERSION='{"query":"{ version }"}'

"$T/bench-baseline" 18790 >"$W/baseline.log" 2>&1 &
PIDS+=($!); BP=$!
sleep 1
wrk_run http://127.0.0.1:18790/graphql "$VERSION" 2 >/dev/null
c0=$(ticks "$BP"); out=$(wrk_run http://127.0.0.1:18790/graphql "$VERSION" "$D" | pick "ok_rps non200 gql_errors")
BASE_WRK=$(sed 's/.*ok_rps=\([0-9.]*\).*/\1/' <<<"$out")
echo "plain handler, wrk:        $out $(per_request $(($(ticks "$BP") - c0)) "$BASE_WRK")"
out=$(load_run 127.0.0.1:18790 --document '{ version }' | pick "ok_rps failed p99_ms")
BASE_LOAD=$(sed 's/.*ok_rps=\([0-9.]*\).*/\1/' <<<"$out")
echo "plain handler, bench-load: $out"
kill "$BP"; wait "$BP" 2>/dev/null || true

for BIN in "$@"; do
  DB=fairydust_overhead_$$_$RANDOM
  psql -h 127.0.0.1 -U postgres -qtAX -d postgres -c "CREATE DATABASE $DB"
  ENV=(DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" REDIS_URL=redis://127.0.0.1:6379
    REDIS_KEY_PREFIX="overhead:$$$RANDOM:" DATABASE_MAX_CONNECTIONS=32 RUST_LOG=warn,fairydust::otp=info
    TRUST_FORWARDED_FOR=true HOST=127.0.0.1 PORT=18791 PORTALS_DIR="$W/none")
  (cd "$W" && env -i PATH="$PATH" HOME="$HOME" NO_COLOR=1 "${ENV[@]}" "$BIN" create-admin --email admin@bench.test) >"$W/admin.log" 2>&1
  (cd "$W" && exec env -i PATH="$PATH" HOME="$HOME" NO_COLOR=1 "${ENV[@]}" "$BIN" serve >"$W/server.log" 2>&1) &
  SP=$!; PIDS+=("$SP")
  for _ in $(seq 150); do curl -fsS -o /dev/null http://127.0.0.1:18791/health/ready 2>/dev/null && break; sleep 0.2; done
  sleep 1
  echo "== $BIN: idle RSS $(awk '/VmRSS/ {print $2}' "/proc/$SP/status") kB"
  "$T/bench-load" setup --addr 127.0.0.1:18791 --log "$W/server.log" --users 32 --grant 1000 --grants 1 --out "$W/users.json" 2>/dev/null
  wrk_run http://127.0.0.1:18791/graphql "$VERSION" 2 >/dev/null
  c0=$(ticks "$SP"); out=$(wrk_run http://127.0.0.1:18791/graphql "$VERSION" "$D" | pick "ok_rps non200 gql_errors")
  rps=$(sed 's/.*ok_rps=\([0-9.]*\).*/\1/' <<<"$out")
  echo "{ version }, wrk:        $out $(ratio "$rps" "$BASE_WRK") of the plain handler, $(per_request $(($(ticks "$SP") - c0)) "$rps")"
  out=$(load_run 127.0.0.1:18791 --document '{ version }' | pick "ok_rps failed p99_ms")
  rps=$(sed 's/.*ok_rps=\([0-9.]*\).*/\1/' <<<"$out")
  echo "{ version }, bench-load: $out $(ratio "$rps" "$BASE_LOAD") of the plain handler"
  c0=$(ticks "$SP"); out=$(load_run 127.0.0.1:18791 --users "$W/users.json" --document '{ me { fairyname dustBalance } }' | pick "ok_rps failed p99_ms")
  rps=$(sed 's/.*ok_rps=\([0-9.]*\).*/\1/' <<<"$out")
  echo "me, bench-load:          $out $(ratio "$rps" "$BASE_LOAD") of the plain handler, $(per_request $(($(ticks "$SP") - c0)) "$rps" $((D + 1)))"
  echo "RSS after the loads $(awk '/VmRSS/ {print $2}' "/proc/$SP/status") kB"
  kill "$SP"; wait "$SP" 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qtAX -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
  DB=
done
