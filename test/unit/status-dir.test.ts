// --status-dir is replaced wholesale on every update, so only a fresh
// directory or one gitfed marked as its own is accepted; `.`, the fleet root,
// .git and directories with other files are refused with a clear error.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readFleetDir } from '../../operator/load/read-dir.js';
import { DEFAULT_LIMITS } from '../../operator/load/index.js';
import { checkStatusDir, checkStatusSubdir, replaceStatusDir, StatusDirRefused } from '../../operator/loop/status-dir.js';

const root = await mkdtemp(join(tmpdir(), 'gitfed-statusdir-'));
after(() => rm(root, { recursive: true, force: true }));
const fleet = join(root, 'checkout');
await mkdir(join(fleet, 'manifests'), { recursive: true });
await mkdir(join(fleet, '.git'), { recursive: true });
await writeFile(join(fleet, 'manifests', 'a.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: a }\n');
await writeFile(join(fleet, 'README.md'), 'mine\n');

test('status dir: ., the fleet root, a parent of it, .git, a fleet directory or a directory with other files are refused', async () => {
  for (const bad of [fleet, root, join(fleet, '.git'), join(fleet, '.git', 'x'), join(fleet, 'manifests'), join(fleet, 'manifests', 'status')]) {
    await assert.rejects(checkStatusDir(fleet, bad), StatusDirRefused, bad);
  }
  const foreign = join(root, 'docs');
  await mkdir(foreign);
  await writeFile(join(foreign, 'notes.md'), 'keep me\n');
  await assert.rejects(checkStatusDir(fleet, foreign), /holds files gitfed did not write/);
  await assert.rejects(replaceStatusDir(foreign, new Map([['README.md', 'x']]), 'status'), StatusDirRefused);
  assert.deepEqual(await readdir(foreign), ['notes.md'], 'nothing deleted');
});

test('status dir: a new, an empty or a gitfed-marked directory is accepted and replaced', async () => {
  await checkStatusDir(fleet, join(fleet, '.gitfed-status'));
  const empty = join(root, 'empty');
  await mkdir(empty);
  await checkStatusDir(fleet, empty);
  await replaceStatusDir(empty, new Map([['.gitfed-owned', 'x\n'], ['README.md', 'one\n']]), 'status: one');
  await checkStatusDir(fleet, empty);
  await replaceStatusDir(empty, new Map([['.gitfed-owned', 'x\n'], ['clusters.yaml', 'two\n']]), 'status: two');
  assert.deepEqual((await readdir(empty)).sort(), ['.gitfed-owned', 'COMMIT_MESSAGE', 'clusters.yaml']);
});

test('status dir: with --repo it is one top-level name that is neither .git nor part of the fleet', () => {
  for (const bad of ['.', '..', '', 'a/b', '.git', '.GIT', 'manifests', 'clusters', 'policies']) assert.throws(() => checkStatusSubdir(bad), StatusDirRefused, bad);
  assert.throws(() => checkStatusSubdir('envs', 'envs/prod'), /holds the fleet/);
  checkStatusSubdir('.gitfed-status');
  checkStatusSubdir('manifests', 'envs/prod');
});

test('gitfed run --dir DIR --status-dir DIR (or .) is refused with exit 2 and the checkout is intact', () => {
  for (const statusDir of [fleet, '.']) {
    const r = spawnSync(process.execPath, [join(process.cwd(), 'bin/gitfed.js'), 'run', '--dir', fleet, '--status-dir', statusDir, '--kubeconfig', join(root, 'none'), '--once'], { cwd: fleet, encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--status-dir .*is the fleet directory itself/);
  }
  const r = spawnSync(process.execPath, [join(process.cwd(), 'bin/gitfed.js'), 'run', '--repo', 'http://127.0.0.1:9/x.git', '--status-dir', '.git', '--kubeconfig', join(root, 'none'), '--once'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /--status-dir \.git: is git's own directory/);
});

test('read-dir: more fleet files than the limit is an error, never a partial fleet', async () => {
  const r = await readFleetDir(fleet, { ...DEFAULT_LIMITS, maxFiles: 0 });
  assert.ok(r.findings.some((f) => f.code === 'TooManyFiles' && f.severity === 'error'));
  const ok = await readFleetDir(fleet, { ...DEFAULT_LIMITS, maxFiles: 1 });
  assert.deepEqual(ok.findings, []);
});
