// `gitfed run --shards 3`: three real operator processes split six real
// clusters. Each cluster is worked on by exactly one replica (the holder of
// its Lease), every cluster gets the same node port (the leader's published
// allocations), one status commit per change (the leader writes Git from
// every shard's report); a SIGKILLed replica's clusters are taken by the
// others within the lease duration, also when it is the leader (another
// replica leads); a replica joining takes its share and only that; no
// cluster is ever held by two replicas at once.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { assignClusters } from '../../operator/core/shard-assignment.js';
import { short } from '../../operator/report/status-tree.js';
import { admin, fleetRepo, sh, statusLog, statusPatches } from '../helpers/fleet-repo.js';
import { web } from '../helpers/fleet-dir.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';

const work = await mkdtemp(join(tmpdir(), 'gitfed-shards-'));
after(() => rm(work, { recursive: true, force: true }));

const LEASE_S = 3;
/** A takeover: the lease duration, plus the survivor's next tick (1 s apart, but a tick itself takes seconds on a loaded machine) and a renew period. */
const TAKEOVER_MS = LEASE_S * 1000 + 6000;

interface LogLine { time: string; msg: string; cluster?: string; at?: number; revision?: string }

test('--shards 3 over 6 clusters: one replica per cluster, one status commit per change; a killed replica\'s (also the leader\'s) clusters move within the lease duration, a joining replica takes only its share, never held twice', async () => {
  const sb = await sandbox({ clusters: 6, controllers: false });
  const names = sb.clusters.map((c) => c.name);
  const ns = uniqueNamespace('shards');
  const repo = await fleetRepo(sb, work, 'op-shards', ns, {
    files: { 'clusters/clusters.yaml': names.map((c) => ({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name: c }, spec: { gce: { project: 'op', zone: `${c}-a` } } })) },
  });
  const prefix = uniqueNamespace('gf');
  const host = admin(sb, names[0]!);
  /** Every replica started (in order), its stderr, its process and, once SIGKILLed, when. */
  const ids: string[] = [];
  const logs: Record<string, string> = {};
  const procs: Record<string, ChildProcess> = {};
  const kills: Record<string, number> = {};
  const live = () => ids.filter((id) => kills[id] === undefined && procs[id]!.exitCode === null);
  const lines = (id: string): LogLine[] => logs[id]!.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
  const holders = async () => Object.fromEntries(await Promise.all(names.map(async (c) => {
    const r = await host.request<any>({ path: `/apis/coordination.k8s.io/v1/namespaces/default/leases/${prefix}-cluster-${c}` });
    return [c, r.status === 200 ? r.body.spec.holderIdentity || undefined : undefined] as const;
  }))) as Record<string, string | undefined>;
  const heldAs = async (want: Map<string, string>, which = names) => { const h = await holders(); return which.every((c) => h[c] === want.get(c)) || undefined; };
  const deployed = async (n: number) => (await Promise.all(sb.clusters.map(async (c) => {
    const h = admin(sb, c.name);
    try { return (await h.request<any>({ path: `/apis/apps/v1/namespaces/${ns}/deployments/web` })).body?.spec?.replicas ?? -1; } finally { h.close(); }
  }))).reduce((a, b) => a + b, 0) === n;
  const leader = () => live().find((id) => {
    const l = lines(id).filter((x) => x.msg === 'became leader' || x.msg === 'lost leadership');
    return l[l.length - 1]?.msg === 'became leader';
  });
  const leaderTicks = async (id: string) => {
    const url = /"listen":"(http:[^"]+)"/.exec(logs[id]!)![1]!;
    const text = await (await fetch(`${url}/metrics`)).text();
    return [...text.matchAll(/^gitfed_ticks_total\{[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
  };
  /** The status commits once the leader has ticked 3 more times (nothing more is coming). */
  const settledStatus = async () => {
    const id = leader()!;
    const start = await leaderTicks(id);
    await waitUntil('3 more leader ticks', 30_000, async () => (await leaderTicks(id)) >= start + 3 || undefined, 250);
    return statusLog(work, repo.url);
  };
  const start = (id: string) => {
    ids.push(id);
    logs[id] = '';
    procs[id] = spawn(process.execPath, ['bin/gitfed.js', 'run', '--repo', repo.url, '--kubeconfig', sb.kubeconfig, '--interval', '1s', '--listen', '127.0.0.1:0',
      '--shards', '3', '--replica-id', id, '--lease-context', names[0]!, '--lease-name', prefix, '--lease-duration', `${LEASE_S}s`,
      '--work-dir', join(work, `wd-${id}`), '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    procs[id]!.stderr!.on('data', (d) => { logs[id] += d.toString(); });
  };
  // Start-up alone (loading the CLI) can take tens of seconds on a busy machine.
  const started = (id: string) => waitUntil(`${id} started`, 180_000, async () => /"listen":"http:/.test(logs[id]!) || undefined, 250);
  /** SIGKILL `id`: the clusters it held go where the hashing over the others says, within TAKEOVER_MS. The new assignment. */
  const killAndTakeOver = async (id: string) => {
    const before = await holders();
    const moved = names.filter((c) => before[c] === id);
    assert.ok(moved.length, `${id} holds clusters: ${JSON.stringify(before)}`);
    kills[id] = Date.now();
    procs[id]!.kill('SIGKILL');
    const want = assignClusters(names, live());
    await waitUntil(`${id}'s clusters held by the survivors`, (LEASE_S + 20) * 1000, () => heldAs(want, moved), 100);
    const tookMs = Date.now() - kills[id]!;
    assert.ok(tookMs <= TAKEOVER_MS, `took ${tookMs} ms`);
    assert.ok(await heldAs(want), `every cluster where the hashing over ${live()} puts it: ${JSON.stringify(await holders())}`);
    console.log(`# clusters ${moved.join(', ')} of the killed replica ${id} taken over after ${tookMs} ms (lease ${LEASE_S} s)`);
    return want;
  };
  /** A push of `replicas` (the fleet's total): applied in all 6 clusters, each by the replica `want` gives it, with ONE status commit. */
  const pushApplied = async (replicas: number, want: Map<string, string>) => {
    const rev = repo.push('manifests/app.yaml', web(ns, { replicas }).map((o) => stringify(o)).join('---\n'), `${replicas} replicas`);
    await waitUntil(`${replicas} replicas across the 6 clusters`, 90_000, () => deployed(replicas), 250);
    await waitUntil(`the status commit for ${short(rev)}`, 90_000, async () => statusLog(work, repo.url)[0] === `status: ${short(rev)} applied to 6/6 clusters` || undefined, 500);
    const log = await settledStatus();
    assert.equal(log.filter((s) => s.includes(short(rev))).length, 1, `one status commit for ${short(rev)}:\n${log.join('\n')}\n${statusPatches(work, repo.url, short(rev))}`);
    for (const c of names) {
      const by = ids.filter((id) => lines(id).some((l) => l.msg === 'cluster reconciled' && l.cluster === c && l.revision === rev));
      assert.deepEqual(by, [want.get(c)], `${c} applied ${short(rev)} by ${by.join(', ')}`);
    }
    return { rev, log };
  };

  for (const id of ['r0', 'r1', 'r2']) start(id);
  try {
    for (const id of ids) await started(id);
    // 1. Every cluster held by the replica rendezvous hashing gives it.
    const want = assignClusters(names, ids);
    await waitUntil('each cluster held by its replica', 60_000, () => heldAs(want), 250);
    await waitUntil('the fleet applied in all 6 clusters', 60_000, () => deployed(6), 250);
    const first = sh(repo.clone, 'rev-parse', 'HEAD').trim();
    await waitUntil('the status commit for the first revision', 60_000, async () => statusLog(work, repo.url)[0] === `status: ${short(first)} applied to 6/6 clusters` || undefined, 500);
    const ports = await Promise.all(sb.clusters.map(async (c) => { const h = admin(sb, c.name); try { return (await h.request<any>({ path: `/api/v1/namespaces/${ns}/services/web` })).body.spec.ports[0].nodePort; } finally { h.close(); } }));
    assert.equal(new Set(ports).size, 1, `one node port in every cluster (the leader's allocation): ${ports}`);

    // 2. A push: applied everywhere, each cluster by its holder alone, ONE status commit for it.
    await pushApplied(12, want);

    // 3. SIGKILL a replica that is not the leader and holds clusters: the others take them within the lease duration.
    const lead = leader()!;
    const afterKill = await killAndTakeOver(ids.find((id) => id !== lead && [...want.values()].includes(id))!);

    // 4. A push after the kill: applied everywhere (also the moved clusters), one status commit.
    const { rev: third } = await pushApplied(18, afterKill);

    // 5. SIGKILL the leader: the survivor becomes leader, takes the dead
    // leader's clusters within the lease duration, and a push is applied
    // everywhere with one status commit (none written twice by the new leader).
    const lost = Date.now();
    const afterLeader = await killAndTakeOver(lead);
    const newLead = await waitUntil('another replica leads', 60_000, async () => leader(), 250);
    console.log(`# ${newLead} leads ${Date.now() - lost} ms after the leader ${lead} was killed`);
    const { log: log5 } = await pushApplied(24, afterLeader);
    assert.equal(log5.filter((s) => s.includes(short(third))).length, 1, `the new leader wrote no second status commit for ${short(third)}:\n${log5.join('\n')}\n${statusPatches(work, repo.url, short(third))}`);

    // 6. A new replica joins: it takes the clusters the hashing over the live
    // replicas now gives it, and only those move (minimal movement; every
    // cluster that moved is the joiner's); a push is applied with one status commit.
    const before = await holders();
    const joined = Date.now();
    start('r3');
    await started('r3');
    const afterJoin = assignClusters(names, live());
    const share = names.filter((c) => afterJoin.get(c) === 'r3');
    assert.ok(share.length, 'the joiner has a share');
    await waitUntil('the joiner\'s share held by it', 120_000, () => heldAs(afterJoin), 250);
    const now = await holders();
    const moved = names.filter((c) => now[c] !== before[c]);
    assert.deepEqual(moved, names.filter((c) => afterJoin.get(c) !== afterLeader.get(c)), `only the clusters whose replica changed moved: ${JSON.stringify(before)} -> ${JSON.stringify(now)}`);
    assert.deepEqual(moved, share, 'every cluster that moved went to the joiner');
    // Nor did any other cluster change hands on the way (the joiner took no more than its share).
    for (const id of live()) {
      for (const l of lines(id).filter((x) => x.at! >= joined)) {
        if (l.msg === 'cluster acquired') assert.ok(id !== 'r3' || share.includes(l.cluster!), `the joiner took ${l.cluster}`);
        if (l.msg === 'cluster released') assert.ok(moved.includes(l.cluster!), `${id} released ${l.cluster}`);
      }
    }
    console.log(`# the joiner r3 took ${share.join(', ')} after ${Date.now() - joined} ms (start-up included)`);
    await pushApplied(30, afterJoin);

    // 7. Never two replicas at once: per cluster, the intervals each replica was
    // allowed to write it (acquired .. lost/released, or its kill) do not overlap,
    // and every write pass on a cluster falls inside its replica's interval.
    for (const c of names) {
      const spans: Array<{ id: string; from: number; to: number }> = [];
      for (const id of ids) {
        let open: number | undefined;
        for (const l of lines(id).filter((x) => x.cluster === c)) {
          if (l.msg === 'cluster acquired') open = l.at!;
          else if ((l.msg === 'cluster lease lost' || l.msg === 'cluster released') && open !== undefined) { spans.push({ id, from: open, to: l.at! }); open = undefined; }
          else if (l.msg === 'cluster reconciled') assert.ok(open !== undefined, `${id} reconciled ${c} without holding its Lease`);
        }
        if (open !== undefined) spans.push({ id, from: open, to: kills[id] ?? Infinity });
      }
      spans.sort((a, b) => a.from - b.from);
      for (let i = 1; i < spans.length; i++) {
        assert.ok(spans[i]!.from >= spans[i - 1]!.to, `${c} held by ${spans[i - 1]!.id} and ${spans[i]!.id} at once: ${JSON.stringify(spans)}`);
      }
    }
  } catch (e) {
    // What each replica did, to tell a slow machine from a broken assignment.
    for (const id of ids) console.log(`# ${id}:\n${logs[id]!.split('\n').slice(-40).map((l) => `#   ${l.slice(0, 400)}`).join('\n')}`);
    throw e;
  } finally {
    for (const p of Object.values(procs)) p.kill('SIGKILL');
    host.close();
  }
});
