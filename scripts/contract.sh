#!/usr/bin/env bash
# `make contract`: the API against its own description, on a fresh release server.
#   1. /openapi.json is a valid OpenAPI 3.1 document (openapi-spec-validator);
#   2. Schemathesis generates requests for every operation from the document (fixed seed,
#      bounded examples) and checks every answer: no 5xx, a documented status, the
#      documented content type, body schema and headers.
# A user and an admin exist for the authenticated operations (scripts/schemathesis_hooks.py
# logs them in). Needs target/release/authkit (make build) and target/contract-venv
# (scripts/install-contract-tools.sh, run by make test-tools).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
venv="target/contract-venv"
bin="target/release/authkit"
[[ -x "$bin" ]] || { echo "contract.sh: $bin is missing: run make build" >&2; exit 1; }
[[ -x "$venv/bin/st" ]] || { echo "contract.sh: $venv is missing: run make test-tools" >&2; exit 1; }

tmp="$(mktemp -d -t authkit-contract.XXXXXX)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"

export LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_OUTPUT_NAME=authkit LEPTOS_ENV=PROD
export DATA_DIR="$tmp" DATABASE_URL="sqlite://$tmp/contract.db" RUST_LOG=warn
export JWT_SECRET="contract-test-secret-not-for-production-0123456789"
export COOKIE_SECURE=false
# The fuzzer sends thousands of requests from one address; the throttles (covered by the
# API tests) would otherwise answer most of them 429, which tells nothing about the rest.
export AUTH_RATE_PER_IP_PER_MINUTE=1000000 REFRESH_RATE_PER_IP_PER_MINUTE=1000000
export REFRESH_RATE_PER_SESSION_PER_MINUTE=1000000 LOGIN_MAX_FAILURES=1000000
export PASSWORD_CHECKS_PER_ACCOUNT_PER_MINUTE=1000000
export LOGIN_ACCOUNT_MAX_FAILURES=1000000 ACCOUNT_MAILS_PER_HOUR=1000000
export PASSWORD_RESET_PER_ADDRESS_PER_HOUR=1000000

# Not the password in the document's examples, which the fuzzer sends too: an example
# must not delete these accounts or change their passwords.
export CONTRACT_PASSWORD="contract fuzzing passphrase 4417"
export CONTRACT_ADMIN_EMAIL=admin@contract.test CONTRACT_USER_EMAIL=user@contract.test
export CONTRACT_BASE_URL="$base"

server=""
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

"$bin" &
server=$!
for _ in $(seq 100); do
  curl -sf -o /dev/null "$base/openapi.json" && break
  sleep 0.1
done
curl -sf -o /dev/null "$base/openapi.json" || { echo "contract.sh: the server did not come up" >&2; exit 1; }
# After the server's first start: create-admin refuses a database the server never set up.
printf '%s\n' "$CONTRACT_PASSWORD" | "$bin" create-admin --email "$CONTRACT_ADMIN_EMAIL" >/dev/null
curl -sf -o /dev/null -X POST "$base/auth/signup" -H 'Content-Type: application/json' \
  -d "{\"email\":\"$CONTRACT_USER_EMAIL\",\"password\":\"$CONTRACT_PASSWORD\",\"username\":\"contract\"}"

echo "==> /openapi.json against the OpenAPI 3.1 schema (openapi-spec-validator)"
curl -sf "$base/openapi.json" -o "$tmp/openapi.json"
"$venv/bin/openapi-spec-validator" --schema 3.1 "$tmp/openapi.json"

echo "==> Schemathesis: every operation, seed 20261125"
cd "$tmp"
PYTHONPATH="$root/scripts" SCHEMATHESIS_HOOKS=schemathesis_hooks "$root/$venv/bin/st" run "$base/openapi.json" \
  --url "$base" \
  --seed 20261125 \
  --max-examples "${CONTRACT_MAX_EXAMPLES:-25}" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
  --generation-database none \
  --no-color
