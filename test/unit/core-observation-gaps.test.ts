// A part of a cluster that could not be observed blocks, in that cluster only,
// every object whose safety depends on it; everything else is still written.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyAllocations, type ClusterObservation, type ObservationFailures, type ObservedWorkload, type RenderResult } from '../../operator/core/model.js';
import { render } from '../../operator/core/render.js';
import { parseObservations } from '../../operator/core/state-files.js';
import { withUnreported } from '../../operator/core/shard-report.js';
import { deployment, fleet, cluster, ingress, observed, sampleFleet, service } from '../helpers/fleet-builder.js';

const objectsIn = (r: RenderResult, c: string) => r.clusters.find((x) => x.cluster === c)!.objects.map((o) => `${o.kind}/${o.metadata.name}`);
const blockedIn = (r: RenderResult, c: string) => r.clusters.find((x) => x.cluster === c)!.blocked.map((b) => `${b.ref.kind}/${b.ref.name}: ${b.finding.message}`);
const ALL = ['Namespace/web', 'ConfigMap/ingress-uid', 'Service/nginx', 'Deployment/nginx', 'Ingress/nginx'];
const allocations = () => ({ ...emptyAllocations(), glbc: { uid: 'fleetuid00000001', providerUids: {} } });

interface Case {
  name: string;
  failed: ObservationFailures;
  /** what us-east1 still gets */
  written: string[];
  /** what us-east1 does not get, each "could not observe <what>: <error>" */
  blocked: string[];
  message?: RegExp;
  /** what the other clusters get (default: everything) */
  elsewhere?: string[];
}

const cases: Case[] = [
  {
    name: 'listing Ingresses failed (uid differs, Ingresses exist but unseen): no uid ConfigMap, no Ingress',
    failed: { ingresses: 'HTTP 403: ingresses.networking.k8s.io is forbidden' },
    written: ['Namespace/web', 'Service/nginx', 'Deployment/nginx'], blocked: ['Ingress/nginx', 'ConfigMap/ingress-uid'],
    message: /could not observe Ingresses: HTTP 403: ingresses.networking.k8s.io is forbidden/,
  },
  {
    name: 'reading the uid ConfigMap failed: no uid ConfigMap, no Ingress',
    failed: { ingressUid: 'GET /api/v1/namespaces/kube-system/configmaps: timeout' },
    written: ['Namespace/web', 'Service/nginx', 'Deployment/nginx'], blocked: ['Ingress/nginx', 'ConfigMap/ingress-uid'],
    message: /could not observe ConfigMap kube-system\/ingress-uid: GET .*timeout/,
  },
  {
    name: 'listing Services failed: the Service behind the Ingress and the Ingress are not written',
    failed: { nodePorts: 'HTTP 500: etcdserver: request timed out' },
    written: ['Namespace/web', 'ConfigMap/ingress-uid', 'Deployment/nginx'], blocked: ['Service/nginx', 'Ingress/nginx'],
    message: /could not observe node ports \(Services\): HTTP 500: etcdserver: request timed out/,
  },
  {
    // Where replicas run is half the replica plan: a cluster that did not
    // answer would count as running none, and replicas would move on a guess.
    name: 'listing workloads failed: the Deployment is written in no cluster (its replica plan is unknown), everything else is',
    failed: { workloads: 'HTTP 429' },
    written: ['Namespace/web', 'ConfigMap/ingress-uid', 'Service/nginx', 'Ingress/nginx'], blocked: ['Deployment/nginx'],
    message: /cluster us-east1: could not observe workloads: HTTP 429; where the replicas of Deployment web\/nginx run is unknown/,
    elsewhere: ['Namespace/web', 'ConfigMap/ingress-uid', 'Service/nginx', 'Ingress/nginx'],
  },
];

for (const c of cases) {
  test(`observation gaps: ${c.name}`, () => {
    const observations = {
      // The uid differs from the fleet's; the Ingress list came back empty only because it failed.
      'us-east1': observed({ ingressUid: c.failed.ingressUid ? undefined : { uid: 'legacy0000000001', providerUid: 'p1' }, failed: c.failed }),
    };
    const r = render({ fleet: sampleFleet(), observations, allocations: allocations() });
    assert.deepEqual(objectsIn(r, 'us-east1'), c.written);
    assert.deepEqual(blockedIn(r, 'us-east1').map((b) => b.split(':')[0]), c.blocked);
    for (const b of blockedIn(r, 'us-east1')) assert.match(b, c.message!);
    for (const other of ['europe-west1', 'asia-east1']) assert.deepEqual(objectsIn(r, other), c.elsewhere ?? ALL, `${other} is untouched`);
    const errors = r.findings.filter((f) => f.code === 'ObservationFailed');
    assert.equal(errors.length, c.blocked.length ? 1 : 0);
    if (c.message) assert.equal(errors[0]!.cluster, 'us-east1');
  });
}

test('observation gaps: the same cluster observed fully (no Ingresses) does get the fleet uid', () => {
  const r = render({ fleet: sampleFleet(), observations: { 'us-east1': observed({ ingressUid: { uid: 'legacy0000000001', providerUid: 'p1' } }) }, allocations: allocations() });
  assert.deepEqual(objectsIn(r, 'us-east1'), ALL);
});

test('observation gaps: failed node ports block nothing when no Service backs a federated Ingress', () => {
  const f = fleet({ clusters: [cluster('a'), cluster('b', { gce: { project: 'p', zone: 'z2' } })], manifests: [deployment('d', 2), service('s', { type: 'ClusterIP' })] });
  const r = render({ fleet: f, observations: { a: observed({ failed: { nodePorts: 'boom' } }) }, allocations: allocations() });
  assert.deepEqual(r.clusters.find((c) => c.cluster === 'a')!.blocked, []);
  assert.ok(objectsIn(r, 'a').includes('Service/s'));
});

test('observation gaps: a GCE Ingress of a cluster without the failure is still written; a non-GCE Ingress is not held back by the uid', () => {
  const f = fleet({
    clusters: [cluster('a', { gce: { project: 'p', zone: 'z1' } }), cluster('b', { gce: { project: 'p', zone: 'z2' } })],
    manifests: [service('s'), ingress('gce', 's'), ingress('nginx', 's', { className: 'nginx' })],
  });
  const r = render({ fleet: f, observations: { a: observed({ failed: { ingresses: 'forbidden' } }) }, allocations: allocations() });
  assert.deepEqual(objectsIn(r, 'a'), ['Namespace/web', 'Service/s', 'Ingress/nginx']);
  assert.deepEqual(objectsIn(r, 'b'), ['Namespace/web', 'ConfigMap/ingress-uid', 'Service/s', 'Ingress/gce', 'Ingress/nginx']);
});

test('observation gaps: an observations file can say what failed (gitfed render --observations)', () => {
  const parsed = parseObservations({ 'us-east1': { failed: { ingresses: 'forbidden' } }, b: { failed: { pods: 'x' } } }, 'obs.yaml');
  assert.deepEqual(parsed.observations['us-east1']!.failed, { ingresses: 'forbidden' });
  assert.match(parsed.findings.map((f) => f.message).join('\n'), /b.failed.pods: unknown part/);
});

test('observation gaps (run --shards): a cluster whose owner has not reported yet is unknown, not empty: nothing that depends on it is written there, the others get everything but the Deployment, and its replicas stay put', () => {
  const f = sampleFleet();
  const clusters = f.clusters.map((c) => c.name);
  const r = render({ fleet: f, observations: withUnreported({ 'europe-west1': observed(), 'asia-east1': observed() }, clusters), allocations: allocations() });
  for (const o of ['ConfigMap/ingress-uid', 'Service/nginx', 'Ingress/nginx', 'Deployment/nginx']) assert.ok(!objectsIn(r, 'us-east1').includes(o), `${o} is not written to us-east1`);
  assert.match(blockedIn(r, 'us-east1').join('\n'), /could not observe .*no report from the replica that owns us-east1 yet/);
  for (const other of ['europe-west1', 'asia-east1']) {
    assert.deepEqual(objectsIn(r, other), ALL.filter((o) => o !== 'Deployment/nginx'), `${other} gets everything else`);
    assert.match(blockedIn(r, other).join('\n'), /^Deployment\/nginx: cluster us-east1: could not observe workloads: no report from the replica that owns us-east1 yet/);
  }
  assert.ok(!r.findings.some((f) => /drops out of the replica plan/.test(f.message)), 'a late report does not move replicas');
});

// The replica plan with rebalance off keeps replicas where they run: a
// cluster whose workloads LIST failed looked like one running none, so a
// 2+1 split became 3+0 and the cluster that did not answer lost its Pods.
const SPLIT: Array<{ name: string; a: Partial<ClusterObservation>; b: Partial<ClusterObservation>; plan: Record<string, number>; blocked: boolean }> = [
  { name: 'both observed: replicas stay where they run', a: { workloads: [run(2)] }, b: { workloads: [run(1)] }, plan: { a: 2, b: 1 }, blocked: false },
  { name: 'b\'s workloads LIST failed: nothing is written, the plan shows what runs where known', a: { workloads: [run(2)] }, b: { failed: { workloads: 'HTTP 503' } }, plan: { a: 2 }, blocked: true },
  { name: 'b is Offline: it drops out of the plan, a carries all', a: { workloads: [run(2)] }, b: { health: 'Offline' }, plan: { a: 3 }, blocked: false },
];
function run(replicas: number): ObservedWorkload {
  return { kind: 'Deployment', namespace: 'web', name: 'd', replicas, readyReplicas: replicas };
}
for (const c of SPLIT) {
  test(`observation gaps, replica plan (rebalance off): ${c.name}`, () => {
    const f = fleet({ clusters: [cluster('a'), cluster('b')], manifests: [deployment('d', 3)] });
    const r = render({ fleet: f, observations: { a: observed(c.a), b: observed(c.b) }, allocations: allocations() });
    assert.deepEqual(r.replicas[0]!.plan, c.plan);
    for (const x of ['a', 'b']) assert.equal(objectsIn(r, x).includes('Deployment/d'), !c.blocked, `Deployment/d in ${x}`);
    if (c.blocked) assert.match(blockedIn(r, 'a').join('\n'), /Deployment\/d: cluster b: could not observe workloads: HTTP 503/);
  });
}
