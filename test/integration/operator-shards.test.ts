// `gitfed run --shards 3`: three real operator processes split six real
// clusters. Each cluster is worked on by exactly one replica (the holder of
// its Lease), every cluster gets the same node port (the leader's published
// allocations), one status commit per change (the leader writes Git from
// every shard's report); a SIGKILLed replica's clusters are taken by the
// others within the lease duration and never held by two replicas at once.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { assignClusters } from '../../operator/core/shard-assignment.js';
import { short } from '../../operator/report/status-tree.js';
import { admin, fleetRepo, sh, statusLog } from '../helpers/fleet-repo.js';
import { web } from '../helpers/fleet-dir.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';

const work = await mkdtemp(join(tmpdir(), 'gitfed-shards-'));
after(() => rm(work, { recursive: true, force: true }));

const LEASE_S = 3;
const IDS = ['r0', 'r1', 'r2'];

interface LogLine { time: string; msg: string; cluster?: string; at?: number; revision?: string }

test('--shards 3 over 6 clusters: one replica per cluster, one status commit per change; a killed replica\'s clusters move within the lease duration, never held twice', async () => {
  const sb = await sandbox({ clusters: 6, controllers: false });
  const names = sb.clusters.map((c) => c.name);
  const ns = uniqueNamespace('shards');
  const repo = await fleetRepo(sb, work, 'op-shards', ns, {
    files: { 'clusters/clusters.yaml': names.map((c) => ({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name: c }, spec: { gce: { project: 'op', zone: `${c}-a` } } })) },
  });
  const prefix = uniqueNamespace('gf');
  const host = admin(sb, names[0]!);
  const logs: Record<string, string> = Object.fromEntries(IDS.map((id) => [id, '']));
  const procs: Record<string, ChildProcess> = {};
  const lines = (id: string): LogLine[] => logs[id]!.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
  const holders = async () => Object.fromEntries(await Promise.all(names.map(async (c) => {
    const r = await host.request<any>({ path: `/apis/coordination.k8s.io/v1/namespaces/default/leases/${prefix}-cluster-${c}` });
    return [c, r.status === 200 ? r.body.spec.holderIdentity || undefined : undefined] as const;
  })));
  const deployed = async (n: number) => (await Promise.all(sb.clusters.map(async (c) => {
    const h = admin(sb, c.name);
    try { return (await h.request<any>({ path: `/apis/apps/v1/namespaces/${ns}/deployments/web` })).body?.spec?.replicas ?? -1; } finally { h.close(); }
  }))).reduce((a, b) => a + b, 0) === n;
  const leader = () => IDS.filter((id) => procs[id]!.exitCode === null && procs[id]!.signalCode === null).find((id) => {
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

  for (const id of IDS) {
    procs[id] = spawn(process.execPath, ['bin/gitfed.js', 'run', '--repo', repo.url, '--kubeconfig', sb.kubeconfig, '--interval', '1s', '--listen', '127.0.0.1:0',
      '--shards', '3', '--replica-id', id, '--lease-context', names[0]!, '--lease-name', prefix, '--lease-duration', `${LEASE_S}s`,
      '--work-dir', join(work, `wd-${id}`), '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    procs[id]!.stderr!.on('data', (d) => { logs[id] += d.toString(); });
  }
  let killed: { id: string; at: number } | undefined;
  try {
    // Start-up alone (loading the CLI) can take tens of seconds on a busy machine.
    for (const id of IDS) await waitUntil(`${id} started`, 180_000, async () => /"listen":"http:/.test(logs[id]!) || undefined, 250);
    // 1. Every cluster held by the replica rendezvous hashing gives it.
    const want = assignClusters(names, IDS);
    await waitUntil('each cluster held by its replica', 60_000, async () => { const h = await holders(); return names.every((c) => h[c] === want.get(c)) || undefined; }, 250);
    await waitUntil('the fleet applied in all 6 clusters', 60_000, () => deployed(6), 250);
    const first = sh(repo.clone, 'rev-parse', 'HEAD').trim();
    await waitUntil('the status commit for the first revision', 60_000, async () => statusLog(work, repo.url)[0] === `status: ${short(first)} applied to 6/6 clusters` || undefined, 500);
    const ports = await Promise.all(sb.clusters.map(async (c) => { const h = admin(sb, c.name); try { return (await h.request<any>({ path: `/api/v1/namespaces/${ns}/services/web` })).body.spec.ports[0].nodePort; } finally { h.close(); } }));
    assert.equal(new Set(ports).size, 1, `one node port in every cluster (the leader's allocation): ${ports}`);

    // 2. A push: applied everywhere, ONE status commit for it.
    const second = repo.push('manifests/app.yaml', web(ns, { replicas: 12 }).map((o) => stringify(o)).join('---\n'), 'twelve');
    await waitUntil('12 replicas across the 6 clusters', 60_000, () => deployed(12), 250);
    await waitUntil('the status commit for the push', 60_000, async () => statusLog(work, repo.url)[0] === `status: ${short(second)} applied to 6/6 clusters` || undefined, 500);
    const log2 = await settledStatus();
    assert.equal(log2.filter((s) => s.includes(short(second))).length, 1, `one status commit for the push:\n${log2.join('\n')}`);
    // Each cluster was applied the pushed revision by exactly one replica: its holder.
    for (const c of names) {
      const by = IDS.filter((id) => lines(id).some((l) => l.msg === 'cluster reconciled' && l.cluster === c && l.revision === second));
      assert.deepEqual(by, [want.get(c)], `${c} applied by ${by.join(', ')}`);
    }

    // 3. SIGKILL a replica that is not the leader and holds clusters: the others take them within the lease duration.
    const lead = leader()!;
    const victim = IDS.find((id) => id !== lead && [...want.values()].includes(id))!;
    const moved = names.filter((c) => want.get(c) === victim);
    killed = { id: victim, at: Date.now() };
    procs[victim]!.kill('SIGKILL');
    const survivors = IDS.filter((id) => id !== victim);
    const after2 = assignClusters(names, survivors);
    await waitUntil('the victim\'s clusters held by the survivors', (LEASE_S + 20) * 1000, async () => { const h = await holders(); return moved.every((c) => h[c] === after2.get(c)) || undefined; }, 100);
    const tookMs = Date.now() - killed.at;
    // The lease duration, plus the survivor's next tick (1 s apart, but a tick
    // itself takes seconds on a loaded machine) and a renew period.
    assert.ok(tookMs <= LEASE_S * 1000 + 6000, `took ${tookMs} ms`);
    console.log(`# clusters ${moved.join(', ')} of the killed replica taken over after ${tookMs} ms (lease ${LEASE_S} s)`);

    // 4. A push after the kill: applied everywhere (also the moved clusters), one status commit.
    const third = repo.push('manifests/app.yaml', web(ns, { replicas: 18 }).map((o) => stringify(o)).join('---\n'), 'eighteen');
    await waitUntil('18 replicas across the 6 clusters', 60_000, () => deployed(18), 250);
    await waitUntil('the status commit after the kill', 60_000, async () => statusLog(work, repo.url)[0] === `status: ${short(third)} applied to 6/6 clusters` || undefined, 500);
    const log3 = await settledStatus();
    assert.equal(log3.filter((s) => s.includes(short(third))).length, 1, `one status commit for the push after the kill:\n${log3.join('\n')}`);

    // 5. Never two replicas at once: per cluster, the intervals each replica was
    // allowed to write it (acquired .. lost/released, or the kill) do not overlap,
    // and every write pass on a cluster falls inside its replica's interval.
    for (const c of names) {
      const spans: Array<{ id: string; from: number; to: number }> = [];
      for (const id of IDS) {
        let open: number | undefined;
        for (const l of lines(id).filter((x) => x.cluster === c)) {
          if (l.msg === 'cluster acquired') open = l.at!;
          else if ((l.msg === 'cluster lease lost' || l.msg === 'cluster released') && open !== undefined) { spans.push({ id, from: open, to: l.at! }); open = undefined; }
          else if (l.msg === 'cluster reconciled') assert.ok(open !== undefined, `${id} reconciled ${c} without holding its Lease`);
        }
        if (open !== undefined) spans.push({ id, from: open, to: id === victim ? killed.at : Infinity });
      }
      spans.sort((a, b) => a.from - b.from);
      for (let i = 1; i < spans.length; i++) {
        assert.ok(spans[i]!.from >= spans[i - 1]!.to, `${c} held by ${spans[i - 1]!.id} and ${spans[i]!.id} at once: ${JSON.stringify(spans)}`);
      }
    }
  } catch (e) {
    // What each replica did, to tell a slow machine from a broken assignment.
    for (const id of IDS) console.log(`# ${id}:\n${logs[id]!.split('\n').slice(-40).map((l) => `#   ${l.slice(0, 400)}`).join('\n')}`);
    throw e;
  } finally {
    for (const p of Object.values(procs)) p.kill('SIGKILL');
    host.close();
  }
});
