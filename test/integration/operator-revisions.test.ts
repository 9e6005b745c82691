// Which revision counts as applied, and gitfed's own state in Git: a revision
// that fails validation inside render never becomes the last good one; an
// invalid allocations.yaml is rebuilt from the clusters; git notes survive a
// restart (they are fetched and appended, never force-pushed).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLogger } from '../../operator/loop/logger.js';
import { Metrics } from '../../operator/loop/metrics.js';
import { Operator } from '../../operator/loop/operator.js';
import { gitEnds } from '../../operator/loop/sources.js';
import type { Sandbox } from '../../operator/sandbox/index.js';
import { admin, fleetRepo, noteOf, replicas, scaleByHand, sh, statusFile, statusLog } from '../helpers/fleet-repo.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';

const work = await mkdtemp(join(tmpdir(), 'gitfed-oprev-'));
after(() => rm(work, { recursive: true, force: true }));
const HEAL = { 'policies/drift.yaml': [{ apiVersion: 'gitfed.io/v1alpha1', kind: 'DriftPolicy', metadata: { name: 'default' }, spec: { mode: 'heal' } }] };

function operatorFor(sb: Sandbox, url: string, workDir: string): Operator {
  const ends = gitEnds({ url, branch: 'main', statusBranch: 'gitfed/status', workDir: join(work, workDir), author: { name: 'gitfed', email: 'gitfed@localhost' } });
  return new Operator({ ...ends, kubeconfig: sb.kubeconfig, prune: true, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), metrics: new Metrics(), probeTimeoutMs: 2000 });
}

function runOnce(sb: Sandbox, url: string, workDir: string): Promise<number | null> {
  const p = spawn(process.execPath, ['bin/gitfed.js', 'run', '--repo', url, '--kubeconfig', sb.kubeconfig, '--once', '--listen', '127.0.0.1:0', '--work-dir', join(work, workDir), '--log-format', 'json'], { stdio: 'ignore' });
  return new Promise((r) => p.once('exit', r));
}

async function nodePorts(sb: Sandbox, ns: string): Promise<number[]> {
  return Promise.all(sb.clusters.map(async (c) => {
    const h = admin(sb, c.name);
    try { return (await h.request<any>({ path: `/api/v1/namespaces/${ns}/services/web` })).body.spec.ports[0].nodePort; } finally { h.close(); }
  }));
}

test('operator: a revision that fails validation inside render is not applied, the status says so, --once exits 1, and the previous revision keeps being healed', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('render-fail');
  const repo = await fleetRepo(sb, work, 'op-render-fail', ns, { files: HEAL });
  const op = operatorFor(sb, repo.url, 'render-fail-op');
  try {
    const good = await op.tick();
    assert.equal(good.applied, true, good.error);
    // Loads fine, but render refuses it: a Service behind a GCE Ingress must be NodePort.
    const app = await readFile(join(repo.clone, 'manifests/app.yaml'), 'utf8');
    const bad = repo.push('manifests/app.yaml', app.replace('type: NodePort', 'type: ClusterIP').replace('replicas: 6', 'replicas: 9'), 'ClusterIP behind an Ingress');
    const r = await op.tick();
    assert.equal(r.applied, false);
    assert.match(r.notApplied ?? '', /ClusterIP/);
    assert.match(statusLog(work, repo.url)[0]!, new RegExp(`^status: ${bad.slice(0, 7)} not applied: manifests\\/app\\.yaml:\\d+:\\d+: error: .*backs Ingress.*; ${good.revision!.slice(0, 7)} stays applied$`));
    assert.equal(statusFile(work, repo.url, 'clusters.yaml').appliedRevision, good.revision, 'the applied revision is still the good one');
    assert.deepEqual(await replicas(sb, ns), [2, 2, 2], 'nothing of the bad revision was applied');
    // The good revision is still the one healed.
    await scaleByHand(sb, 'us-east1', ns, 7);
    const healed = await op.tick();
    assert.equal(healed.applied, false);
    assert.deepEqual(await replicas(sb, ns), [2, 2, 2], 'drift healed back to the last good revision');
    assert.equal(await runOnce(sb, repo.url, 'render-fail-once'), 1, 'run --once exits 1 on a revision it could not apply');
  } finally {
    op.close();
  }
});

test('operator: a malformed allocations.yaml on the status branch is reported and rebuilt from the clusters; node ports and the GLBC uid stay', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('alloc');
  const repo = await fleetRepo(sb, work, 'op-alloc', ns);
  const first = operatorFor(sb, repo.url, 'alloc-op-1');
  try { assert.equal((await first.tick()).applied, true); } finally { first.close(); }
  const ports = await nodePorts(sb, ns);
  const before = statusFile(work, repo.url, 'allocations.yaml');
  // Someone breaks gitfed's file on the status branch.
  const dir = join(work, 'alloc-break');
  sh(work, 'clone', '-q', '-b', 'gitfed/status', repo.url, dir);
  await writeFile(join(dir, 'allocations.yaml'), 'nodePorts: [unclosed\n  glbc: {{\n');
  sh(dir, 'commit', '-q', '-am', 'oops');
  sh(dir, 'push', '-q', 'origin', 'gitfed/status');
  // A restart reads it back: the tick must still run.
  const op = operatorFor(sb, repo.url, 'alloc-op-2');
  try {
    const r = await op.tick();
    assert.equal(r.error, undefined);
    assert.equal(r.applied, true);
    assert.deepEqual(await nodePorts(sb, ns), ports, 'node ports kept (rebuilt from the live Services)');
    const after2 = statusFile(work, repo.url, 'allocations.yaml');
    assert.deepEqual(after2, before, 'allocations.yaml is valid again, with the same node ports and GLBC uid');
    const errors = statusFile(work, repo.url, 'errors.yaml').errors;
    assert.ok(errors.some((e: any) => e.code === 'AllocationsInvalid' && /allocations\.yaml/.test(e.where)), 'the status says allocations.yaml was invalid');
    assert.equal((await op.tick()).error, undefined, 'and the next tick runs too');
  } finally {
    op.close();
  }
});

test('operator: git notes survive a restart: the second process appends to the remote notes instead of replacing them', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('notes');
  const repo = await fleetRepo(sb, work, 'op-notes', ns);
  const rev1 = sh(repo.clone, 'rev-parse', 'HEAD').trim();
  assert.equal(await runOnce(sb, repo.url, 'notes-a'), 0);
  const rev2 = repo.push('manifests/app.yaml', (await readFile(join(repo.clone, 'manifests/app.yaml'), 'utf8')).replace('replicas: 6', 'replicas: 3'), 'scale');
  // Another process with an empty cache (a restart, or a new leader).
  assert.equal(await runOnce(sb, repo.url, 'notes-b'), 0);
  await waitUntil('both notes', 10_000, async () => noteOf(work, repo.url, rev2) !== undefined || undefined);
  assert.match(noteOf(work, repo.url, rev1) ?? '', new RegExp(`^status: ${rev1.slice(0, 7)} applied to 3/3 clusters$`));
  assert.match(noteOf(work, repo.url, rev2) ?? '', new RegExp(`^status: ${rev2.slice(0, 7)} applied to 3/3 clusters$`));
});

test('status writer: a --status-dir that already holds other files of the watched branch is refused, and nothing of it is replaced', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('foreign');
  const repo = await fleetRepo(sb, work, 'op-foreign', ns);
  const head = repo.push('docs/guide.md', '# our docs\n', 'docs');
  const ends = gitEnds({ url: repo.url, branch: 'main', statusBranch: 'unused', statusDir: 'docs', workDir: join(work, 'foreign-op'), author: { name: 'gitfed', email: 'gitfed@localhost' } });
  await assert.rejects(ends.sink.write(new Map([['README.md', 'status\n']]), 'status: x'), /directory docs of branch main holds files gitfed did not write/);
  assert.equal(sh(repo.clone, 'ls-remote', repo.url, 'refs/heads/main').split('\t')[0], head, 'main did not move');
});
