// A lean sandbox (the one 100 clusters fit in: fewer API groups, no priority
// and fairness, 10-event watch caches, GOGC=50) still does everything the
// operator needs: apply, quiet ticks without writes, a deletion seen by its
// watches; what it turns off is refused plainly; and the operator counts the
// requests it sends to member clusters.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { reconcileFleet } from '../../operator/cluster/reconcile.js';
import { emptyAllocations } from '../../operator/core/model.js';
import { createLogger } from '../../operator/loop/logger.js';
import { Metrics } from '../../operator/loop/metrics.js';
import { Operator } from '../../operator/loop/operator.js';
import { gitEnds } from '../../operator/loop/sources.js';
import { startSandbox } from '../../operator/sandbox/index.js';
import { privateBytes, rssBytes } from '../../operator/sandbox/supervisor.js';
import { sourced } from '../helpers/fleet-builder.js';
import { admin, fleetRepo, replicas } from '../helpers/fleet-repo.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';

const work = await mkdtemp(join(tmpdir(), 'gitfed-lean-'));
after(() => rm(work, { recursive: true, force: true }));
const lean = () => sandbox({ controllers: false, lean: true });

async function requestsCounted(m: Metrics): Promise<number> {
  return (await m.memberRequests.get()).values[0]?.value ?? 0;
}

test('lean sandbox: the operator applies, a quiet tick writes nothing and sends few requests, a deleted object is seen missing', async () => {
  const sb = await lean();
  assert.equal(sb.lean, true);
  const ns = uniqueNamespace('lean');
  const repo = await fleetRepo(sb, work, 'lean', ns, { replicas: 6 });
  const metrics = new Metrics();
  const ends = gitEnds({ url: repo.url, branch: 'main', statusBranch: 'gitfed/status', workDir: join(work, 'op'), author: { name: 'gitfed', email: 'gitfed@localhost' } });
  const op = new Operator({ ...ends, kubeconfig: sb.kubeconfig, prune: true, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), metrics, probeTimeoutMs: 2000 });
  try {
    const first = await op.tick();
    assert.equal(first.applied, true, first.error);
    assert.deepEqual(first.result!.clusters.flatMap((c) => c.errors), []);
    assert.deepEqual(await replicas(sb, ns), [2, 2, 2]);
    const afterFirst = await requestsCounted(metrics);
    assert.ok(afterFirst > 0, 'the first tick\'s requests are counted');
    await op.tick(); // the watches are running from here on
    const before = await requestsCounted(metrics);
    const writes = op.writes();
    await op.tick();
    assert.equal(op.writes(), writes, 'a quiet tick writes nothing');
    const quiet = (await requestsCounted(metrics)) - before;
    assert.ok(quiet < afterFirst, `a quiet tick sends fewer requests (${quiet}) than the first (${afterFirst})`);
    // Deleted by hand in one cluster: the watch sees it and the next tick reports it missing (drift policy report).
    const h = admin(sb, 'europe-west1');
    try {
      const del = await h.request({ method: 'DELETE', path: `/apis/apps/v1/namespaces/${ns}/deployments/web` });
      assert.ok(del.status === 200 || del.status === 202, del.text);
      await waitUntil('the deletion seen', 30_000, async () => {
        const r = await op.tick();
        return r.result?.clusters.find((c) => c.cluster === 'europe-west1')?.counts.missing === 1 || undefined;
      });
    } finally {
      h.close();
    }
  } finally {
    op.close();
  }
});

test('lean sandbox: a Job is refused as a kind the cluster does not serve; apiserver memory is reported per process', async () => {
  const sb = await lean();
  const ns = uniqueNamespace('job');
  const job = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'once', namespace: ns }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'registry.example/c:1' }] } } } };
  const fleet = {
    settings: { name: 'lean-job', allowPruneAll: false },
    clusters: [{ name: 'us-east1', labels: {}, context: 'us-east1', provider: 'other' as const, paused: false, place: { file: 'clusters/c.yaml', line: 1, col: 1 } }],
    placements: [], overrides: [], driftPolicies: [],
    manifests: [sourced({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }), sourced(job)],
  };
  const r = await reconcileFleet({ fleet, kubeconfigPath: sb.kubeconfig, allocations: emptyAllocations(), dryRun: false, prune: false, writes: 'all' });
  const errors = r.clusters[0]!.errors.join('\n') + r.clusters[0]!.objects.filter((o) => o.error).map((o) => o.error).join('\n');
  assert.match(errors, /batch\/v1/, `the error names the API the cluster does not serve: ${errors}`);
  const pids = sb.apiserverPids();
  assert.deepEqual(pids.map((p) => p.cluster), ['us-east1', 'europe-west1', 'asia-east1']);
  for (const { pid } of pids) {
    const rss = rssBytes([pid]);
    const own = privateBytes([pid]);
    assert.ok(own > 0 && own < rss, `private ${own} is part of RSS ${rss}`);
  }
});

test('lean sandbox: refused with controllers (the controller-manager needs the API groups it turns off)', async () => {
  await assert.rejects(startSandbox({ clusters: 1, controllers: true, lean: true }), /no controllers/);
});
