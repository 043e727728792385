#!/usr/bin/env bash
# Builds Gatehouse and serves it on http://127.0.0.1:3000 with SQLite under
# data/ and mail written to data/mail/ (no servers needed).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

log "building the browser bundle (cargo xtask bundle)"
cargo xtask bundle
log "building the server"
cargo build --bin gatehouse

log "starting Gatehouse on http://${LEPTOS_SITE_ADDR:-127.0.0.1:3000} (Ctrl-C stops it)"
exec target/debug/gatehouse serve "$@"
