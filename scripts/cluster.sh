#!/usr/bin/env bash
# make cluster: the multi-instance deployment of docs/DEPLOYMENT.md on one machine, thrown away
# at exit — a PostgreSQL server (scripts/pg.sh), two authkit instances sharing it, and nginx
# balancing them round robin. Also the web server of end2end/playwright.cluster.config.ts.
#
#   CLUSTER_PORT  nginx listens on 127.0.0.1:CLUSTER_PORT (default 8080);
#                 the instances on CLUSTER_PORT+1 and CLUSTER_PORT+2
#   AUTHKIT_BIN   server binary, relative to the repository root (default target/release/authkit)
#   CLUSTER_DIR   folder for PostgreSQL, the instances' DATA_DIRs and nginx (default: a new
#                 temporary folder, removed at exit; a folder you name is kept, minus PostgreSQL)
#
# The instances get DATABASE_URL, TRUSTED_PROXIES=127.0.0.1 and COOKIE_SECURE=false; every
# other variable you set (JWT_SECRET, AUTH_RATE_PER_IP_PER_MINUTE, RUST_LOG, …) reaches them
# as it is. Without JWT_SECRET they share the key that the first one generates in the database.
# Instance logs go to stderr, prefixed [authkit-1] / [authkit-2]; nginx logs to CLUSTER_DIR/nginx.
# Runs until Ctrl-C or SIGTERM, then stops everything; if any process dies, it stops the rest
# and exits non-zero.
set -euo pipefail

log() { printf 'cluster.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# ---------------------------------------------------------------- settings and checks

port="${CLUSTER_PORT:-8080}"
if ! [[ "$port" =~ ^[0-9]+$ ]] || (( port < 1024 || port > 65533 )); then
  die "CLUSTER_PORT must be a number from 1024 to 65533, got '$port'"
fi
instance_ports=($(( port + 1 )) $(( port + 2 )))
bin="${AUTHKIT_BIN:-target/release/authkit}"

[[ -x "$bin" ]] || die "$root/$bin does not exist; build it first (make build, or cargo leptos build --split for target/debug)"
[[ -d target/site/pkg ]] || die "$root/target/site/pkg is missing; build with cargo leptos first"
nginx="$(command -v nginx || echo /usr/sbin/nginx)"
[[ -x "$nginx" ]] || die "nginx is not installed; run scripts/install-test-tools.sh"
command -v curl >/dev/null || die "curl is not installed"

# True when something accepts connections on 127.0.0.1:$1.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for p in "$port" "${instance_ports[@]}"; do
  ! port_in_use "$p" || die "127.0.0.1:$p is already in use (set CLUSTER_PORT to use other ports)"
done

# A port for PostgreSQL that nothing listens on.
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 30000 ))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  die "found no free port for PostgreSQL"
}

# ---------------------------------------------------------------- the folder and cleanup

if [[ -n "${CLUSTER_DIR:-}" ]]; then
  mkdir -p "$CLUSTER_DIR"
  dir="$(cd "$CLUSTER_DIR" && pwd)"
  keep_dir=1
else
  dir="$(mktemp -d -t authkit-cluster.XXXXXX)"
  keep_dir=0
fi

names=()    # what each background process is, for the messages
pids=()     # instance 1, instance 2, nginx (in start order)
pg_dir="$dir/pg"
pg_started=0

# True while any started process runs (bash reaps exited children at once: kill -0 fails).
# shellcheck disable=SC2317  # (called from cleanup)
any_alive() {
  local pid
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null && return 0
  done
  return 1
}

# Stops whatever was started, newest first (nginx, the instances, PostgreSQL), then removes the
# folder. Runs once, at any exit: normal, error, Ctrl-C, SIGTERM.
# shellcheck disable=SC2317  # (called by the EXIT trap)
cleanup() {
  local status=$? i t pid
  trap '' INT TERM
  set +e
  for (( i = ${#pids[@]} - 1; i >= 0; i-- )); do
    kill -TERM "${pids[i]}" 2>/dev/null
  done
  # The instances finish requests in flight (SHUTDOWN_GRACE_SECS, 10 s); after 20 s whatever
  # still runs is killed.
  for (( t = 0; t < 200; t++ )); do
    any_alive || break
    sleep 0.1
  done
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null && log "killed $pid, which ignored SIGTERM"
    wait "$pid" 2>/dev/null
  done
  (( pg_started )) && bash scripts/pg.sh stop "$pg_dir"
  if (( keep_dir )); then
    log "kept $dir"
  else
    rm -rf "$dir"
  fi
  log "stopped"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# nginx's config and PostgreSQL's socket take the path as it is: keep it plain.
[[ "$dir" =~ ^[A-Za-z0-9/._-]+$ ]] || die "CLUSTER_DIR must be a plain path (letters, digits, / . _ -): $dir"
# PostgreSQL (as root: the postgres user) and nginx's workers (as root: nobody) must reach
# their subfolders; 0711 lets them through without listing the folder.
chmod 0711 "$dir"

# ---------------------------------------------------------------- PostgreSQL

pg_port="$(free_port)"
pg_started=1
database_url="$(bash scripts/pg.sh start "$pg_dir" "$pg_port")"
log "PostgreSQL: $database_url"

# ---------------------------------------------------------------- two authkit instances

leptos_env=()
[[ "$bin" == *release* && -z "${LEPTOS_ENV:-}" ]] && leptos_env=(LEPTOS_ENV=PROD)

for n in 1 2; do
  p="${instance_ports[n - 1]}"
  log "starting authkit-$n ($bin) on 127.0.0.1:$p"
  # The process substitution prefixes each log line and outlives Ctrl-C (which reaches the
  # whole process group), so the server's shutdown lines still show; $! is the server's pid.
  env "${leptos_env[@]}" \
    LEPTOS_SITE_ROOT=target/site \
    LEPTOS_SITE_ADDR="127.0.0.1:$p" \
    LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_OUTPUT_NAME=authkit \
    DATA_DIR="$dir/instance$n" \
    DATABASE_URL="$database_url" \
    TRUSTED_PROXIES=127.0.0.1 \
    COOKIE_SECURE="${COOKIE_SECURE:-false}" \
    "$bin" > >(trap '' INT TERM; exec sed -u "s/^/[authkit-$n] /" >&2) 2>&1 &
  pids+=($!)
  names+=("authkit-$n (127.0.0.1:$p)")
done

# Waits until GET http://127.0.0.1:$1/ answers 200 (up to $2 seconds), failing early if a
# process started so far has exited.
wait_until_up() {
  local url="http://127.0.0.1:$1/" deadline=$(( SECONDS + $2 )) i
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    for i in "${!pids[@]}"; do
      kill -0 "${pids[i]}" 2>/dev/null || die "${names[i]} exited while starting (see its log above)"
    done
    (( SECONDS < deadline )) || die "$url did not answer within $2 s"
    sleep 0.2
  done
}

for p in "${instance_ports[@]}"; do
  wait_until_up "$p" 90
done
log "both instances answer GET /"

# ---------------------------------------------------------------- nginx

ngx="$dir/nginx"
mkdir -p "$ngx"/temp/{client_body,proxy,fastcgi,uwsgi,scgi}
if [[ "$(id -u)" -eq 0 ]]; then
  # A root master runs its workers as nobody; they write the temp folders (large responses
  # such as the WASM bundle are buffered there).
  worker_group="$(id -gn nobody)"
  user_line="user nobody $worker_group;"
  chown -R "nobody:$worker_group" "$ngx/temp"
else
  user_line="# not started as root: the workers run as $(id -un)"
fi
sed -e "s|@PREFIX@|$ngx|g" \
    -e "s|@LISTEN_PORT@|$port|g" \
    -e "s|@INSTANCE_1@|127.0.0.1:${instance_ports[0]}|g" \
    -e "s|@INSTANCE_2@|127.0.0.1:${instance_ports[1]}|g" \
    -e "s|@USER_LINE@|$user_line|g" \
    deploy/nginx-cluster.conf.template > "$ngx/nginx.conf"
! grep -n '@[A-Z0-9_]*@' "$ngx/nginx.conf" >&2 || die "placeholders left in $ngx/nginx.conf"
"$nginx" -t -q -p "$ngx/" -c "$ngx/nginx.conf" || die "nginx rejected $ngx/nginx.conf"

log "starting nginx on 127.0.0.1:$port (logs in $ngx)"
# In a session of its own, so Ctrl-C (SIGINT to the terminal's process group) reaches only this
# script, which then stops nginx itself: an nginx that also got it would exit cleanly at the
# same moment, and bash would take that for a crash and drop the interrupt.
setsid "$nginx" -p "$ngx/" -c "$ngx/nginx.conf" -g 'daemon off;' &
pids+=($!)
names+=("nginx (127.0.0.1:$port)")
wait_until_up "$port" 15

echo "cluster.sh: listening on http://127.0.0.1:$port/ (nginx -> 127.0.0.1:${instance_ports[0]} and :${instance_ports[1]}, PostgreSQL on 127.0.0.1:$pg_port); Ctrl-C stops all"

# ---------------------------------------------------------------- run until told to stop

# Returns when the first of them exits (a signal runs its trap instead).
dead=""
status=0
wait -n -p dead "${pids[@]}" || status=$?
for i in "${!pids[@]}"; do
  [[ "${pids[i]}" == "$dead" ]] && die "${names[i]} exited (status $status); stopping the cluster"
done
die "a process exited (status $status); stopping the cluster"
