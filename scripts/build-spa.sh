#!/usr/bin/env bash
# Builds the two Leptos apps into admin-ui/dist with local tools only (no Trunk: 0.22 needs a
# newer rustc and 0.21 fetches from GitHub; see docs/architecture.md): the public pages
# (public.js + public_bg.wasm) and the admin console (console.js + console_bg.wasm), which
# admin-ui/static/boot.js picks between by path.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/wasm-bindgen-version.sh --check >/dev/null

out=admin-ui/dist
cargo build -p ui-public -p ui-console --target wasm32-unknown-unknown --profile spa
# What weighs in each app, by crate, while the names are there (wasm-bindgen drops them
# below); kept beside the build, not in dist/ (which the worker serves). `make sizes`.
for app in public console; do
  node scripts/wasm-weights.mjs report "target/wasm32-unknown-unknown/spa/ui_$app.wasm" > "target/spa-weights-$app.md"
done
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
# --remove-name-section instead of `strip = true`: wasm-bindgen needs the target_features
# section that strip removes (docs/architecture.md).
for app in public console; do
  wasm-bindgen --target web --no-typescript --remove-name-section --out-name "$app" \
    --out-dir "$out.tmp" "target/wasm32-unknown-unknown/spa/ui_$app.wasm"
done
cp admin-ui/static/* "$out.tmp/"
# The OpenAPI description, served by the worker's /api/openapi.json from the assets.
mkdir -p "$out.tmp/api"
cp docs/openapi.json "$out.tmp/api/openapi.json"
rm -rf "$out"
mv "$out.tmp" "$out"
for app in public console; do
  echo "SPA built: $app $(du -b "$out/${app}_bg.wasm" | cut -f1) bytes of wasm in $out"
done
