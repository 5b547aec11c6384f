#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests and `make cluster` (never for real data: fsync is off).
#
#   scripts/pg.sh start DIR PORT   create a cluster in DIR, start it on 127.0.0.1:PORT (its socket
#                                  in DIR), create the database `authkit` (owner and superuser
#                                  `authkit`, no password) and print its URL on stdout:
#                                  postgres://authkit@127.0.0.1:PORT/authkit
#   scripts/pg.sh stop DIR         stop it and remove DIR (nothing to do if DIR is already gone)
#   scripts/pg.sh pause DIR        stop the server but keep its data (a database outage, in tests)
#   scripts/pg.sh resume DIR       start a paused server again on its port
#
# Uses the newest /usr/lib/postgresql/*/bin (Debian's layout), else initdb/pg_ctl on PATH.
# initdb refuses to run as root: as root the cluster belongs to the `postgres` user (runuser).
# Everything but the URL goes to stderr.
set -euo pipefail

log() { printf 'pg.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
usage() { die "usage: $0 start DIR PORT | $0 stop DIR | $0 pause DIR | $0 resume DIR"; }

# Written into DIR at start: `stop` removes only folders that carry it.
MARKER=.authkit-throwaway-postgres

pg_bindir() {
  local best
  best="$(shopt -s nullglob; printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)"
  if [[ -n "$best" ]]; then
    dirname "$best"
  elif command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
    dirname "$(command -v pg_ctl)"
  else
    die "no PostgreSQL server found (/usr/lib/postgresql/*/bin/initdb); run scripts/install-test-tools.sh"
  fi
}

# Runs a command as the cluster's owner: `postgres` when we are root, ourselves otherwise.
as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# Starts the server of the cluster in $1 on port $2.
launch() {
  local dir="$1" port="$2" bin
  bin="$(pg_bindir)"
  log "starting PostgreSQL on 127.0.0.1:$port"
  # Settings for throwaway test data: no durability, room for many test connections.
  # pg_ctl hands -o to a shell, hence the quotes around the socket folder.
  if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 -o \
    "-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >&2; then
    tail -n 20 "$dir/postgres.log" >&2 || true
    die "PostgreSQL did not start (is port $port taken?); log: $dir/postgres.log"
  fi
}

pause() {
  local dir="$1"
  [[ -e "$dir/$MARKER" ]] || die "$dir was not made by '$0 start'"
  log "pausing PostgreSQL in $dir"
  as_owner "$(pg_bindir)/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >&2
}

resume() {
  local dir="$1"
  [[ -e "$dir/$MARKER" && -f "$dir/port" ]] || die "$dir was not made by '$0 start'"
  launch "$dir" "$(cat "$dir/port")"
}

start() {
  local dir="$1" port="$2" bin
  if ! [[ "$port" =~ ^[0-9]+$ ]] || (( port < 1 || port > 65535 )); then
    die "PORT must be a TCP port number, got '$port'"
  fi
  [[ "$dir" != *"'"* ]] || die "DIR must not contain a single quote: $dir"
  bin="$(pg_bindir)"

  mkdir -p "$dir"
  dir="$(cd "$dir" && pwd)"
  [[ ! -e "$dir/data" ]] || die "$dir/data already exists; stop that cluster first ($0 stop $dir)"
  # The socket path must fit in sun_path (107 bytes).
  (( ${#dir} + 20 < 107 )) || die "DIR is too long for a Unix socket path: $dir"
  touch "$dir/$MARKER"

  if [[ "$(id -u)" -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user to own the cluster"
    chown postgres "$dir"
    runuser -u postgres -- test -w "$dir" \
      || die "the postgres user cannot reach $dir: a parent folder is not searchable by others (chmod o+x it)"
  fi

  log "initdb $dir/data ($bin)"
  # trust: only 127.0.0.1 and the private socket folder can reach it. C locale: no dependence
  # on the machine's locales.
  as_owner "$bin/initdb" -D "$dir/data" -A trust -U authkit -E UTF8 --locale=C --no-sync \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }

  echo "$port" >"$dir/port"
  launch "$dir" "$port"

  "$bin/createdb" -h 127.0.0.1 -p "$port" -U authkit authkit >&2
  printf 'postgres://authkit@127.0.0.1:%s/authkit\n' "$port"
}

stop() {
  local dir="$1" bin
  if [[ ! -d "$dir" ]]; then
    log "$dir does not exist: nothing to stop"
    return 0
  fi
  [[ -e "$dir/$MARKER" ]] || die "$dir was not made by '$0 start': not touching it"
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    bin="$(pg_bindir)"
    log "stopping PostgreSQL in $dir"
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >&2 \
      || as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >&2 \
      || log "pg_ctl stop failed (was it running?); removing $dir anyway"
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) [[ $# -eq 3 ]] || usage; start "$2" "$3" ;;
  stop) [[ $# -eq 2 ]] || usage; stop "$2" ;;
  pause) [[ $# -eq 2 ]] || usage; pause "$2" ;;
  resume) [[ $# -eq 2 ]] || usage; resume "$2" ;;
  *) usage ;;
esac
