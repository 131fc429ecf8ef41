#!/usr/bin/env bash
# Installs what building, running and testing Authority needs, and nothing that is there
# already. Every version is pinned; a second run only checks.
#
#   scripts/install-tools.sh            Rust target, wasm-bindgen CLI, worker-build, npm packages
#   scripts/install-tools.sh --browser  also Debian's chromium, for the browser tests
#   scripts/install-tools.sh --bench    also Debian's wrk, for make bench
#
# Nothing here downloads from GitHub (unreachable on our machines): wasm-bindgen and
# worker-build come from crates.io, wrangler/workerd/esbuild from npm, chromium from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

WORKER_BUILD_VERSION=0.8.7

log() { printf '\033[1m[tools]\033[0m %s\n' "$*"; }

# 1. The wasm32 target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 1b. clippy and rustfmt (make test lints); in rustup's default profile, but not the minimal one.
for component in clippy rustfmt; do
  if ! rustup component list --installed | grep -q "^$component"; then
    log "adding the $component component"
    rustup component add "$component"
  fi
done

# 2. wasm-bindgen CLI, exactly the version of the wasm-bindgen crate in Cargo.lock: the
#    generated JS glue must match the library. No --locked: its lockfile wants a crate
#    version the registry here lacks (docs/architecture.md).
wasm_bindgen_version=$(scripts/wasm-bindgen-version.sh)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wasm_bindgen_version" ]; then
  log "installing wasm-bindgen-cli $wasm_bindgen_version (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "=$wasm_bindgen_version" --force
fi

# 3. worker-build, the workers-rs packager (shim + esbuild bundle).
if [ "$(worker-build --version 2>/dev/null)" != "$WORKER_BUILD_VERSION" ]; then
  log "installing worker-build $WORKER_BUILD_VERSION"
  cargo install worker-build --version "=$WORKER_BUILD_VERSION" --locked --force
fi

# 4. npm packages (wrangler 4.86.0: the newest that runs on Node 20), exactly as locked.
lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f node_modules/.authority-lock-hash ] || [ "$(cat node_modules/.authority-lock-hash)" != "$lock_hash" ]; then
  log "npm ci"
  npm ci --no-audit --no-fund
  echo "$lock_hash" > node_modules/.authority-lock-hash
fi

# 5b. wrk for the benchmark (Debian's).
if [ "${1:-}" = "--bench" ] && ! command -v wrk >/dev/null 2>&1; then
  log "installing Debian's wrk"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq wrk >/dev/null
fi

# 5. Chromium for the browser tests (Debian's; Playwright's own download is unreachable).
if [ "${1:-}" = "--browser" ] && ! command -v chromium >/dev/null 2>&1; then
  log "installing Debian's chromium"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi

# 5c. openssl, which makes the mail tests' self-signed certificate (Debian's).
if [ "${1:-}" = "--browser" ] && ! command -v openssl >/dev/null 2>&1; then
  log "installing Debian's openssl"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq openssl >/dev/null
fi
