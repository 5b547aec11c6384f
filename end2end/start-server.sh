#!/usr/bin/env bash
# Starts the authkit server for the Playwright tests on 127.0.0.1:3100 with a
# throwaway SQLite database. Started by playwright.config.ts (webServer).
# E2E_PROFILE=release (default: the build `make test` makes once for every check) or debug
# selects target/<profile>/authkit.
set -euo pipefail

profile="${E2E_PROFILE:-release}"
case "$profile" in
  debug|release) ;;
  *) echo "start-server.sh: E2E_PROFILE must be 'debug' or 'release', got '$profile'" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bin="target/$profile/authkit"
if [[ ! -x "$bin" ]]; then
  echo "start-server.sh: $root/$bin does not exist." >&2
  if [[ "$profile" == release ]]; then
    echo "  Build it first: make build" >&2
  else
    echo "  Build it first: cargo leptos build --split" >&2
  fi
  exit 1
fi
if [[ ! -d target/site/pkg ]]; then
  echo "start-server.sh: $root/target/site/pkg is missing; build with cargo leptos first." >&2
  exit 1
fi

# playwright.config.ts chooses the folder (the admin tests use the same database);
# started by hand, the script makes its own.
tmp="${E2E_DATA_DIR:-$(mktemp -d -t authkit-e2e.XXXXXX)}"
mkdir -p "$tmp"
echo "start-server.sh: serving $bin on 127.0.0.1:3100 with data dir $tmp" >&2

export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_ADDR=127.0.0.1:3100
export LEPTOS_SITE_PKG_DIR=pkg
export LEPTOS_OUTPUT_NAME=authkit
export DATA_DIR="$tmp"
export DATABASE_URL="sqlite://$tmp/e2e.db"
export JWT_SECRET="e2e-test-secret-not-for-production-0123456789abcdef"
export RUST_LOG=info
# The suite signs up and logs in far more often than a person would; keep the per-IP
# throttle out of its way (the API tests cover it).
export AUTH_RATE_PER_IP_PER_MINUTE=100000
export REFRESH_RATE_PER_IP_PER_MINUTE=100000
# Every page load refreshes once; quiet.spec.ts loads each page of the app (the settings
# area's three among them) within a minute in one session (the API tests cover this throttle).
export REFRESH_RATE_PER_SESSION_PER_MINUTE=100000
# Plain http on 127.0.0.1: the refresh cookie cannot be Secure here.
export COOKIE_SECURE=false
# Mail goes to a real SMTP server (Debian's aiosmtpd, from make test-tools), which stores what
# it receives in the Maildir $tmp/maildir, where the tests read it; links point here.
smtp_port=3125
export SMTP_URL="smtp://127.0.0.1:$smtp_port?tls=none"
# localhost, not 127.0.0.1: links and the passkeys relying party (an IP address cannot be one)
export PUBLIC_URL=http://localhost:3100
export MAIL_RETRY_MAX_SECS=1
/usr/bin/python3 -m aiosmtpd -n -l "127.0.0.1:$smtp_port" -c aiosmtpd.handlers.Mailbox "$tmp/maildir" &
smtp_pid=$!

# Run in the background (not exec) so the throwaway data folder is removed when
# Playwright stops the server.
"$bin" &
pid=$!
trap 'kill -TERM "$pid" "$smtp_pid" 2>/dev/null || true; wait "$pid" "$smtp_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM
wait "$pid"
