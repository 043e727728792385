#!/usr/bin/env bash
# Benchmark of `gatehouse import` and `export` on the release build, with
# the server answering logins meanwhile.
#
#   bash scripts/bench-import.sh                  # build, then measure
#   BENCH_BIN=target/release/gatehouse bash scripts/bench-import.sh
#
# On a fresh SQLite database (BENCH_DATABASE_URL for another) with one
# person, it starts the server and keeps 4 connections logging that person
# in (wrk) while it imports BENCH_LINES people (100,000), every one with a
# password hash from another system (bcrypt, Django PBKDF2, argon2, Zope
# {SSHA}) and two groups, one of which all share. It prints how long the
# import, a dry run and an export took, the logins' latency before and
# during the import, what a page of members of the 100,000-strong group
# costs to search, and how long importing 10,000 invitations took
# (also written to target/bench-import.md). Measure on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."

LINES=${BENCH_LINES:-100000}
INVITES=${BENCH_INVITES:-10000}
PORT=${BENCH_PORT:-3952}
BASE="http://127.0.0.1:$PORT"
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
  [ -n "${BENCH_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

export GATEHOUSE_DATA_DIR="$work"
export GATEHOUSE_DATABASE_URL=${BENCH_DATABASE_URL:-"sqlite://$work/bench.db?mode=rwc"}
export LEPTOS_SITE_ADDR="127.0.0.1:$PORT" GATEHOUSE_PUBLIC_URL="$BASE"
export LEPTOS_SITE_ROOT="$PWD/target/site" LEPTOS_SITE_PKG_DIR=pkg
# The logins below all come from here: no throttling in the way.
export GATEHOUSE_LIMITS__LOGIN_PER_IP_BURST=1000000 GATEHOUSE_LIMITS__LOGIN_PER_IP_PER_HOUR=1000000
# (Not higher: the account-wide allowance is ten times these, and an
# interval under a millisecond would round to none.)
export GATEHOUSE_LIMITS__LOGIN_PER_ACCOUNT_BURST=100000 GATEHOUSE_LIMITS__LOGIN_PER_ACCOUNT_PER_HOUR=100000
export RUST_LOG=warn

echo "$PASSWORD" | "$BENCH_BIN" create-admin --email perf@bench.test --name 'Bench' \
  --password-stdin >/dev/null

log "writing $LINES lines"
# Hashes of other systems' formats, cycled (the import checks each one's
# format and cost; only a login computes one).
python3 - "$LINES" > "$work/people.csv" <<'PY'
import base64, hashlib, sys
n = int(sys.argv[1])
pw = b"kept from the old site"
salt = "benchsalt123"
pbkdf2 = "pbkdf2_sha256$600000$%s$%s" % (
    salt, base64.b64encode(hashlib.pbkdf2_hmac("sha256", pw, salt.encode(), 600000)).decode())
ssha = "{SSHA}" + base64.b64encode(hashlib.sha1(pw + b"pepper42").digest() + b"pepper42").decode()
hashes = [
    "$2b$12$GhvMmNVjRW29ulnudl.LbuAnUtN/LRfe1JsBm1Xu6LE3059z5Tr8m",
    pbkdf2,
    '"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0ij7N5c0DAMfHeKPY2zTp87kv2dH+0Hk+5w3xNqvNVM"',
    ssha,
]
print("email,name,role,groups,password_hash")
for i in range(n):
    print("person%d@old.test,Person %d Oldsite,user,everyone;team%d,%s" % (i, i, i % 50, hashes[i % len(hashes)]))
PY

"$BENCH_BIN" serve > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

cat > "$work/login.lua" <<LUA
request = function()
  return wrk.format("POST", "/api/login", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = "$BASE",
    ["Referer"] = "$BASE/login",
  }, "email=perf%40bench.test&password=bench+password+for+everyone")
end
LUA
ms() {
  case "$1" in
    *us) echo "$1" | sed 's/us$//' | awk '{printf "%.1f", $1 / 1000}' ;;
    *ms) echo "$1" | sed 's/ms$//' | awk '{printf "%.1f", $1}' ;;
    *s) echo "$1" | sed 's/s$//' | awk '{printf "%.0f", $1 * 1000}' ;;
    *) echo "$1" ;;
  esac
}
# logins SECONDS: wrk's requests/s, p50, p99 and max (ms) of valid logins.
logins() {
  local out
  out=$(wrk -t1 -c4 -d"$1s" --latency -s "$work/login.lua" "$BASE" 2>&1)
  if echo "$out" | grep -q 'Non-2xx or 3xx'; then echo "$out" >&2; echo "logins failed" >&2; exit 1; fi
  printf '%s | %s | %s | %s' \
    "$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')" \
    "$(ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")" \
    "$(ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")" \
    "$(ms "$(echo "$out" | awk '$1 == "Latency" {print $4}')")"
}
seconds() { awk -v s="$1" -v e="$2" 'BEGIN {printf "%.1f", (e - s) / 1e9}'; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
log "logins, quiet"
quiet=$(logins 10)

log "dry run"
start=$(date +%s%N)
"$BENCH_BIN" import --from "$work/people.csv" --dry-run >/dev/null
dry=$(seconds "$start" "$(date +%s%N)")

log "import while logins go on"
logins 40 > "$work/during" &
wrk_pid=$!
sleep 2
start=$(date +%s%N)
"$BENCH_BIN" import --from "$work/people.csv" > "$work/imported"
took=$(seconds "$start" "$(date +%s%N)")
wait "$wrk_pid"
during=$(cat "$work/during")
grep -qx "imported $LINES" "$work/imported"

log "searching the members of the group of $LINES"
curl -fsS -c "$work/cookies" -o /dev/null -H "Origin: $BASE" \
  --data-urlencode email=perf@bench.test --data-urlencode "password=$PASSWORD" "$BASE/api/login"
search() {
  local best=999999 t
  for _ in 1 2 3 4 5; do
    t=$(curl -fsS -b "$work/cookies" -o /dev/null -w '%{time_total}' -H "Origin: $BASE" \
      --data-urlencode group=everyone --data-urlencode "q=$1" "$BASE/api/admin/group_members")
    best=$(awk -v a="$best" -v b="$t" 'BEGIN {print (b * 1000 < a) ? b * 1000 : a}')
  done
  printf '%.1f' "$best"
}
first_page=$(search '')
common=$(search 'oldsite')
rare=$(search 'person17 ')

log "export"
start=$(date +%s%N)
"$BENCH_BIN" export --to "$work/out.csv" >/dev/null
exported=$(seconds "$start" "$(date +%s%N)")

log "importing $INVITES invitations"
python3 - "$INVITES" > "$work/invites.csv" <<'PY'
import sys
print("email,name")
for i in range(int(sys.argv[1])):
    print("invited%d@new.test,Invited %d" % (i, i))
PY
logins 12 > "$work/during-invites" &
wrk_pid=$!
sleep 1
start=$(date +%s%N)
"$BENCH_BIN" import --from "$work/invites.csv" --invite >/dev/null
invited=$(seconds "$start" "$(date +%s%N)")
wait "$wrk_pid"
during_invites=$(cat "$work/during-invites")

{
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load average before: $load_before (1/5/15 min); database: ${GATEHOUSE_DATABASE_URL%%:*}"
  echo
  echo "| what | seconds |"
  echo "|---|---|"
  echo "| import --dry-run, $LINES lines | $dry |"
  echo "| import, $LINES lines (hashes, 2 groups each) | $took |"
  echo "| export, $((LINES + 1)) people | $exported |"
  echo "| import --invite, $INVITES people (invitations queued) | $invited |"
  echo
  echo "| logins (4 connections) | requests/s | p50 ms | p99 ms | max ms |"
  echo "|---|---|---|---|---|"
  echo "| quiet | $quiet |"
  echo "| during the import of $LINES | $during |"
  echo "| during the import of $INVITES invitations | $during_invites |"
  echo
  echo "| a page of the group of $LINES (best of 5, curl) | ms |"
  echo "|---|---|"
  echo "| first page | $first_page |"
  echo "| search, a common term (\"oldsite\") | $common |"
  echo "| search, a rare term (one member; 10,000 walked) | $rare |"
} | tee target/bench-import.md
