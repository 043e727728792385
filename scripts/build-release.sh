#!/usr/bin/env bash
# Builds Gatehouse for production: the server binary target/release/gatehouse
# and the browser bundle under target/site (with .br and .gz copies, which
# the server sends as they are). Copy both to the server; see the README.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

# cargo-leptos runs wasm-opt on release builds (arguments in Cargo.toml).
# Binaryen from npm, pinned: Debian's binaryen 108 writes a module that
# browsers refuse ("WebAssembly.Table.set(): Argument 1 is invalid").
binaryen=target/tools/node_modules/.bin
if ! "$binaryen/wasm-opt" --version 2>/dev/null | grep -q "version 132"; then
  log "installing binaryen 132 (wasm-opt) from npm"
  mkdir -p target/tools
  (cd target/tools && npm install --no-save --no-audit --no-fund binaryen@132.0.0 >/dev/null)
fi
export PATH="$PWD/$binaryen:$PATH"

log "building the release server and browser bundle"
# --split: the admin pages are separate WASM chunks (src/pages/admin).
cargo leptos build --release --split --precompress "$@"
publish_hash_list release
