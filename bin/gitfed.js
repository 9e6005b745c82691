#!/usr/bin/env node
// Entry point installed as `gitfed`; the compiled CLI lives in dist/.
import('../dist/operator/cli/main.js').then((m) => m.main(process.argv.slice(2))).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err?.stack ?? String(err)); process.exitCode = 1; },
);
