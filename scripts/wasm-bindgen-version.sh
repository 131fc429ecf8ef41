#!/usr/bin/env bash
# Prints the wasm-bindgen crate version locked in Cargo.lock; fails if there is not
# exactly one (two versions would need two CLIs, and one of them would not match).
#   --check  also fail unless the wasm-bindgen CLI on PATH is that version: the generated
#            JS glue must match the library, or the module breaks at load time.
set -euo pipefail
cd "$(dirname "$0")/.."
versions=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print }' Cargo.lock | sort -u)
if [ "$(printf '%s\n' "$versions" | grep -c .)" != 1 ]; then
  echo "expected exactly one wasm-bindgen version in Cargo.lock, found: ${versions:-none}" >&2
  exit 1
fi
if [ "${1:-}" = "--check" ]; then
  actual=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')
  if [ "$actual" != "$versions" ]; then
    echo "wasm-bindgen CLI is ${actual:-missing}, Cargo.lock has $versions: run scripts/install-tools.sh" >&2
    exit 1
  fi
fi
echo "$versions"
