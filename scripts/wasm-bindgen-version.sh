#!/usr/bin/env bash
# Prints the wasm-bindgen crate version locked in Cargo.lock; fails if there is not
# exactly one (two versions would need two CLIs, and one of them would not match).
set -euo pipefail
cd "$(dirname "$0")/.."
versions=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print }' Cargo.lock | sort -u)
if [ "$(printf '%s\n' "$versions" | grep -c .)" != 1 ]; then
  echo "expected exactly one wasm-bindgen version in Cargo.lock, found: ${versions:-none}" >&2
  exit 1
fi
echo "$versions"
