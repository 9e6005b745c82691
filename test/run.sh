#!/usr/bin/env bash
# The test command (README and .ci/run): prepare, then every test with
# Node's own runner in one run (one summary at the end). Integration tests
# start real kube-apiservers and a real git server on 127.0.0.1; each test
# file stops everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prepare.sh
export PATH="$PWD/node_modules/.bin:$PATH"
shopt -s nullglob globstar
files=(dist/test/unit/**/*.test.js dist/test/integration/**/*.test.js)
start=$(date +%s)
status=0
# One file at a time: integration files each run a sandbox of several
# apiservers, and this machine class has 2 cores.
node --test --test-concurrency=1 --test-timeout=900000 "${files[@]}" || status=$?
echo "==> all tests took $(( $(date +%s) - start ))s"
exit $status
