// What a member cluster (or a proxy in front of it) may answer a watch with,
// against a REAL apiserver behind a fault-injecting proxy: the operator never
// crashes, never feeds an error to its cache as an event, never retries in a
// tight loop, marks that cluster's watch as failing (and only that cluster's),
// and recovers with every change made during the outage.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse, stringify } from 'yaml';
import type { Connection } from '../../operator/cluster/connect.js';
import { Discovery } from '../../operator/cluster/discovery.js';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { observeCluster } from '../../operator/cluster/observe.js';
import { WatchCache } from '../../operator/cluster/watch-cache.js';
import { createLogger } from '../../operator/loop/logger.js';
import { Metrics } from '../../operator/loop/metrics.js';
import { Operator } from '../../operator/loop/operator.js';
import { dirEnds } from '../../operator/loop/sources.js';
import { writeFleet } from '../helpers/fleet-dir.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';
import { admin } from '../helpers/fleet-repo.js';
import { startWatchFaultProxy, statusBody, type WatchFault } from '../helpers/watch-fault-proxy.js';

const CLUSTER = 'us-east1';
const FAST = { backoffMs: 100, maxBackoffMs: 800 };

async function createNamespace(http: KubeHttp, ns: string): Promise<void> {
  const r = await http.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
  assert.equal(r.status, 201, r.text);
}

async function createConfigMap(http: KubeHttp, ns: string, name: string): Promise<void> {
  const r = await http.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } } });
  assert.equal(r.status, 201, r.text);
}

const names = (c: WatchCache) => c.items().map((o) => o.metadata.name).sort();

const FAULTS: Array<{ fault: WatchFault; code: string }> = [
  { fault: { kind: 'status', status: 401, body: statusBody(401, 'Unauthorized', 'Unauthorized') }, code: 'HTTP_401' },
  { fault: { kind: 'status', status: 403, body: statusBody(403, 'Forbidden', 'configmaps is forbidden: User "x" cannot watch resource "configmaps"') }, code: 'HTTP_403' },
  { fault: { kind: 'status', status: 429, body: statusBody(429, 'TooManyRequests', 'too many requests') }, code: 'HTTP_429' },
  { fault: { kind: 'status', status: 500, body: statusBody(500, 'InternalError', 'etcd is sad') }, code: 'HTTP_500' },
  { fault: { kind: 'status', status: 503, body: '' }, code: 'HTTP_503' },
  { fault: { kind: 'status', status: 410, body: statusBody(410, 'Gone', 'too old resource version') }, code: 'HTTP_410' },
  { fault: { kind: 'gone-event' }, code: 'EWATCHGONE' },
  { fault: { kind: 'garbage' }, code: 'EWATCHEVENT' },
];

test('a watch answered 401/403/429/500/410, an empty 503, an ERROR 410 event or garbage: no crash, no event, backoff, recovery', async () => {
  const sb = await sandbox({ clusters: 2, controllers: false });
  const proxy = await startWatchFaultProxy(sb, CLUSTER);
  const direct = admin(sb, CLUSTER);
  const viaProxy = admin(sb, CLUSTER, proxy.server);
  const ns = uniqueNamespace('watch');
  await createNamespace(direct, ns);
  const cache = new WatchCache(viaProxy, `/api/v1/namespaces/${ns}/configmaps`, 'v1', 'ConfigMap', FAST);
  try {
    await cache.start();
    assert.equal(cache.synced, true);
    for (const [i, { fault, code }] of FAULTS.entries()) {
      proxy.setFault(fault);
      await waitUntil(`the cache reports ${code}`, 15_000, async () => !cache.synced && cache.state().error?.code === code);
      const from = proxy.watchTimes.length;
      await waitUntil(`three more watch attempts under ${code}`, 15_000, async () => proxy.watchTimes.length >= from + 3);
      // Never a tight loop: every retry waits at least half the first backoff.
      const times = proxy.watchTimes.slice(from - 1);
      for (let k = 1; k < times.length; k++) assert.ok(times[k]! - times[k - 1]! >= FAST.backoffMs / 2 - 5, `${code}: retries ${times[k]! - times[k - 1]!} ms apart`);
      assert.ok(cache.items().every((o) => typeof o.metadata?.name === 'string' && o.kind === 'ConfigMap'), `${code}: nothing but ConfigMaps in the cache`);
      // A change made during the outage shows up once the watch works again.
      await createConfigMap(direct, ns, `during-${i}`);
      proxy.setFault({ kind: 'pass' });
      await waitUntil(`recovery after ${code}`, 15_000, async () => cache.synced && !cache.state().error && names(cache).includes(`during-${i}`));
    }
    await createConfigMap(direct, ns, 'after');
    await waitUntil('an event after recovery', 15_000, async () => names(cache).includes('after'));
    assert.ok(cache.state().failures >= FAULTS.length);
  } finally {
    cache.stop();
    direct.close();
    viaProxy.close();
    await proxy.close();
  }
});

test('a watch that goes quiet (200, then not a byte) is reconnected after the idle timeout and misses nothing', async () => {
  const sb = await sandbox({ clusters: 2, controllers: false });
  const proxy = await startWatchFaultProxy(sb, CLUSTER);
  const direct = admin(sb, CLUSTER);
  const viaProxy = admin(sb, CLUSTER, proxy.server);
  const ns = uniqueNamespace('idle');
  await createNamespace(direct, ns);
  const cache = new WatchCache(viaProxy, `/api/v1/namespaces/${ns}/configmaps`, 'v1', 'ConfigMap', { ...FAST, idleTimeoutMs: 1000 });
  try {
    await cache.start();
    const from = proxy.watchTimes.length;
    proxy.setFault({ kind: 'stall' });
    // Once the stalled watch is open (its LIST is done), only a reconnect can bring a change in.
    await waitUntil('a stalled watch', 15_000, async () => proxy.watchTimes.length > from);
    await createConfigMap(direct, ns, 'while-stalled');
    await waitUntil('the idle timeout to fire', 15_000, async () => cache.state().error?.code === 'EWATCHIDLE');
    proxy.setFault({ kind: 'pass' });
    await waitUntil('the change made during the stall', 15_000, async () => cache.synced && names(cache).includes('while-stalled'));
  } finally {
    cache.stop();
    direct.close();
    viaProxy.close();
    await proxy.close();
  }
});

test('a failing watch marks its own cluster in the observation, whose data still comes from a fresh LIST, and leaves the other cluster untouched', async () => {
  const sb = await sandbox({ clusters: 2, controllers: false });
  const proxy = await startWatchFaultProxy(sb, CLUSTER);
  proxy.setFault({ kind: 'status', status: 403, body: statusBody(403, 'Forbidden', 'services is forbidden: cannot watch') });
  const conn = (name: string, http: KubeHttp): Connection => ({ cluster: name, context: name, http, discovery: new Discovery(http), caches: new Map(), watch: FAST });
  const broken = conn(CLUSTER, admin(sb, CLUSTER, proxy.server));
  const healthy = conn('europe-west1', admin(sb, 'europe-west1'));
  const opts = { fleetName: 'watch-faults', kinds: [['v1', 'ConfigMap']] as Array<[string, string]> };
  try {
    const live = await waitUntil('the watch error in the observation', 15_000, async () => {
      const l = await observeCluster(broken, opts);
      return l.errors.some((e) => /^watch Service: .*HTTP_403/.test(e)) ? l : undefined;
    });
    assert.equal(live.probe.health, 'Ready');
    // The data is still current: a cache that is not synced is never read, the LIST goes to the server.
    assert.equal(live.errors.some((e) => e.startsWith('services:')), false, live.errors.join('\n'));
    const other = await observeCluster(healthy, opts);
    assert.deepEqual(other.errors, []);
    assert.ok([...healthy.caches!.values()].every((c) => c.synced && !c.state().error));
  } finally {
    for (const c of [broken, healthy]) { for (const w of c.caches!.values()) w.stop(); c.http.close(); }
    await proxy.close();
  }
});

test('operator: a cluster whose watches are refused is marked in errors.yaml and /metrics; the other cluster is applied and clean', async () => {
  const sb = await sandbox({ clusters: 2, controllers: false });
  const proxy = await startWatchFaultProxy(sb, CLUSTER);
  proxy.setFault({ kind: 'status', status: 429, body: statusBody(429, 'TooManyRequests', 'slow down') });
  const ns = uniqueNamespace('opwatch');
  const dir = await writeFleet({ name: ns, clusters: [CLUSTER, 'europe-west1'], files: { 'manifests/app.yaml': [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: ns }, data: { a: '1' } }] } });
  // us-east1 is reached through the proxy, europe-west1 directly.
  const kubeconfig = join(dir, 'kubeconfig');
  const ctx = (name: string, server: string) => {
    const c = sb.clusters.find((x) => x.name === name)!;
    return { cluster: { name, cluster: { server, 'certificate-authority-data': Buffer.from(c.ca).toString('base64') } }, user: { name, user: { token: c.adminToken } }, context: { name, context: { cluster: name, user: name } } };
  };
  const ctxs = [ctx(CLUSTER, proxy.server), ctx('europe-west1', sb.clusters.find((x) => x.name === 'europe-west1')!.server)];
  await writeFile(kubeconfig, stringify({ apiVersion: 'v1', kind: 'Config', clusters: ctxs.map((c) => c.cluster), users: ctxs.map((c) => c.user), contexts: ctxs.map((c) => c.context) }));
  const statusDir = join(dir, '.gitfed-status');
  const metrics = new Metrics();
  const op = new Operator({ ...dirEnds(dir, statusDir), kubeconfig, prune: false, log: createLogger({ format: 'json', write: () => undefined }), metrics });
  try {
    const first = await op.tick('test');
    assert.equal(first.applied, true, first.error);
    const r = await waitUntil('the failing watch in a tick result', 20_000, async () => {
      const t = await op.tick('test');
      return t.result?.clusters.find((c) => c.cluster === CLUSTER)?.errors.some((e) => e.includes('HTTP_429')) ? t.result : undefined;
    });
    assert.deepEqual(r.clusters.find((c) => c.cluster === 'europe-west1')!.errors, []);
    assert.equal(r.clusters.find((c) => c.cluster === CLUSTER)!.health, 'Ready');
    const errors = parse(await readFile(join(statusDir, 'errors.yaml'), 'utf8')).errors as Array<{ where: string; message: string }>;
    assert.ok(errors.some((e) => e.where === 'cluster/us-east1' && /^watch [A-Za-z]+: .*HTTP 429: slow down/.test(e.message)), JSON.stringify(errors));
    const text = await metrics.registry.metrics();
    assert.match(text, /gitfed_watch_failing\{cluster="us-east1",kind="\w+",code="HTTP_429"\} 1/);
    assert.doesNotMatch(text, /gitfed_watch_failing\{cluster="europe-west1"/);
  } finally {
    op.close();
    await proxy.close();
  }
});

test('operator: a watch that lags behind gitfed\'s own writes never turns them into drift, nor does what another fleet generated; a change by hand is still drift once the watch delivers it', async () => {
  const sb = await sandbox({ clusters: 2, controllers: false });
  // Another fleet in the same cluster generated the shared GLBC uid ConfigMap
  // first: this fleet uses it as it is and never owns it, so it is not "deleted".
  const otherDir = await writeFleet({ name: uniqueNamespace('other'), clusters: [CLUSTER], files: { 'manifests/ns.yaml': [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: uniqueNamespace('other') } }] } });
  const other = new Operator({ ...dirEnds(otherDir, join(otherDir, '.gitfed-status')), kubeconfig: sb.kubeconfig, prune: false, log: createLogger({ format: 'json', write: () => undefined }), metrics: new Metrics() });
  try { assert.equal((await other.tick('test')).applied, true); } finally { other.close(); }
  const proxy = await startWatchFaultProxy(sb, CLUSTER);
  // Every watch of the operator is held from the start: its caches see the
  // first LIST and then nothing until release(), as a watch far behind the writes.
  proxy.setFault({ kind: 'hold' });
  const ns = uniqueNamespace('lag');
  const cm = (a: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: ns }, data: { a } });
  const dir = await writeFleet({ name: ns, clusters: [CLUSTER], files: { 'manifests/app.yaml': [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, cm('1')] } });
  const c = sb.clusters.find((x) => x.name === CLUSTER)!;
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, stringify({
    apiVersion: 'v1', kind: 'Config', clusters: [{ name: CLUSTER, cluster: { server: proxy.server, 'certificate-authority-data': Buffer.from(c.ca).toString('base64') } }],
    users: [{ name: CLUSTER, user: { token: c.adminToken } }], contexts: [{ name: CLUSTER, context: { cluster: CLUSTER, user: CLUSTER } }],
  }));
  const statusDir = join(dir, '.gitfed-status');
  const op = new Operator({ ...dirEnds(dir, statusDir), kubeconfig, prune: false, log: createLogger({ format: 'json', write: () => undefined }), metrics: new Metrics() });
  const direct = admin(sb, CLUSTER);
  const drift = (t: Awaited<ReturnType<Operator['tick']>>) => t.result?.clusters.find((x) => x.cluster === CLUSTER)?.drift ?? [];
  try {
    const created = await op.tick('test');
    assert.equal(created.applied, true, created.error);
    // The ConfigMap was created while the watch holds its ADDED event: not "deleted by hand".
    const quiet = await op.tick('test');
    assert.deepEqual(drift(quiet), [], JSON.stringify(drift(quiet)));
    // A new revision changes it; the pass after still reads the written value, not the old one.
    await writeFile(join(dir, 'manifests/app.yaml'), [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, cm('2')].map((o) => stringify(o)).join('---\n'));
    const updated = await op.tick('test');
    assert.equal(updated.applied, true, updated.error);
    assert.deepEqual(drift(await op.tick('test')), []);
    assert.match(await readFile(join(statusDir, 'drift.yaml'), 'utf8'), /^drift: \[\]/m);
    // The held events arrive (ADDED a=1, then MODIFIED a=2): the older one does not bring a=1 back.
    const before = proxy.watchTimes.length;
    proxy.release();
    const live = await direct.request<any>({ path: `/api/v1/namespaces/${ns}/configmaps/app` });
    assert.equal(live.body.data.a, '2');
    // A change by hand (another field manager) is drift once the watch delivers it.
    const hand = await direct.request({ method: 'PATCH', path: `/api/v1/namespaces/${ns}/configmaps/app?fieldManager=kubectl-edit&force=true`, contentType: 'application/apply-patch+yaml', body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: ns }, data: { a: 'by-hand' } }) });
    assert.equal(hand.status, 200, hand.text);
    const seen = await waitUntil('the change by hand reported as drift', 20_000, async () => {
      const d = drift(await op.tick('test'));
      return d.length ? d : undefined;
    });
    assert.deepEqual(seen.map((d) => [d.ref.kind, d.ref.name, d.kind, d.fields.map((f) => [f.path, f.git, f.live])]), [['ConfigMap', 'app', 'modified', [['data.a', '2', 'by-hand']]]]);
    assert.equal(proxy.watchTimes.length, before, 'the released watches kept running (no reconnect was needed)');
  } finally {
    op.close();
    direct.close();
    await proxy.close();
  }
});
