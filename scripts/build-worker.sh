#!/usr/bin/env bash
# Builds the worker (wasm32) into worker/build with worker-build, pointing it at local
# tools: worker-build would otherwise download wasm-bindgen and esbuild from GitHub.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/wasm-bindgen-version.sh --check >/dev/null

cd worker
WASM_BINDGEN_BIN="$(command -v wasm-bindgen)" \
ESBUILD_BIN="$PWD/../node_modules/.bin/esbuild" \
  worker-build --release
# What weighs, while the names are there (make sizes prints it); then the names go: the
# runtime does not use them and they are a fifth of the gzipped module (docs/benchmark.md).
node ../scripts/wasm-weights.mjs report build/index_bg.wasm > build/weights.md
node ../scripts/wasm-weights.mjs strip build/index_bg.wasm
echo "worker built: $(du -b build/index_bg.wasm | cut -f1) bytes of wasm in worker/build"
