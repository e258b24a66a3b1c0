#!/usr/bin/env bash
# Install JupyterHub's proxy, configurable-http-proxy (pinned), from npm into hub/.proxy/.
# Needs Node.js >= 18 and npm (Debian: apt-get install nodejs npm). Idempotent; prints the
# proxy's path. `python3 course.py hub` and .ci/run call it; JupyterHub finds it there.
set -euo pipefail
CHP_VERSION=5.3.0
here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/.proxy/node_modules/.bin/configurable-http-proxy"
if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "$CHP_VERSION" ]; then
  echo "$bin"; exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm) >/dev/null 2>&1 || true
  fi
  command -v npm >/dev/null 2>&1 || { echo "[hub] npm not found: install Node.js and npm first" >&2; exit 1; }
fi
mkdir -p "$here/.proxy"
npm install --silent --no-audit --no-fund --prefix "$here/.proxy" "configurable-http-proxy@$CHP_VERSION" >&2
"$bin" --version >/dev/null
echo "$bin"
