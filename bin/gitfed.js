#!/usr/bin/env node
// Entry point installed as `gitfed`; the compiled CLI lives in dist/.
// gitfed and its dependencies need Node 22+: say so plainly instead of
// failing somewhere inside a dependency.
const major = Number(process.versions.node.split('.')[0]);
if (major < 22) {
  console.error(`gitfed needs Node 22 or newer, but ${process.execPath} is ${process.version}.\n` +
    'In a checkout of gitfed, `npm ci` installs a pinned Node 22 into node_modules/.bin and `npx gitfed` runs on it.');
  process.exit(1);
}
// V8's code cache on disk (Node's own, in the OS temp dir; NODE_DISABLE_COMPILE_CACHE=1
// turns it off): a one-shot command spends a third of its time compiling modules.
import('node:module').then((m) => m.enableCompileCache?.()).catch(() => undefined)
  .then(() => import('../dist/operator/cli/main.js')).then((m) => m.main(process.argv.slice(2))).then(
  (code) => { process.exitCode = code; },
  (err) => { console.error(err?.stack ?? String(err)); process.exitCode = 1; },
);
