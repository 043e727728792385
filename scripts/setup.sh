#!/usr/bin/env bash
# Installs what building Gatehouse needs, skipping whatever is already there.
# Everything comes from the package registries (crates.io, npm, Debian).
# Sourced by scripts/run.sh and scripts/test.sh.
set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.10
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen pin in Cargo.toml

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# cargo-leptos writes the list of the bundle's hashed file names beside the
# server binary (target/debug or target/release); the server reads it from
# the site folder, so that the bundle and its names travel together.
publish_hash_list() {
  cp "target/$1/hash.txt" target/site/hash.txt
}

export PATH="$HOME/.cargo/bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# cargo-leptos 0.3.11 needs a newer rustc; 0.3.10 with no_downloads uses the
# tools on PATH instead of fetching them from GitHub.
if ! cargo leptos --version 2>/dev/null | grep -q "$CARGO_LEPTOS_VERSION"; then
  log "installing cargo-leptos $CARGO_LEPTOS_VERSION (once per machine, about 13 minutes)"
  cargo install cargo-leptos@"$CARGO_LEPTOS_VERSION" --locked --features no_downloads
fi

if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (once per machine, about 3 minutes)"
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
