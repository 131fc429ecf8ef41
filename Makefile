# Authority: `make dev` runs the server locally, `make test` runs every test.
# Both install what they need first (scripts/install-tools.sh; idempotent, pinned).

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Wrangler: no telemetry, no request.cf fetch (each would wait on the network here).
export WRANGLER_SEND_METRICS := false
export CLOUDFLARE_CF_FETCH_ENABLED := false

WRANGLER := node_modules/.bin/wrangler

.PHONY: help tools tools-browser tools-bench bench build build-worker build-spa dev dev-vars migrate login test test-native test-e2e lint sizes clean

help:
	@echo "make dev    build everything and run Authority on http://localhost:8787 (local D1 and KV)"
	@echo "make test   clippy, native unit tests, then end-to-end tests in workerd and headless Chromium"
	@echo "make login  an admin's access token for scripts, by the device flow (export TOKEN=\$$(make -s login))"
	@echo "make build  build the worker and the SPA only"
	@echo "make sizes  print the worker and SPA wasm sizes (raw and gzip)"
	@echo "make bench  throughput of the built worker against a trivial and a sign-only worker"

tools:
	@scripts/install-tools.sh

tools-browser:
	@scripts/install-tools.sh --browser

tools-bench:
	@scripts/install-tools.sh --bench

# The built worker served by Miniflare on fixed loopback ports (8790-8799), loaded with wrk;
# the module sizes, and the sign-in page's load in Chromium, at the end.
bench: tools-bench tools-browser build
	node bench/run.mjs

build: build-spa build-worker

build-spa: tools
	@scripts/build-spa.sh

build-worker: tools
	@scripts/build-worker.sh

# .dev.vars holds local secrets: created once with a fresh SECRET_KEY and never
# overwritten; variables added to .dev.vars.example later are appended with their values.
dev-vars:
	@if [ ! -f .dev.vars ]; then \
	  secret=$$(node -e "process.stdout.write(require('crypto').randomBytes(32).toString('hex'))"); \
	  sed "s/^SECRET_KEY=.*/SECRET_KEY=$$secret/" .dev.vars.example > .dev.vars; \
	  echo "created .dev.vars with a fresh SECRET_KEY"; \
	else \
	  grep -E '^[A-Z_]+=' .dev.vars.example | grep -v '^SECRET_KEY=' | while IFS= read -r line; do \
	    grep -q "^$${line%%=*}=" .dev.vars || { echo "$$line" >> .dev.vars; echo "added $${line%%=*} to .dev.vars"; }; \
	  done; \
	fi

# Applies migrations/ to the local D1 in .wrangler/state (CI=true: no confirmation prompt).
migrate: tools
	@CI=true $(WRANGLER) d1 migrations apply DB --local

dev: build dev-vars migrate
	$(WRANGLER) dev --test-scheduled

# The device flow with the `authority-cli` client: the prompt on stderr, the token on
# stdout (ISSUER=https://… for a deployment; docs/usage.md, "A token for scripts").
login:
	@node scripts/login.mjs $(ISSUER)

test-native: tools
	cargo test

test-e2e: tools-browser build
	node --test --test-concurrency=1 --test-timeout=180000 tests/e2e/

# Clippy enforces the crates' deny(unwrap_used, expect_used, panic, indexing_slicing):
# a panic in a Worker is a bare 500. The edge only compiles for wasm32, so it is linted there.
lint: tools
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy -p authority-worker -p ui-components -p ui-public -p ui-console --target wasm32-unknown-unknown -- -D warnings

test: lint test-native test-e2e

sizes:
	@for f in worker/build/index_bg.wasm admin-ui/dist/public_bg.wasm admin-ui/dist/account_bg.wasm admin-ui/dist/console_bg.wasm; do \
	  printf '%-34s raw %8d B   gzip -9 %8d B\n' $$f $$(stat -c %s $$f) $$(gzip -9c $$f | wc -c); \
	done
	@echo "what weighs in the worker (before its names were stripped): worker/build/weights.md"
	@echo "what weighs in the browser apps (by crate, before wasm-bindgen): target/spa-weights-{public,account,console}.md"

clean:
	cargo clean
	rm -rf worker/build admin-ui/dist .wrangler
