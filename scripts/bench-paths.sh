#!/usr/bin/env bash
# shellcheck disable=SC2016  # backquotes in single quotes are Markdown code, not commands
# make bench (third part): issue 12's table, before and after, measured one after the other in one run.
#   BEFORE = commit 61b6900 (the last commit before issue 12's work), built once into
#            target/bench-before/{authkit,site} (the first build takes ~20 minutes);
#   AFTER  = target/release/authkit with target/site (make build).
# Each server runs alone on a fresh SQLite database with the throttles out of the way; wrk shares the
# machine's cores with it, so read the figures side by side rather than as absolutes.
# Prints one Markdown table on stdout (progress on stderr).
#   BENCH_SECS=10          seconds per wrk figure
#   BENCH_CONCURRENCY=300  logins fired at once for the peak-RSS figure (scripts/login-load.mjs)
#   BENCH_SKIP_BEFORE=1    measure AFTER only (the BEFORE column says "skipped"; nothing is built)
#   HASH_MAX_CONCURRENT    hashing slots per server (default: the core count)
#   BENCH_AFTER_BIN, BENCH_AFTER_SITE  another AFTER build (default target/release/authkit, target/site)
#   BENCH_BEFORE_DIR       another BEFORE build (authkit and site/; default target/bench-before)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# The same tools as the Makefile: npm binaryen's wasm-opt first, cargo-installed tools next.
export PATH="$root/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"

before_rev=61b6900
before_dir="$(realpath -m "${BENCH_BEFORE_DIR:-target/bench-before}")"
after_bin="${BENCH_AFTER_BIN:-target/release/authkit}"
after_site="${BENCH_AFTER_SITE:-target/site}"
login_lua=scripts/bench-paths-login.lua
secs="${BENCH_SECS:-10}"
concurrency="${BENCH_CONCURRENCY:-300}"
skip_before="${BENCH_SKIP_BEFORE:-0}"
cores="$(nproc)"
hash_slots="${HASH_MAX_CONCURRENT:-$cores}"
email="bench-paths@example.com"
password="correct horse battery staple"

log() { echo "bench-paths.sh: $*" >&2; }
[[ -x "$after_bin" && -d "$after_site/pkg" ]] || { log "$after_bin or $after_site missing; run 'make build'"; exit 1; }
command -v wrk >/dev/null || { log "wrk missing (apt-get install -y wrk)"; exit 1; }
command -v node >/dev/null || { log "node missing"; exit 1; }

tmp="$(mktemp -d -t authkit-bench-paths.XXXXXX)"
server_pid=""
worktree=""
background_pids=()
cleanup() {
  for pid in "${background_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  stop_server
  if [[ -n "$worktree" ]]; then git worktree remove --force "$worktree" >/dev/null 2>&1 || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# The throttles are about attackers; a benchmark from one address would trip them at once.
export RUST_LOG=warn LEPTOS_ENV=PROD COOKIE_SECURE=false \
  JWT_SECRET="bench-paths-secret-bench-paths-secret!!" \
  AUTH_RATE_PER_IP_PER_MINUTE=100000000 LOGIN_MAX_FAILURES=100000000 LOGIN_ACCOUNT_MAX_FAILURES=100000000 \
  REFRESH_RATE_PER_IP_PER_MINUTE=100000000 REFRESH_RATE_PER_SESSION_PER_MINUTE=100000000 \
  HASH_MAX_CONCURRENT="$hash_slots" HASH_QUEUE_TIMEOUT_MS=120000 REQUEST_TIMEOUT_MS=120000 \
  BENCH_EMAIL="$email" BENCH_PASSWORD="$password"

# --- BEFORE: built once from a worktree of $before_rev -------------------------------------------------

ensure_before() {
  [[ -x "$before_dir/authkit" && -d "$before_dir/site/pkg" ]] && return 0
  log "BEFORE ($before_rev) is not built yet ($before_dir/authkit, $before_dir/site): building it now."
  log "This first build takes ~20 minutes; later runs reuse it."
  command -v cargo-leptos >/dev/null || { log "cargo-leptos missing; run 'make tools'"; exit 1; }
  worktree="$tmp/before-src"
  git worktree add --detach "$worktree" "$before_rev" >&2
  (cd "$worktree" && CARGO_TARGET_DIR="$before_dir/target" cargo leptos build --release) >&2
  # site-root = "target/site" in Cargo.toml is relative to the project, i.e. the worktree.
  local site="$worktree/target/site"
  [[ -d "$site" ]] || site="$before_dir/target/site"
  rm -rf "$before_dir/site"
  cp "$before_dir/target/release/authkit" "$before_dir/authkit"
  cp -r "$site" "$before_dir/site"
  git worktree remove --force "$worktree"
  worktree=""
}

# --- servers --------------------------------------------------------------------------------------------

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start_server() { # name binary site_root; sets server_pid and base
  local name="$1" bin="$2" site="$3" port data
  port="$(free_port)"
  data="$tmp/$name"
  mkdir -p "$data"
  LEPTOS_SITE_ROOT="$site" LEPTOS_SITE_ADDR="127.0.0.1:$port" LEPTOS_OUTPUT_NAME=authkit DATA_DIR="$data" \
    "$bin" >"$data.log" 2>&1 &
  server_pid=$!
  base="http://127.0.0.1:$port"
  # GET /, not /health/live: the BEFORE build has no health routes.
  for _ in $(seq 1 300); do
    [[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/")" == 200 ]] && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  log "$name did not come up on $base:"
  tail -n 20 "$data.log" >&2
  exit 1
}

stop_server() {
  [[ -n "$server_pid" ]] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}

# --- helpers --------------------------------------------------------------------------------------------

# wrk's latency ("850.00us", "4.60ms", "1.20s") in milliseconds.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
  f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.2f", n * f }'; }

# "requests/s|p99 ms|warning" from wrk's output.
parse_wrk() { # file
  local rps p99 non2xx errors note=""
  rps="$(awk '/Requests\/sec/ {printf "%d", $2}' "$1")"
  p99="$(awk '$1 == "99%" {print $2}' "$1")"
  non2xx="$(awk '/Non-2xx/ {print $NF}' "$1")"
  errors="$(grep -o 'Socket errors:.*' "$1" || true)"
  [[ -z "$non2xx" ]] || note=" ($non2xx non-2xx!)"
  [[ -z "$errors" ]] || note="$note ($errors!)"
  echo "${rps:-0}|$(to_ms "${p99:-0}")|$note"
}

wrk_run() { # connections url [wrk args...]; echoes parse_wrk's answer
  local connections="$1" url="$2" out="$tmp/wrk.out"
  shift 2
  wrk -t"$(( connections < 2 ? connections : 2 ))" -c"$connections" -d"${secs}s" --latency "$@" "$url" >"$out"
  parse_wrk "$out"
}

rps_of() { echo "${1%%|*}"; }
p99_of() { local rest="${1#*|}"; echo "${rest%%|*}"; }
note_of() { echo "${1##*|}"; }
rate_cell() { echo "$(rps_of "$1")/s$(note_of "$1")"; }
rate_p99_cell() { echo "$(rps_of "$1")/s, p99 $(p99_of "$1") ms$(note_of "$1")"; }
commas() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
percent() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f %%", 100 * a / b; else print "n/a" }'; }

signup_and_token() { # base
  local status
  status="$(curl -s -o "$tmp/signup.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\",\"username\":\"bench\"}" "$1/auth/signup")"
  [[ "$status" == 200 || "$status" == 201 ]] || { log "signup: $status $(cat "$tmp/signup.json")"; exit 1; }
  curl -s -H 'Content-Type: application/json' -H 'Accept: application/json' \
    -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$1/auth/login" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# The stylesheet, script and WASM that the HTML of /login loads, one path a line (css, js, wasm):
# the stylesheet <link>, the modulepreload/preload <link>s, else the hydration script's arguments
# (root, pkg_path, output_name, wasm_output_name) from which it builds ${root}/${pkg}/${name}.js|.wasm.
page_assets() { # base
  curl -s "$1/login" | python3 -c '
import re, sys
html = sys.stdin.read()
links = re.findall(r"<link\b[^>]*>", html)
href = lambda tag: (re.search(r"href=\"([^\"]+)\"", tag) or [None, None])[1]
css = next((href(t) for t in links if re.search(r"rel=\"stylesheet\"", t)), None)
js = next((href(t) for t in links if (href(t) or "").endswith(".js")), None)
wasm = next((href(t) for t in links if (href(t) or "").endswith(".wasm")), None)
call = re.search(r"\(\s*\"([^\"]*)\",\s*\"([^\"]*)\",\s*\"([^\"]*)\",\s*\"([^\"]*)\"", html)
if call:
    root, pkg, name, wasm_name = call.groups()
    js = js or f"{root}/{pkg}/{name}.js"
    wasm = wasm or f"{root}/{pkg}/{wasm_name}.wasm"
if not (css and js and wasm):
    sys.exit(f"bench-paths.sh: stylesheet, script or wasm not found in /login: {css} {js} {wasm}")
print(css, js, wasm, sep="\n")
'
}

# "bytes|content-encoding|cache-control" of one fetch as a browser would make it.
fetch_compressed() { # url
  curl -s -H 'Accept-Encoding: br, gzip' -o /dev/null \
    -w '%{size_download}|%header{content-encoding}|%header{cache-control}' "$1"
}

# --- measurements (results in R["side.key"]) ------------------------------------------------------------

declare -A R

measure_get_paths() { # side base token css
  local side="$1" base="$2" token="$3" css="$4"
  log "$side: GET /auth/me, /health/live, /, $css (wrk -t2 -c32, ${secs}s each)"
  R[$side.me]="$(wrk_run 32 "$base/auth/me" -H "Authorization: Bearer $token")"
  if [[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/health/live")" == 200 ]]; then
    R[$side.live]="$(wrk_run 32 "$base/health/live")"
  else
    R[$side.live]="n/a"
  fi
  R[$side.home]="$(wrk_run 32 "$base/")"
  R[$side.css]="$(rate_cell "$(wrk_run 32 "$base$css")") ($css)"
}

measure_transfer() { # side base css js wasm
  local side="$1" base="$2" css="$3" js="$4" wasm="$5" html_b js_f wasm_f css_f total cacheable=1
  log "$side: bytes of a first and a second visit to /login"
  html_b="$(fetch_compressed "$base/login")"
  js_f="$(fetch_compressed "$base$js")"
  wasm_f="$(fetch_compressed "$base$wasm")"
  css_f="$(fetch_compressed "$base$css")"
  # A split build's main JS imports the loader of the lazy routes' chunks (`__wasm_split.<hash>.js`),
  # which the browser fetches with it; the chunks themselves only when a lazy page is visited.
  local loader loader_n=0 loader_part=""
  loader="$(curl -s "$base$js" | grep -o '__wasm_split\.[A-Za-z0-9_-]*\.js' | head -1 || true)"
  if [[ -n "$loader" ]]; then
    loader_n="$(fetch_compressed "$base${js%/*}/$loader")"
    loader_n="${loader_n%%|*}"
    loader_part=" + split loader $(commas "$loader_n")"
  fi
  local html_n="${html_b%%|*}" js_n="${js_f%%|*}" wasm_n="${wasm_f%%|*}" css_n="${css_f%%|*}"
  local wasm_rest="${wasm_f#*|}"
  local wasm_enc="${wasm_rest%%|*}" wasm_cc="${wasm_rest#*|}"
  total=$(( html_n + js_n + wasm_n + css_n + loader_n ))
  R[$side.wasm]="$(commas "$wasm_n") bytes, Content-Encoding: ${wasm_enc:-none}, Cache-Control: ${wasm_cc:-none} ($wasm)"
  R[$side.first]="$(commas "$total") bytes ($(( (total + 500) / 1000 )) KB): HTML $(commas "$html_n") + JS $(commas "$js_n") + WASM $(commas "$wasm_n") + CSS $(commas "$css_n")$loader_part"
  for asset in "$js_f" "$wasm_f" "$css_f"; do
    grep -Eqi 'immutable|max-age=[1-9]' <<<"${asset#*|}" || cacheable=0
  done
  if (( cacheable )); then
    R[$side.second]="$(commas "$html_n") bytes (HTML only: the assets are cached)"
  else
    R[$side.second]="$(commas "$total") bytes (everything again: the assets are not cacheable)"
  fi
}

measure_logins() { # side base
  local side="$1" base="$2" one eight one_rps single max_rate
  log "$side: POST /auth/login with 1 and 8 connections (${secs}s each)"
  one="$(wrk_run 1 "$base/auth/login" -s "$login_lua")"
  eight="$(wrk_run 8 "$base/auth/login" -s "$login_lua")"
  R[$side.login1]="$(rate_p99_cell "$one")"
  R[$side.login8]="$(rate_p99_cell "$eight")"
  one_rps="$(rps_of "$one")"
  if (( one_rps > 0 )); then
    single="$(awk -v r="$one_rps" 'BEGIN { printf "%.1f", 1000 / r }')"
    max_rate="$(awk -v c="$cores" -v s="$single" 'BEGIN { printf "%.0f", c * 1000 / s }')"
    R[$side.hash]="$single ms"
    R[$side.hw]="$(percent "$(rps_of "$eight")" "$max_rate") ($(rps_of "$eight")/s of $cores ÷ $single ms = $max_rate/s)"
  else
    R[$side.hash]="n/a"
    R[$side.hw]="n/a"
  fi
}

measure_me_under_logins() { # side base token
  local side="$1" base="$2" token="$3" bg loaded logins
  log "$side: GET /auth/me while 8 connections log in (${secs}s)"
  wrk -t2 -c8 -d"$(( secs + 2 ))s" --latency -s "$login_lua" "$base/auth/login" >"$tmp/logins-bg.out" &
  bg=$!
  background_pids+=("$bg")
  sleep 1
  loaded="$(wrk_run 32 "$base/auth/me" -H "Authorization: Bearer $token")"
  wait "$bg"
  logins="$(parse_wrk "$tmp/logins-bg.out")"
  R[$side.me_loaded]="$(rate_cell "$loaded") ($(percent "$(rps_of "$loaded")" "$(rps_of "${R[$side.me]}")") of idle; logins meanwhile $(rate_cell "$logins"))"
}

measure_rss() { # side binary site
  local side="$1" result peak limit=$(( hash_slots * 19 + 64 ))
  log "$side: peak RSS under $concurrency concurrent logins (fresh server, scripts/login-load.mjs)"
  start_server "$side-rss" "$2" "$3"
  result="$(node scripts/login-load.mjs "$base" "$server_pid" "$concurrency")"
  stop_server
  log "$side: $result"
  peak="$(node -e 'const r = JSON.parse(process.argv[1]);
    console.log(`${Math.max(r.vm_hwm_after_mib, r.rss_peak_sampled_mib)} MiB (statuses ${JSON.stringify(r.statuses)})`)' "$result")"
  R[$side.rss]="$peak"
  R[$side.rss_limit]="≤ $limit MiB (N × 19 MiB + 64 MiB, N = $hash_slots)"
}

measure_side() { # side binary site
  local side="$1" bin="$2" site="$3" token assets css js wasm
  log "$side: starting $bin (site $site)"
  start_server "$side" "$bin" "$site"
  token="$(signup_and_token "$base")"
  assets="$(page_assets "$base")"
  { read -r css; read -r js; read -r wasm; } <<<"$assets"
  for path in "$css" "$js" "$wasm"; do
    local status
    status="$(curl -s -o /dev/null -w '%{http_code}' "$base$path")"
    [[ "$status" == 200 ]] || { log "$side: $path answers $status: is $site from the same build as $bin?"; exit 1; }
  done
  measure_get_paths "$side" "$base" "$token" "$css"
  measure_transfer "$side" "$base" "$css" "$js" "$wasm"
  measure_logins "$side" "$base"
  measure_me_under_logins "$side" "$base" "$token"
  stop_server
  measure_rss "$side" "$bin" "$site"
}

# --- the table ------------------------------------------------------------------------------------------

cell() { # side key [formatter]
  local v="${R[$1.$2]:-}"
  if [[ "$1" == before && "$skip_before" == 1 ]]; then echo "skipped"
  elif [[ -z "$v" ]]; then echo "n/a"
  elif [[ "$v" == n/a || -z "${3:-}" ]]; then echo "$v"
  else "$3" "$v"
  fi
}

print_table() {
  local after_me after_live before_me live_x me_pct
  after_me="$(rps_of "${R[after.me]}")"
  after_live="${R[after.live]}"
  if [[ "$after_live" == n/a ]]; then
    live_x="n/a (no /health/live)"; me_pct="n/a (no /health/live)"
  else
    after_live="$(rps_of "$after_live")"
    me_pct="$(percent "$after_me" "$after_live") ($after_me ÷ $after_live)"
    if [[ "$skip_before" == 1 ]]; then
      live_x="n/a (BEFORE skipped)"
    else
      before_me="$(rps_of "${R[before.me]}")"
      live_x="$(awk -v a="$after_live" -v b="$before_me" 'BEGIN { if (b > 0) printf "%.1f×", a / b; else print "n/a" }') ($after_live ÷ $before_me)"
    fi
  fi

  echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $cores cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(wrk --version 2>&1 | head -n 1 | awk '{print $1, $2}'): -t2 -c32 unless said, ${secs} s per figure, HASH_MAX_CONCURRENT=$hash_slots, SQLite."
  echo "BEFORE = $before_rev (${before_dir#"$root"/}), AFTER = $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml style public 2>/dev/null || echo ' + uncommitted changes') ($after_bin)."
  echo
  echo "| what | BEFORE | AFTER | target |"
  echo "|---|---|---|---|"
  row() { echo "| $1 | $(cell before "$2" "${4:-}") | $(cell after "$2" "${4:-}") | $3 |"; }
  row '`GET /auth/me` (valid token, 32 connections)' me '' rate_p99_cell
  row '`GET /health/live` (32 connections)' live '' rate_p99_cell
  row '`GET /` (server-rendered home page)' home '' rate_cell
  row '`GET /pkg/<stylesheet>` (the one /login links)' css 'at least `/auth/me`'
  row 'WASM on the wire (`Accept-Encoding: br, gzip`)' wasm 'compressed, `immutable`'
  row 'first visit to `/login` (HTML + JS + WASM + CSS, compressed)' first '≤ 200 KB (200,000 bytes)'
  row 'second visit to `/login`' second 'the HTML only'
  row '`POST /auth/login`, 1 connection' login1 ''
  row '`POST /auth/login`, 8 connections' login8 ''
  row 'single-hash time (1000 ms ÷ 1-connection logins/s)' hash ''
  row '8-connection logins ÷ (cores ÷ single-hash time)' hw '≥ 95 %'
  row '`/auth/me` while 8 connections log in' me_loaded ''
  row "peak RSS after $concurrency concurrent logins" rss "${R[after.rss_limit]:-}"
  echo "| AFTER \`/health/live\` ÷ BEFORE \`/auth/me\` | — | $live_x | ≥ 3× |"
  echo "| AFTER \`/auth/me\` ÷ AFTER \`/health/live\` | — | $me_pct | ≥ 60 % |"
}

# --- run ------------------------------------------------------------------------------------------------

if [[ "$skip_before" == 1 ]]; then
  log "BENCH_SKIP_BEFORE=1: measuring AFTER only"
else
  ensure_before
  measure_side before "$before_dir/authkit" "$before_dir/site"
fi
measure_side after "$after_bin" "$after_site"
print_table
