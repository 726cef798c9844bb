#!/bin/sh
# Builds the web console with the system's Node.js and npm into $1 (the Maven build passes
# target/classes/io/lumadb/console, so the files land in the node's jar). Fast when nothing
# changed: `npm ci` runs only when package-lock.json differs from the one node_modules was
# installed from, and the build only when a source is newer than the built index.html.
set -eu
out="$1"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "ERROR: the web console (console/) is built with the system's Node.js 20+ and npm, which are not on the PATH." >&2
  echo "ERROR: install them (Debian/Ubuntu: apt-get install nodejs npm) and build again." >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "ERROR: the web console needs Node.js 20 or newer; $(command -v node) is $(node --version)." >&2
  exit 1
fi
cd "$(dirname "$0")"

stamp=node_modules/.lumadb-installed-from-package-lock.json
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  # Browsers for the console's tests come from the system (chromium), never from a download.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi

if [ -f "$out/index.html" ] && [ -z "$(find src public index.html package.json package-lock.json vite.config.ts tsconfig.json -newer "$out/index.html" -print 2>/dev/null | head -n 1)" ]; then
  echo "console: up to date ($out)"
  exit 0
fi
LUMADB_CONSOLE_OUT="$out" npm run build
