#!/usr/bin/env bash
# Installs what the browser tests need beyond scripts/install-tools.sh:
# Debian's Chromium at /usr/bin/chromium (Playwright never downloads a browser here).
set -euo pipefail

say() { printf '==> %s\n' "$*"; }

if [[ -x /usr/bin/chromium ]]; then
  say "chromium: already installed (/usr/bin/chromium)"
  exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "install-test-tools.sh: not root and no sudo; install Chromium yourself: apt-get install -y chromium" >&2
  exit 1
fi

say "chromium: installing from apt (~35 s)"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y chromium
[[ -x /usr/bin/chromium ]] || { echo "install-test-tools.sh: /usr/bin/chromium still missing after apt-get" >&2; exit 1; }
say "chromium: installed"
