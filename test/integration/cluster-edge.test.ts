// The edge between gitfed and a member cluster, on a REAL apiserver:
// credentials that change while gitfed runs, a CRD and its custom resources
// in one apply, prune that deletes only the object it observed, and watch
// caches that hold only what gitfed reads, and health probed in the background.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { main } from '../../operator/cli/main.js';
import { closeAll, connect, type Connection } from '../../operator/cluster/connect.js';
import { probeHealth } from '../../operator/cluster/health.js';
import { HealthMonitor } from '../../operator/cluster/health-monitor.js';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { observeCluster } from '../../operator/cluster/observe.js';
import { pruneCluster } from '../../operator/cluster/prune.js';
import { FLEET_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../../operator/core/labels.js';
import type { KubeObject } from '../../operator/core/model.js';
import type { Sandbox } from '../../operator/sandbox/index.js';
import { cluster as clusterSpec } from '../helpers/fleet-builder.js';
import { writeFleet } from '../helpers/fleet-dir.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';
import { admin } from '../helpers/fleet-repo.js';
import { startApiserverProxy } from '../faults/injectors/apiserver-proxy.js';

const CLUSTER = 'us-east1';
const tmp = mkdtemp(join(tmpdir(), 'gitfed-edge-'));
after(async () => { await rm(await tmp, { recursive: true, force: true }); });

/** A kubeconfig with one context "edge" for the sandbox cluster, with this user and cluster extras. */
function kubeconfigText(sb: Sandbox, user: Record<string, unknown>, clusterExtra: Record<string, unknown> = {}): string {
  const c = sb.clusters.find((x) => x.name === CLUSTER)!;
  return stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'edge',
    clusters: [{ name: 'edge', cluster: { server: c.server, 'certificate-authority-data': Buffer.from(c.ca).toString('base64'), ...clusterExtra } }],
    users: [{ name: 'edge-user', user }],
    contexts: [{ name: 'edge', context: { cluster: 'edge', user: 'edge-user' } }],
  });
}

async function connectEdge(path: string): Promise<Connection> {
  const conns = await connect(path, [clusterSpec('edge', { context: 'edge' })]);
  const c = conns.get('edge');
  assert.ok(c && !(c instanceof Error), String(c));
  return c;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += t + '\n'; }, err: (t) => { err += t + '\n'; }, cwd: process.cwd(), env: process.env });
  return { code, out, err };
}

test('credentials: an exec plugin (GKE/EKS style) is run again after a 401 and its new token is used without a restart', async () => {
  const sb = await sandbox({ clusters: 1, controllers: false });
  const dir = await mkdtemp(join(await tmp, 'exec-'));
  const plugin = join(dir, 'plugin.mjs');
  await writeFile(plugin, [
    "import { appendFileSync, readFileSync } from 'node:fs';",
    "const dir = new URL('.', import.meta.url).pathname;",
    "appendFileSync(dir + 'runs.log', 'run\\n');",
    'const info = JSON.parse(process.env.KUBERNETES_EXEC_INFO);',
    "process.stdout.write(JSON.stringify({ apiVersion: info.apiVersion, kind: 'ExecCredential', status: { token: readFileSync(dir + 'token.txt', 'utf8').trim() } }));",
  ].join('\n'));
  await writeFile(join(dir, 'token.txt'), 'not-a-valid-token');
  const kc = join(dir, 'kubeconfig');
  await writeFile(kc, kubeconfigText(sb, { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], interactiveMode: 'Never' } }));
  const conn = await connectEdge(kc);
  const runs = () => readFileSync(join(dir, 'runs.log'), 'utf8').split('\n').filter(Boolean).length;
  try {
    assert.equal((await probeHealth(conn.http)).reason, 'Unauthorized');
    await writeFile(join(dir, 'token.txt'), sb.clusters[0]!.adminToken);
    const probe = await probeHealth(conn.http);
    assert.equal(probe.health, 'Ready', probe.message);
    // The credential is cached (it has no expiry): more requests run no plugin.
    const n = runs();
    for (let i = 0; i < 5; i++) assert.equal((await conn.http.request({ path: '/api/v1/namespaces/default' })).status, 200);
    assert.equal(runs(), n);
  } finally {
    conn.http.close();
  }
});

test('credentials: a rotated tokenFile is read again (bad token, 401, good token written, success without a restart)', async () => {
  const sb = await sandbox({ clusters: 1, controllers: false });
  const dir = await mkdtemp(join(await tmp, 'tokenfile-'));
  const tokenFile = join(dir, 'token');
  await writeFile(tokenFile, 'revoked-token\n');
  const kc = join(dir, 'kubeconfig');
  await writeFile(kc, kubeconfigText(sb, { tokenFile }));
  const conn = await connectEdge(kc);
  try {
    assert.equal((await conn.http.request({ path: '/api/v1/namespaces/default' })).status, 401);
    await writeFile(tokenFile, `${sb.clusters[0]!.adminToken}\n`);
    assert.equal((await conn.http.request({ path: '/api/v1/namespaces/default' })).status, 200);
  } finally {
    conn.http.close();
  }
});

test('credentials: a rotated kubeconfig file (a mounted Secret) is read again when it changes, even without a 401', async () => {
  const sb = await sandbox({ clusters: 1, controllers: false });
  const dir = await mkdtemp(join(await tmp, 'rotate-'));
  const kc = join(dir, 'kubeconfig');
  // The restricted user may list namespaces but not read ConfigMaps: 403, not 401.
  await writeFile(kc, kubeconfigText(sb, { token: sb.clusters[0]!.restrictedToken }));
  const conn = await connectEdge(kc);
  try {
    assert.equal((await conn.http.request({ path: '/api/v1/namespaces/default/configmaps' })).status, 403);
    await writeFile(kc, kubeconfigText(sb, { token: sb.clusters[0]!.adminToken }));
    await waitUntil('the new kubeconfig to be used', 10_000, async () => (await conn.http.request({ path: '/api/v1/namespaces/default/configmaps' })).status === 200);
  } finally {
    conn.http.close();
  }
});

test('credentials: tls-server-name is the name the certificate is checked against', async () => {
  const sb = await sandbox({ clusters: 1, controllers: false });
  const dir = await mkdtemp(join(await tmp, 'sni-'));
  const good = join(dir, 'good');
  const bad = join(dir, 'bad');
  await writeFile(good, kubeconfigText(sb, { token: sb.clusters[0]!.adminToken }, { 'tls-server-name': 'kubernetes.default.svc' }));
  await writeFile(bad, kubeconfigText(sb, { token: sb.clusters[0]!.adminToken }, { 'tls-server-name': 'not-the-apiserver.example' }));
  const ok = await connectEdge(good);
  const wrong = await connectEdge(bad);
  try {
    assert.equal((await probeHealth(ok.http)).health, 'Ready');
    const p = await probeHealth(wrong.http);
    assert.equal(p.health, 'Offline');
    assert.match(p.message, /not-the-apiserver\.example/);
  } finally {
    ok.http.close();
    wrong.http.close();
  }
});

function cronTabCrd(group: string): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `crontabs.${group}` },
    spec: {
      group, scope: 'Namespaced', names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { cronSpec: { type: 'string' }, image: { type: 'string' } } } } } } }],
    },
  } as KubeObject;
}

test('CRDs: a CRD and its custom resource in ONE apply: the CRD is Established first, then the CronTab goes in; a second apply changes nothing', async () => {
  const sb = await sandbox({ clusters: 1, controllers: false });
  const ns = uniqueNamespace('crd');
  const group = `${ns}.example.com`;
  const crd = cronTabCrd(group);
  const cronTab = { apiVersion: `${group}/v1`, kind: 'CronTab', metadata: { name: 'nightly', namespace: ns }, spec: { cronSpec: '0 3 * * *', image: 'backup:1' } };
  const dir = await writeFleet({ name: ns, clusters: [CLUSTER], files: { 'manifests/crd.yaml': [crd], 'manifests/crontab.yaml': [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, cronTab] } });
  // A plan cannot create the CRD, so it says the CronTab would be created instead of failing.
  const plan = await cli(['plan', dir, '--kubeconfig', sb.kubeconfig]);
  assert.equal(plan.code, 2, plan.out + plan.err);
  assert.match(plan.out, /\+ create CronTab .*nightly/);
  const first = await cli(['apply', dir, '--kubeconfig', sb.kubeconfig]);
  assert.equal(first.code, 0, first.out + first.err);
  const http = admin(sb, CLUSTER);
  try {
    const live = await http.request<KubeObject & { spec: { cronSpec: string } }>({ path: `/apis/${group}/v1/namespaces/${ns}/crontabs/nightly` });
    assert.equal(live.status, 200, live.text);
    assert.equal(live.body.spec.cronSpec, '0 3 * * *');
    const second = await cli(['apply', dir, '--kubeconfig', sb.kubeconfig, '--output', 'json']);
    assert.equal(second.code, 0, second.out + second.err);
    const changed = JSON.parse(second.out).clusters.flatMap((c: { objects: Array<{ action: string }> }) => c.objects).filter((o: { action: string }) => o.action !== 'unchanged');
    assert.deepEqual(changed, []);
  } finally {
    http.close();
  }
});

test('discovery does not keep a "not served" answer: a CRD installed later (by someone else) is seen without a restart', async () => {
  const sb = await sandbox({ clusters: 1, controllers: false });
  const group = `${uniqueNamespace('late')}.example.com`;
  const kc = join(await mkdtemp(join(await tmp, 'late-')), 'kubeconfig');
  await writeFile(kc, kubeconfigText(sb, { token: sb.clusters[0]!.adminToken }));
  const conn = await connectEdge(kc);
  const http = admin(sb, CLUSTER);
  try {
    await assert.rejects(conn.discovery.resource(`${group}/v1`, 'CronTab'), /does not serve CronTab/);
    assert.equal((await http.request({ method: 'POST', path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', body: cronTabCrd(group) })).status, 201);
    const info = await waitUntil('discovery to serve CronTab', 30_000, () => conn.discovery.resource(`${group}/v1`, 'CronTab'), 500);
    assert.equal(info.name, 'crontabs');
  } finally {
    conn.http.close();
    http.close();
  }
});

test('prune deletes with a uid precondition: an object recreated under the same name by someone else is not deleted', async () => {
  const sb = await sandbox({ clusters: 1, controllers: false });
  const ns = uniqueNamespace('prune');
  const fleet = `prune-${ns}`;
  const http = admin(sb, CLUSTER);
  const kc = join(await mkdtemp(join(await tmp, 'prune-')), 'kubeconfig');
  await writeFile(kc, kubeconfigText(sb, { token: sb.clusters[0]!.adminToken }));
  const conn = await connectEdge(kc);
  try {
    assert.equal((await http.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } })).status, 201);
    const labels = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [FLEET_LABEL]: fleet };
    for (const name of ['old', 'keep']) {
      const r = await http.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels } } });
      assert.equal(r.status, 201, r.text);
    }
    const live = await observeCluster(conn, { fleetName: fleet, kinds: [['v1', 'ConfigMap']] });
    const observed = [...live.owned.values()].find((o) => o.metadata.name === 'old')!;
    assert.ok(observed.metadata.uid);
    // Between observation and prune, someone deletes "old" and creates their own under that name.
    assert.equal((await http.request({ method: 'DELETE', path: `/api/v1/namespaces/${ns}/configmaps/old` })).status, 200);
    const theirs = await http.request<KubeObject>({ method: 'POST', path: `/api/v1/namespaces/${ns}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'old' }, data: { owner: 'someone else' } } });
    assert.equal(theirs.status, 201);
    const desired = [...live.owned.values()].filter((o) => o.metadata.name === 'keep');
    const pruned = await pruneCluster(conn, live.owned, desired, { dryRun: false, pruneAll: false });
    assert.equal(pruned.length, 1);
    assert.equal(pruned[0]!.action, 'failed');
    assert.match(pruned[0]!.error!, /ConfigMap .*\/old: not deleted: it was recreated/);
    const after = await http.request<KubeObject>({ path: `/api/v1/namespaces/${ns}/configmaps/old` });
    assert.equal(after.status, 200, 'their ConfigMap survives');
    assert.equal(after.body.metadata.uid, theirs.body.metadata.uid);
  } finally {
    conn.http.close();
    http.close();
  }
});

test('memory: the operator\'s watch caches hold none of the Pods it does not own, and no managedFields of what it does not own', async () => {
  const sb = await sandbox({ clusters: 1, controllers: false });
  const ns = uniqueNamespace('pods');
  const http = admin(sb, CLUSTER);
  const kc = join(await mkdtemp(join(await tmp, 'pods-')), 'kubeconfig');
  await writeFile(kc, kubeconfigText(sb, { token: sb.clusters[0]!.adminToken }));
  const conns = await connect(kc, [clusterSpec('edge', { context: 'edge' })]);
  const conn = conns.get('edge') as Connection;
  conn.caches = new Map();
  try {
    assert.equal((await http.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } })).status, 201);
    // No controllers run here: create the ServiceAccount admission wants, and no scheduler leaves these Pods Pending.
    assert.equal((await http.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/serviceaccounts`, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } } })).status, 201);
    await Promise.all(Array.from({ length: 30 }, async (_, i) => {
      const r = await http.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/pods`, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: `p${i}` }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } });
      assert.equal(r.status, 201, r.text);
    }));
    const live = await observeCluster(conn, { fleetName: 'edge-pods', kinds: [['v1', 'ConfigMap']] });
    assert.deepEqual(live.errors, []);
    const paths = [...conn.caches.keys()];
    assert.equal(paths.some((p) => p.includes('/pods')), false, `no Pod cache: ${paths.join(', ')}`);
    const services = conn.caches.get('/api/v1/services')!.items();
    assert.ok(services.length >= 1);
    assert.ok(services.every((s) => !(s.metadata as { managedFields?: unknown }).managedFields), 'Services not owned are kept without managedFields');
  } finally {
    closeAll(conns);
    http.close();
  }
});

test('health: a /readyz that stalls once is asked again (Ready, not Offline); one that always stalls is Offline after the retry', async () => {
  const sb = await sandbox();
  const c = sb.clusters.find((x) => x.name === CLUSTER)!;
  const proxy = await startApiserverProxy(sb, c);
  const http = new KubeHttp({ server: proxy.url, ca: c.ca, token: c.adminToken });
  try {
    let stalls = 1;
    proxy.setRule((r) => (r.path.startsWith('/readyz') && stalls-- > 0 ? { status: 200, body: 'stall' } : undefined));
    const busy = await probeHealth(http, 300);
    assert.equal(busy.health, 'Ready', busy.message);
    assert.equal(proxy.faulted(), 1, 'the first probe stalled and was asked again');
    proxy.resetCount();
    proxy.setRule((r) => (r.path.startsWith('/readyz') ? { status: 200, body: 'stall' } : undefined));
    const dead = await probeHealth(http, 300);
    assert.equal(dead.health, 'Offline');
    assert.equal(proxy.faulted(), 2, 'asked twice, then the verdict');
    assert.match(dead.message, /no answer within 600 ms/);
  } finally {
    http.close();
    await proxy.close();
  }
});

test('health monitor: a tick reads the last verdict without a request; a lost connection makes the next verdict a probe; a background probe reports a changed verdict', async () => {
  const sb = await sandbox();
  const c = sb.clusters.find((x) => x.name === CLUSTER)!;
  const proxy = await startApiserverProxy(sb, c);
  const http = new KubeHttp({ server: proxy.url, ca: c.ca, token: c.adminToken });
  const changes: string[] = [];
  // 5 s apart: no background probe can fall between the steps below (each probe a tick asks for puts the next one a period later).
  const monitor = new HealthMonitor(http, { periodMs: 5000, timeoutMs: 300, onChange: (next, previous) => changes.push(`${previous.health}->${next.health}`) });
  try {
    assert.equal((await monitor.verdict()).health, 'Ready');
    const sent = http.requests;
    assert.equal((await monitor.verdict()).health, 'Ready');
    assert.equal(http.requests, sent, 'the second verdict is the first probe\'s: no request');
    // The apiserver stops answering: a request times out (its connection is lost)...
    proxy.setRule(() => ({ status: 200, body: 'stall' }));
    await assert.rejects(http.request({ path: '/api/v1/namespaces/default', timeoutMs: 300 }));
    // ...so the next verdict is not the stale Ready but a probe of its own.
    const offline = await monitor.verdict();
    assert.equal(offline.health, 'Offline', offline.message);
    assert.equal(changes.join(','), '', 'a probe a tick asked for is not reported as a change (the tick acts on it)');
    // It answers again: a background probe finds it, with no tick asking.
    proxy.setRule(() => undefined);
    await waitUntil('the background probe reports Offline -> Ready', 20_000, async () => changes.includes('Offline->Ready') || undefined, 50);
    assert.deepEqual(changes, ['Offline->Ready']);
    const again = http.requests;
    assert.equal((await monitor.verdict()).health, 'Ready');
    assert.equal(http.requests, again, 'the tick after it reads the background verdict');
  } finally {
    monitor.stop();
    http.close();
    await proxy.close();
  }
});

test('one-shot observe: a fleet of ConfigMaps is observed with the probe and its own LISTs only; a cluster whose /readyz fails gets nothing, though its LISTs answered', async () => {
  const sb = await sandbox({ clusters: 1, controllers: false });
  const c = sb.clusters.find((x) => x.name === CLUSTER)!;
  const proxy = await startApiserverProxy(sb, c);
  const seen: string[] = [];
  let readyz: 'ok' | 'fail' = 'ok';
  proxy.setRule((r) => {
    seen.push(`${r.method} ${r.path.split('?')[0]}`);
    return readyz === 'fail' && r.path.startsWith('/readyz') ? { status: 500, body: 'empty' } : undefined;
  });
  const ns = uniqueNamespace('needs');
  const dir = await mkdtemp(join(await tmp, 'needs-'));
  const kc = join(dir, 'kubeconfig');
  await writeFile(kc, kubeconfigText(sb, { token: c.adminToken }, { server: proxy.url }));
  const config = (color: string) => [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns }, data: { color } }];
  const spec = (color: string) => ({ name: `needs-${ns}`, clusters: ['edge'], provider: 'other', files: { 'manifests/config.yaml': config(color) } });
  const fleetDir = await writeFleet(spec('blue'));
  try {
    const first = await cli(['apply', fleetDir, '--kubeconfig', kc]);
    assert.equal(first.code, 0, first.err + first.out);
    seen.length = 0;
    const again = await cli(['apply', fleetDir, '--kubeconfig', kc]);
    assert.equal(again.code, 0, again.err + again.out);
    // No discovery, no cluster-wide LIST of Services, Ingresses, endpoints or
    // workloads: nothing in this fleet reads them.
    assert.deepEqual(seen.sort(), ['GET /api/v1/configmaps', 'GET /api/v1/namespaces', 'GET /readyz']);

    readyz = 'fail';
    await writeFleet(spec('green'), fleetDir);
    seen.length = 0;
    const notReady = await cli(['apply', fleetDir, '--kubeconfig', kc, '--output', 'json']);
    assert.equal(JSON.parse(notReady.out).clusters[0].health, 'NotReady', notReady.out);
    assert.deepEqual(seen.filter((s) => !s.startsWith('GET')), [], 'nothing is written to a cluster that is not Ready');
    const live = await admin(sb, CLUSTER).request<KubeObject>({ path: `/api/v1/namespaces/${ns}/configmaps/settings` });
    assert.equal((live.body as { data?: Record<string, string> }).data?.color, 'blue');
  } finally {
    await proxy.close();
  }
});
