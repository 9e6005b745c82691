// `gitfed run --shards 2` with a RolloutPolicy: two real operator processes
// split three real clusters, and the waves still go one after the other. The
// leader steps the waves from every shard's gates (the other replica judges
// its own clusters and publishes the verdict with the revision they are at)
// and publishes where the rollout stands next to the allocations; the other
// replica writes the new revision only to the clusters the rollout reached,
// and keeps the stable revision on the others until their wave.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { assignClusters } from '../../operator/core/shard-assignment.js';
import { short } from '../../operator/report/status-tree.js';
import { admin, CLUSTERS, fleetRepo, sh, statusLog } from '../helpers/fleet-repo.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';

const work = await mkdtemp(join(tmpdir(), 'gitfed-shards-rollout-'));
after(() => rm(work, { recursive: true, force: true }));

const configMap = (ns: string, v: string) => [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: ns }, data: { version: v } },
];

/** Two `gitfed run --shards 2` replicas over three clusters, the canary held by r1; v1 rolled out everywhere and recorded. */
async function shardedRollout(name: string, bake: string) {
  // No controllers: the fleet is a ConfigMap, so "at target" is the gate (applied and unchanged).
  const sb = await sandbox({ clusters: 3, controllers: false });
  const ns = uniqueNamespace(name);
  const ids = ['r0', 'r1'];
  const owners = assignClusters(CLUSTERS, ids);
  // The canary is a cluster of r1; the rest wave then holds at least one cluster of r0: both replicas take part, whichever leads.
  const canary = CLUSTERS.find((c) => owners.get(c) === 'r1')!;
  assert.ok(CLUSTERS.some((c) => c !== canary && owners.get(c) === 'r0'), `r0 holds one of the rest: ${JSON.stringify([...owners])}`);
  const policy = {
    apiVersion: 'gitfed.io/v1alpha1', kind: 'RolloutPolicy', metadata: { name: 'waves' },
    spec: {
      waves: [{ name: 'canary', clusters: { names: [canary] }, bake }, { name: 'rest', clusters: { matchLabels: {} } }],
      gates: { readyReplicas: true, readyEndpoints: true }, progressDeadline: '120s', onFailure: 'revert',
    },
  };
  const repo = await fleetRepo(sb, work, name, ns, { files: { 'manifests/app.yaml': configMap(ns, 'v1'), 'policies/placement.yaml': [], 'policies/rollout.yaml': [policy] } });
  const first = sh(repo.clone, 'rev-parse', 'HEAD').trim();
  const prefix = uniqueNamespace('gfr');
  const logs: Record<string, string> = {};
  const procs: Record<string, ChildProcess> = {};
  const version = async (c: string) => {
    const h = admin(sb, c);
    try { return (await h.request<any>({ path: `/api/v1/namespaces/${ns}/configmaps/app` })).body?.data?.version as string | undefined; } finally { h.close(); }
  };
  const versions = async () => Object.fromEntries(await Promise.all(CLUSTERS.map(async (c) => [c, await version(c)] as const))) as Record<string, string | undefined>;
  const failWith = (e: Error): never => {
    let status: string[] = [];
    try { status = statusLog(work, repo.url); } catch { /* no status branch yet */ }
    const said = (id: string) => (logs[id] ?? '').split('\n').filter((l) => !l.includes('"msg":"cluster reconciled"')).slice(-25).join('\n');
    throw new Error(`${e.message}\nstatus commits:\n${status.join('\n')}\n${ids.map((id) => `${id}:\n${said(id)}`).join('\n')}`);
  };
  for (const id of ids) {
    logs[id] = '';
    const p = spawn(process.execPath, ['bin/gitfed.js', 'run', '--repo', repo.url, '--kubeconfig', sb.kubeconfig, '--interval', '1s', '--listen', '127.0.0.1:0',
      '--shards', '2', '--replica-id', id, '--lease-context', CLUSTERS[0]!, '--lease-name', prefix, '--lease-duration', '3s',
      '--work-dir', join(work, `wd-${name}-${id}`), '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr!.on('data', (d) => { logs[id] += d.toString(); });
    procs[id] = p;
  }
  const stop = () => { for (const p of Object.values(procs)) p.kill('SIGKILL'); };
  try {
    // The first revision goes out in waves too (the clusters not reached yet get nothing), then it is the stable revision.
    await waitUntil('v1 in every cluster', 180_000, async () => Object.values(await versions()).every((v) => v === 'v1') || undefined, 250).catch(failWith);
    await waitUntil(`the status commit for ${short(first)}`, 120_000, async () => statusLog(work, repo.url).some((s) => s.includes(short(first))) || undefined, 500).catch(failWith);
  } catch (e) {
    stop();
    throw e;
  }
  /** Polls every cluster until all are at v2: the sets of clusters at v2, each time it changed ('' before the push). */
  const watchV2 = async () => {
    const snapshots: string[] = [''];
    await waitUntil('v2 in every cluster', 180_000, async () => {
      const v = await versions();
      const at = CLUSTERS.filter((c) => v[c] === 'v2').join(',');
      if (snapshots[snapshots.length - 1] !== at) snapshots.push(at);
      return CLUSTERS.every((c) => v[c] === 'v2') || undefined;
    }, 100).catch(failWith);
    return snapshots;
  };
  const wavesPassed = async (rev: string) => {
    const log = await waitUntil('the last wave passed in a status commit', 60_000, async () => { const l = statusLog(work, repo.url); return l.some((s) => s === `rollout: ${short(rev)} wave rest passed (3/3 clusters)`) && l; }, 500).catch(failWith);
    return { log, passed: [...log].reverse().filter((s) => s.startsWith(`rollout: ${short(rev)} wave`) && s.includes(' passed')) };
  };
  const leader = () => ids.find((id) => /"msg":"became leader"/.test(logs[id]!));
  return { sb, ns, ids, owners, canary, repo, logs, procs, stop, failWith, versions, watchV2, wavesPassed, leader };
}

test('--shards 2 with a RolloutPolicy: the canary (held by one replica) gets the revision first, the clusters of the other replica only after the canary baked; one writer steps the waves', async () => {
  const f = await shardedRollout('shroll', '3s');
  try {
    const rev = f.repo.push('manifests/app.yaml', configMap(f.ns, 'v2').map((o) => stringify(o)).join('---\n'), 'v2');
    const snapshots = await f.watchV2();
    // Ordering, not timing: the canary alone (the others still at v1), then more.
    assert.equal(snapshots[1], f.canary, `the canary alone first: ${snapshots.join(' | ')}`);
    // The leader's status commits tell the waves, in order, once each.
    const { log, passed } = await f.wavesPassed(rev);
    assert.deepEqual(passed, [`rollout: ${short(rev)} wave canary passed (1/3 clusters)`, `rollout: ${short(rev)} wave rest passed (3/3 clusters)`], log.join('\n'));
    // The canary baked before it passed: the rest waited for it.
    const mine = [...log].reverse().filter((x) => x.includes(short(rev)));
    const baking = mine.findIndex((x) => x.includes('wave canary baking'));
    assert.ok(baking >= 0 && baking < mine.indexOf(`rollout: ${short(rev)} wave canary passed (1/3 clusters)`), mine.join('\n'));
    // Each cluster written by the replica that holds it, never by the other.
    for (const c of CLUSTERS) {
      const by = f.ids.filter((id) => f.logs[id]!.split('\n').some((l) => l.includes('"msg":"cluster reconciled"') && l.includes(`"cluster":"${c}"`) && l.includes(`"revision":"${rev}"`)));
      assert.deepEqual(by, [f.owners.get(c)], `${c} reconciled at ${short(rev)} by ${by.join(', ')}`);
    }
  } finally {
    f.stop();
  }
});

test('--shards 2 with a RolloutPolicy: the leader killed while the canary bakes; the other replica takes its clusters and the lead, and goes on with the same rollout (no wave skipped, nothing reverted, each wave passed once)', async () => {
  const f = await shardedRollout('shrollha', '30s');
  try {
    const leader = await waitUntil('a leader', 30_000, async () => f.leader()).catch(f.failWith);
    const survivor = f.ids.find((id) => id !== leader)!;
    const rev = f.repo.push('manifests/app.yaml', configMap(f.ns, 'v2').map((o) => stringify(o)).join('---\n'), 'v2');
    // Kill the leader once the canary has the revision and its bake is on record (a status commit), the rest still at v1.
    await waitUntil('the canary baking in a status commit', 120_000, async () => statusLog(work, f.repo.url).some((s) => s.includes(short(rev)) && s.includes('wave canary baking')) || undefined, 250).catch(f.failWith);
    const before = await f.versions();
    assert.deepEqual(CLUSTERS.filter((c) => before[c] === 'v2'), [f.canary], JSON.stringify(before));
    f.procs[leader]!.kill('SIGKILL');
    const since = f.logs[survivor]!.length;
    const afterKill = () => f.logs[survivor]!.slice(since).split('\n');
    // Ordering, not timing: from the canary alone to every cluster; no cluster went back to v1 on the way.
    const snapshots = await f.watchV2();
    const sets = snapshots.slice(1).map((x) => x.split(','));
    assert.deepEqual(sets[0], [f.canary], `the sets of clusters at v2 after the kill: ${snapshots.join(' | ')}`);
    assert.ok(sets.every((x, i) => i === 0 || sets[i - 1]!.every((c) => x.includes(c))), `only grew: ${snapshots.join(' | ')}`);
    assert.ok(afterKill().some((l) => l.includes('"msg":"became leader"')), 'the survivor took the lead');
    const { log, passed } = await f.wavesPassed(rev);
    // Each wave passed once: the new leader went on from where the rollout stood (the canary's bake), it did not start again or skip it.
    assert.deepEqual(passed, [`rollout: ${short(rev)} wave canary passed (1/3 clusters)`, `rollout: ${short(rev)} wave rest passed (3/3 clusters)`], log.join('\n'));
    // The dead replica's clusters moved to the survivor (it held them when their wave came: they were at v1 when it died).
    for (const c of CLUSTERS.filter((x) => f.owners.get(x) === leader)) {
      assert.ok(afterKill().some((l) => l.includes('"msg":"cluster acquired"') && l.includes(`"cluster":"${c}"`)), `${survivor} acquired ${c}`);
    }
    assert.ok(!log.some((s) => s.includes(short(rev)) && /revert|failed/.test(s)), log.join('\n'));
  } finally {
    f.stop();
  }
});
