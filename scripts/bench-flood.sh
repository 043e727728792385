#!/usr/bin/env bash
# What a flood of bad token requests costs everyone else: GET /login and
# logins, quiet and while another client sends /oauth2/token requests with
# a wrong client secret (and unknown client ids) at a fixed rate.
#
#   bash scripts/bench-flood.sh                  # build, then measure
#   BENCH_SKIP_BUILD=1 bash scripts/bench-flood.sh
#   BENCH_BIN=path/to/gatehouse BENCH_SITE=path/to/site bash scripts/bench-flood.sh
#
# Each scenario runs BENCH_SECONDS (default 10) seconds with wrk: pages at
# 8 connections, logins at 4 (the hashing workers are the limit). The flood
# is a second wrk at BENCH_FLOOD_RATE requests a second (default 1000; 0:
# as fast as one wrk thread can), from the same address, started two
# seconds before the measurement. wrk shares the two cores with the
# server: measure on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER=${BENCH_SECONDS:-10}
RATE=${BENCH_FLOOD_RATE:-1000}
PORT=${BENCH_PORT:-3952}
BASE="http://127.0.0.1:$PORT"
REDIRECT="http://127.0.0.1:9/callback"
PASSWORD='bench password for everyone'

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

command -v wrk >/dev/null || {
  log "installing wrk from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
}
if [ -z "${BENCH_BIN:-}" ]; then
  [ -n "${BENCH_SKIP_BUILD:-}" ] || bash scripts/build-release.sh
  BENCH_BIN=$PWD/target/release/gatehouse
fi
SITE=${BENCH_SITE:-$PWD/target/site}

work=$(mktemp -d)
server_pid=
flood_pid=
cleanup() {
  [ -n "$flood_pid" ] && kill "$flood_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export GATEHOUSE_DATA_DIR="$work" GATEHOUSE_DATABASE_URL="sqlite://$work/bench.db?mode=rwc"
export LEPTOS_SITE_ADDR="127.0.0.1:$PORT" GATEHOUSE_PUBLIC_URL="$BASE"
export LEPTOS_SITE_ROOT="$SITE" LEPTOS_SITE_PKG_DIR=pkg
export RUST_LOG=warn
# Logins measure the server, not the throttle.
export GATEHOUSE_LIMITS__LOGIN_PER_IP_BURST=1000000 GATEHOUSE_LIMITS__LOGIN_PER_IP_PER_HOUR=100000000
export GATEHOUSE_LIMITS__LOGIN_PER_ACCOUNT_BURST=1000000 GATEHOUSE_LIMITS__LOGIN_PER_ACCOUNT_PER_HOUR=100000000

echo "$PASSWORD" | "$BENCH_BIN" create-admin --email perf@bench.test --name 'Bench' \
  --role user --password-stdin >/dev/null
app=$("$BENCH_BIN" app add --name Bench --redirect-uri "$REDIRECT")
client_id=$(echo "$app" | sed -n 's/^client_id=//p')

"$BENCH_BIN" serve > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# The flood: a wrong secret for the real app, or an unknown app, by turns.
bad_basic=$(printf '%s:%s' "$client_id" "not-the-secret" | base64 -w0)
cat > "$work/flood.lua" <<LUA
local i = 0
local connections = 16
request = function()
  i = i + 1
  local auth = "Basic $bad_basic"
  if i % 2 == 0 then auth = "Basic " .. "dW5rbm93bi1hcHAtIiAuLiBpOng=" end
  return wrk.format("POST", "/oauth2/token", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = auth,
  }, "grant_type=authorization_code&code=never-issued-" .. i .. "&redirect_uri=x")
end
delay = function()
  if $RATE == 0 then return 0 end
  return 1000 * connections / $RATE
end
LUA
cat > "$work/login.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Origin"] = "$BASE"
wrk.body = "email=perf%40bench.test&password=bench+password+for+everyone"
LUA

results="$work/results.md"
printf '| scenario | quiet, requests/s | during the flood, requests/s | change | flood answered, requests/s |\n|---|---|---|---|---|\n' > "$results"

# measure CONNECTIONS WRK-ARGS...: requests a second.
measure() {
  local c=$1
  shift
  wrk -t1 -c"$c" -d"${SECONDS_PER}s" "$@" 2>&1 | awk '/Requests\/sec/ {printf "%.0f", $2}'
}

# scenario NAME CONNECTIONS WRK-ARGS...
scenario() {
  local name=$1 c=$2 quiet loud flood
  shift 2
  quiet=$(measure "$c" "$@")
  wrk -t1 -c16 -d"$((SECONDS_PER + 4))s" -s "$work/flood.lua" "$BASE" > "$work/flood.out" 2>&1 &
  flood_pid=$!
  sleep 2
  loud=$(measure "$c" "$@")
  wait "$flood_pid" || true
  flood_pid=
  flood=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$work/flood.out")
  printf '| %s | %s | %s | %s | %s |\n' "$name" "$quiet" "$loud" \
    "$(awk -v q="$quiet" -v l="$loud" 'BEGIN {printf "%+.1f%%", (l - q) * 100 / q}')" "$flood" >> "$results"
  log "$name: $quiet quiet, $loud during the flood ($flood flood requests/s)"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
scenario "GET /login" 8 -H "Accept: text/html" "$BASE/login"
scenario "POST /api/login (right password)" 4 -s "$work/login.lua" "$BASE/api/login"

{
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load average before: $load_before (1/5/15 min); flood rate asked: $RATE requests/s (0: unbounded)"
  echo
  cat "$results"
  if grep -q 'ERROR' "$work/server.log"; then
    echo
    echo "Server errors during the run (count, message):"
    grep 'ERROR' "$work/server.log" | sed 's/^[^ ]* *//' | sort | uniq -c | sort -rn | head -5
  fi
} | tee target/bench-flood.md
