// The Compute Engine stand-in's health checks (firewall, node reachability,
// ready endpoints), list filters and paging as the real client and gitfed's
// inventory use them, the proxy setters, one forwarding rule per IP:port,
// and the names and paths GLBC derives (v2 front ends, readiness probe path).
import assert from 'node:assert/strict';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { test } from 'node:test';
import {
  BackendServicesClient, FirewallsClient, GlobalAddressesClient, GlobalForwardingRulesClient, HealthChecksClient, InstanceGroupsClient,
  SslCertificatesClient, TargetHttpProxiesClient, TargetHttpsProxiesClient, UrlMapsClient,
} from '@google-cloud/compute';
import { glbcContentHash, glbcV2FrontendNames, trimFieldsEvenly } from '../../operator/core/glbc-names-v2.js';
import { computeClientOptions } from '../../operator/gce/gce-clients.js';
import { gceInventory } from '../../operator/gce/inventory.js';
import { rangeContains } from '../../operator/sandbox/compute-health.js';
import { parseFilter } from '../../operator/sandbox/compute-list.js';
import { startComputeStandin } from '../../operator/sandbox/compute-standin.js';
import { probePathFor } from '../../operator/sandbox/glbc-probe-path.js';
import { useComputeStandin, type StandinClients } from '../helpers/compute-standin-clients.js';

const project = 'p2';
const zone = 'us-east1-b';
const cloud = useComputeStandin();
const client: StandinClients['client'] = (C) => cloud.client(C);
const link = (rel: string) => `https://www.googleapis.com/compute/v1/projects/${project}/${rel}`;

/** A group of two tagged instances behind backend service `bs` on node port 30100, endpoints ready. */
async function backend(bs: string, group: string, tag: string): Promise<string> {
  const req = (rel: string, body: unknown) => fetch(`${cloud.standin.url}/compute/v1/projects/${project}/${rel}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  for (const n of [`${group}-n1`, `${group}-n2`]) await req(`zones/${zone}/instances`, { name: n, tags: { items: [tag] } });
  const groups = client(InstanceGroupsClient);
  await groups.insert({ project, zone, instanceGroupResource: { name: group, network: link('global/networks/default') } });
  await groups.addInstances({ project, zone, instanceGroup: group, instanceGroupsAddInstancesRequestResource: { instances: [{ instance: link(`zones/${zone}/instances/${group}-n1`) }, { instance: link(`zones/${zone}/instances/${group}-n2`) }] } });
  await groups.setNamedPorts({ project, zone, instanceGroup: group, instanceGroupsSetNamedPortsRequestResource: { namedPorts: [{ name: 'port30100', port: 30100 }] } });
  await client(HealthChecksClient).insert({ project, healthCheckResource: { name: bs, type: 'HTTP', httpHealthCheck: { port: 30100, requestPath: '/' } } });
  const selfLink = link(`zones/${zone}/instanceGroups/${group}`);
  await client(BackendServicesClient).insert({ project, backendServiceResource: { name: bs, port: 30100, portName: 'port30100', healthChecks: [link(`global/healthChecks/${bs}`)], backends: [{ group: selfLink }] } });
  cloud.standin.store.setHealth(project, bs, selfLink, 'HEALTHY');
  return selfLink;
}

async function states(bs: string, group: string): Promise<string[]> {
  const [h] = await client(BackendServicesClient).getHealth({ project, backendService: bs, resourceGroupReferenceResource: { group } });
  return (h.healthStatus ?? []).map((s) => s.healthState!);
}
const reasons = async (bs: string) => (await cloud.standin.health()).filter((r) => r.backendService === bs).map((r) => r.reason ?? 'HEALTHY');

test('health: UNHEALTHY until a firewall admits both prober ranges on the node port to the instances\' tags; the reason is on /_standin/health', async () => {
  const group = await backend('k8s-be-30100--fw', 'k8s-ig--fw', 'c1-node');
  const fw = client(FirewallsClient);
  assert.deepEqual(await states('k8s-be-30100--fw', group), ['UNHEALTHY', 'UNHEALTHY'], 'no firewall');
  assert.match((await reasons('k8s-be-30100--fw'))[0]!, /no firewall rule admits 130\.211\.0\.0\/22 and 35\.191\.0\.0\/16 to tcp:30100 on network default for tags \[c1-node\]/);
  const rule = { name: 'k8s-fw-l7--fw', network: link('global/networks/default'), sourceRanges: ['130.211.0.0/22', '35.191.0.0/16'], allowed: [{ IPProtocol: 'tcp', ports: ['30000-32767'] }], targetTags: ['other-node'] };
  await fw.insert({ project, firewallResource: rule });
  assert.deepEqual(await states('k8s-be-30100--fw', group), ['UNHEALTHY', 'UNHEALTHY'], 'a rule for other tags');
  await fw.update({ project, firewall: 'k8s-fw-l7--fw', firewallResource: { ...rule, targetTags: ['c1-node'], sourceRanges: ['130.211.0.0/22'] } });
  assert.deepEqual(await states('k8s-be-30100--fw', group), ['UNHEALTHY', 'UNHEALTHY'], 'only one of the two ranges');
  await fw.update({ project, firewall: 'k8s-fw-l7--fw', firewallResource: { ...rule, targetTags: ['c1-node'], allowed: [{ IPProtocol: 'tcp', ports: ['80', '443'] }] } });
  assert.deepEqual(await states('k8s-be-30100--fw', group), ['UNHEALTHY', 'UNHEALTHY'], 'not the node port');
  await fw.update({ project, firewall: 'k8s-fw-l7--fw', firewallResource: { ...rule, targetTags: ['c1-node'] } });
  assert.deepEqual(await states('k8s-be-30100--fw', group), ['HEALTHY', 'HEALTHY']);
  assert.deepEqual(await reasons('k8s-be-30100--fw'), ['HEALTHY', 'HEALTHY']);
  await fw.update({ project, firewall: 'k8s-fw-l7--fw', firewallResource: { ...rule, targetTags: ['c1-node'], disabled: true } });
  assert.deepEqual(await states('k8s-be-30100--fw', group), ['UNHEALTHY', 'UNHEALTHY'], 'a disabled rule admits nothing');
  // A wider range admits the probers too, and a rule without target tags applies to every instance of its network.
  await fw.update({ project, firewall: 'k8s-fw-l7--fw', firewallResource: { ...rule, targetTags: [], sourceRanges: ['0.0.0.0/0'] } });
  assert.deepEqual(await states('k8s-be-30100--fw', group), ['HEALTHY', 'HEALTHY']);
  // Ready endpoints still count: none -> UNHEALTHY with that reason.
  cloud.standin.store.setHealth(project, 'k8s-be-30100--fw', group, 'UNHEALTHY');
  assert.deepEqual(await reasons('k8s-be-30100--fw'), ['no ready endpoints for the Service in this cluster', 'no ready endpoints for the Service in this cluster']);
  assert.equal(rangeContains('130.211.0.0/16', '130.211.0.0/22'), true);
  assert.equal(rangeContains('130.211.0.0/23', '130.211.0.0/22'), false);
});

test('health: a group whose cluster does not answer (refused, or accepted and silent like a paused process) is UNHEALTHY, whatever GLBC last said', async () => {
  const group = await backend('k8s-be-30100--gone', 'k8s-ig--gone', 'c2-node');
  await client(FirewallsClient).insert({ project, firewallResource: { name: 'k8s-fw-l7--gone', sourceRanges: ['130.211.0.0/22', '35.191.0.0/16'], allowed: [{ IPProtocol: 'tcp' }] } });
  assert.deepEqual(await states('k8s-be-30100--gone', group), ['HEALTHY', 'HEALTHY']);
  // A listener that accepts connections and never answers: what a SIGSTOPped apiserver looks like.
  const sockets: Socket[] = [];
  const silent = createTcpServer((s) => { sockets.push(s); });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  const port = (silent.address() as { port: number }).port;
  try {
    await fetch(`${cloud.standin.url}/_standin/probe`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ project, group, cluster: 'c2', server: `https://127.0.0.1:${port}`, ca: '' }) });
    const started = Date.now();
    assert.deepEqual(await states('k8s-be-30100--gone', group), ['UNHEALTHY', 'UNHEALTHY']);
    assert.ok(Date.now() - started < 10_000, 'the probe has a short timeout');
    assert.match((await reasons('k8s-be-30100--gone'))[0]!, /^the nodes of cluster c2 do not answer \(its apiserver https:\/\/127\.0\.0\.1:\d+: no answer within 1500 ms\)$/);
  } finally {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
  // The port now refuses connections: a stopped cluster.
  await new Promise((r) => setTimeout(r, 1100)); // past the probe cache, not a wait for a condition
  assert.match((await reasons('k8s-be-30100--gone'))[0]!, /the nodes of cluster c2 do not answer .*ECONNREFUSED/);
});

test('list: filter (= with wildcards, !=, eq/ne regexps, nested fields, parenthesized AND); anything else is a 400, not every item', async () => {
  const fw = client(FirewallsClient);
  for (const name of ['k8s-fw-l7--aaa', 'k8s-fw-l7--bbb', 'other-rule']) {
    await fw.insert({ project: 'p-filter', firewallResource: { name, network: `projects/p-filter/global/networks/${name === 'other-rule' ? 'vpc2' : 'default'}`, sourceRanges: ['10.0.0.0/8'], allowed: [{ IPProtocol: 'tcp' }] } });
  }
  const names = async (filter: string) => (await fw.list({ project: 'p-filter', filter }))[0].map((f) => f.name).sort();
  assert.deepEqual(await names('name = "k8s-fw-l7--*"'), ['k8s-fw-l7--aaa', 'k8s-fw-l7--bbb']);
  assert.deepEqual(await names('name != k8s-fw-l7--aaa'), ['k8s-fw-l7--bbb', 'other-rule']);
  assert.deepEqual(await names('name eq k8s-fw-l7--.*'), ['k8s-fw-l7--aaa', 'k8s-fw-l7--bbb']);
  assert.deepEqual(await names("name eq 'k8s-fw'"), [], 'eq matches the whole value');
  assert.deepEqual(await names('name ne "k8s-.*"'), ['other-rule']);
  assert.deepEqual(await names('(name = "k8s-*") (network = "*/networks/default")'), ['k8s-fw-l7--aaa', 'k8s-fw-l7--bbb']);
  assert.deepEqual(await names('(name = "*") AND (network eq .*/vpc2)'), ['other-rule']);
  for (const bad of ['name', 'name ~ x', '(name = a) OR (name = b)', 'name = (', 'name > 1']) {
    await assert.rejects(fw.list({ project: 'p-filter', filter: bad }), (e: any) => e.code === 3 && /Invalid list filter expression/.test(e.message), bad);
  }
  assert.throws(() => parseFilter('name eq ['), /Invalid list filter expression/);
});

test('list: pages of maxResults with nextPageToken; the client and gitfed\'s inventory follow every page', async () => {
  const small = await startComputeStandin({ pageSize: 2 });
  const so = computeClientOptions({ endpoint: small.url, token: 't' });
  const fw = new FirewallsClient(so as never);
  const inventory = gceInventory({ endpoint: small.url, token: 't' } as never);
  try {
    for (let i = 1; i <= 5; i++) await fw.insert({ project, firewallResource: { name: `rule-${i}`, sourceRanges: ['10.0.0.0/8'], allowed: [{ IPProtocol: 'tcp' }] } });
    small.requests.length = 0;
    const [all] = await fw.list({ project });
    assert.deepEqual(all.map((f) => f.name), ['rule-1', 'rule-2', 'rule-3', 'rule-4', 'rule-5']);
    assert.equal(small.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/global/firewalls')).length, 3, 'three pages of two');
    assert.ok(small.requests.some((r) => /pageToken=/.test(r.query)), 'later pages ask with the token');
    const [page, , raw] = await fw.list({ project, maxResults: 2 }, { autoPaginate: false });
    assert.equal(page.length, 2);
    assert.ok((raw as { nextPageToken?: string }).nextPageToken);
    const listed = await inventory.list(project, []);
    assert.deepEqual(listed.filter((r) => r.collection === 'firewalls').map((r) => r.name), ['rule-1', 'rule-2', 'rule-3', 'rule-4', 'rule-5']);
    await assert.rejects(fetch(`${small.url}/compute/v1/projects/${project}/global/firewalls?maxResults=501`).then(async (r) => { if (r.status !== 400) throw new Error(String(r.status)); await r.json(); throw new Error('400'); }), /400/);
  } finally {
    await fw.close();
    await inventory.close();
    await small.close();
  }
});

test('proxies: setUrlMap and setSslCertificates change one field in place (the forwarding rule keeps pointing at the proxy); a second forwarding rule on a taken IP:port is refused', async () => {
  const group = await backend('k8s-be-30100--px', 'k8s-ig--px', 'px-node');
  void group;
  const maps = client(UrlMapsClient);
  for (const name of ['um-a', 'um-b']) await maps.insert({ project, urlMapResource: { name, defaultService: link('global/backendServices/k8s-be-30100--px') } });
  const http = client(TargetHttpProxiesClient);
  await http.insert({ project, targetHttpProxyResource: { name: 'tp', urlMap: link('global/urlMaps/um-a') } });
  const [addr] = await (async () => { const a = client(GlobalAddressesClient); await a.insert({ project, addressResource: { name: 'px-ip' } }); return a.get({ project, address: 'px-ip' }); })();
  const rules = client(GlobalForwardingRulesClient);
  await rules.insert({ project, forwardingRuleResource: { name: 'fr-a', IPAddress: addr.address!, portRange: '80-80', target: link('global/targetHttpProxies/tp') } });
  const [op] = await http.setUrlMap({ project, targetHttpProxy: 'tp', urlMapReferenceResource: { urlMap: link('global/urlMaps/um-b') } });
  assert.equal((op.latestResponse as unknown as { operationType: string }).operationType, 'setUrlMap');
  assert.equal((await http.get({ project, targetHttpProxy: 'tp' }))[0].urlMap, link('global/urlMaps/um-b'));
  await maps.delete({ project, urlMap: 'um-a' }); // no longer referenced
  await assert.rejects(http.setUrlMap({ project, targetHttpProxy: 'tp', urlMapReferenceResource: { urlMap: link('global/urlMaps/missing') } }), (e: any) => e.code === 5);

  const certs = client(SslCertificatesClient);
  for (const name of ['cert-1', 'cert-2']) await certs.insert({ project, sslCertificateResource: { name, certificate: 'PEM', privateKey: 'KEY' } });
  const https = client(TargetHttpsProxiesClient);
  await https.insert({ project, targetHttpsProxyResource: { name: 'tps', urlMap: link('global/urlMaps/um-b'), sslCertificates: [link('global/sslCertificates/cert-1')] } });
  await https.setSslCertificates({ project, targetHttpsProxy: 'tps', targetHttpsProxiesSetSslCertificatesRequestResource: { sslCertificates: [link('global/sslCertificates/cert-2')] } });
  assert.deepEqual((await https.get({ project, targetHttpsProxy: 'tps' }))[0].sslCertificates, [link('global/sslCertificates/cert-2')]);
  await certs.delete({ project, sslCertificate: 'cert-1' });
  await assert.rejects(certs.delete({ project, sslCertificate: 'cert-2' }), /already being used by/);

  // One IP, one port range: a second HTTP rule on px-ip:80 is refused as Google refuses it; HTTPS on :443 is fine.
  await assert.rejects(rules.insert({ project, forwardingRuleResource: { name: 'fr-b', IPAddress: addr.address!, portRange: '80-80', target: link('global/targetHttpProxies/tp') } }),
    (e: any) => e.code === 3 && /Specified IP address is in-use and would result in a conflict/.test(e.message));
  await rules.insert({ project, forwardingRuleResource: { name: 'fr-s', IPAddress: link('global/addresses/px-ip'), portRange: '443-443', target: link('global/targetHttpsProxies/tps') } });
  assert.equal((await rules.get({ project, forwardingRule: 'fr-s' }))[0].IPAddress, addr.address);
});

test('GLBC v2 front-end names: ingress-gce frontendnamer_test.go\'s vectors', () => {
  const n = glbcV2FrontendNames('kubesystem-uid1', 'namespace', 'name');
  assert.equal(n.loadBalancer, '7kpbhpki-namespace-name-uhmwf5xi');
  assert.equal(n.urlMap, 'k8s2-um-7kpbhpki-namespace-name-uhmwf5xi');
  assert.equal(n.targetHttpProxy, 'k8s2-tp-7kpbhpki-namespace-name-uhmwf5xi');
  assert.equal(n.targetHttpsProxy, 'k8s2-ts-7kpbhpki-namespace-name-uhmwf5xi');
  assert.equal(n.forwardingRule, 'k8s2-fr-7kpbhpki-namespace-name-uhmwf5xi');
  assert.equal(n.httpsForwardingRule, 'k8s2-fs-7kpbhpki-namespace-name-uhmwf5xi');
  assert.equal(n.sslCertificate('HASH'), 'k8s2-cr-7kpbhpki-fvix6gj3ge1emsdj-HASH');
  const long = '01234567890123456789012345678901234567890123456789';
  const t = glbcV2FrontendNames('kubesystem-uid1', long.slice(0, 23), long.slice(0, 24));
  assert.equal(t.loadBalancer, '7kpbhpki-012345678901234567-012345678901234567-hg17g9tx');
  assert.equal(t.sslCertificatePrefix, 'k8s2-cr-7kpbhpki-ktiggo5yie4uh72b');
  assert.deepEqual(trimFieldsEvenly(36, 'a', 'b'), ['a', 'b']);
  assert.equal(glbcContentHash('kubesystem-uid1', 8), '7kpbhpki');
  assert.notEqual(glbcV2FrontendNames('another-kube-system-uid', 'namespace', 'name').urlMap, n.urlMap, 'another cluster, another front end');
});

test('health check path: the serving container\'s HTTP readiness probe on the target port (by number or name), else none', () => {
  const web = { ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/healthz', port: 8080 } } };
  assert.equal(probePathFor([web], 8080), '/healthz');
  assert.equal(probePathFor([web], 'http'), '/healthz');
  assert.equal(probePathFor([{ ...web, readinessProbe: { httpGet: { path: '/ready', port: 'http' } } }], 8080), '/ready');
  assert.equal(probePathFor([{ ...web, readinessProbe: { httpGet: { port: 8080 } } }], 8080), '/');
  assert.equal(probePathFor([web], 9090), undefined, 'no container serves the port');
  assert.equal(probePathFor([{ ...web, readinessProbe: { httpGet: { path: '/admin', port: 9000 } } }], 8080), undefined, 'a probe of another port says nothing of this one');
  assert.equal(probePathFor([{ ports: web.ports }], 8080), undefined, 'no readiness probe');
});
