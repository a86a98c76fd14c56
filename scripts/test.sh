#!/usr/bin/env bash
# The whole test suite, with its set-up: one command on a fresh machine.
#
#  1. installs what is missing (wasm target, wasm-bindgen-cli, Chromium when apt is available) and builds
#     the portals for the browser tests;
#  2. runs every test against PostgreSQL + Redis when they answer (TEST_DATABASE_URL / TEST_REDIS_URL,
#     defaulting to the local servers), and says so when it has to skip that run;
#  3. runs every test again on the embedded default (SQLite file + in-process cache);
#  4. with PostgreSQL and Redis, the fault drills (bench/faults: kill -9 and a PostgreSQL restart under
#     load, two replicas, slow clients) in their fast mode; then a short schemathesis fuzzing run
#     (scripts/fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\n==> %s\n' "$*"; }

pg_url="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
redis_url="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"

answers() { # host port
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}
url_host() { local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"; echo "${rest%%:*}"; }
url_port() { local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"; [[ "$rest" == *:* ]] && echo "${rest##*:}" || echo "$2"; }

log "Setting up tools"
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; }
  else
    echo "Chromium/chromedriver missing and cannot be installed here: the browser tests will be SKIPPED."
  fi
fi
if ! command -v docker-compose >/dev/null && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  # Only to validate docker-compose.yml offline (`docker-compose config`); no engine is needed.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null 2>&1 \
    || echo "docker-compose could not be installed: the compose-file check will be SKIPPED."
fi
scripts/build-portals.sh

if cargo nextest --version >/dev/null 2>&1; then
  runner=(cargo nextest run --workspace)
else
  echo "cargo-nextest not found: using cargo test (slower; install with 'cargo install cargo-nextest')."
  runner=(cargo test --workspace)
fi

log "Format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

log "Building the test binaries"
"${runner[@]}" --no-run
runner+=(--no-fail-fast)

status=0
summary=()
skip_logs=$(mktemp -d)
trap 'rm -rf "$skip_logs"' EXIT

# Tests that cannot run here (a missing service or browser) record why in FAIRYDUST_SKIPPED_LOG;
# the summary counts them so that a skip never reads as a pass.
skipped_in() { # run-name log-file
  if [[ -s "$2" ]]; then
    summary+=("  $(wc -l < "$2") test(s) SKIPPED in the $1 run:")
    while IFS= read -r line; do summary+=("    $line"); done < <(sort -u "$2")
  fi
}
services_answer=false
if answers "$(url_host "$pg_url")" "$(url_port "$pg_url" 5432)" && answers "$(url_host "$redis_url")" "$(url_port "$redis_url" 6379)"; then
  services_answer=true
fi
if $services_answer; then
  log "Run 1/2: PostgreSQL ($pg_url) + Redis ($redis_url)"
  if FAIRYDUST_SKIPPED_LOG="$skip_logs/postgres" TEST_DATABASE_URL="$pg_url" TEST_REDIS_URL="$redis_url" "${runner[@]}"; then
    summary+=("PostgreSQL + Redis: passed")
  else
    status=1; summary+=("PostgreSQL + Redis: FAILED")
  fi
  skipped_in "PostgreSQL + Redis" "$skip_logs/postgres"
else
  summary+=("PostgreSQL + Redis: SKIPPED (nothing answers at $pg_url and $redis_url; set TEST_DATABASE_URL and TEST_REDIS_URL)")
fi

log "Run 2/2: embedded default (SQLite + in-process cache)"
if env -u TEST_DATABASE_URL -u TEST_REDIS_URL FAIRYDUST_SKIPPED_LOG="$skip_logs/sqlite" "${runner[@]}"; then
  summary+=("SQLite + in-process cache: passed")
else
  status=1; summary+=("SQLite + in-process cache: FAILED")
fi
skipped_in "SQLite" "$skip_logs/sqlite"

# The fault drills need PostgreSQL and Redis: kill -9 under load, PostgreSQL (a throwaway cluster of
# their own) stopped under load, two replicas behind one address, slow clients and providers. Their
# fast mode takes under a minute each.
if $services_answer; then
  for drill in kill9 pg_restart replicas slow; do
    log "Fault drill: bench/faults/$drill.sh (fast mode)"
    if FAULT_SECONDS=14 SERVER_BIN="${CARGO_TARGET_DIR:-target}/debug/server" \
      PGHOST="$(url_host "$pg_url")" PGPORT="$(url_port "$pg_url" 5432)" \
      REDIS_HOST="$(url_host "$redis_url")" REDIS_PORT="$(url_port "$redis_url" 6379)" \
      "bench/faults/$drill.sh"; then
      summary+=("Fault drill $drill: ledger exact, every rule held")
    else
      status=1; summary+=("Fault drill $drill: FAILED (see above)")
    fi
  done
else
  summary+=("Fault drills (kill -9, PostgreSQL restart, replicas, slow clients): SKIPPED (they need PostgreSQL and Redis)")
fi

log "Fuzzing the API (scripts/fuzz.sh, ${FUZZ_SECONDS:-45} s per identity)"
if command -v python3 >/dev/null && python3 -c 'import venv, ensurepip' 2>/dev/null; then
  if FUZZ_SECONDS="${FUZZ_SECONDS:-45}" SERVER_BIN="${CARGO_TARGET_DIR:-target}/debug/server" scripts/fuzz.sh; then
    summary+=("Fuzzing (schemathesis): no 5xx, no INTERNAL, every error coded")
  else
    status=1; summary+=("Fuzzing (schemathesis): FAILED (see above)")
  fi
else
  summary+=("Fuzzing: SKIPPED (python3 with venv is needed for schemathesis)")
fi

log "Summary"
printf '  %s\n' "${summary[@]}"
exit $status
