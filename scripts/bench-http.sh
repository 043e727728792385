#!/usr/bin/env bash
# HTTP benchmark of the release build: pages, logins, forgotten passwords,
# static files, and the server's memory during a login flood.
#
#   bash scripts/bench-http.sh              # build, then measure (15 s a scenario)
#   BENCH_SKIP_BUILD=1 BENCH_SECONDS=5 bash scripts/bench-http.sh
#   BENCH_BIN=/path/to/gatehouse BENCH_SITE_ROOT=/path/to/site bash scripts/bench-http.sh   # another build
#   BENCH_ONLY='login' bash scripts/bench-http.sh              # some scenarios
#
# It starts the release binary on a fresh SQLite database with 1,000 users
# and throttling raised out of the way, runs wrk (32 connections, the request
# bodies and headers a browser sends), samples the server's resident memory
# every 200 ms, and prints one table (also written to target/bench-http.md).
# Valid logins run in slices between measurements of the argon2 limit
# (BENCH_LOGIN_SLICES, BENCH_LOGIN_SLICE_SECONDS, BENCH_LIMIT_SECONDS; see
# below), each measured with the server's working areas on 2 MiB pages and
# with plain ones on 4 KiB pages, and the last two lines say what share of
# each limit they reached.
# Measure on a quiet machine: wrk shares the cores with the server.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_PER=${BENCH_SECONDS:-15}
FLOOD_SECONDS=${BENCH_FLOOD_SECONDS:-30}
PORT=${BENCH_PORT:-3950}
BASE="http://127.0.0.1:$PORT"
PASSWORD='bench password for everyone'

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

command -v wrk >/dev/null || {
  log "installing wrk from Debian"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
}

if [ -z "${BENCH_BIN:-}" ]; then
  if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
    bash scripts/build-release.sh
  fi
  BENCH_BIN=$PWD/target/release/gatehouse
fi

# The argon2 limit of this machine (benches/argon2_limit.rs), measured for
# LIMIT_SECONDS before, between and after the login slices. The machine's
# speed changes by several per cent from one second to the next
# (BENCHMARKS.md): short alternations share its ups and downs, and each
# slice is compared with the mean of the two measurements around it.
LIMIT_SECONDS=${BENCH_LIMIT_SECONDS:-5}
LOGIN_SLICES=${BENCH_LOGIN_SLICES:-10}
LOGIN_SLICE_SECONDS=${BENCH_LOGIN_SLICE_SECONDS:-5}
if [ -z "${BENCH_SKIP_ARGON2:-}" ]; then
  cargo bench -q --bench argon2_limit --no-run 2>/dev/null
fi
# argon2_limit large|plain: with the server's working areas (2 MiB pages),
# or with plain vectors on 4 KiB pages (argon2's own allocation, the limit
# as issue 10 measured it).
argon2_limit() {
  log "argon2id hashes per second with every core, ${LIMIT_SECONDS} s, $1 areas (benches/argon2_limit.rs)"
  local out
  out=$(BENCH_AREAS=$1 BENCH_SECONDS=$LIMIT_SECONDS BENCH_SINGLE_SECONDS=0 \
    cargo bench -q --bench argon2_limit 2>/dev/null)
  echo "$out" | grep -v '^ARGON2_LIMIT' >&2
  echo "$out" | sed -n 's/^ARGON2_LIMIT=//p'
}

work=$(mktemp -d)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

export GATEHOUSE_DATA_DIR="$work" GATEHOUSE_DATABASE_URL="sqlite://$work/bench.db?mode=rwc"
export LEPTOS_SITE_ADDR="127.0.0.1:$PORT" GATEHOUSE_PUBLIC_URL="$BASE"
export LEPTOS_SITE_ROOT="${BENCH_SITE_ROOT:-$PWD/target/site}" LEPTOS_SITE_PKG_DIR=pkg
export RUST_LOG=warn
# Throttling out of the way: one request is 1 ms of an allowance of
# 10^9 ms (a rate of 10^9 an hour gave 0-ms intervals, so that any two
# requests in the same millisecond were throttled; the run now fails if a
# request is).
for key in LOGIN_PER_IP LOGIN_PER_ACCOUNT RESET_PER_IP RESET_PER_ACCOUNT; do
  export "GATEHOUSE_LIMITS__${key}_PER_HOUR=3600000" "GATEHOUSE_LIMITS__${key}_BURST=1000000000"
done

log "seeding 1,000 users"
echo "$PASSWORD" | "$BENCH_BIN" create-admin --email bench0@bench.test --name 'Bench 0' \
  --role user --password-stdin >/dev/null
python3 - "$work/bench.db" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
row = db.execute("SELECT password_hash, created_at FROM users WHERE email = 'bench0@bench.test'").fetchone()
db.executemany(
    "INSERT INTO users (email, email_normalized, name, name_normalized, role, password_hash, active, created_at, updated_at, password_changed_at, subject)"
    " VALUES (?, ?, ?, ?, 'user', ?, 1, ?, ?, ?, ?)",
    [(f"bench{i}@bench.test", f"bench{i}@bench.test", f"Bench {i}", f"bench {i}", row[0], row[1], row[1], row[1], f"{i:032x}") for i in range(1, 1000)],
)
db.commit()
PY

"$BENCH_BIN" serve > "$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 100); do curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fsS "$BASE/healthz" >/dev/null

# The server's resident memory in KiB, from /proc/PID/statm (one line, in
# pages).
page_kib=$(( $(getconf PAGESIZE) / 1024 ))
rss_kib() {
  local pages resident rest
  read -r pages resident rest < "/proc/$server_pid/statm"
  echo "$((resident * page_kib))"
}

# Samples it every 200 ms into $1 until the server ends, with shell builtins
# only, inline (a function call in a subshell would fork): starting awk and
# sleep five times a second took about 1% of the two cores, and reading
# /proc/PID/status line by line 0.5% of one, which the login figure would
# pay (it is compared with an argon2 limit measured with nothing else
# running).
sample_rss() {
  local pages resident rest
  mkfifo "$1.tick"
  exec 9<>"$1.tick" # nobody writes: reading it with a timeout is a sleep
  while read -r pages resident rest 2>/dev/null < "/proc/$server_pid/statm"; do
    echo "$((resident * page_kib))" >> "$1"
    read -r -t 0.2 -u 9 rest || true
  done
}

# A wrk script for form posts to PATH as a browser without JavaScript sends
# them; KIND is login (the 1,000 users in turn), known or unknown (emails).
post_script() {
  local path=$1 kind=$2 password
  password=$(printf %s "$PASSWORD" | sed 's/ /+/g')
  cat > "$work/$kind.lua" <<LUA
local i = 0
request = function()
  i = i + 1
  local n = i % 1000
  local body
  if "$kind" == "login" then
    body = "email=bench" .. n .. "%40bench.test&password=$password"
  elseif "$kind" == "known" then
    body = "email=bench" .. n .. "%40bench.test"
  else
    body = "email=nobody" .. i .. "%40bench.test"
  end
  return wrk.format("POST", "$path", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Origin"] = "$BASE",
    ["Referer"] = "$BASE/login",
    ["Accept"] = "text/html,application/xhtml+xml",
  }, body)
end
LUA
  echo "$work/$kind.lua"
}

# count WHAT: sessions begun, resets requested (known or unknown address),
# or requests throttled, so far.
count() {
  python3 - "$work/bench.db" "$1" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
query = {
    "sessions": "SELECT COUNT(*) FROM sessions",
    "resets": "SELECT COALESCE(SUM(count), 0) FROM audit_log WHERE event = 'reset_requested'",
    "throttled": "SELECT COALESCE(SUM(count), 0) FROM audit_log WHERE event LIKE '%_throttled'",
}[sys.argv[2]]
print(db.execute(query).fetchone()[0])
PY
}

# The server's CPU time so far (user + system, in clock ticks) and its
# hashing threads' share of it ("all hashing"), and the machine's busy and
# idle ticks ("busy idle"), to say where the time went.
server_ticks() {
  awk '{ t = $14 + $15 } FILENAME !~ /task/ { all = t } FILENAME ~ /task/ && $2 ~ /^\(argon2-/ { h += t }
    END { print all, h + 0 }' "/proc/$server_pid/stat" "/proc/$server_pid"/task/*/stat
}
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6}' /proc/stat; }

mib() { awk -v k="${1:-0}" 'BEGIN { printf "%.0f", k / 1024 }'; }

results="$work/results.md"
printf '| scenario | connections | requests/s (form posts: sessions begun or resets requested /s) | p50 ms | p99 ms | peak RSS MiB | server CPU ms a request | outside hashing | machine idle | machine hashing |\n|---|---|---|---|---|---|---|---|---|---|\n' > "$results"

# BENCH_ONLY=REGEX runs only the scenarios whose name matches.
selected() { [ -z "${BENCH_ONLY:-}" ] || [[ $1 =~ $BENCH_ONLY ]]; }

# run NAME CONNECTIONS SECONDS WRK-ARGS...
run() {
  local name=$1 conns=$2 secs=$3
  shift 3
  if ! selected "$name"; then
    echo 0
    return
  fi
  local samples="$work/rss-$RANDOM" done_before throttled_before ticks_before machine_before
  done_before=$(( $(count sessions) + $(count resets) ))
  throttled_before=$(count throttled)
  : > "$samples"
  ticks_before=$(server_ticks)
  machine_before=$(machine_ticks)
  sample_rss "$samples" &
  local sampler=$!
  local out
  # wrk needs at least one connection per thread.
  out=$(wrk -t"$((conns < 2 ? 1 : 2))" -c"$conns" -d"${secs}s" --latency "$@" 2>&1)
  local ticks_after machine_after
  ticks_after=$(server_ticks)
  machine_after=$(machine_ticks)
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  local rps p50 p99 peak
  rps=$(echo "$out" | awk '/Requests\/sec/ {printf "%.0f", $2}')
  p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
  p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
  peak=$(sort -n "$samples" | tail -1)
  if echo "$out" | grep -q 'Non-2xx or 3xx'; then
    echo "$out" >&2
    echo "$name: some answers were errors" >&2
    exit 1
  fi
  # Logins that began a session and resets that were requested (a
  # throttled or busy answer is a redirect too, so wrk's count alone would
  # flatter the form posts).
  if [ "$(count throttled)" != "$throttled_before" ]; then
    echo "$name: some requests were throttled; the figures would not be the work done" >&2
    exit 1
  fi
  # A form post's work can end after wrk has stopped (a login waiting for
  # its hash): the count is taken once the server is done, and so is the
  # next measurement.
  local done settled=-1
  while done=$(( $(count sessions) + $(count resets) - done_before )); [ "$done" != "$settled" ]; do
    settled=$done
    sleep 0.3
  done
  if [ "$done" -gt 0 ]; then
    # Every answer was work done: wrk's count is what was done within the
    # window. Otherwise (busy answers in a flood) only the work is counted.
    local answered
    answered=$(echo "$out" | awk '/requests in/ {print $1}')
    rps=$(awk -v n="$done" -v a="$answered" -v s="$secs" 'BEGIN { printf "%.1f", (n >= a ? a : n) / s }')
  fi
  local cpu machine
  cpu=$(echo "$ticks_before $ticks_after" | awk -v hz="$(getconf CLK_TCK)" -v n="$rps" -v s="$secs" \
    '{ ms = 1000 / hz / (n * s); printf "%.3f | %.3f", ($3 - $1) * ms, ($3 - $1 - $4 + $2) * ms }')
  # The machine's time idle, and spent in the server's hashing threads:
  # the share of the argon2 limit that logins could reach at most.
  machine=$(echo "$machine_before $machine_after $ticks_before $ticks_after" | awk '{
    all = $3 + $4 - $1 - $2; printf "%.1f%% | %.1f%%", 100 * ($4 - $2) / all, 100 * ($8 - $6) / all }')
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$conns" "$rps" "$(ms "$p50")" "$(ms "$p99")" \
    "$(mib "$peak")" "$cpu" "$machine" >> "$results"
  log "$name: $rps requests/s; server CPU ms a request, all | outside hashing: $cpu; machine idle | hashing: $machine"
  echo "$rps"
}

# wrk prints 812.00us, 6.90ms or 1.20s; the table says milliseconds.
ms() {
  case "$1" in
    *us) echo "$1" | sed 's/us$//' | awk '{printf "%.2f", $1 / 1000}' ;;
    *ms) echo "$1" | sed 's/ms$//' | awk '{printf "%.2f", $1}' ;;
    *s) echo "$1" | sed 's/s$//' | awk '{printf "%.0f", $1 * 1000}' ;;
    *) echo "$1" ;;
  esac
}

html=(-H 'Accept: text/html,application/xhtml+xml')
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
idle_before=$(rss_kib)
run "GET /login" 32 "$SECONDS_PER" "${html[@]}" "$BASE/login" >/dev/null
run "GET /login, Accept-Encoding: gzip, deflate, br" 32 "$SECONDS_PER" "${html[@]}" \
  -H 'Accept-Encoding: gzip, deflate, br' "$BASE/login" >/dev/null
css=$(basename target/site/pkg/gatehouse*.css)
run "GET /pkg/$css" 1 "$SECONDS_PER" -H 'Accept-Encoding: gzip, deflate, br' \
  "$BASE/pkg/$css" >/dev/null
run "GET /favicon.ico" 1 "$SECONDS_PER" "$BASE/favicon.ico" >/dev/null
# Valid logins, in slices between measurements of the argon2 limit.
login_name="POST /api/login (valid)"
login_script=$(post_script /api/login login)
limits=() plain_limits=() logins=()
measure_limit() {
  if [ -z "${BENCH_SKIP_ARGON2:-}" ] && selected "$login_name"; then
    plain_limits+=("$(argon2_limit plain)")
    limits+=("$(argon2_limit large)")
  fi
}
measure_limit
for slice in $(seq 1 "$LOGIN_SLICES"); do
  logins+=("$(run "$login_name, slice $slice of $LOGIN_SLICES" 32 "$LOGIN_SLICE_SECONDS" \
    -s "$login_script" "$BASE")")
  measure_limit
done
idle_mid=$(rss_kib)
run "login flood" 32 "$FLOOD_SECONDS" -s "$login_script" "$BASE" >/dev/null
sleep 5
after_32=$(rss_kib)
run "login flood" 256 "$FLOOD_SECONDS" --timeout 10s -s "$login_script" "$BASE" >/dev/null
sleep 5
after_256=$(rss_kib)
# Last: every known-address request queues a mail, which the mail worker
# then delivers for a while (it would slow whatever ran next).
run "POST /api/request_password_reset, known email" 32 "$SECONDS_PER" \
  -s "$(post_script /api/request_password_reset known)" "$BASE" >/dev/null
run "POST /api/request_password_reset, unknown email" 32 "$SECONDS_PER" \
  -s "$(post_script /api/request_password_reset unknown)" "$BASE" >/dev/null

# share_of_limit WHAT "LIMITS": the valid logins against the limits
# measured before, between and after their slices.
share_of_limit() {
  echo "$2 | ${logins[*]}" | awk -v what="$1" '{
    n = (NF - 2) / 2
    for (i = 1; i <= n; i++) {
      around = ($i + $(i + 1)) / 2
      share = share sprintf("%s%.3f", i > 1 ? ", " : "", $(n + 2 + i) / around)
      logins += $(n + 2 + i); allowed += around
    }
    limits = $1; for (i = 2; i <= n + 1; i++) limits = limits ", " $i
    printf "argon2id limit of this machine %s, before, between and after the %d login slices: %s hashes/s. Valid logins reached %s of the limit around each slice, %.3f of it in all.\n", what, n, limits, share, logins / allowed }'
}

{
  echo
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load average before: $load_before (1/5/15 min)"
  echo
  cat "$results"
  echo
  echo "Resident memory: $(mib "$idle_before") MiB idle at start, $(mib "$idle_mid") MiB before the floods," \
    "$(mib "$after_32") MiB 5 s after the 32-connection flood, $(mib "$after_256") MiB 5 s after the 256-connection one."
  if [ "${#limits[@]}" -gt 1 ]; then
    share_of_limit "on 2 MiB pages, the server's working areas" "${limits[*]}"
    share_of_limit "on 4 KiB pages, argon2's own allocation" "${plain_limits[*]}"
  fi
  if grep -q 'ERROR' "$work/server.log"; then
    echo
    echo "Server errors during the run (count, message):"
    grep 'ERROR' "$work/server.log" | sed 's/^[^ ]* *//' | sort | uniq -c | sort -rn | head -5
  fi
} | tee target/bench-http.md
