#!/usr/bin/env bash
# Builds the browser bundle the way `cargo leptos build --release` does
# (wasm-release profile, wasm-bindgen, wasm-opt -Oz from npm's binaryen) and
# prints its size raw, gzip -9 and brotli -q 11.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
tools=target/tools
if [ ! -x "$tools/node_modules/.bin/wasm-opt" ]; then
  mkdir -p "$tools"
  (cd "$tools" && npm install --no-save --no-audit --no-fund binaryen@132 >/dev/null)
fi
command -v brotli >/dev/null || { apt-get update -qq && apt-get install -y -qq brotli; }
cargo build --lib --target wasm32-unknown-unknown --no-default-features --features hydrate \
  --profile wasm-release --target-dir target/front
out=$(mktemp -d)
wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name gatehouse \
  target/front/wasm32-unknown-unknown/wasm-release/gatehouse.wasm
"$tools/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  "$out/gatehouse_bg.wasm" -o "$out/gatehouse_bg.wasm"
printf '| file | raw | gzip -9 | brotli -q 11 |\n|---|---|---|---|\n'
for f in "$out/gatehouse_bg.wasm" "$out/gatehouse.js"; do
  printf '| %s | %s | %s | %s |\n' "$(basename "$f")" "$(stat -c %s "$f")" \
    "$(gzip -9 -c "$f" | wc -c)" "$(brotli -q 11 -c "$f" | wc -c)"
done
