// The seed's claim checked in the "cloud": after gitfed applies one Ingress to
// three sandbox clusters with one GLBC uid, each cluster's GLBC stand-in
// builds into the Compute Engine stand-in, and together they make ONE load
// balancer: one backend service with three instance groups, one URL map, one
// forwarding rule on the address gitfed reserved, one firewall per cluster.
// And the failure: a cluster with another uid builds a second set.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, test } from 'node:test';
import { reconcileFleet } from '../../operator/cluster/reconcile.js';
import { FINALIZER_V2, glbcV2FrontendNames } from '../../operator/core/glbc-names-v2.js';
import { deterministicGlbcUid, federationProviderUid } from '../../operator/core/hashes.js';
import { emptyAllocations } from '../../operator/core/model.js';
import { backendServiceHealth } from '../../operator/gce/backend-health.js';
import { gceClients } from '../../operator/gce/gce-clients.js';
import { ensureGlobalAddress } from '../../operator/gce/static-ip.js';
import { loadFleetDir } from '../../operator/load/index.js';
import { startComputeStandin, type ComputeStandin } from '../../operator/sandbox/compute-standin.js';
import { runGlbcOnce } from '../../operator/sandbox/glbc-standin.js';
import type { Sandbox } from '../../operator/sandbox/index.js';
import { web, writeFleet } from '../helpers/fleet-dir.js';
import { admin, getBody } from '../helpers/fleet-repo.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';

const CLUSTERS = ['us-east1', 'europe-west1', 'asia-east1'];
const ZONES = ['us-east1-b', 'europe-west1-c', 'asia-east1-a'];
const PROJECT = 'gitfed-test';
const UID = deterministicGlbcUid('demo');

let standin: ComputeStandin | undefined;
after(async () => { await standin?.close(); });
/** Shared by both tests: the second builds on the first one's load balancer, as a cluster would. */
const lb = { ns: uniqueNamespace('lb'), nodePort: 0, address: '' };

const get = getBody;

const glbc = (sb: Sandbox, cluster: string) => runGlbcOnce(sb, cluster, { compute: { endpoint: standin!.url, project: PROJECT } });

test('GCE stand-in: three clusters with one uid build ONE backend service with three instance groups, one URL map, one forwarding rule on the reserved address', async () => {
  const sb = await sandbox();
  standin = await startComputeStandin();
  const dir = await writeFleet({ name: 'lb', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(lb.ns) } });
  const loaded = await loadFleetDir(dir);
  assert.deepEqual(loaded.findings.filter((f) => f.severity === 'error'), []);
  await reconcileFleet({ fleet: loaded.fleet, loadFindings: loaded.findings, kubeconfigPath: sb.kubeconfig, allocations: { ...emptyAllocations(), glbc: { uid: UID, providerUids: {} } }, dryRun: false, prune: false, writes: 'all' });
  lb.nodePort = (await get(sb, 'us-east1', `/api/v1/namespaces/${lb.ns}/services/web`)).spec.ports[0].nodePort;

  // The static IP the Ingress names, reserved through gitfed's own GCE edge before any GLBC runs.
  const gce = gceClients({ endpoint: standin.url });
  try {
    lb.address = (await ensureGlobalAddress(gce, PROJECT, `${lb.ns}-ip`)).address;
  } finally {
    await gce.close();
  }
  for (const c of CLUSTERS) {
    const views = await glbc(sb, c);
    assert.deepEqual(views.find((v) => v.namespace === lb.ns)?.errors, [], `GLBC in ${c}`);
  }

  const snap = standin.snapshot();
  const be = `k8s-be-${lb.nodePort}--${UID}`;
  assert.deepEqual(snap.backendServices!.map((b) => b.name), [be], 'ONE backend service');
  const groups = snap.backendServices![0]!.backends.map((b: { group: string }) => b.group);
  assert.equal(groups.length, 3, 'with three instance groups');
  assert.deepEqual(groups.map((g: string) => /\/zones\/([^/]+)\/instanceGroups\/([^/]+)$/.exec(g)!.slice(1).join(' ')).sort(), ZONES.map((z) => `${z} k8s-ig--${UID}`).sort());
  assert.deepEqual(snap.healthChecks!.map((h) => h.name), [be]);
  for (const [i, c] of CLUSTERS.entries()) {
    const ig = snap.instanceGroups!.find((g) => g.zone.endsWith(`/zones/${ZONES[i]}`))!;
    assert.equal(ig.name, `k8s-ig--${UID}`);
    assert.deepEqual(ig.instances!.map((x) => x.split('/').pop()).sort(), [...sb.clusters.find((x) => x.name === c)!.nodes].sort(), `${c}'s nodes are its instance group`);
    assert.deepEqual(ig.namedPorts, [{ name: `port${lb.nodePort}`, port: lb.nodePort }]);
  }
  assert.equal(snap.instanceGroups!.length, 3);
  assert.deepEqual(snap.urlMaps!.map((u) => u.name), [`k8s-um-${lb.ns}-web--${UID}`], 'ONE URL map');
  assert.deepEqual(snap.targetHttpProxies!.map((u) => u.name), [`k8s-tp-${lb.ns}-web--${UID}`]);
  assert.deepEqual(snap.forwardingRules!.map((r) => [r.name, r.IPAddress]), [[`k8s-fw-${lb.ns}-web--${UID}`, lb.address]], 'ONE forwarding rule, on the reserved address');
  assert.equal(snap.addresses!.find((a) => a.name === `${lb.ns}-ip`)!.status, 'IN_USE');
  assert.deepEqual(snap.firewalls!.map((f) => f.name).sort(), CLUSTERS.map((c) => `k8s-fw-l7--${federationProviderUid(c)}`).sort(), 'one health-check firewall per cluster');
  assert.ok(snap.firewalls!.every((f) => f.sourceRanges.join() === '130.211.0.0/22,35.191.0.0/16'));
  for (const c of CLUSTERS) {
    const ing = await get(sb, c, `/apis/networking.k8s.io/v1/namespaces/${lb.ns}/ingresses/web`);
    assert.deepEqual(ing.status.loadBalancer.ingress, [{ ip: lb.address }], `${c}'s Ingress shows the one IP`);
  }

  // Backend health per instance group follows each cluster's ready endpoints: all serve.
  const gce2 = gceClients({ endpoint: standin.url });
  try {
    const health = await waitUntil('every instance group HEALTHY', 120_000, async () => {
      for (const c of CLUSTERS) await glbc(sb, c);
      const h = await backendServiceHealth(gce2, PROJECT, be);
      if (h.length !== 3 || h.some((g) => g.state !== 'HEALTHY')) throw new Error(JSON.stringify(h));
      return h;
    }, 1000);
    assert.deepEqual(health.map((g) => g.zone).sort(), [...ZONES].sort());
  } finally {
    await gce2.close();
  }
  // Another round of GLBC changes nothing: same resources, same ids.
  const ids = (s: typeof snap) => Object.values(s).flat().map((r) => `${r.name}/${r.id}`).sort();
  const before = standin.snapshot();
  for (const c of CLUSTERS) await glbc(sb, c);
  assert.deepEqual(ids(standin.snapshot()), ids(before));
});

test('GCE stand-in: a cluster without ready endpoints turns its instance group UNHEALTHY, the others stay HEALTHY', async () => {
  const sb = await sandbox();
  assert.ok(standin && lb.nodePort, 'runs after the first test');
  const h = admin(sb, 'europe-west1');
  const path = `/apis/apps/v1/namespaces/${lb.ns}/deployments/web`;
  const replicas = (await get(sb, 'europe-west1', path)).spec.replicas;
  const gce = gceClients({ endpoint: standin.url });
  const be = `k8s-be-${lb.nodePort}--${UID}`;
  const states = async () => {
    for (const c of CLUSTERS) await glbc(sb, c);
    return Object.fromEntries((await backendServiceHealth(gce, PROJECT, be)).map((g) => [g.zone, g.state]));
  };
  try {
    await h.request({ method: 'PATCH', path: `${path}?fieldManager=test`, contentType: 'application/merge-patch+json', body: { spec: { replicas: 0 } } });
    const seen = await waitUntil('europe-west1 UNHEALTHY', 120_000, async () => { const s = await states(); return s['europe-west1-c'] === 'UNHEALTHY' && s; }, 1000);
    assert.deepEqual(seen, { 'us-east1-b': 'HEALTHY', 'europe-west1-c': 'UNHEALTHY', 'asia-east1-a': 'HEALTHY' });
  } finally {
    await h.request({ method: 'PATCH', path: `${path}?fieldManager=test`, contentType: 'application/merge-patch+json', body: { spec: { replicas } } });
    h.close();
  }
  await waitUntil('europe-west1 HEALTHY again', 120_000, async () => (await states())['europe-west1-c'] === 'HEALTHY', 1000);
  await gce.close();
});

test('GCE stand-in: a cluster whose ingress-uid has another uid builds a second set, and its nodes cannot join it', async () => {
  const sb = await sandbox();
  assert.ok(standin && lb.nodePort, 'runs after the first test');
  const h = admin(sb, 'asia-east1');
  const original = (await get(sb, 'asia-east1', '/api/v1/namespaces/kube-system/configmaps/ingress-uid')).data;
  try {
    await h.request({ method: 'PATCH', path: '/api/v1/namespaces/kube-system/configmaps/ingress-uid?fieldManager=glbc', contentType: 'application/merge-patch+json', body: { data: { uid: 'legacy0000000001' } } });
    const [view] = (await glbc(sb, 'asia-east1')).filter((v) => v.namespace === lb.ns);
    const snap = standin.snapshot();
    assert.deepEqual(snap.backendServices!.map((b) => b.name).sort(), [`k8s-be-${lb.nodePort}--${UID}`, `k8s-be-${lb.nodePort}--legacy0000000001`].sort(), 'a second backend service');
    assert.deepEqual(snap.urlMaps!.map((u) => u.name).sort(), [`k8s-um-${lb.ns}-web--${UID}`, `k8s-um-${lb.ns}-web--legacy0000000001`].sort(), 'a second URL map');
    // Its forwarding rule wants the same static IP and port: Compute Engine refuses it, so the second set has no front door.
    assert.equal(snap.forwardingRules!.length, 1, 'no second forwarding rule on the taken IP:port');
    assert.ok(view!.errors!.some((e) => /Specified IP address is in-use and would result in a conflict/.test(e)), view!.errors!.join('\n'));
    assert.ok(snap.instanceGroups!.some((g) => g.name === 'k8s-ig--legacy0000000001' && g.zone.endsWith('/zones/asia-east1-a')));
    // The nodes still sit in the shared k8s-ig--<uid>: Compute Engine refuses them in a second load-balanced group.
    assert.ok(view!.errors!.some((e) => /instance may belong to at most one load-balanced instance group/.test(e)), view!.errors!.join('\n'));
    assert.equal(snap.backendServices!.find((b) => b.name.endsWith('--legacy0000000001'))!.backends, undefined, 'the second backend service has no backends');
    assert.equal(snap.firewalls!.length, 3, 'the firewall is named after the provider-uid, which did not change');
  } finally {
    await h.request({ method: 'PATCH', path: '/api/v1/namespaces/kube-system/configmaps/ingress-uid?fieldManager=test', contentType: 'application/merge-patch+json', body: { data: original } });
    h.close();
  }
});

const tls = { ns: '', nodePort: 0, address: '' };

test('GCE stand-in: an Ingress with TLS gets ONE SSL certificate, HTTPS proxy and HTTPS forwarding rule, on the same address', async () => {
  const sb = await sandbox();
  assert.ok(standin, 'runs after the first test');
  const ns = uniqueNamespace('tls');
  const pem = `-----BEGIN CERTIFICATE-----\n${ns}\n-----END CERTIFICATE-----\n`;
  const key = '-----BEGIN PRIVATE KEY-----\nnot-a-key\n-----END PRIVATE KEY-----\n';
  const b64 = (t: string) => Buffer.from(t).toString('base64');
  let nodePort: number | undefined;
  // Made directly in each cluster, as a user of one nodePort would: the cloud side is what is checked here.
  for (const c of CLUSTERS) {
    const h = admin(sb, c);
    try {
      const create = async (path: string, body: unknown) => { const r = await h.request({ method: 'POST', path, body }); assert.equal(r.status, 201, `${c} ${path}: ${r.text}`); return r; };
      await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      await create(`/api/v1/namespaces/${ns}/secrets`, { apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'web-tls', namespace: ns }, data: { 'tls.crt': b64(pem), 'tls.key': b64(key) } });
      const svc = await create(`/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80, ...(nodePort ? { nodePort } : {}) }] } });
      nodePort ??= (svc.body as any).spec.ports[0].nodePort;
      await create(`/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`, {
        apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
        metadata: { name: 'web', namespace: ns, annotations: { 'kubernetes.io/ingress.class': 'gce', 'kubernetes.io/ingress.global-static-ip-name': `${ns}-ip` } },
        spec: { tls: [{ secretName: 'web-tls' }], defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
      });
    } finally {
      h.close();
    }
  }
  const gce = gceClients({ endpoint: standin.url });
  let address: string;
  try {
    address = (await ensureGlobalAddress(gce, PROJECT, `${ns}-ip`)).address;
  } finally {
    await gce.close();
  }
  for (const c of CLUSTERS) assert.deepEqual((await glbc(sb, c)).find((v) => v.namespace === ns)?.errors, [], `GLBC in ${c}`);
  const snap = standin.snapshot();
  const hex16 = (t: string) => createHash('sha256').update(t).digest('hex').slice(0, 16);
  const cert = `k8s-ssl-${hex16(`${ns}-web--${UID}`)}-${hex16(pem)}--${UID}`;
  const mine = (rs: any[]) => rs.filter((r) => r.name.includes(`-${ns}-web--`) || r.name === cert);
  assert.deepEqual(mine(snap.sslCertificates!).map((r) => [r.name, r.certificate, r.privateKey]), [[cert, pem, undefined]], 'ONE certificate, its key never returned');
  assert.deepEqual(mine(snap.targetHttpsProxies!).map((r) => [r.name, r.sslCertificates.map((l: string) => l.split('/').pop())]), [[`k8s-tps-${ns}-web--${UID}`, [cert]]]);
  assert.deepEqual(mine(snap.forwardingRules!).map((r) => [r.name, r.IPAddress, r.portRange]).sort(), [
    [`k8s-fw-${ns}-web--${UID}`, address, '80-80'],
    [`k8s-fws-${ns}-web--${UID}`, address, '443-443'],
  ]);
  assert.equal(snap.backendServices!.filter((b) => b.name === `k8s-be-${nodePort}--${UID}`)[0]!.backends.length, 3);
  Object.assign(tls, { ns, nodePort, address });
});

test('GCE stand-in: deleting a shared Ingress in ONE cluster makes its GLBC delete the shared front end and backend service; the others rebuild them without it', async () => {
  const sb = await sandbox();
  assert.ok(standin && tls.ns, 'runs after the TLS test');
  const frontEnd = (s: ReturnType<ComputeStandin['snapshot']>) => [
    ...s.urlMaps!, ...s.targetHttpProxies!, ...s.targetHttpsProxies!, ...s.forwardingRules!, ...s.sslCertificates!,
  ].map((r) => r.name).filter((n) => n.includes(`-${tls.ns}-web--`) || n.startsWith('k8s-ssl-')).sort();
  const be = `k8s-be-${tls.nodePort}--${UID}`;
  const before = frontEnd(standin.snapshot());
  assert.equal(before.length, 6, before.join('\n'));
  const h = admin(sb, 'us-east1');
  try {
    const r = await h.request({ method: 'DELETE', path: `/apis/networking.k8s.io/v1/namespaces/${tls.ns}/ingresses/web` });
    assert.equal(r.status, 200, r.text);
  } finally {
    h.close();
  }
  await glbc(sb, 'us-east1');
  let snap = standin.snapshot();
  // GLBC collects every name with its uid that it has no Ingress for, shared or not: the outage.
  assert.deepEqual(frontEnd(snap), [], 'URL map, proxies, forwarding rules and certificate are gone for every cluster');
  assert.equal(snap.backendServices!.some((b) => b.name === be), false, 'so is the shared backend service');
  assert.equal(snap.addresses!.find((a) => a.name === `${tls.ns}-ip`)!.status, 'RESERVED', 'the reserved address stays, unused');
  assert.ok(snap.backendServices!.some((b) => b.name === `k8s-be-${lb.nodePort}--${UID}`), 'another Ingress\'s backend service stays');
  // The next sync of another cluster's GLBC rebuilds it, without us-east1.
  await glbc(sb, 'europe-west1');
  await glbc(sb, 'asia-east1');
  snap = standin.snapshot();
  assert.deepEqual(frontEnd(snap), before);
  const groups = snap.backendServices!.find((b) => b.name === be)!.backends.map((b: { group: string }) => b.group.split('/zones/')[1]!.split('/')[0]).sort();
  assert.deepEqual(groups, ['asia-east1-a', 'europe-west1-c']);
  assert.equal(snap.forwardingRules!.find((r) => r.name === `k8s-fw-${tls.ns}-web--${UID}`)!.IPAddress, tls.address);
});

test('GCE stand-in: an Ingress with GLBC\'s v2 finalizer gets k8s2- front ends named from each cluster\'s kube-system UID, so two clusters build TWO URL maps and forwarding rules (one backend service); the health check path is the pods\' readiness probe path; a proxy repointed elsewhere is set back with setUrlMap; deleted, its front end goes, then its finalizer', async () => {
  const sb = await sandbox();
  assert.ok(standin, 'runs after the first test');
  const ns = uniqueNamespace('v2');
  const two = ['us-east1', 'europe-west1'];
  const labels = { app: 'v2web' };
  let nodePort: number | undefined;
  for (const c of two) {
    const h = admin(sb, c);
    try {
      const create = async (path: string, body: unknown) => { const r = await h.request({ method: 'POST', path, body }); assert.equal(r.status, 201, `${c} ${path}: ${r.text}`); return r; };
      await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
      await create(`/apis/apps/v1/namespaces/${ns}/deployments`, {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
        spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image: 'nginx:1.27', ports: [{ name: 'http', containerPort: 8080 }], readinessProbe: { httpGet: { path: '/healthz', port: 'http' } } }] } } },
      });
      const svc = await create(`/api/v1/namespaces/${ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: ns }, spec: { type: 'NodePort', selector: labels, ports: [{ port: 80, targetPort: 8080, ...(nodePort ? { nodePort } : {}) }] } });
      nodePort ??= (svc.body as any).spec.ports[0].nodePort;
      await create(`/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses`, {
        apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
        metadata: { name: 'web', namespace: ns, finalizers: [FINALIZER_V2], annotations: { 'kubernetes.io/ingress.class': 'gce' } },
        spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
      });
    } finally {
      h.close();
    }
  }
  for (const c of two) assert.deepEqual((await glbc(sb, c)).find((v) => v.namespace === ns)?.errors, [], `GLBC in ${c}`);
  const names = await Promise.all(two.map(async (c) => glbcV2FrontendNames((await get(sb, c, '/api/v1/namespaces/kube-system')).metadata.uid, ns, 'web')));
  assert.notEqual(names[0]!.urlMap, names[1]!.urlMap);
  const snap = standin.snapshot();
  const mine = (rs: any[]) => rs.map((r) => r.name).filter((n: string) => n.startsWith('k8s2-') && n.includes(`-${ns}-web-`)).sort();
  assert.deepEqual(mine(snap.urlMaps!), names.map((n) => n.urlMap).sort(), 'TWO URL maps, one per cluster');
  assert.deepEqual(mine(snap.forwardingRules!), names.map((n) => n.forwardingRule).sort(), 'TWO forwarding rules: two addresses for one Ingress');
  assert.deepEqual(mine(snap.targetHttpProxies!), names.map((n) => n.targetHttpProxy).sort());
  const be = `k8s-be-${nodePort}--${UID}`;
  assert.equal(snap.backendServices!.find((b) => b.name === be)!.backends.length, 2, 'backends keep v1 names: one backend service for both');
  assert.equal(snap.healthChecks!.find((h) => h.name === be)!.httpHealthCheck.requestPath, '/healthz', 'the readiness probe\'s path, not "/"');
  for (const [i, c] of two.entries()) {
    const ing = await get(sb, c, `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`);
    assert.equal(ing.metadata.annotations['ingress.kubernetes.io/url-map'], names[i]!.urlMap, `${c}'s Ingress names its own URL map`);
  }

  // Someone points us-east1's proxy at europe-west1's URL map: GLBC sets it back in place (setUrlMap), it never deletes the proxy.
  const proxy = names[0]!.targetHttpProxy;
  const link = (rel: string) => `https://www.googleapis.com/compute/v1/projects/${PROJECT}/${rel}`;
  const r = await fetch(`${standin.url}/compute/v1/projects/${PROJECT}/targetHttpProxies/${proxy}/setUrlMap`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ urlMap: link(`global/urlMaps/${names[1]!.urlMap}`) }) });
  assert.equal(r.status, 200, await r.text());
  const seen = standin.requests.length;
  await glbc(sb, 'us-east1');
  const calls = standin.requests.slice(seen).filter((q) => q.path.includes(proxy) && q.method !== 'GET').map((q) => `${q.method} ${q.path.split(`/projects/${PROJECT}/`)[1]}`);
  assert.deepEqual(calls, [`POST targetHttpProxies/${proxy}/setUrlMap`]);
  assert.equal(standin.snapshot().targetHttpProxies!.find((p) => p.name === proxy)!.urlMap, link(`global/urlMaps/${names[0]!.urlMap}`));

  // Deleting the Ingress in us-east1: GLBC takes down that cluster's v2 front end (by name), then drops its finalizer; europe-west1's stays.
  const h = admin(sb, 'us-east1');
  try {
    assert.equal((await h.request({ method: 'DELETE', path: `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web` })).status, 200);
    assert.ok((await get(sb, 'us-east1', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`)).metadata.deletionTimestamp, 'held by the finalizer');
  } finally {
    h.close();
  }
  await glbc(sb, 'us-east1');
  const after = standin.snapshot();
  assert.deepEqual(mine(after.urlMaps!), [names[1]!.urlMap]);
  assert.deepEqual(mine(after.forwardingRules!), [names[1]!.forwardingRule]);
  assert.deepEqual(mine(after.targetHttpProxies!), [names[1]!.targetHttpProxy]);
  assert.equal((await get(sb, 'us-east1', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`)).code, 404, 'the finalizer is gone, so is the Ingress');
});
