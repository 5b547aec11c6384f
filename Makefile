# authkit — build, run and test.
#   make run    install the pinned tools (first time ~20 min), build release, serve on 127.0.0.1:3000
#   make test   everything CI runs, on one release build: lint, unit + API tests (SQLite and
#               PostgreSQL), browser tests, the API against its OpenAPI document (Schemathesis),
#               the README's examples; ends with a table of each step's time
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
.DELETE_ON_ERROR:
MAKEFLAGS += --no-print-directory

# wasm-opt (npm binaryen 132) must win over any other wasm-opt on the machine (Debian's v108 breaks
# hydration); cargo-installed cargo-leptos and wasm-bindgen live in ~/.cargo/bin.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
# leptos_config reads LEPTOS_OUTPUT_NAME when it is compiled (option_env!), and cargo-leptos
# sets it: every cargo run here sets it alike, or each would recompile leptos and all above it.
export LEPTOS_OUTPUT_NAME := authkit

step = @printf '\n==> %s\n' "$(1)"

.PHONY: help tools test-tools build build-and-test-binaries run cluster lint clippy unit unit-sqlite unit-postgres e2e e2e-only e2e-release e2e-cluster contract readme test bench clean-data check-wasm-opt check-e2e-deps

# The server, its tests and every browser and contract check share one build: the release
# profile, features `ssr` (docs/BENCHMARKS.md, "Build and test times"). nextest builds the
# test binaries with the same profile and features as `make build`'s server, so they reuse
# its compiled dependencies instead of compiling the tree a second time.
NEXTEST := cargo nextest run --cargo-profile release --no-default-features --features ssr

# LINT=1 (make test sets it): clippy lints this crate while it is compiled for the build and
# the tests, instead of in two compilations of its own (`cargo clippy` = `cargo check` with
# clippy-driver in rustc's place). Only this crate goes through clippy-driver; dependencies
# are compiled as always. `make lint` runs clippy the usual way.
ifdef LINT
export RUSTC_WORKSPACE_WRAPPER := clippy-driver
export CLIPPY_ARGS := -D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__
endif

help:
	@echo 'Targets:'
	@echo '  make run          install tools, build release, serve on http://127.0.0.1:3000 (data in ./data)'
	@echo '  make test         tools + Chromium, PostgreSQL, nginx, Schemathesis, then one release build and every'
	@echo '                   check on it: lint, unit (SQLite, PostgreSQL), e2e, e2e-cluster, contract, readme;'
	@echo '                   ends with the time each step took'
	@echo '  make tools        install pinned cargo-leptos, wasm-bindgen-cli, wasm32 target, end2end npm packages'
	@echo '  make test-tools   install Chromium, PostgreSQL, nginx and aiosmtpd from apt, and Schemathesis and'
	@echo '                   openapi-spec-validator from PyPI into target/contract-venv'
	@echo '  make build        cargo leptos build --release --split --precompress'
	@echo '  make cluster      build release, then PostgreSQL + two instances + nginx on http://127.0.0.1:8080 (Ctrl-C stops all)'
	@echo '  make lint         cargo fmt --check and clippy (server and browser builds)'
	@echo '  make unit         Rust unit and API tests, the API tests on SQLite and on PostgreSQL'
	@echo '  make e2e          release build + all Playwright tests'
	@echo '  make e2e-release  release build + only the @hydration Playwright tests (a quick look)'
	@echo '  make e2e-cluster  Playwright journey through nginx and two instances on PostgreSQL (release build)'
	@echo '  make contract     /openapi.json checked as OpenAPI 3.1, then Schemathesis against the release build'
	@echo '  make readme       the README'"'"'s shell examples, run as pasted against the release build'
	@echo '  make bench        release build, then 300 concurrent logins (peak RSS, latency) and wrk on SQLite,'
	@echo '                   PostgreSQL and two instances behind nginx, then issue 12'"'"'s table before (61b6900, built'
	@echo '                   once into target/bench-before, ~20 min) and after (docs/BENCHMARKS.md; needs wrk from apt)'
	@echo '  make clean-data   delete ./data (the local SQLite database)'

tools:
	$(call step,Installing pinned build tools (scripts/install-tools.sh))
	bash scripts/install-tools.sh

test-tools:
	$(call step,Installing browser-test tools (scripts/install-test-tools.sh))
	bash scripts/install-test-tools.sh
	$(call step,Installing contract-test tools from PyPI (scripts/install-contract-tools.sh))
	bash scripts/install-contract-tools.sh

# cargo-leptos runs wasm-opt in every release build and takes the first one on PATH.
check-wasm-opt:
	@v="$$(wasm-opt --version 2>/dev/null || true)"; \
	if [[ "$$v" != *"version 132"* ]]; then \
	  echo "wasm-opt on PATH is '$${v:-missing}', need binaryen 132 from end2end/node_modules: run 'make tools'" >&2; \
	  exit 1; \
	fi

check-e2e-deps:
	@if [[ ! -x end2end/node_modules/.bin/playwright ]]; then \
	  echo "end2end/node_modules is missing: run 'make tools'" >&2; exit 1; \
	fi
	@if [[ ! -x /usr/bin/chromium ]]; then \
	  echo "/usr/bin/chromium is missing: run 'make test-tools'" >&2; exit 1; \
	fi

# `make build` (and `make run`): cargo-leptos builds the front end and then the server, one
# after the other, and the front end's end (its LTO link, wasm-bindgen, wasm-opt, compression)
# keeps one core busy for minutes. So the front end (--frontend-only) runs beside
# SERVER_BUILD, then cargo-leptos --server-only finds the server compiled. The result is what
# `cargo leptos build --release --split --precompress` makes, a minute or two sooner.
SERVER_BUILD := cargo build --release --no-default-features --features ssr --bin authkit
build: check-wasm-opt
	$(call step,Building release: the WASM front end beside the server (cargo leptos build --release --split --precompress))
	cargo leptos build --release --split --precompress --frontend-only & front=$$!; \
	  $(SERVER_BUILD) && server=0 || server=$$?; \
	  wait $$front && front_status=0 || front_status=$$?; \
	  [[ $$server -eq 0 && $$front_status -eq 0 ]]
	cargo leptos build --release --split --precompress --server-only

# The same, with the test binaries built beside the front end too (they share the server's
# compiled tree): what `make test` builds.
build-and-test-binaries:
	$(MAKE) build SERVER_BUILD='$(NEXTEST) --no-run'

run:
	$(MAKE) tools
	$(MAKE) build
	$(call step,Serving on http://127.0.0.1:3000 (Ctrl-C to stop))
	@# Plain http on 127.0.0.1, so the refresh cookie cannot be Secure (see README).
	LEPTOS_ENV=PROD LEPTOS_SITE_ROOT=target/site COOKIE_SECURE=$${COOKIE_SECURE:-false} ./target/release/authkit

lint:
	$(call step,Checking formatting (cargo fmt --check))
	cargo fmt --check
	$(MAKE) clippy

clippy:
	$(call step,Clippy: server build (ssr))
	cargo clippy --no-default-features --features ssr --all-targets -- -D warnings
	$(call step,Clippy: browser build (hydrate, wasm32))
	cargo clippy --lib --no-default-features --features hydrate --target wasm32-unknown-unknown -- -D warnings

# nextest runs every test in a process of its own: the logs test installs a global tracing
# subscriber, and the timing and process tests must run alone (.config/nextest.toml).
# The API suite runs twice: on SQLite, then on a throwaway PostgreSQL (scripts/with-postgres.sh),
# where the cluster:: tests also run several server processes on one database.
unit: unit-sqlite unit-postgres

unit-sqlite:
	$(call step,Rust unit and API tests on SQLite (cargo nextest run, release profile))
	$(NEXTEST) -E 'not test(/^cluster::/)'

unit-postgres:
	$(call step,API tests on PostgreSQL and several instances on one database (scripts/with-postgres.sh))
	bash scripts/with-postgres.sh $(NEXTEST) --test api

# Every browser test runs against the release build (the one `make run` serves and `make
# contract` checks); E2E_PROFILE=debug runs them against `cargo leptos build --split` instead.
e2e: check-e2e-deps build e2e-only

e2e-only: check-e2e-deps
	$(call step,Browser tests against the release build (Playwright))
	cd end2end && npx playwright test

e2e-release: check-e2e-deps build
	$(call step,Hydration browser tests against the release build (Playwright --grep @hydration))
	cd end2end && npx playwright test --grep @hydration

# Everything CI runs, each step timed (scripts/steps.sh prints the table at the end, failed
# or not). One release build serves the tests, the browser, the cluster, the contract and
# the README check, and clippy lints it as it compiles (LINT=1): nothing else is compiled.
test:
	@LINT=1 bash scripts/steps.sh \
	  'tools (skipped when present)' '$(MAKE) tools' \
	  'test tools (skipped when present)' '$(MAKE) test-tools' \
	  'cargo fmt --check' 'cargo fmt --check' \
	  'build + test binaries, linted by clippy (server, WASM)' '$(MAKE) build-and-test-binaries' \
	  'unit + API tests on SQLite (nextest)' '$(MAKE) unit-sqlite' \
	  'API tests on PostgreSQL (nextest)' '$(MAKE) unit-postgres' \
	  'browser tests (Playwright, release build)' '$(MAKE) e2e-only' \
	  'browser journey: nginx + two instances' '$(MAKE) e2e-cluster' \
	  'contract: Schemathesis on /openapi.json' '$(MAKE) contract' \
	  'README examples against a live server' '$(MAKE) readme'
	$(call step,All checks passed)

# A throwaway PostgreSQL, two instances sharing it and nginx in front (docs/DEPLOYMENT.md).
# CLUSTER_PORT (default 8080) moves it; other variables reach the instances (scripts/cluster.sh).
cluster:
	$(MAKE) build
	$(call step,PostgreSQL + two instances + nginx on http://127.0.0.1:$${CLUSTER_PORT:-8080} (Ctrl-C stops all))
	bash scripts/cluster.sh

# The same cluster (port 3200) under Playwright: one journey through nginx, served by both
# instances. Runs target/release/authkit as built by `make build`.
e2e-cluster: check-e2e-deps
	$(call step,Browser journey through nginx and two instances on PostgreSQL (Playwright cluster config))
	cd end2end && npx playwright test --config playwright.cluster.config.ts

# The API against its own description, on the release build of make build:
# openapi-spec-validator, then Schemathesis over every operation (scripts/contract.sh).
contract:
	$(call step,The API against /openapi.json (openapi-spec-validator, Schemathesis))
	bash scripts/contract.sh

# The README's shell examples, as pasted, against the release build (scripts/readme-check.py).
readme:
	$(call step,The README's examples against a live server (scripts/readme-check.py))
	python3 scripts/readme-check.py

bench:
	$(MAKE) tools
	$(MAKE) build
	$(call step,Benchmark: concurrent logins against the release server (scripts/bench.sh))
	bash scripts/bench.sh
	@command -v wrk >/dev/null || { echo 'wrk is missing: apt-get install -y wrk' >&2; exit 1; }
	$(call step,Benchmark: SQLite vs PostgreSQL vs two instances behind nginx (scripts/bench-backends.sh))
	bash scripts/bench-backends.sh
	$(call step,Benchmark: the issue-12 table before and after (scripts/bench-paths.sh))
	bash scripts/bench-paths.sh

clean-data:
	$(call step,Removing ./data)
	rm -rf data
