#!/usr/bin/env bash
# Builds Gatehouse for production: the server binary target/release/gatehouse
# and the browser bundle under target/site (with .br and .gz copies, which
# the server sends as they are). Copy both to the server; see the README.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

# cargo-leptos runs wasm-opt on release builds (configured in Cargo.toml).
if ! command -v wasm-opt >/dev/null; then
  log "installing binaryen (wasm-opt) from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq binaryen
fi

log "building the release server and browser bundle"
cargo leptos build --release --precompress "$@"
