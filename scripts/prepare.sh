#!/usr/bin/env bash
# Gets a fresh checkout ready: npm dependencies (with the pinned Node 22),
# the compiled TypeScript, and the sandbox's Kubernetes binaries (built once
# per machine into the user's cache directory, outside the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci (first run: installs dependencies and a pinned Node 22)"
  # npm itself runs under the machine's node. When that one is older than 22,
  # every dependency that needs 22 prints an EBADENGINE warning, although
  # gitfed never runs on that node (it runs on the pinned one installed by
  # this very step): only errors are shown then.
  if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)" -lt 22 ]; then
    npm ci --no-audit --no-fund --loglevel=error
  else
    npm ci --no-audit --no-fund
  fi
fi
export PATH="$PWD/node_modules/.bin:$PATH"
# Said once, plainly: which node runs gitfed, and which one the machine has.
machine_node="$(PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -v -e '/node_modules/\.bin$' -e 'node-gyp-bin' | paste -sd:)" node --version 2>/dev/null || echo 'none')"
echo "==> gitfed runs on Node $(node --version) from node_modules/.bin (pinned in package.json; this machine's own node: $machine_node)"
echo "==> compiling TypeScript"
tsc -p tsconfig.json
if [ "${GITFED_SKIP_SANDBOX_INSTALL:-}" != "1" ]; then
  node bin/gitfed.js sandbox install
fi
