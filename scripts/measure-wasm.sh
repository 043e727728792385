#!/usr/bin/env bash
# Builds the release browser bundle exactly as scripts/build-release.sh does
# and prints the size of what browsers download: raw, gzip -9 and brotli -q 11
# (the server sends the brotli copy that the build writes beside each file).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-release.sh --frontend-only
command -v brotli >/dev/null || { apt-get update -qq && apt-get install -y -qq brotli; }
printf '| file | raw | gzip -9 | brotli -q 11 |\n|---|---|---|---|\n'
for f in target/site/pkg/gatehouse.wasm target/site/pkg/gatehouse.js; do
  printf '| %s | %s | %s | %s |\n' "$(basename "$f")" "$(stat -c %s "$f")" \
    "$(gzip -9 -c "$f" | wc -c)" "$(brotli -q 11 -c "$f" | wc -c)"
done
