#!/usr/bin/env bash
# After `cargo test` with GH_TEST_LOG_DIR set (scripts/test.sh does): looks
# for every secret the tests came across (passwords, links and tokens from
# mail, cookies the server set, apps' codes, tokens and client secrets) in
# every log line the servers wrote during the run. Any hit fails.
#
#   scripts/check-test-logs.sh DIR
set -euo pipefail
dir=${1:?usage: scripts/check-test-logs.sh DIR}

shopt -s nullglob
logs=("$dir"/*.log)
secret_files=("$dir"/secrets-*.txt)
[ ${#logs[@]} -gt 0 ] || { echo "no logs in $dir: was GH_TEST_LOG_DIR set for cargo test?" >&2; exit 1; }
[ ${#secret_files[@]} -gt 0 ] || { echo "no secrets recorded in $dir" >&2; exit 1; }

secrets=$(mktemp)
trap 'rm -f "$secrets"' EXIT
# Never an empty line: as a pattern it would match every line.
sort -u "${secret_files[@]}" | grep -v '^[[:space:]]*$' > "$secrets"
n_secrets=$(wc -l < "$secrets")
n_lines=$(cat "${logs[@]}" | wc -l)

# The check must be able to see what it looks for: the run made many
# secrets and many log lines, and the lines name what happened (a mail
# sent, a login) without the secret itself.
if [ "$n_secrets" -lt 200 ] || [ "$n_lines" -lt 1000 ]; then
  echo "only $n_secrets secrets and $n_lines log lines were recorded: the record is broken" >&2
  exit 1
fi
grep -q '"message":"mail sent"' "${logs[@]}" || { echo "the logs hold no 'mail sent' line: not the run's logs?" >&2; exit 1; }

# grep: 0 found, 1 none found, 2 an error (which must not pass for clean).
found="$(mktemp)"
trap 'rm -f "$secrets" "$found"' EXIT
status=0
grep -F -o -h -f "$secrets" "${logs[@]}" > "$found" || status=$?
if [ "$status" -gt 1 ]; then
  echo "grep failed (status $status)" >&2
  exit 1
fi
if [ "$status" -eq 0 ]; then
  echo "secrets found in the logs of the test run (count, secret):" >&2
  sort "$found" | uniq -c | sort -rn | head -n 20 >&2
  echo "lines holding the first one:" >&2
  first=$(head -n 1 "$found")
  grep -F -h -- "$first" "${logs[@]}" | head -n 5 >&2
  exit 1
fi
echo "no secret in $n_lines log lines ($n_secrets secrets looked for, ${#logs[@]} log files)"
