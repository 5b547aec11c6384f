#!/usr/bin/env bash
# make bench (second part): GET /auth/me and POST /auth/login throughput and p99 with wrk, side by
# side in one run on this machine, for
#   1. one instance on SQLite,
#   2. one instance on PostgreSQL (a throwaway server from scripts/pg.sh),
#   3. two instances on one PostgreSQL behind nginx (scripts/cluster.sh).
# Prints a Markdown table for docs/BENCHMARKS.md. wrk and the load share the machine's cores with
# the servers (and PostgreSQL, and nginx), so read the figures relative to each other.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bin=target/release/authkit
[[ -x "$bin" ]] || { echo "bench-backends.sh: $bin missing; run 'make build'" >&2; exit 1; }
command -v wrk >/dev/null || { echo "bench-backends.sh: wrk missing (apt-get install wrk)" >&2; exit 1; }
duration="${BENCH_DURATION:-10s}"
tmp="$(mktemp -d -t authkit-bench.XXXXXX)"
chmod 755 "$tmp"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  bash scripts/pg.sh stop "$tmp/pg" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The throttles are about attackers; a benchmark from one address would trip them at once.
export RUST_LOG=warn AUTH_RATE_PER_IP_PER_MINUTE=100000000 LOGIN_MAX_FAILURES=100000000 \
  LOGIN_ACCOUNT_MAX_FAILURES=100000000 JWT_SECRET="bench-secret-bench-secret-bench-secret!!" \
  HASH_QUEUE_TIMEOUT_MS=120000 REQUEST_TIMEOUT_MS=120000 COOKIE_SECURE=false

start_instance() { # port database_url data_dir
  LEPTOS_ENV=PROD LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR="127.0.0.1:$1" LEPTOS_OUTPUT_NAME=authkit \
    DATABASE_URL="$2" DATA_DIR="$3" "$bin" >"$3.log" 2>&1 &
  pids+=($!)
}

wait_up() { # base
  for _ in $(seq 1 300); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$1/")" == 200 ]] && return 0
    sleep 0.1
  done
  echo "bench-backends.sh: $1 did not come up" >&2
  exit 1
}

# wrk's Requests/sec and 99th percentile, as "rps|p99".
measure() { # connections url [wrk args...]
  local connections="$1" url="$2"
  shift 2
  local out
  out="$(wrk -t"$(( connections < 2 ? connections : 2 ))" -c"$connections" -d"$duration" --latency "$@" "$url")"
  local rps p99 non2xx
  rps="$(awk '/Requests\/sec/ {printf "%d", $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' <<<"$out")"
  [[ -z "$non2xx" ]] || { echo "bench-backends.sh: $non2xx non-2xx answers from $url" >&2; exit 1; }
  echo "$rps|$p99"
}

cat >"$tmp/login.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"email":"bench@example.com","password":"correct horse battery staple"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
EOF

bench() { # label base
  local label="$1" base="$2" token me login1 login8
  curl -s -o /dev/null -H 'Content-Type: application/json' \
    -d '{"email":"bench@example.com","password":"correct horse battery staple","username":"bench"}' "$base/auth/signup"
  token="$(curl -s -H 'Content-Type: application/json' -H 'Accept: application/json' \
    -d '{"email":"bench@example.com","password":"correct horse battery staple"}' "$base/auth/login" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')"
  me="$(measure 32 "$base/auth/me" -H "Authorization: Bearer $token")"
  login1="$(measure 1 "$base/auth/login" -s "$tmp/login.lua")"
  login8="$(measure 8 "$base/auth/login" -s "$tmp/login.lua")"
  printf '| %s | %s/s | %s | %s/s | %s | %s/s | %s |\n' "$label" \
    "${me%|*}" "${me#*|}" "${login1%|*}" "${login1#*|}" "${login8%|*}" "${login8#*|}"
}

echo "==> $(nproc) cores, wrk -t2, ${duration} per figure" >&2
echo "| setup | GET /auth/me (32 conn) | p99 | POST /auth/login (1 conn) | p99 | POST /auth/login (8 conn) | p99 |"
echo "|---|---|---|---|---|---|---|"

port="$(free_port)"
start_instance "$port" "sqlite://$tmp/sqlite/authkit.db" "$tmp/sqlite"
wait_up "http://127.0.0.1:$port"
bench "1 instance, SQLite" "http://127.0.0.1:$port"
kill -TERM "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

pg_url="$(bash scripts/pg.sh start "$tmp/pg" "$(free_port)" 2>/dev/null)"
port="$(free_port)"
start_instance "$port" "$pg_url" "$tmp/pg-one"
wait_up "http://127.0.0.1:$port"
bench "1 instance, PostgreSQL" "http://127.0.0.1:$port"
kill -TERM "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true

cluster_port=3400
CLUSTER_PORT=$cluster_port AUTHKIT_BIN="$bin" CLUSTER_DIR="$tmp/cluster" bash scripts/cluster.sh >"$tmp/cluster.log" 2>&1 &
pids+=($!)
wait_up "http://127.0.0.1:$cluster_port"
bench "2 instances, PostgreSQL, nginx" "http://127.0.0.1:$cluster_port"
