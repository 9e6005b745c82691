// A git server that accepts connections and never answers: every git call
// times out (--git-timeout), the tick's git stage fails alone (clusters are
// still observed and healed from the last good revision), and /readyz turns
// 503 with a metric saying why when no tick completes for 3 intervals.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createLogger } from '../../operator/loop/logger.js';
import { Metrics } from '../../operator/loop/metrics.js';
import { Operator } from '../../operator/loop/operator.js';
import type { TickResult } from '../../operator/loop/operator-types.js';
import { gitEnds } from '../../operator/loop/sources.js';
import { fleetRepo, replicas, scaleByHand, statusLog } from '../helpers/fleet-repo.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';
import { startStallProxy } from '../helpers/stall-proxy.js';

const work = await mkdtemp(join(tmpdir(), 'gitfed-stall-'));
after(() => rm(work, { recursive: true, force: true }));
const HEAL = { 'policies/drift.yaml': [{ apiVersion: 'gitfed.io/v1alpha1', kind: 'DriftPolicy', metadata: { name: 'default' }, spec: { mode: 'heal' } }] };

/** Fails the test instead of hanging it when a tick never returns. */
function bounded(p: Promise<TickResult>, ms: number): Promise<TickResult> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the tick did not return within ${ms} ms`)), ms).unref())]);
}

test('operator: a stalled git server fails only the git stage: the tick returns, drift is healed from the last good revision, and it recovers', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('stall');
  const repo = await fleetRepo(sb, work, 'op-stall', ns, { files: HEAL });
  const proxy = await startStallProxy(Number(new URL(sb.git.baseUrl).port));
  const ends = gitEnds({ url: proxy.url(repo.url), branch: 'main', statusBranch: 'gitfed/status', workDir: join(work, 'stall-op'), author: { name: 'gitfed', email: 'gitfed@localhost' }, gitTimeoutMs: 1500 });
  const op = new Operator({ ...ends, kubeconfig: sb.kubeconfig, prune: true, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), metrics: new Metrics(), probeTimeoutMs: 2000 });
  try {
    assert.equal((await op.tick()).applied, true);
    proxy.stall(true);
    await scaleByHand(sb, 'asia-east1', ns, 9);
    const r = await bounded(op.tick(), 60_000);
    assert.match(r.gitError ?? '', /did not answer within 1\.5s/);
    assert.equal(r.statusCommitted, false);
    assert.ok(r.result, 'the clusters stage ran');
    assert.deepEqual(await replicas(sb, ns), [2, 2, 2], 'drift healed while git hangs');
    proxy.stall(false);
    const rev = repo.push('manifests/app.yaml', (await readFile(join(repo.clone, 'manifests/app.yaml'), 'utf8')).replace('replicas: 6', 'replicas: 9'), 'scale');
    const back = await bounded(op.tick(), 60_000);
    assert.equal(back.gitError, undefined);
    assert.equal(back.applied, true);
    assert.deepEqual(await replicas(sb, ns), [3, 3, 3]);
    assert.match(statusLog(work, repo.url)[0]!, new RegExp(`^status: ${rev.slice(0, 7)} applied to 3/3 clusters$`));
  } finally {
    op.close();
    await proxy.close();
  }
});

test('gitfed run: /readyz turns 503 (reason stalled in /metrics) when no tick completes for 3 intervals, and ready again once git answers', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('stall-ready');
  const repo = await fleetRepo(sb, work, 'op-stall-ready', ns);
  const proxy = await startStallProxy(Number(new URL(sb.git.baseUrl).port));
  let logs = '';
  const p = spawn(process.execPath, ['bin/gitfed.js', 'run', '--repo', proxy.url(repo.url), '--kubeconfig', sb.kubeconfig, '--interval', '1s', '--git-timeout', '8s',
    '--listen', '127.0.0.1:0', '--work-dir', join(work, 'stall-ready-op'), '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
  p.stderr!.on('data', (d) => { logs += d.toString(); });
  try {
    const url = await waitUntil('the operator listens', 20_000, async () => /"listen":"(http:[^"]+)"/.exec(logs)?.[1]);
    const readyz = async () => { const r = await fetch(`${url}/readyz`); return { status: r.status, text: await r.text() }; };
    // The warning is the line after "started"; a pipe may hand them over in two chunks.
    await waitUntil('said loudly at start', 10_000, async () => /"level":"warn","msg":"no --webhook-secret-file: \/webhook accepts unsigned requests/.test(logs) || undefined);
    await waitUntil('ready after the first tick', 30_000, async () => (await readyz()).status === 200 || undefined);
    const metrics0 = await (await fetch(`${url}/metrics`)).text();
    assert.match(metrics0, /^gitfed_last_tick_completed_timestamp_seconds \d/m);
    assert.match(metrics0, /^gitfed_not_ready\{reason="stalled"\} 0$/m);
    // The process's own memory, as every Node service exports it (what a cluster costs).
    const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(metrics0)?.[1]);
    assert.ok(rss > 10 * 1048576, `process_resident_memory_bytes ${rss}`);
    assert.match(metrics0, /^nodejs_heap_size_used_bytes \d+/m);
    proxy.stall(true);
    const stalled = await waitUntil('not ready while the tick hangs on git', 20_000, async () => { const r = await readyz(); return r.status === 503 ? r : undefined; });
    assert.match(stalled.text, /no tick has completed for/);
    assert.match(await (await fetch(`${url}/metrics`)).text(), /^gitfed_not_ready\{reason="stalled"\} 1$/m);
    assert.equal((await fetch(`${url}/healthz`)).status, 200, 'alive, just not ready');
    proxy.stall(false);
    await waitUntil('ready again once the git call timed out and git answers', 40_000, async () => (await readyz()).status === 200 || undefined, 250);
  } finally {
    p.kill('SIGKILL');
    await proxy.close();
  }
});
