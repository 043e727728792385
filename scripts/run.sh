#!/usr/bin/env bash
# Builds Gatehouse and serves it on http://127.0.0.1:3000 with SQLite under
# data/ and mail written to data/mail/ (no servers needed).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

log "building (server and browser bundle)"
# --split: the admin pages are separate WASM chunks (src/pages/admin).
cargo leptos build --split
publish_hash_list debug

export LEPTOS_SITE_ROOT=target/site LEPTOS_OUTPUT_NAME=gatehouse LEPTOS_SITE_PKG_DIR=pkg
log "starting Gatehouse on http://${LEPTOS_SITE_ADDR:-127.0.0.1:3000} (Ctrl-C stops it)"
exec target/debug/gatehouse serve "$@"
