#!/usr/bin/env bash
# Installs what the browser and cluster tests need beyond scripts/install-tools.sh, from apt,
# skipping whatever is present:
# - Debian's Chromium at /usr/bin/chromium (Playwright never downloads a browser here);
# - PostgreSQL's server binaries (/usr/lib/postgresql/*/bin/initdb), for scripts/pg.sh;
# - nginx (nginx-light), the load balancer of scripts/cluster.sh.
# - python3-aiosmtpd, the real SMTP server the mail tests send to (run with /usr/bin/python3).
# - faketime (libfaketime), which runs one instance of a cluster test under a skewed clock.
set -euo pipefail

say() { printf '==> %s\n' "$*"; }

have_postgres() { compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; }
have_nginx() { command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]]; }
have_aiosmtpd() { /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; }
have_faketime() { compgen -G '/usr/lib/*/faketime/libfaketimeMT.so.1' >/dev/null; }

missing=()
if [[ -x /usr/bin/chromium ]]; then
  say "chromium: already installed (/usr/bin/chromium)"
else
  missing+=(chromium)
fi
if have_postgres; then
  say "postgresql: already installed ($(compgen -G '/usr/lib/postgresql/*/bin/initdb' | sort -V | tail -n 1))"
else
  missing+=(postgresql)
fi
if have_nginx; then
  say "nginx: already installed ($(command -v nginx || echo /usr/sbin/nginx))"
else
  missing+=(nginx-light)
fi
if have_aiosmtpd; then
  say "aiosmtpd: already installed (/usr/bin/python3 -m aiosmtpd)"
else
  missing+=(python3-aiosmtpd)
fi
if have_faketime; then
  say "faketime: already installed ($(compgen -G '/usr/lib/*/faketime/libfaketimeMT.so.1' | head -n 1))"
else
  missing+=(faketime)
fi
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
  sudo=()
elif command -v sudo >/dev/null; then
  sudo=(sudo)
else
  echo "install-test-tools.sh: not root and no sudo; install them yourself: apt-get install -y ${missing[*]}" >&2
  exit 1
fi

# The packages' install scripts would start a system-wide nginx (port 80) and PostgreSQL
# (port 5432); the tests start their own. policy-rc.d exiting 101 tells invoke-rc.d not to
# start services; put one in place only for this install, and only if there is none.
policy=/usr/sbin/policy-rc.d
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\n# temporary, from authkit scripts/install-test-tools.sh\nexit 101\n' \
    | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 755 "$policy"
  trap '"${sudo[@]}" rm -f "$policy"' EXIT
fi

say "installing from apt: ${missing[*]} (chromium alone takes ~35 s)"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y "${missing[@]}"

[[ -x /usr/bin/chromium ]] || { echo "install-test-tools.sh: /usr/bin/chromium still missing after apt-get" >&2; exit 1; }
have_postgres || { echo "install-test-tools.sh: /usr/lib/postgresql/*/bin/initdb still missing after apt-get" >&2; exit 1; }
have_nginx || { echo "install-test-tools.sh: nginx still missing after apt-get" >&2; exit 1; }
have_aiosmtpd || { echo "install-test-tools.sh: aiosmtpd still missing after apt-get" >&2; exit 1; }
say "installed: ${missing[*]}"
