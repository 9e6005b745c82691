// Shard reports stay small (capped lists, texts, and a byte limit), and the
// leader picks each cluster's digest from its current owner.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundDigest, clustersNotReporting, digestsByCluster, mergeObservations, REPORT_LIMITS, serializeReport, type ClusterDigest, type ShardReport } from '../../operator/core/shard-report.js';

function digest(cluster: string, extra: Partial<ClusterDigest> = {}): ClusterDigest {
  return {
    cluster, revision: 'r1', observation: { health: 'Ready', nodePorts: [{ port: 30001, namespace: 'web', service: 'shop' }], ingresses: [], workloads: [] },
    health: 'Ready', reason: 'Ready', message: '', counts: { inSync: 3, changed: 0, drifted: 0, missing: 0, failed: 0, blocked: 0 },
    errors: [], drift: [], endpoints: {}, ingressShards: [], ...extra,
  };
}

test('shard report: long lists and texts are cut and say so; node ports are never cut', () => {
  const d = boundDigest(digest('a', {
    errors: Array.from({ length: 50 }, (_, i) => `error ${i} ${'x'.repeat(1000)}`),
    observation: { health: 'Ready', nodePorts: Array.from({ length: 2768 }, (_, i) => ({ port: 30000 + i, namespace: 'n', service: `s${i}` })), ingresses: [], workloads: Array.from({ length: 5000 }, (_, i) => ({ kind: 'Deployment', namespace: 'n', name: `w${i}`, replicas: 1, readyReplicas: 1 })) },
  }));
  assert.equal(d.errors.length, REPORT_LIMITS.errors);
  assert.ok(d.errors.every((e) => e.length <= REPORT_LIMITS.errorChars));
  assert.equal(d.observation.nodePorts.length, 2768);
  assert.equal(d.observation.workloads.length, REPORT_LIMITS.workloads);
  assert.deepEqual(d.truncated?.sort(), ['errors', 'workloads']);
  assert.equal(boundDigest(digest('b')).truncated, undefined);
});

test('shard report: the serialized report stays under the byte limit by dropping observation details of the largest cluster first', () => {
  const big = (name: string) => digest(name, { observation: { health: 'Ready', nodePorts: [], workloads: Array.from({ length: 1000 }, (_, i) => ({ kind: 'Deployment', namespace: 'n'.repeat(100), name: `w${i}${'y'.repeat(100)}`, replicas: 1, readyReplicas: 1 })), ingresses: [] } });
  const text = serializeReport({ replica: 'r', at: '2026-01-01T00:00:00Z', clusters: [big('a'), big('b'), big('c'), digest('small')] });
  assert.ok(Buffer.byteLength(text) <= REPORT_LIMITS.reportBytes, `${Buffer.byteLength(text)} bytes`);
  const back = JSON.parse(text) as ShardReport;
  assert.equal(back.clusters.find((c) => c.cluster === 'small')!.truncated, undefined, 'the small cluster keeps its details');
  assert.ok(back.clusters.some((c) => c.truncated?.includes('workloads')));
});

test('shard report: the current owner\'s digest wins over a dead replica\'s stale one; merge keeps our own observations', () => {
  const reports: ShardReport[] = [
    { replica: 'dead', at: '2026-01-01T00:00:02Z', clusters: [digest('a', { revision: 'r0' }), digest('b', { revision: 'r0' })] },
    { replica: 'live', at: '2026-01-01T00:00:01Z', clusters: [digest('a', { revision: 'r1' })] },
  ];
  const d = digestsByCluster(reports, new Map([['a', 'live'], ['b', 'live']]));
  assert.equal(d.get('a')!.revision, 'r1');
  assert.equal(d.get('b')!.revision, 'r0', 'no owner report yet: the last word stays');
  assert.deepEqual(clustersNotReporting(['a', 'b', 'c'], 'r1', d), ['b', 'c']);
  const own = { a: { health: 'Offline' as const, nodePorts: [], ingresses: [], workloads: [] } };
  const obs = mergeObservations(own, d);
  assert.equal(obs.a!.health, 'Offline');
  assert.equal(obs.b!.health, 'Ready');
});

test('shard report: a list cut to fit the ConfigMap is not "nothing there" to the leader: its part counts as failed to observe (no uid or replica plan from half a list)', () => {
  const cut = boundDigest(digest('a', { observation: { health: 'Ready', nodePorts: [], ingresses: [], workloads: Array.from({ length: REPORT_LIMITS.workloads + 1 }, (_, i) => ({ kind: 'Deployment', namespace: 'n', name: `w${i}`, replicas: 1, readyReplicas: 1 })) } }));
  const obs = mergeObservations({}, new Map([['a', cut], ['b', digest('b')]]));
  assert.deepEqual(obs.a!.failed, { workloads: 'the report of a was cut to fit its ConfigMap' });
  assert.equal(obs.b!.failed, undefined, 'a whole report is taken as it is');
  // Over the byte limit the largest clusters lose their Ingress and workload lists: both count as failed.
  const big = (name: string) => digest(name, { observation: { health: 'Ready', nodePorts: [], workloads: Array.from({ length: 1000 }, (_, i) => ({ kind: 'Deployment', namespace: 'n'.repeat(100), name: `w${i}${'y'.repeat(100)}`, replicas: 1, readyReplicas: 1 })), ingresses: [] } });
  const back = (JSON.parse(serializeReport({ replica: 'r', at: '2026-01-01T00:00:00Z', clusters: [big('a'), big('b'), big('c')] })) as ShardReport).clusters;
  const dropped = back.find((c) => c.observation.workloads.length === 0)!;
  assert.deepEqual(Object.keys(mergeObservations({}, new Map([[dropped.cluster, dropped]]))[dropped.cluster]!.failed ?? {}).sort(), ['ingresses', 'workloads']);
});

test('shard report: the rollout gates a replica reports are cut like its errors (a long failing list still fails the gate)', () => {
  const d = boundDigest(digest('a', { rollout: { revision: 'r1', gates: { atTarget: true, ready: true, failing: Array.from({ length: 50 }, (_, i) => `readyEndpoints web/s${i}: 0/1 ready ${'x'.repeat(400)}`) } } }));
  assert.equal(d.rollout!.gates.failing.length, REPORT_LIMITS.errors);
  assert.ok(d.rollout!.gates.failing.every((f) => f.length <= REPORT_LIMITS.errorChars));
  assert.deepEqual(d.truncated, ['rollout']);
});
