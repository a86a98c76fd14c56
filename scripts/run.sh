#!/usr/bin/env bash
# Builds the portals and runs the server. With no DATABASE_URL / REDIS_URL it uses the embedded
# default: a SQLite file `fairydust.db` here and an in-process cache; OTP codes are written to the log.
# Extra arguments go to the server, e.g. `scripts/run.sh create-admin --email you@example.com`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-portals.sh
if [[ $# -eq 0 ]]; then set -- serve; fi
exec cargo run --release -p fairydust-server --bin server -- "$@"
