#!/usr/bin/env bash
# Runs a command with TEST_DATABASE_URL naming a PostgreSQL server: the one you set, or a
# throwaway one started here with scripts/pg.sh (Debian's PostgreSQL, installed by
# `make test-tools`) and removed when the command ends, whatever its outcome.
#
#   scripts/with-postgres.sh cargo nextest run --test api
set -euo pipefail

[[ $# -gt 0 ]] || { echo "usage: $0 COMMAND [ARGS...]" >&2; exit 2; }
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
  echo "with-postgres.sh: using TEST_DATABASE_URL=$TEST_DATABASE_URL" >&2
  exec "$@"
fi

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# The postgres user must be able to enter the folder (pg.sh chowns the folder itself).
dir="$(mktemp -d -t authkit-pg.XXXXXX)"
chmod 755 "$dir"
trap 'bash "$root/scripts/pg.sh" stop "$dir/pg"; rm -rf "$dir"' EXIT
TEST_DATABASE_URL="$(bash "$root/scripts/pg.sh" start "$dir/pg" "$port")"
export TEST_DATABASE_URL
"$@"
