// What a newcomer types first: `gitfed`, `gitfed --version`, and the shell
// completion (checked by running the generated bash script in real bash).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { bashScript, fishScript, zshScript } from '../../operator/cli/completion.js';
import { COMMANDS } from '../../operator/cli/command-table.js';
import { main, type CliIO } from '../../operator/cli/main.js';
import { kubernetesVersionsTested } from '../../operator/cli/version-info.js';
import { KUBERNETES_VERSION } from '../../operator/sandbox/binaries.js';

function capture(): CliIO & { stdout: string; stderr: string } {
  const io = { stdout: '', stderr: '', cwd: process.cwd(), env: process.env, out: (t: string) => { io.stdout += t + '\n'; }, err: (t: string) => { io.stderr += t + '\n'; } };
  return io;
}

test('gitfed --version: gitfed, the Node that runs it and the Kubernetes version the sandbox tests against; exit 0', async () => {
  const io = capture();
  assert.equal(await main(['--version'], io), 0);
  const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
  assert.equal(io.stdout, `gitfed ${pkg.version}\nnode ${process.version}\nkubernetes tested: ${KUBERNETES_VERSION}\n`);
});

test('the tested Kubernetes version is read from the sandbox go.mod, which pins the binaries the tests run', () => {
  const goMod = readFileSync('operator/sandbox/kube-binaries/go.mod', 'utf8');
  assert.deepEqual(kubernetesVersionsTested(goMod), [KUBERNETES_VERSION]);
});

test('gitfed with no arguments prints the versions and every command, exit 0', async () => {
  const io = capture();
  assert.equal(await main([], io), 0);
  assert.match(io.stdout, /^gitfed \d+\.\d+\.\d+\nnode v\d+/);
  for (const name of Object.keys(COMMANDS)) assert.match(io.stdout, new RegExp(`^  ${name} +\\S`, 'm'), name);
  const bad = capture();
  assert.equal(await main(['nosuch'], bad), 2);
  assert.match(bad.stderr, /unknown command "nosuch"/);
});

/** Runs the completion function in bash as the shell would and returns the candidates. */
function bashComplete(words: string[]): string[] {
  const script = `${bashScript()}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _gitfed; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile'], { input: script, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

test('gitfed completion bash: valid bash that completes commands, flags and flag values', async () => {
  const io = capture();
  assert.equal(await main(['completion', 'bash'], io), 0);
  assert.equal(io.stdout, bashScript() + '\n');
  const syntax = spawnSync('bash', ['-n'], { input: io.stdout, encoding: 'utf8' });
  assert.equal(syntax.status, 0, syntax.stderr);
  assert.deepEqual(bashComplete(['gitfed', 'val']), ['validate']);
  assert.deepEqual(bashComplete(['gitfed', 'apply', '--pr']), ['--prune', '--prune-all']);
  assert.deepEqual(bashComplete(['gitfed', 'validate', '--output', '']), ['text', 'json', 'yaml']);
  assert.deepEqual(bashComplete(['gitfed', 'sandbox', '']), ['up', 'down', 'install']);
  assert.deepEqual(bashComplete(['gitfed', 'completion', 'f']), ['fish']);
});

test('every flag a command parses is offered by each shell script', () => {
  const zsh = zshScript();
  const fish = fishScript();
  for (const [name, spec] of Object.entries(COMMANDS)) {
    for (const flag of Object.keys(spec.flags)) {
      assert.ok(bashComplete(['gitfed', name, `--${flag}`]).includes(`--${flag}`), `bash: ${name} --${flag}`);
      assert.match(zsh, new RegExp(`'\\*?--${flag}[:']`), `zsh: ${name} --${flag}`);
      assert.match(fish, new RegExp(`__fish_seen_subcommand_from ${name}' -l ${flag}\\b`), `fish: ${name} --${flag}`);
    }
  }
});

test('gitfed completion with an unknown shell is a usage error', async () => {
  const io = capture();
  assert.equal(await main(['completion', 'tcsh'], io), 2);
  assert.match(io.stderr, /expected bash, zsh or fish, got "tcsh"/);
});

test('a command without --gce never loads the Compute Engine client library (it costs seconds and ~150 MB on every apply and run)', () => {
  // A fresh process: import every command module, as `gitfed apply` / `run` / `plan` / `status` / `doctor` do, then look at what was loaded.
  const script = `
    const { createRequire } = await import('node:module');
    const { COMMANDS } = await import('./dist/operator/cli/command-table.js');
    for (const c of Object.values(COMMANDS)) await c.load();
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('@google-cloud'));
    console.log(JSON.stringify(loaded));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), []);
});

test('no command loads @kubernetes/client-node or the age library at start (about 860 modules: half a second of every CLI run)', () => {
  // Every module a fresh process loads while importing all command modules, seen through a module hook.
  const script = `
    const { registerHooks } = await import('node:module');
    const seen = [];
    registerHooks({ load(url, ctx, next) { seen.push(url); return next(url, ctx); } });
    const { COMMANDS } = await import('./dist/operator/cli/command-table.js');
    for (const c of Object.values(COMMANDS)) await c.load();
    console.log(JSON.stringify({ total: seen.length, heavy: seen.filter((u) => /@kubernetes\\/client-node|age-encryption|@noble/.test(u)) }));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as { total: number; heavy: string[] };
  assert.deepEqual(got.heavy, []);
  assert.ok(got.total > 50, `the hook saw the command modules load (${got.total})`);
});
