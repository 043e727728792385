#!/usr/bin/env bash
# Builds Gatehouse for production: the server binary target/release/gatehouse
# and the browser bundle under target/site (with .br and .gz copies, which
# the server sends as they are). Copy both to the server; see the README.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh

log "building the release browser bundle (cargo xtask bundle --release)"
cargo xtask bundle --release
log "building the release server"
cargo build --release --bin gatehouse
