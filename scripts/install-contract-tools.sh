#!/usr/bin/env bash
# Installs the contract-test tools from PyPI into a virtualenv at target/contract-venv:
# Schemathesis (the contract fuzzer `make contract` runs against the server) and
# openapi-spec-validator (checks /openapi.json against the OpenAPI 3.1 schema). Pinned
# versions; skipped when the venv already has them.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/target/contract-venv"
want="schemathesis==4.32.5 openapi-spec-validator==0.9.0"

say() { printf '==> %s\n' "$*"; }

if [[ -f "$venv/.installed" && "$(cat "$venv/.installed")" == "$want" ]]; then
  say "contract tools: already installed ($want in $venv)"
  exit 0
fi

# Schemathesis needs Python 3.11 or newer; Debian's /usr/bin/python3 is 3.11.
python=""
for candidate in python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null \
    && "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python="$candidate"
    break
  fi
done
[[ -n "$python" ]] || { echo "install-contract-tools.sh: no Python 3.11+ with venv (apt-get install python3-venv)" >&2; exit 1; }

say "creating $venv with $("$python" --version) and installing $want from PyPI"
rm -rf "$venv"
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check $want
"$venv/bin/st" --version
echo "$want" > "$venv/.installed"
