// The pure parts of gitfed on GCE: which Ingresses wait for their static IP,
// the reason a cluster's backend is not HEALTHY, the firewall check and its
// gcloud fix, and which resources are orphans (never one a member still uses).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addGceHealth } from '../../operator/cluster/gce-health.js';
import type { GceEdge, IngressStatus } from '../../operator/cluster/reconcile-types.js';
import { blockUnreserved, reserveStaticIps } from '../../operator/cluster/static-ips.js';
import { firewallChecks } from '../../operator/core/gce-firewall.js';
import { findOrphans, type CloudResource } from '../../operator/core/gce-orphans.js';
import type { ClusterRender, ClusterSpec, KubeObject } from '../../operator/core/model.js';
import { operationError } from '../../operator/gce/operation.js';

const clusters = [
  { name: 'a', provider: 'gce', gce: { project: 'p', zone: 'za' } },
  { name: 'b', provider: 'gce', gce: { project: 'p', zone: 'zb' } },
  { name: 'x', provider: 'gce' },
  { name: 'o', provider: 'other' },
] as unknown as ClusterSpec[];
const gceSet = new Set(['a', 'b', 'x']);

const ingress = (ip?: string): KubeObject => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'web', namespace: 'n', ...(ip ? { annotations: { 'kubernetes.io/ingress.global-static-ip-name': ip } } : {}) } });
const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'n' } };

function edge(over: Partial<GceEdge> = {}): GceEdge & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    address: async (project, name, lookupOnly) => { calls.push(`${lookupOnly ? 'get' : 'ensure'} ${project}/${name}`); return { address: '203.0.113.7', created: !lookupOnly }; },
    backendHealth: async () => undefined,
    ...over,
  };
}

test('static IPs: one call per project and name; a failure blocks only that Ingress, in every cluster', async () => {
  const renders: ClusterRender[] = clusters.slice(0, 2).map((c) => ({ cluster: c.name, objects: [svc, ingress('ip1')], blocked: [] }));
  const ok = edge();
  const good = await reserveStaticIps(ok, renders, clusters);
  assert.deepEqual(ok.calls, ['ensure p/ip1']);
  assert.deepEqual(good.get('Ingress n/web') ?? [...good.values()][0], [{ name: 'ip1', project: 'p', address: '203.0.113.7', created: true }]);
  assert.equal(blockUnreserved(renders[0]!, good, gceSet), renders[0]);

  const bad = await reserveStaticIps(edge({ address: async () => { throw new Error('GCE globalAddresses.insert projects/p/global/addresses/ip1: QUOTA_EXCEEDED'); } }), renders, clusters);
  const held = blockUnreserved(renders[1]!, bad, gceSet);
  assert.equal(blockUnreserved({ cluster: 'o', objects: [ingress('ip1')], blocked: [] }, bad, gceSet).objects.length, 1, 'a cluster of another provider does not use the address');
  assert.deepEqual(held.objects, [svc]);
  assert.equal(held.blocked[0]!.finding.code, 'StaticIpNotReserved');
  assert.match(held.blocked[0]!.finding.message, /static IP ip1 \(project p\) is not reserved, so the Ingress is not applied: GCE globalAddresses\.insert .*QUOTA_EXCEEDED/);

  const noProject = await reserveStaticIps(edge(), [{ cluster: 'x', objects: [ingress('ip1')], blocked: [] }], clusters);
  assert.match([...noProject.values()][0]![0]!.error!, /no spec\.gce\.project/);
  assert.equal((await reserveStaticIps(edge(), [{ cluster: 'a', objects: [ingress()], blocked: [] }], clusters)).size, 0, 'no annotation, no call');
  assert.equal((await reserveStaticIps(edge(), [{ cluster: 'o', objects: [ingress('ip1')], blocked: [] }], clusters)).size, 0, 'another provider, no call');
});

test('an Operation DONE with an error is a failure; one without is not', () => {
  assert.equal(operationError({ status: 'DONE' }), undefined);
  assert.equal(operationError({ status: 'DONE', error: { errors: [{ code: 'QUOTA_EXCEEDED', message: 'Quota exceeded' }] } }), 'QUOTA_EXCEEDED: Quota exceeded');
});

function ing(shards: Array<[string, Record<string, string>, number]>): IngressStatus {
  return { ref: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'n', name: 'web' }, addresses: [], shards: shards.map(([cluster, backends, ready]) => ({ cluster, ips: [], backends, readyEndpoints: ready, totalEndpoints: 1 })) };
}

test('backend health: per cluster by zone, with the reason: no ready endpoints, firewall, different uid, different node port', async () => {
  const three = [...clusters, { name: 'c', provider: 'gce', gce: { project: 'p', zone: 'zc' } }] as unknown as ClusterSpec[];
  const e = edge({
    backendHealth: async (_p, bs) => bs === 'k8s-be-30080--u1' ? [
      { zone: 'za', group: 'za/ig', state: 'HEALTHY', healthy: 2, total: 2 },
      { zone: 'zb', group: 'zb/ig', state: 'UNHEALTHY', healthy: 0, total: 2 },
    ] : undefined,
  });
  const i = ing([['a', { 'k8s-be-30080--u1': 'HEALTHY' }, 1], ['b', { 'k8s-be-30080--u1': 'UNHEALTHY' }, 0], ['c', { 'k8s-be-30080--u2': 'HEALTHY' }, 1]]);
  await addGceHealth(e, [i], three);
  assert.equal(i.shards[0]!.gce!.state, 'HEALTHY');
  assert.deepEqual([i.shards[1]!.gce!.state, i.shards[1]!.gce!.reason], ['UNHEALTHY', 'no ready endpoints in this cluster']);
  assert.equal(i.shards[2]!.gce!.state, 'MISSING');
  assert.match(i.shards[2]!.gce!.reason!, /^different uid/);

  const j = ing([['a', { 'k8s-be-30080--u1': 'HEALTHY' }, 1], ['b', { 'k8s-be-30080--u1': 'UNHEALTHY' }, 1], ['c', { 'k8s-be-30099--u1': 'HEALTHY' }, 1]]);
  await addGceHealth(e, [j], three);
  assert.match(j.shards[1]!.gce!.reason!, /firewall missing/);
  assert.match(j.shards[2]!.gce!.reason!, /^different node port: this cluster's Service has node port 30099, not 30080/);

  // A cluster that stopped answering still shows its last ready endpoints: the reason is that it does not answer, not the firewall.
  const p = ing([['a', { 'k8s-be-30080--u1': 'HEALTHY' }, 1], ['b', { 'k8s-be-30080--u1': 'HEALTHY' }, 1]]);
  await addGceHealth(e, [p], three, new Set(['b']));
  assert.equal(p.shards[1]!.gce!.state, 'UNHEALTHY');
  assert.match(p.shards[1]!.gce!.reason!, /^the cluster is not Ready/);

  const k = ing([['a', { 'k8s-be-30080--u1': 'HEALTHY' }, 1]]);
  await addGceHealth(edge({ backendHealth: async () => { throw new Error('GCE down'); } }), [k], three);
  assert.deepEqual([k.shards[0]!.gce!.state, k.shards[0]!.gce!.reason], ['ERROR', 'GCE down']);
});

const fw = (name: string, data: Record<string, unknown>): CloudResource => ({ collection: 'firewalls', name, data: { network: 'https://x/global/networks/default', direction: 'INGRESS', sourceRanges: ['130.211.0.0/22', '35.191.0.0/16'], allowed: [{ IPProtocol: 'tcp', ports: ['30000-32767'] }], ...data } });

test('firewall: GLBC\'s own rule or an untagged one must admit both ranges to every federated node port; else FAIL with the gcloud command', () => {
  const members = [{ cluster: 'a', project: 'p', firewall: 'k8s-fw-l7--pa' }, { cluster: 'b', project: 'p', firewall: 'k8s-fw-l7--pb' }];
  const checks = firewallChecks([fw('k8s-fw-l7--pa', { targetTags: ['a-node'] })], [30080], members);
  assert.deepEqual(checks.map((c) => c.verdict), ['OK', 'FAIL']);
  assert.equal(checks[1]!.fix, 'gcloud compute firewall-rules create k8s-fw-l7--pb --project p --network default --direction INGRESS --source-ranges 130.211.0.0/22,35.191.0.0/16 --allow tcp:30080');
  const narrow = firewallChecks([fw('k8s-fw-l7--pa', { sourceRanges: ['130.211.0.0/22'] })], [30080], members.slice(0, 1));
  assert.equal(narrow[0]!.verdict, 'FAIL');
  assert.match(narrow[0]!.fix!, /^gcloud compute firewall-rules update k8s-fw-l7--pa --project p/);
  assert.equal(firewallChecks([fw('any', {})], [30080], members).every((c) => c.verdict === 'OK'), true, 'an untagged rule admits every node');
  assert.equal(firewallChecks([fw('any', { network: 'https://x/global/networks/other' })], [30080], members)[0]!.verdict, 'FAIL', 'another network');
});

test('orphans: an old uid\'s set and a firewall of no provider-uid; never a member\'s; nothing while a member\'s uid is unknown', () => {
  const rs: CloudResource[] = [
    { collection: 'backendServices', name: 'k8s-be-30080--new' },
    { collection: 'backendServices', name: 'k8s-be-30080--old' },
    { collection: 'urlMaps', name: 'k8s-um-n-web--old' },
    { collection: 'instanceGroups', name: 'k8s-ig--old', zone: 'za', data: { size: 2 } },
    { collection: 'instanceGroups', name: 'k8s-ig--new', zone: 'za', data: { size: 0 } },
    { collection: 'firewalls', name: 'k8s-fw-l7--pa' },
    { collection: 'firewalls', name: 'k8s-fw-l7--gone' },
    { collection: 'firewalls', name: 'user-rule' },
  ];
  const r = findOrphans(rs, [{ cluster: 'a', uid: 'new', providerUid: 'pa', zone: 'za' }]);
  assert.deepEqual(r.orphans.map((o) => o.resource.name), ['k8s-be-30080--old', 'k8s-um-n-web--old', 'k8s-ig--old', 'k8s-fw-l7--gone']);
  assert.match(r.orphans[2]!.blocks!, /instanceInMultipleLoadBalancedIgs/);
  // A cluster in another zone still on the old uid keeps the global set; the old group in za is still a leftover.
  const mixed = findOrphans(rs, [{ cluster: 'a', uid: 'new', providerUid: 'pa', zone: 'za' }, { cluster: 'b', uid: 'old', providerUid: 'gone', zone: 'zb' }]);
  assert.deepEqual(mixed.orphans.map((o) => o.resource.name), ['k8s-ig--old']);
  assert.deepEqual(mixed.orphans[0]!.uidInUseBy, ['b'], 'listed, but gce gc keeps it: its uid is still in use');
  assert.equal(r.orphans.some((o) => o.uidInUseBy), false);
  assert.deepEqual(findOrphans(rs, [{ cluster: 'a', uid: 'new', zone: 'za' }, { cluster: 'b', zone: 'zb' }]), { orphans: [], unknown: ['b'] });
});

test('doctor: an UNHEALTHY backend with ready endpoints in a cluster whose firewall check fails says "firewall missing"; orphans point to gce gc', async () => {
  const { gceChecks } = await import('../../operator/cli/gce-checks.js');
  const i = ing([['a', { 'k8s-be-30080--u1': 'UNHEALTHY' }, 1]]);
  i.shards[0]!.gce = { backendService: 'k8s-be-30080--u1', state: 'UNHEALTHY', healthy: 0, total: 2, reason: 'endpoints are ready but ...' };
  const result = { clusters: [], ingresses: [i], replicas: [], allocations: { nodePorts: {}, glbc: { providerUids: {} } }, findings: [], renderFailed: false };
  const firewall = firewallChecks([], [30080], [{ cluster: 'a', project: 'p', firewall: 'k8s-fw-l7--pa' }]);
  const orphans = findOrphans([{ collection: 'urlMaps', name: 'k8s-um-n-web--old' }], [{ cluster: 'a', uid: 'u1', zone: 'za' }]);
  const checks = gceChecks(result, [{ project: 'p', resources: [], orphans, firewall }], 'gitfed gce gc DIR --yes');
  assert.match(checks.find((c) => c.check === 'gce-backend')!.message, /: firewall missing \(see the firewall check\)$/);
  assert.equal(checks.find((c) => c.check === 'firewall')!.verdict, 'FAIL');
  assert.deepEqual(checks.filter((c) => c.check === 'orphans').map((c) => [c.verdict, c.fix]), [['WARN', 'gitfed gce gc DIR --yes']]);
});
