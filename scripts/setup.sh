#!/usr/bin/env bash
# Installs what building Gatehouse needs, skipping whatever is already there.
# Everything comes from the package registries (crates.io, npm, Debian).
# Sourced by scripts/run.sh, scripts/test.sh and scripts/build-release.sh.
set -euo pipefail

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

export PATH="$HOME/.cargo/bin:$PATH"

# Passkeys' WebAuthn library (webauthn-rs, as Kanidm uses) links OpenSSL:
# Debian's headers, found through pkg-config.
if ! { command -v pkg-config >/dev/null && pkg-config --exists openssl; }; then
  log "installing libssl-dev and pkg-config from Debian (for passkeys)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libssl-dev pkg-config
fi

# The server alone (scripts/test.sh --quick) needs nothing more.
if [ -n "${SETUP_SERVER_ONLY:-}" ]; then
  return 0
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! command -v npm >/dev/null; then
  log "installing Node.js and npm from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi

# The bundle's npm tools (wasm-opt, Lightning CSS, esbuild), pinned in
# tools/package-lock.json; installed again only when the lock file changes.
if ! cmp -s tools/package-lock.json tools/node_modules/.installed-lock.json; then
  log "installing the bundle's tools from npm (tools/package.json)"
  (cd tools && npm ci --no-audit --no-fund --loglevel=error)
  cp tools/package-lock.json tools/node_modules/.installed-lock.json
fi
