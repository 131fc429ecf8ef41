#!/usr/bin/env bash
# Builds the worker (wasm32) into worker/build with worker-build, pointing it at local
# tools: worker-build would otherwise download wasm-bindgen and esbuild from GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."

expected=$(scripts/wasm-bindgen-version.sh)
actual=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')
if [ "$actual" != "$expected" ]; then
  echo "wasm-bindgen CLI is ${actual:-missing}, Cargo.lock has $expected: run scripts/install-tools.sh" >&2
  exit 1
fi

cd worker
WASM_BINDGEN_BIN="$(command -v wasm-bindgen)" \
ESBUILD_BIN="$PWD/../node_modules/.bin/esbuild" \
  worker-build --release
echo "worker built: $(du -b build/index_bg.wasm | cut -f1) bytes of wasm in worker/build"
