#!/usr/bin/env bash
# Builds the release browser bundle exactly as scripts/build-release.sh does
# (cargo xtask bundle --release) and prints the size of what browsers download: raw, gzip -9 and brotli -q 11
# (the server sends the brotli copy that the build writes beside each file).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
cargo xtask bundle --release
command -v brotli >/dev/null || { apt-get update -qq && apt-get install -y -qq brotli; }
printf '| file | raw | gzip -9 | brotli -q 11 |\n|---|---|---|---|\n'
# The main module, its JS and the chunk loader (__wasm_split*.js) load on
# every page; the split___*.wasm chunks (admin pages) and the chunk_*.wasm
# they share only when a site admin opens an admin page.
for f in target/site/pkg/gatehouse.*.wasm target/site/pkg/gatehouse.*.js \
  target/site/pkg/__wasm_split*.js target/site/pkg/chunk_*.wasm target/site/pkg/split_*.wasm; do
  [ -e "$f" ] || continue
  printf '| %s | %s | %s | %s |\n' "$(basename "$f")" "$(stat -c %s "$f")" \
    "$(gzip -9 -c "$f" | wc -c)" "$(brotli -q 11 -c "$f" | wc -c)"
done
