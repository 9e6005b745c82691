// The Compute Engine stand-in answers the real @google-cloud/compute client
// (REST transport) with Compute Engine's shapes: Operations, 404/409 errors,
// instance groups per zone, backend health per group, and the rules GLBC's
// hazards hinge on. Plus GLBC's names, truncation included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BackendServicesClient, FirewallsClient, GlobalAddressesClient, GlobalForwardingRulesClient, GlobalOperationsClient,
  HealthChecksClient, InstanceGroupsClient, TargetHttpProxiesClient, UrlMapsClient, ZoneOperationsClient,
} from '@google-cloud/compute';
import { glbcLoadBalancerForUrlMap, glbcNameBelongsTo, glbcNames, glbcTruncate } from '../../operator/core/glbc-names.js';
import { backendServiceHealth } from '../../operator/gce/backend-health.js';
import { gceClients } from '../../operator/gce/gce-clients.js';
import { ensureGlobalAddress } from '../../operator/gce/static-ip.js';
import { describeCompute } from '../../operator/sandbox/compute-summary.js';
import { useComputeStandin, type StandinClients } from '../helpers/compute-standin-clients.js';

const cloud = useComputeStandin();
const client: StandinClients['client'] = (C) => cloud.client(C);
const project = 'p1';
const zone = 'us-east1-b';

test('compute stand-in: address insert returns a DONE Operation, wait answers DONE, get finds it; 404 is code 5, 409 on a second insert', async () => {
  const addresses = client(GlobalAddressesClient);
  const [op] = await addresses.insert({ project, addressResource: { name: 'web-ip' } });
  const latest = op.latestResponse as unknown as { name: string; status: string; operationType: string; targetLink: string };
  assert.equal(latest.status, 'DONE');
  assert.equal(latest.operationType, 'insert');
  assert.match(latest.targetLink, /\/compute\/v1\/projects\/p1\/global\/addresses\/web-ip$/);
  const [waited] = await client(GlobalOperationsClient).wait({ project, operation: latest.name });
  assert.equal(waited.status, 'DONE');
  assert.ok(!waited.error);
  const [addr] = await addresses.get({ project, address: 'web-ip' });
  assert.equal(addr.name, 'web-ip');
  assert.equal(addr.status, 'RESERVED');
  assert.match(addr.address ?? '', /^198\.51\.100\.\d+$/);
  await assert.rejects(addresses.get({ project, address: 'nope' }), (e: any) => e.code === 5);
  await assert.rejects(addresses.insert({ project, addressResource: { name: 'web-ip' } }), (e: any) => e.code === 6 || /already exists/.test(e.message));
  const [list] = await addresses.list({ project });
  assert.deepEqual(list.map((a) => a.name), ['web-ip']);
  // gitfed's own reservation path works against it too.
  const gce = gceClients({ endpoint: cloud.standin.url });
  try {
    assert.deepEqual(await ensureGlobalAddress(gce, project, 'web-ip'), { name: 'web-ip', address: addr.address, created: false });
    assert.equal((await ensureGlobalAddress(gce, project, 'other-ip')).created, true);
  } finally {
    await gce.close();
  }
});

test('compute stand-in: instance group per zone, named ports, instances; backend service getHealth per group', async () => {
  const groups = client(InstanceGroupsClient);
  const [op] = await groups.insert({ project, zone, instanceGroupResource: { name: 'k8s-ig--abc', network: 'global/networks/default' } });
  const opName = (op.latestResponse as unknown as { name: string; zone: string }).name;
  assert.match((op.latestResponse as unknown as { zone: string }).zone, /\/zones\/us-east1-b$/);
  assert.equal((await client(ZoneOperationsClient).wait({ project, zone, operation: opName }))[0].status, 'DONE');
  const instance = (n: string) => `https://www.googleapis.com/compute/v1/projects/${project}/zones/${zone}/instances/${n}`;
  await groups.addInstances({ project, zone, instanceGroup: 'k8s-ig--abc', instanceGroupsAddInstancesRequestResource: { instances: [{ instance: instance('n1') }, { instance: instance('n2') }] } });
  await groups.setNamedPorts({ project, zone, instanceGroup: 'k8s-ig--abc', instanceGroupsSetNamedPortsRequestResource: { namedPorts: [{ name: 'port30080', port: 30080 }] } });
  const [ig] = await groups.get({ project, zone, instanceGroup: 'k8s-ig--abc' });
  assert.equal(ig.size, 2);
  assert.deepEqual(ig.namedPorts?.map((p) => [p.name, p.port]), [['port30080', 30080]]);
  const [members] = await groups.listInstances({ project, zone, instanceGroup: 'k8s-ig--abc', instanceGroupsListInstancesRequestResource: {} });
  assert.deepEqual(members.map((m) => m.instance), [instance('n1'), instance('n2')]);

  await client(HealthChecksClient).insert({ project, healthCheckResource: { name: 'k8s-be-30080--abc', type: 'HTTP', httpHealthCheck: { port: 30080, requestPath: '/' } } });
  const services = client(BackendServicesClient);
  await services.insert({ project, backendServiceResource: { name: 'k8s-be-30080--abc', port: 30080, portName: 'port30080', protocol: 'HTTP', healthChecks: [`projects/${project}/global/healthChecks/k8s-be-30080--abc`], backends: [{ group: ig.selfLink! }] } });
  cloud.standin.store.setHealth(project, 'k8s-be-30080--abc', ig.selfLink!, 'HEALTHY');
  // Ready endpoints are not enough: Google's probers need a firewall rule to the node port.
  const [blocked] = await services.getHealth({ project, backendService: 'k8s-be-30080--abc', resourceGroupReferenceResource: { group: ig.selfLink! } });
  assert.deepEqual(blocked.healthStatus?.map((h) => h.healthState), ['UNHEALTHY', 'UNHEALTHY']);
  await client(FirewallsClient).insert({ project, firewallResource: { name: 'allow-probers', network: 'global/networks/default', sourceRanges: ['130.211.0.0/22', '35.191.0.0/16'], allowed: [{ IPProtocol: 'tcp' }] } });
  const [health] = await services.getHealth({ project, backendService: 'k8s-be-30080--abc', resourceGroupReferenceResource: { group: ig.selfLink! } });
  assert.deepEqual(health.healthStatus?.map((h) => [h.instance, h.port, h.healthState]), [[instance('n1'), 30080, 'HEALTHY'], [instance('n2'), 30080, 'HEALTHY']]);
  const gce = gceClients({ endpoint: cloud.standin.url });
  try {
    assert.deepEqual((await backendServiceHealth(gce, project, 'k8s-be-30080--abc')).map((g) => [g.zone, g.state, g.healthy, g.total]), [[zone, 'HEALTHY', 2, 2]]);
  } finally {
    await gce.close();
  }
  // The same nodes in a second load-balanced group: Compute Engine refuses (a leftover k8s-ig--<old uid>).
  await groups.insert({ project, zone, instanceGroupResource: { name: 'k8s-ig--new' } });
  await groups.addInstances({ project, zone, instanceGroup: 'k8s-ig--new', instanceGroupsAddInstancesRequestResource: { instances: [{ instance: instance('n1') }] } });
  const [newIg] = await groups.get({ project, zone, instanceGroup: 'k8s-ig--new' });
  await services.insert({ project, backendServiceResource: { name: 'k8s-be-30080--new', port: 30080, portName: 'port30080' } });
  await assert.rejects(services.patch({ project, backendService: 'k8s-be-30080--new', backendServiceResource: { backends: [{ group: newIg.selfLink! }] } }), /instance may belong to at most one load-balanced instance group/);
  // A group still behind a backend service cannot be deleted.
  await assert.rejects(groups.delete({ project, zone, instanceGroup: 'k8s-ig--abc' }), /already being used by/);
});

test('compute stand-in: URL map, target proxy, forwarding rule on the reserved address, firewall; an injected failure ends DONE with error', async () => {
  const bs = `projects/${project}/global/backendServices/k8s-be-30080--abc`;
  await client(UrlMapsClient).insert({ project, urlMapResource: { name: 'k8s-um-web-web--abc', defaultService: bs } });
  await client(TargetHttpProxiesClient).insert({ project, targetHttpProxyResource: { name: 'k8s-tp-web-web--abc', urlMap: `projects/${project}/global/urlMaps/k8s-um-web-web--abc` } });
  const [addr] = await client(GlobalAddressesClient).get({ project, address: 'web-ip' });
  const rules = client(GlobalForwardingRulesClient);
  await rules.insert({ project, forwardingRuleResource: { name: 'k8s-fw-web-web--abc', IPAddress: addr.address!, portRange: '80-80', target: `projects/${project}/global/targetHttpProxies/k8s-tp-web-web--abc` } });
  const [fr] = await rules.get({ project, forwardingRule: 'k8s-fw-web-web--abc' });
  assert.equal(fr.IPAddress, addr.address);
  assert.equal((await client(GlobalAddressesClient).get({ project, address: 'web-ip' }))[0].status, 'IN_USE');
  await assert.rejects(client(UrlMapsClient).delete({ project, urlMap: 'k8s-um-web-web--abc' }), /already being used by/);
  // A reference to a missing resource is a 404 at insert.
  await assert.rejects(client(TargetHttpProxiesClient).insert({ project, targetHttpProxyResource: { name: 'k8s-tp-x--abc', urlMap: `projects/${project}/global/urlMaps/missing` } }), (e: any) => e.code === 5);

  const firewalls = client(FirewallsClient);
  cloud.standin.failNext({ collection: 'firewalls', verb: 'insert', code: 'QUOTA_EXCEEDED', message: 'Quota FIREWALLS exceeded' });
  const [failed] = await firewalls.insert({ project, firewallResource: { name: 'k8s-fw-l7--p1', sourceRanges: ['130.211.0.0/22', '35.191.0.0/16'], allowed: [{ IPProtocol: 'tcp', ports: ['30000-32767'] }] } });
  const failedOp = failed.latestResponse as unknown as { status: string; error?: { errors: Array<{ code: string }> } };
  assert.equal(failedOp.status, 'DONE', 'the client does not throw for an Operation that ends with an error');
  assert.equal(failedOp.error?.errors[0]?.code, 'QUOTA_EXCEEDED');
  await assert.rejects(firewalls.get({ project, firewall: 'k8s-fw-l7--p1' }), (e: any) => e.code === 5);
  await firewalls.insert({ project, firewallResource: { name: 'k8s-fw-l7--p1', sourceRanges: ['130.211.0.0/22', '35.191.0.0/16'], allowed: [{ IPProtocol: 'tcp', ports: ['30000-32767'] }], targetTags: ['a'] } });
  await firewalls.update({ project, firewall: 'k8s-fw-l7--p1', firewallResource: { name: 'k8s-fw-l7--p1', sourceRanges: ['130.211.0.0/22', '35.191.0.0/16'], allowed: [{ IPProtocol: 'tcp', ports: ['30000-32767'] }], targetTags: ['b'] } });
  assert.deepEqual((await firewalls.get({ project, firewall: 'k8s-fw-l7--p1' }))[0].targetTags, ['b']);

  const snap = cloud.standin.snapshot();
  assert.deepEqual(snap.forwardingRules!.map((r) => r.name), ['k8s-fw-web-web--abc']);
  assert.deepEqual(snap.instanceGroups!.map((g) => [g.name, g.instances!.length]), [['k8s-ig--abc', 2], ['k8s-ig--new', 1]]);
  assert.ok(snap.backendServices!.every((b) => /^\d+$/.test(b.id)));
  // The demo's view of it: one line per resource, with what it points at.
  const lines = describeCompute(snap, { 'k8s-be-30080--abc': { [`${zone}/k8s-ig--abc`]: 'HEALTHY 2/2' } });
  assert.ok(lines.includes(`backend service    k8s-be-30080--abc: 1 instance group(s): ${zone}/k8s-ig--abc HEALTHY 2/2`), lines.join('\n'));
  assert.ok(lines.includes(`forwarding rule    k8s-fw-web-web--abc ${addr.address}:80-80 -> k8s-tp-web-web--abc`), lines.join('\n'));
});

test('GLBC names: as ingress-gce namer.go builds them, cut at 62 characters plus "0"', () => {
  const n = glbcNames('5f1c0a2b3c4d5e6f', 'a1b2c3d4e5f60718', { namespace: 'web', name: 'nginx' });
  assert.equal(n.instanceGroup, 'k8s-ig--5f1c0a2b3c4d5e6f');
  assert.equal(n.backend(30080), 'k8s-be-30080--5f1c0a2b3c4d5e6f');
  assert.equal(n.namedPort(30080), 'port30080');
  assert.equal(n.urlMap, 'k8s-um-web-nginx--5f1c0a2b3c4d5e6f');
  assert.equal(n.targetHttpProxy, 'k8s-tp-web-nginx--5f1c0a2b3c4d5e6f');
  assert.equal(n.targetHttpsProxy, 'k8s-tps-web-nginx--5f1c0a2b3c4d5e6f');
  assert.equal(n.forwardingRule, 'k8s-fw-web-nginx--5f1c0a2b3c4d5e6f');
  assert.equal(n.httpsForwardingRule, 'k8s-fws-web-nginx--5f1c0a2b3c4d5e6f');
  assert.equal(n.firewall, 'k8s-fw-l7--a1b2c3d4e5f60718');
  assert.equal(glbcNames('u1', undefined).firewall, 'k8s-fw-l7--u1', 'no provider-uid: the uid names the firewall');
  const long = glbcNames('5f1c0a2b3c4d5e6f', 'x', { namespace: 'a-very-long-namespace-name', name: 'and-a-long-ingress-name' });
  assert.equal(long.urlMap, 'k8s-um-a-very-long-namespace-name-and-a-long-ingress-name--5f10');
  assert.equal(long.urlMap.length, 63);
  assert.equal(glbcTruncate('x'.repeat(62)), 'x'.repeat(62));
  // Which names GLBC counts as its own (and collects): its exact uid, or a 5+ character prefix of it (a cut name's trailing 0 aside).
  assert.equal(glbcNameBelongsTo(n.urlMap, '5f1c0a2b3c4d5e6f'), true);
  assert.equal(glbcNameBelongsTo(n.urlMap, 'legacy0000000001'), false);
  assert.equal(glbcNameBelongsTo('k8s-um-web-nginx--5f1c0', '5f1c0a2b3c4d5e6f'), true, 'namer.go counts a 5+ character uid prefix in any name');
  assert.equal(glbcNameBelongsTo('k8s-um-web-nginx--5f1c', '5f1c0a2b3c4d5e6f'), false);
  assert.equal(glbcNameBelongsTo(`${'k8s-fws-' + 'a'.repeat(48)}--5f1c0a`, '5f1c0a2b3c4d5e6f'), true, 'a cut name: its uid prefix counts');
  assert.equal(glbcNameBelongsTo(`${'k8s-fws-' + 'a'.repeat(50)}--5f10`, '5f1c0a2b3c4d5e6f'), false, 'four characters are too few to count');
  assert.equal(glbcNameBelongsTo('k8s-ssl-0123456789abcdef-fedcba9876543210--5f1c0a2b3c4d5e6f', '5f1c0a2b3c4d5e6f'), true);
  assert.equal(glbcNameBelongsTo('other-um-web--5f1c0a2b3c4d5e6f', '5f1c0a2b3c4d5e6f'), false);
  assert.equal(glbcLoadBalancerForUrlMap(n.urlMap, '5f1c0a2b3c4d5e6f'), 'web-nginx--5f1c0a2b3c4d5e6f');
});
