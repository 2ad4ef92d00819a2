#!/usr/bin/env bash
# Install Debian's chromium for tests/test_browser.py when it is missing (idempotent, quiet).
# Playwright drives this system browser; never run `playwright install`, which downloads its own.
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core; } >"$log" 2>&1; then
  echo "browser_setup: installing chromium failed:" >&2
  cat "$log" >&2
  exit 1
fi
echo "browser_setup: installed $(/usr/bin/chromium --version 2>/dev/null)"
