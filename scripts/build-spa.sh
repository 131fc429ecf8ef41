#!/usr/bin/env bash
# Builds the Leptos SPA into admin-ui/dist with local tools only (no Trunk: 0.22 needs a
# newer rustc and 0.21 fetches from GitHub; see architecture.md).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/wasm-bindgen-version.sh --check >/dev/null

out=admin-ui/dist
cargo build -p admin-ui --target wasm32-unknown-unknown --profile spa
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
# --remove-name-section instead of `strip = true`: wasm-bindgen needs the target_features
# section that strip removes (architecture.md).
wasm-bindgen --target web --no-typescript --remove-name-section \
  --out-dir "$out.tmp" target/wasm32-unknown-unknown/spa/admin_ui.wasm
cp admin-ui/static/* "$out.tmp/"
rm -rf "$out"
mv "$out.tmp" "$out"
echo "SPA built: $(du -b "$out/admin_ui_bg.wasm" | cut -f1) bytes of wasm in $out"
