#!/usr/bin/env bash
# make bench: memory and latency of the release server under 300 concurrent logins.
# The server limits argon2 to HASH_MAX_CONCURRENT hashes at once (default: the number of
# cores), so its peak RSS must stay under N x 19 MiB + 64 MiB however many logins arrive.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bin=target/release/authkit
[[ -x "$bin" ]] || { echo "bench.sh: $bin missing; run 'make build'" >&2; exit 1; }
concurrency="${BENCH_CONCURRENCY:-300}"
cores="$(nproc)"
n="${HASH_MAX_CONCURRENT:-$cores}"
port=3200
tmp="$(mktemp -d -t authkit-bench.XXXXXX)"

LEPTOS_ENV=PROD LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_ADDR="127.0.0.1:$port" \
  DATA_DIR="$tmp" JWT_SECRET="bench-secret-bench-secret-bench-secret!!" RUST_LOG=warn \
  HASH_MAX_CONCURRENT="$n" HASH_QUEUE_TIMEOUT_MS=120000 REQUEST_TIMEOUT_MS=120000 \
  AUTH_RATE_PER_IP_PER_MINUTE=1000000 LOGIN_MAX_FAILURES=1000000 \
  "$bin" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT

for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/auth/me" && break
  sleep 0.1
done

echo "==> $concurrency concurrent logins, HASH_MAX_CONCURRENT=$n, $cores cores"
result="$(node scripts/login-load.mjs "http://127.0.0.1:$port" "$pid" "$concurrency")"
echo "$result"
limit=$(( n * 19 + 64 ))
peak="$(node -e 'const r = JSON.parse(process.argv[1]); console.log(Math.ceil(Math.max(r.vm_hwm_after_mib, r.rss_peak_sampled_mib)))' "$result")"
echo "==> peak RSS ${peak} MiB; limit N x 19 MiB + 64 MiB = ${limit} MiB"
if (( peak > limit )); then
  echo "FAIL: peak RSS above the limit" >&2
  exit 1
fi
echo "OK"
