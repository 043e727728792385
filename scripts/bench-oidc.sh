#!/usr/bin/env bash
# HTTP benchmark of the release build's sign-in endpoints for other apps:
# the OpenID Connect token endpoint (code exchange by a confidential app)
# and forward-auth's /auth/verify with a valid session.
#
#   bash scripts/bench-oidc.sh                  # build, then measure
#   BENCH_SKIP_BUILD=1 bash scripts/bench-oidc.sh
#
# It starts the release binary on a fresh SQLite database with one user
# and one app, logs in, makes fresh authorization codes through
# /oauth2/authorize (each can be exchanged once, within 60 s), then runs wrk
# (32 connections) against each endpoint and prints one table (also written
# to target/bench-oidc.md). Measure on a quiet machine: wrk shares the
# cores with the server.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER=${BENCH_SECONDS:-10}
CODES=${BENCH_CODES:-12000}
PORT=${BENCH_PORT:-3951}
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

work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export GATEHOUSE_DATA_DIR="$work" GATEHOUSE_DATABASE_URL="sqlite://$work/bench.db?mode=rwc"
export LEPTOS_SITE_ADDR="127.0.0.1:$PORT" GATEHOUSE_PUBLIC_URL="$BASE"
export LEPTOS_SITE_ROOT="$PWD/target/site" LEPTOS_SITE_PKG_DIR=pkg
export RUST_LOG=warn

echo "$PASSWORD" | "$BENCH_BIN" create-admin --email perf@bench.test --name 'Bench' \
  --role user --password-stdin >/dev/null
app=$("$BENCH_BIN" app add --name Bench --redirect-uri "$REDIRECT")
client_id=$(echo "$app" | sed -n 's/^client_id=//p')
secret=$(echo "$app" | sed -n 's/^client_secret=//p')
basic=$(printf '%s:%s' "$client_id" "$secret" | base64 -w0)

"$BENCH_BIN" serve > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

log "logging in"
curl -fsS -c "$work/cookies" -o /dev/null -H "Origin: $BASE" \
  --data-urlencode email=perf@bench.test --data-urlencode "password=$PASSWORD" "$BASE/api/login"
session=$(awk '$6 == "gatehouse_session" {print $7}' "$work/cookies")
[ -n "$session" ] || { echo "no session cookie" >&2; exit 1; }

results="$work/results.md"
printf '| scenario | connections | requests/s | p50 ms | p99 ms |\n|---|---|---|---|---|\n' > "$results"

ms() {
  case "$1" in
    *us) echo "$1" | sed 's/us$//' | awk '{printf "%.2f", $1 / 1000}' ;;
    *ms) echo "$1" | sed 's/ms$//' | awk '{printf "%.2f", $1}' ;;
    *s) echo "$1" | sed 's/s$//' | awk '{printf "%.0f", $1 * 1000}' ;;
    *) echo "$1" ;;
  esac
}

# run NAME WRK-ARGS...: 32 connections for SECONDS_PER seconds; every answer
# must be a success.
run() {
  local name=$1 out rps p50 p99
  shift
  out=$(wrk -c32 -d"${SECONDS_PER}s" --latency "$@" 2>&1)
  if echo "$out" | grep -q 'Non-2xx or 3xx'; then
    echo "$out" >&2
    echo "$name: some answers were errors" >&2
    exit 1
  fi
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  printf '| %s | 32 | %s | %s | %s |\n' "$name" "$rps" "$(ms "$p50")" "$(ms "$p99")" >> "$results"
  log "$name: $rps requests/s"
  echo "$rps"
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
run "GET /auth/verify (valid session)" -t2 -H "Cookie: gatehouse_session=$session" \
  "$BASE/auth/verify" >/dev/null

log "making $CODES authorization codes"
python3 - "$PORT" "$client_id" "$REDIRECT" "$session" "$CODES" > "$work/codes" <<'PY'
import http.client, sys, urllib.parse
port, client_id, redirect, session, n = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
conn = http.client.HTTPConnection("127.0.0.1", int(port))
query = urllib.parse.urlencode({"client_id": client_id, "redirect_uri": redirect,
                                "response_type": "code", "scope": "openid email profile",
                                "nonce": "bench-nonce"})
for _ in range(n):
    conn.request("GET", "/oauth2/authorize?" + query, headers={"Cookie": "gatehouse_session=" + session})
    res = conn.getresponse()
    res.read()
    location = res.getheader("Location")
    print(urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["code"][0])
PY
redirect_enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$REDIRECT")
cat > "$work/token.lua" <<LUA
local codes = {}
for line in io.lines("$work/codes") do codes[#codes + 1] = line end
local i = 0
request = function()
  i = i + 1
  local body = "grant_type=authorization_code&code=" .. codes[(i - 1) % #codes + 1] .. "&redirect_uri=$redirect_enc"
  return wrk.format("POST", "/oauth2/token", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic $basic",
  }, body)
end
LUA
# One wrk thread, so that each code is sent once.
run "POST /oauth2/token (code exchange, client_secret_basic)" -t1 -s "$work/token.lua" "$BASE" >/dev/null

{
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load average before: $load_before (1/5/15 min)"
  echo
  cat "$results"
  if grep -q 'ERROR' "$work/server.log"; then
    echo
    echo "Server errors during the run (count, message):"
    grep 'ERROR' "$work/server.log" | sed 's/^[^ ]* *//' | sort | uniq -c | sort -rn | head -5
  fi
} | tee target/bench-oidc.md
