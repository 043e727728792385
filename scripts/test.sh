#!/usr/bin/env bash
# Runs every test layer: formatting and lints, unit and integration tests on
# SQLite and PostgreSQL, then the browser journeys in Chromium.
#
#   bash scripts/test.sh           everything (what CI runs)
#   bash scripts/test.sh --quick   the day-to-day loop: formatting, the
#                                  server's lints, unit and integration
#                                  tests on SQLite; no PostgreSQL, no browser
set -euo pipefail
cd "$(dirname "$0")/.."

quick=false
case "${1:-}" in
  --quick) quick=true ;;
  "") ;;
  *) echo "usage: bash scripts/test.sh [--quick]" >&2; exit 2 ;;
esac

# Build flags live in .cargo/config.toml alone, so these builds are the
# ones scripts/run.sh and plain cargo commands make (no second build).

if $quick; then
  SETUP_SERVER_ONLY=1 source scripts/setup.sh
  log "cargo fmt --check"
  cargo fmt --all --check
  log "clippy (server)"
  cargo clippy --all-targets -- -D warnings
  log "unit and integration tests on SQLite (the PostgreSQL variants left out)"
  cargo test -- --skip ::postgres
  log "quick checks passed; bash scripts/test.sh runs everything"
  exit 0
fi

source scripts/setup.sh
# One pass over everything: incremental caches would only fill the disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

# --- Browser, proxy and database packages from Debian, when missing -------
need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
# The integration tests put a real nginx in front of Gatehouse (tests/api/proxy.rs).
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need_apt+=(nginx)
# The deploy test makes a throwaway TLS certificate for deploy/nginx.conf.
command -v openssl >/dev/null || need_apt+=(openssl)
if [ -z "${TEST_DATABASE_URL:-}" ] && ! command -v pg_ctlcluster >/dev/null; then
  need_apt+=(postgresql)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]} from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

# --- PostgreSQL -------------------------------------------------------------
if [ -z "${TEST_DATABASE_URL:-}" ]; then
  log "starting the local PostgreSQL"
  pg_version=$(ls /usr/lib/postgresql | sort -n | tail -1)
  if ! pg_lsclusters -h | awk '{print $4}' | grep -q online; then
    pg_ctlcluster "$pg_version" main start || {
      echo "PostgreSQL could not be started; set TEST_DATABASE_URL to use another server." >&2
      exit 1
    }
  fi
  su postgres -c "psql -q -tc \"SELECT 1 FROM pg_roles WHERE rolname = 'gatehouse'\" | grep -q 1 || psql -q -c \"CREATE ROLE gatehouse LOGIN SUPERUSER PASSWORD 'gatehouse'\""
  export TEST_DATABASE_URL="postgres://gatehouse:gatehouse@127.0.0.1:5432/postgres"
fi
# Databases left behind by earlier runs.
for db in $(psql "$TEST_DATABASE_URL" -Atc "SELECT datname FROM pg_database WHERE datname LIKE 'gh_test_%'" 2>/dev/null); do
  psql "$TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
done

# --- Static checks ------------------------------------------------------------
log "cargo fmt --check"
cargo fmt --all --check
log "clippy (server)"
cargo clippy --all-targets -- -D warnings
log "clippy (browser)"
cargo clippy --no-default-features --features hydrate --lib --target wasm32-unknown-unknown -- -D warnings
log "clippy (build tool)"
cargo clippy --package xtask -- -D warnings

# --- Unit and integration tests (SQLite and PostgreSQL) -------------------
log "unit and integration tests"
# The servers' logs of the whole run, and the secrets the tests came across
# (tests/api/log_audit.rs): afterwards not one secret may be in a log line.
export GH_TEST_LOG_DIR="$PWD/target/test-logs"
rm -rf "$GH_TEST_LOG_DIR"
cargo test
log "no password, token, link or session id in the logs of the run"
scripts/check-test-logs.sh "$GH_TEST_LOG_DIR"

# --- Browser journeys -------------------------------------------------------
# The server is the binary `cargo test` just built (no second build of the
# server's dependencies); `cargo xtask bundle` puts the WASM bundle, the
# stylesheet and the public assets under target/site, which the server
# reads on each request.
(cd end2end && npm ci --no-audit --no-fund)
port=${E2E_PORT:-3917}
export LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_SITE_ADDR="127.0.0.1:$port"
export GATEHOUSE_PUBLIC_URL="http://localhost:$port"
export GATEHOUSE_SITE_NAME="Gatehouse E2E"
export GATEHOUSE_ADMIN_EMAIL="admin@gatehouse.test"
export E2E_BASE_URL="http://localhost:$port" E2E_BIN="$PWD/target/debug/gatehouse"
# Every journey comes from 127.0.0.1, and the release bundle runs them fast
# enough to use up a single visitor's login allowance (30 at once, 300 an
# hour): the per-address limits are raised for this one test browser. The
# per-account limits stay as shipped (each journey has its own accounts).
export GATEHOUSE_LIMITS__LOGIN_PER_IP_BURST=1000 GATEHOUSE_LIMITS__LOGIN_PER_IP_PER_HOUR=100000
export GATEHOUSE_LIMITS__RESET_PER_IP_BURST=1000 GATEHOUSE_LIMITS__RESET_PER_IP_PER_HOUR=100000
server_pid=
trap 'kill $server_pid 2>/dev/null || true' EXIT

# Every journey, against a fresh server and database.
journeys() {
  local dir
  dir=$(mktemp -d)
  export GATEHOUSE_DATA_DIR="$dir" E2E_DATA_DIR="$dir"
  export GATEHOUSE_DATABASE_URL="sqlite://$dir/e2e.db?mode=rwc"
  target/debug/gatehouse serve > "$dir/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "$E2E_BASE_URL/healthz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fsS "$E2E_BASE_URL/healthz" >/dev/null || { cat "$dir/server.log"; exit 1; }
  if ! (cd end2end && npx playwright test); then
    echo "--- server log ---" >&2
    tail -n 80 "$dir/server.log" >&2
    exit 1
  fi
  kill "$server_pid"
  wait "$server_pid" 2>/dev/null || true
}

log "building the browser bundle (debug)"
cargo xtask bundle
log "browser journeys in Chromium, debug bundle"
journeys

# The bundle that scripts/build-release.sh makes for production: size
# profile, LTO, wasm-opt, precompressed copies (served as they are).
log "building the browser bundle (release)"
cargo xtask bundle --release
# With it, each page's first visit is held against its own budget
# (end2end/tests/budgets.spec.ts; BENCHMARKS.md has the figures): the
# light pages a visitor sees before logging in 60 KB, the pages that load
# the client what they took before.
export E2E_BUDGETS=1
log "browser journeys in Chromium, release bundle"
journeys
log "all test layers passed"
