// The render core end to end on literal fleets: what each cluster must hold.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { federationProviderUid } from '../../operator/core/hashes.js';
import { emptyAllocations, type KubeObject, type RenderResult } from '../../operator/core/model.js';
import { render } from '../../operator/core/render.js';
import { cluster, deployment, fleet, ingress, observed, override, placement, sampleFleet, service } from '../helpers/fleet-builder.js';

const find = (r: RenderResult, c: string, kind: string, name: string): KubeObject | undefined =>
  r.clusters.find((x) => x.cluster === c)?.objects.find((o) => o.kind === kind && o.metadata.name === name);
const replicasOf = (r: RenderResult, c: string) => (find(r, c, 'Deployment', 'nginx')?.spec as { replicas: number }).replicas;
const names = ['us-east1', 'europe-west1', 'asia-east1'];

test('render: the sample fleet gives every cluster the same objects, one nodePort, one uid, 50 replicas split 16/17/17', () => {
  const r = render({ fleet: sampleFleet(), observations: {}, allocations: emptyAllocations() });
  assert.deepEqual(r.findings.filter((f) => f.severity === 'error'), []);
  assert.deepEqual(r.clusters.map((c) => c.cluster), names);
  for (const c of r.clusters) {
    assert.deepEqual(c.objects.map((o) => `${o.kind}/${o.metadata.name}`), ['Namespace/web', 'ConfigMap/ingress-uid', 'Service/nginx', 'Deployment/nginx', 'Ingress/nginx'], 'apply order');
    for (const o of c.objects) assert.equal(o.metadata.labels?.['app.kubernetes.io/managed-by'], 'gitfed');
  }
  const ports = names.map((c) => (find(r, c, 'Service', 'nginx')!.spec as { ports: { nodePort: number }[] }).ports[0]!.nodePort);
  assert.deepEqual(new Set(ports), new Set([30000]));
  const uids = names.map((c) => (find(r, c, 'ConfigMap', 'ingress-uid')!.data as Record<string, string>));
  assert.equal(new Set(uids.map((d) => d.uid)).size, 1);
  assert.deepEqual(uids.map((d) => d['provider-uid']), names.map(federationProviderUid));
  assert.deepEqual(names.map((c) => replicasOf(r, c)).sort(), [16, 17, 17]);
  const ips = names.map((c) => find(r, c, 'Ingress', 'nginx')!.metadata.annotations?.['kubernetes.io/ingress.global-static-ip-name']);
  assert.deepEqual(ips, ['web-ip', 'web-ip', 'web-ip']);
  assert.deepEqual(r.allocations.nodePorts, { 'web/nginx': { '80': 30000 } });
  assert.equal(r.allocations.glbc.uid, uids[0]!.uid);
});

test('render: same input, byte-identical output', () => {
  const input = () => ({ fleet: sampleFleet(), observations: { 'us-east1': observed({ nodePorts: [{ port: 30000, namespace: 'x', service: 'y' }] }) }, allocations: emptyAllocations() });
  const a = JSON.stringify(render(input()));
  const b = JSON.stringify(render(input()));
  assert.equal(a, b);
});

test('render: allocations fed back in give the same result (stable across revisions)', () => {
  const first = render({ fleet: sampleFleet(), observations: {}, allocations: emptyAllocations() });
  const again = render({ fleet: sampleFleet(), observations: { 'us-east1': observed({ nodePorts: [{ port: 30000, namespace: 'web', service: 'nginx' }] }) }, allocations: first.allocations });
  assert.deepEqual(again.allocations, first.allocations);
  assert.deepEqual(again.clusters, first.clusters);
});

test('render: an Offline cluster drops out of the replica plan and its share moves to the others', () => {
  const r = render({ fleet: sampleFleet(), observations: { 'us-east1': observed({ health: 'Offline' }) }, allocations: emptyAllocations() });
  assert.equal(r.clusters[0]!.skipped, 'unreachable');
  assert.equal(replicasOf(r, 'europe-west1') + replicasOf(r, 'asia-east1'), 50);
  assert.ok(r.findings.some((f) => f.code === 'ReplicasRelocated' && f.cluster === 'us-east1'));
});

test('render: a full cluster (unschedulable Pods) keeps what runs and the overflow goes elsewhere', () => {
  const full = observed({ workloads: [{ kind: 'Deployment', namespace: 'web', name: 'nginx', replicas: 17, readyReplicas: 5, unschedulable: 12 }] });
  const r = render({ fleet: sampleFleet(), observations: { 'asia-east1': full }, allocations: emptyAllocations() });
  assert.equal(replicasOf(r, 'asia-east1'), 5);
  assert.equal(replicasOf(r, 'us-east1') + replicasOf(r, 'europe-west1'), 45);
  assert.ok(r.findings.some((f) => f.code === 'ReplicasOverflow' && f.cluster === 'asia-east1'));
});

test('render: a paused cluster is rendered but skipped, and gets no replicas', () => {
  const f = sampleFleet();
  f.clusters[2] = { ...f.clusters[2]!, paused: true };
  const r = render({ fleet: f, observations: {}, allocations: emptyAllocations() });
  assert.equal(r.clusters[2]!.skipped, 'paused');
  assert.equal(replicasOf(r, 'us-east1') + replicasOf(r, 'europe-west1'), 50);
});

test('render: a fleet with errors renders nothing and keeps the previous allocations', () => {
  const f = sampleFleet();
  f.manifests[1]!.object.spec = { type: 'ClusterIP', ports: [{ port: 80 }] };
  const prev = { ...emptyAllocations(), glbc: { uid: 'keep', providerUids: {} } };
  const r = render({ fleet: f, observations: {}, allocations: prev });
  assert.deepEqual(r.clusters, []);
  assert.equal(r.allocations, prev);
  assert.ok(r.findings.some((f) => f.code === 'BackendServiceType'));
});

test('render: load errors stop the render too', () => {
  const r = render({ fleet: sampleFleet(), observations: {}, allocations: emptyAllocations(), loadFindings: [{ severity: 'error', code: 'YamlSyntax', message: 'bad' }] });
  assert.deepEqual(r.clusters, []);
});

test('render: uid safety blocks only the Ingresses of the mismatched cluster', () => {
  const obs = {
    'us-east1': observed({ ingressUid: { uid: 'shared' } }),
    'europe-west1': observed({ ingressUid: { uid: 'shared' } }),
    'asia-east1': observed({ ingressUid: { uid: 'legacy' }, ingresses: [{ namespace: 'old', name: 'site' }] }),
  };
  const r = render({ fleet: sampleFleet(), observations: obs, allocations: emptyAllocations() });
  assert.equal(find(r, 'asia-east1', 'Ingress', 'nginx'), undefined);
  assert.equal(find(r, 'asia-east1', 'ConfigMap', 'ingress-uid'), undefined);
  assert.ok(find(r, 'asia-east1', 'Service', 'nginx'), 'the rest still goes there');
  assert.equal(r.clusters[2]!.blocked[0]?.finding.code, 'GlbcUidMismatch');
  assert.ok(find(r, 'us-east1', 'Ingress', 'nginx'));
});

test('render: a nodePort held by another Service blocks that Service everywhere, the rest goes on', () => {
  const f = sampleFleet();
  (f.manifests[1]!.object.spec as { ports: { nodePort?: number }[] }).ports[0]!.nodePort = 30500;
  const r = render({ fleet: f, observations: { 'europe-west1': observed({ nodePorts: [{ port: 30500, namespace: 'db', service: 'pg' }] }) }, allocations: emptyAllocations() });
  for (const c of r.clusters) {
    assert.equal(c.objects.find((o) => o.kind === 'Service'), undefined);
    assert.match(c.blocked[0]!.finding.message, /held by Service db\/pg in cluster europe-west1/);
    assert.ok(c.objects.find((o) => o.kind === 'Deployment'));
  }
});

test('render: Placements, the cluster-selector annotation and preferences choose clusters and shares', () => {
  const f = fleet({
    clusters: [cluster('a', { labels: { tier: 'gold' } }), cluster('b', { labels: { tier: 'gold' } }), cluster('c', { labels: { tier: 'bronze' } })],
    manifests: [
      deployment('api', 10, 'web', { 'federation.alpha.kubernetes.io/cluster-selector': '[{"key":"tier","operator":"in","values":["gold"]}]' }),
      deployment('worker', 9),
      deployment('legacy', 4, 'web', { 'federation.kubernetes.io/deployment-preferences': '{"rebalance":true,"clusters":{"a":{"weight":3},"c":{"weight":1}}}' }),
    ],
    placements: [placement('worker-on-b-and-c', { resources: { resources: [{ kind: 'Deployment', name: 'worker' }] }, clusters: { names: ['b', 'c'] }, replicas: { rebalance: false, clusters: { b: { weight: 2, minReplicas: 0, maxReplicas: null }, c: { weight: 1, minReplicas: 0, maxReplicas: null } } } })],
  });
  const r = render({ fleet: f, observations: {}, allocations: emptyAllocations() });
  const plan = (name: string) => r.replicas.find((d) => d.ref.name === name)!.plan;
  assert.deepEqual(plan('api'), { a: 5, b: 5 });
  assert.deepEqual(plan('worker'), { b: 6, c: 3 });
  assert.deepEqual(plan('legacy'), { a: 3, c: 1 }, 'b is matched by no key');
  assert.equal((r.clusters[1]!.objects.find((o) => o.metadata.name === 'legacy')!.spec as { replicas: number }).replicas, 0);
  assert.equal(r.clusters[2]!.objects.find((o) => o.metadata.name === 'api'), undefined);
  assert.equal(r.clusters[0]!.objects.find((o) => o.metadata.name === 'worker'), undefined);
});

test('render: an Override patches one cluster; a failing patch blocks that object there with the op line', () => {
  const f = sampleFleet();
  f.overrides = [
    override('eu-image', { resources: { resources: [{ kind: 'Deployment', name: 'nginx' }] }, clusters: { names: ['europe-west1'] },
      patches: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:eu' }] }),
    override('asia-broken', { resources: { resources: [{ kind: 'Service', name: 'nginx' }] }, clusters: { names: ['asia-east1'] },
      patches: [{ op: 'replace', path: '/spec/nothere', value: 1 }] }),
  ];
  const r = render({ fleet: f, observations: {}, allocations: emptyAllocations() });
  const image = (c: string) => ((find(r, c, 'Deployment', 'nginx')!.spec as any).template.spec.containers[0].image);
  assert.equal(image('europe-west1'), 'nginx:eu');
  assert.equal(image('us-east1'), 'nginx');
  const blocked = r.clusters[2]!.blocked[0]!;
  assert.equal(blocked.ref.kind, 'Service');
  assert.equal(blocked.finding.place?.line, f.overrides[1]!.patches[0]!.place.line);
  assert.ok(find(r, 'us-east1', 'Service', 'nginx'));
});

test('render: an empty fleet renders nothing and is fine', () => {
  const r = render({ fleet: fleet({}), observations: {}, allocations: emptyAllocations() });
  assert.deepEqual(r.clusters, []);
  assert.deepEqual(r.findings, []);
});

test('render: Ingresses of other classes neither need NodePort Services nor get shared ports', () => {
  const f = fleet({ clusters: [cluster('a')], manifests: [service('internal', { type: 'ClusterIP' }), ingress('int', 'internal', { className: 'nginx', staticIp: null })] });
  const r = render({ fleet: f, observations: {}, allocations: emptyAllocations() });
  assert.deepEqual(r.findings.filter((x) => x.severity !== 'info'), []);
  assert.deepEqual(r.allocations.nodePorts, {});
});
