#!/usr/bin/env bash
# Installs the build tools authkit needs, each at its pinned version:
#   - rustup target wasm32-unknown-unknown
#   - cargo-leptos 0.3.10 (0.3.11 needs a newer rustc)
#   - wasm-bindgen-cli at exactly the version Cargo.toml pins for the wasm-bindgen crate
#   - cargo-nextest (the test runner of `make unit`; most machines already have it)
#   - end2end npm packages (Playwright, and binaryen's wasm-opt for release builds)
# Idempotent: every install whose pinned version is already present is skipped.
# The first run takes ~8 minutes on 2 cores, mostly compiling cargo-leptos (6 min with Debian's
# libssl-dev, which this script installs when it runs as root; 9 min with a vendored OpenSSL).
#
# cargo-leptos and wasm-bindgen-cli are installed unoptimised (`cargo install --debug`): they
# compile in 6m13s (9m05s with a vendored OpenSSL) and 1m16s instead of ~14.6 and ~2.4 minutes,
# and they only orchestrate a build whose time goes into rustc (docs/BENCHMARKS.md, "Build and
# test times").
set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.10
WASM_TARGET=wasm32-unknown-unknown

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

export PATH="$HOME/.cargo/bin:$PATH"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

say() { printf '==> %s\n' "$*"; }
die() { printf 'install-tools.sh: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found (looked on PATH and in ~/.cargo/bin); install Rust with rustup first"
command -v rustup >/dev/null || die "rustup not found; it is needed to add the $WASM_TARGET target"
command -v npm >/dev/null || die "npm not found; install Node.js 20+ and npm"

# --- Rust target for the browser (hydrate) build ------------------------------
if rustup target list --installed | grep -qx "$WASM_TARGET"; then
  say "rust target $WASM_TARGET: already installed"
else
  say "rust target $WASM_TARGET: installing (rustup target add $WASM_TARGET)"
  rustup target add "$WASM_TARGET"
fi

# --- cargo-leptos ---------------------------------------------------------------
have_leptos="$(cargo leptos --version 2>/dev/null || true)"
if grep -Eq "(^|[^0-9.])${CARGO_LEPTOS_VERSION//./\\.}([^0-9.]|$)" <<<"$have_leptos"; then
  say "cargo-leptos $CARGO_LEPTOS_VERSION: already installed"
else
  # Its cargo-generate dependency asks for a vendored OpenSSL, compiled from C (~3 minutes
  # here); with Debian's libssl-dev found by pkg-config, OPENSSL_NO_VENDOR links that instead.
  if ! pkg-config --exists openssl 2>/dev/null && [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null; then
    say "libssl-dev, pkg-config: installing from apt (cargo-leptos then links the system OpenSSL)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y libssl-dev pkg-config >/dev/null \
      || say "libssl-dev: not installed; cargo-leptos compiles its own OpenSSL"
  fi
  if pkg-config --exists openssl 2>/dev/null; then
    export OPENSSL_NO_VENDOR=1
    say "cargo-leptos $CARGO_LEPTOS_VERSION: installing (found: ${have_leptos:-none}), with the system OpenSSL; ~6 minutes on 2 cores"
  else
    say "cargo-leptos $CARGO_LEPTOS_VERSION: installing (found: ${have_leptos:-none}), with a vendored OpenSSL; ~9 minutes on 2 cores"
  fi
  cargo install --debug --locked "cargo-leptos@$CARGO_LEPTOS_VERSION"
fi

# --- cargo-nextest ---------------------------------------------------------------
# Any 0.9.x will do: `make unit` needs its process-per-test isolation (.config/nextest.toml).
have_nextest="$(cargo nextest --version 2>/dev/null | head -n1 || true)"
if [[ "$have_nextest" == cargo-nextest\ 0.9.* ]]; then
  say "cargo-nextest: already installed ($have_nextest)"
else
  say "cargo-nextest: installing (found: ${have_nextest:-none}); this compiles for ~10 minutes"
  cargo install --locked cargo-nextest
fi

# --- wasm-bindgen-cli, same version as the wasm-bindgen crate ------------------
wb_version="$(sed -nE 's/^wasm-bindgen[[:space:]]*=[[:space:]]*\{[[:space:]]*version[[:space:]]*=[[:space:]]*"=([0-9]+\.[0-9]+\.[0-9]+)".*/\1/p' Cargo.toml | head -n1)"
[[ -n "$wb_version" ]] || die 'could not find a line like: wasm-bindgen = { version = "=X.Y.Z", ... } in Cargo.toml'
have_wb="$(wasm-bindgen --version 2>/dev/null || true)"
if grep -Eq "(^|[^0-9.])${wb_version//./\\.}([^0-9.]|$)" <<<"$have_wb"; then
  say "wasm-bindgen-cli $wb_version: already installed"
else
  say "wasm-bindgen-cli $wb_version: installing (found: ${have_wb:-none}); ~1.5 minutes"
  # Not --locked: the CLI's own lockfile wants a crate version the registry lacks.
  cargo install --debug wasm-bindgen-cli --version "$wb_version"
fi

# --- end2end npm packages (Playwright, binaryen/wasm-opt) ----------------------
e2e="$root/end2end"
marker="$e2e/node_modules/.package-lock.json"
if [[ -f "$marker" && "$marker" -nt "$e2e/package-lock.json" && "$marker" -nt "$e2e/package.json" \
      && -x "$e2e/node_modules/.bin/wasm-opt" && -x "$e2e/node_modules/.bin/playwright" ]]; then
  say "end2end npm packages: up to date with package-lock.json"
else
  say "end2end npm packages: installing (npm ci in end2end, no browser download)"
  (cd "$e2e" && npm ci --no-audit --no-fund)
fi

wasm_opt_version="$("$e2e/node_modules/.bin/wasm-opt" --version 2>/dev/null || true)"
[[ "$wasm_opt_version" == *"version 132"* ]] \
  || die "end2end/node_modules/.bin/wasm-opt should be binaryen 132, got: ${wasm_opt_version:-nothing}"
say "wasm-opt: $wasm_opt_version (from end2end/node_modules)"

say "tools ready"
