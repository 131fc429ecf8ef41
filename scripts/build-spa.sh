#!/usr/bin/env bash
# Builds the Leptos apps into admin-ui/dist with local tools only (no Trunk: 0.22 needs a
# newer rustc and 0.21 fetches from GitHub; see docs/architecture.md): the public pages
# (public.js + public_bg.wasm), the account's pages (account.js + account_bg.wasm) and the
# admin console (console.js + console_bg.wasm); the worker names a page's module in its
# <head> and admin-ui/static/boot.js starts that one.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/wasm-bindgen-version.sh --check >/dev/null

out=admin-ui/dist
wasm=target/wasm32-unknown-unknown/spa
apps=target/spa-apps
mkdir -p "$apps"
# `erase_components` (a cfg Leptos reads): every component and reactive child is compiled
# once per output type rather than once per call site, the largest single cut in the
# modules' code (docs/benchmark.md, "Sizes"). Only these builds see it: the worker's
# build has no Leptos.
spa_build() {
  RUSTFLAGS="${RUSTFLAGS:-} --cfg erase_components" \
    cargo build --target wasm32-unknown-unknown --profile spa "$@"
}
# Three modules (shared::paths::BrowserApp): the public pages and the console, then the
# account's pages from the same crate as the public ones (its `account-app` feature).
spa_build -p ui-public -p ui-console
cp "$wasm/ui_public.wasm" "$apps/public.wasm"
cp "$wasm/ui_console.wasm" "$apps/console.wasm"
spa_build -p ui-public --features account-app
cp "$wasm/ui_public.wasm" "$apps/account.wasm"
# What weighs in each app, by crate, while the names are there (wasm-bindgen drops them
# below); kept beside the build, not in dist/ (which the worker serves). `make sizes`.
for app in public account console; do
  node scripts/wasm-weights.mjs report "$apps/$app.wasm" > "target/spa-weights-$app.md"
done
rm -rf "$out.tmp"
mkdir -p "$out.tmp"
# --remove-name-section instead of `strip = true`: wasm-bindgen needs the target_features
# section that strip removes (docs/architecture.md).
for app in public account console; do
  wasm-bindgen --target web --no-typescript --remove-name-section --out-name "$app" \
    --out-dir "$out.tmp" "$apps/$app.wasm"
done
cp admin-ui/static/* "$out.tmp/"
# The OpenAPI description, served by the worker's /api/openapi.json from the assets.
mkdir -p "$out.tmp/api"
cp docs/openapi.json "$out.tmp/api/openapi.json"
rm -rf "$out"
mv "$out.tmp" "$out"
for app in public account console; do
  echo "SPA built: $app $(du -b "$out/${app}_bg.wasm" | cut -f1) bytes of wasm in $out"
done
