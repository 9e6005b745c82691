#!/usr/bin/env bash
# Gets a fresh checkout ready: npm dependencies (with the pinned Node 22),
# the compiled TypeScript, and the sandbox's Kubernetes binaries (built once
# per machine into the user's cache directory, outside the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci (first run: installs dependencies and a pinned Node 22)"
  npm ci --no-audit --no-fund
fi
export PATH="$PWD/node_modules/.bin:$PATH"
echo "==> compiling TypeScript ($(node --version))"
tsc -p tsconfig.json
if [ "${GITFED_SKIP_SANDBOX_INSTALL:-}" != "1" ]; then
  node bin/gitfed.js sandbox install
fi
