// One connection per cluster: against a real kube-apiserver every request and
// watch of a cluster shares one HTTP/2 connection (as client-go does); a
// server that does not offer h2 (here a TLS proxy that speaks HTTP/1.1) gets
// HTTP/1.1; and a connection that stops answering is dropped after an
// unanswered PING instead of being waited on forever.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { test } from 'node:test';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { KubeUnreachableError } from '../../operator/cluster/kube-types.js';
import { admin } from '../helpers/fleet-repo.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';
import { startWatchFaultProxy } from '../helpers/watch-fault-proxy.js';

const CLUSTER = 'us-east1';

/** TCP connections this process holds open to `port` on 127.0.0.1 (from /proc: our socket fds, matched by inode). */
function connectionsTo(port: number): number {
  const mine = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try { const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`)); if (m) mine.add(m[1]!); } catch { /* closed meanwhile */ }
  }
  let n = 0;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try { text = readFileSync(table, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // remote address "hex-ip:hex-port", state 01 = ESTABLISHED, inode in column 10
      if (f.length > 9 && f[3] === '01' && parseInt(f[2]!.split(':')[1]!, 16) === port && mine.has(f[9]!)) n++;
    }
  }
  return n;
}

async function openWatches(h: KubeHttp, paths: string[], signal: AbortSignal): Promise<void> {
  let open = 0;
  for (const p of paths) void h.stream(`${p}?watch=1&allowWatchBookmarks=true&timeoutSeconds=300`, { onLine: () => undefined, onOpen: () => { open++; }, signal }).catch(() => undefined);
  await waitUntil(`${paths.length} watches open`, 30_000, async () => open === paths.length || undefined, 50);
}

const WATCHED = ['/api/v1/configmaps', '/api/v1/secrets', '/api/v1/services', '/api/v1/namespaces', '/api/v1/serviceaccounts', '/api/v1/pods',
  '/apis/apps/v1/deployments', '/apis/apps/v1/replicasets', '/apis/apps/v1/statefulsets', '/apis/apps/v1/daemonsets', '/apis/networking.k8s.io/v1/ingresses',
  '/apis/discovery.k8s.io/v1/endpointslices', '/api/v1/nodes', '/apis/rbac.authorization.k8s.io/v1/roles', '/apis/rbac.authorization.k8s.io/v1/rolebindings', '/api/v1/events'];

test('HTTP/2: 16 watches and 50 concurrent requests to a real apiserver share ONE connection', async () => {
  const sb = await sandbox();
  const port = Number(new URL(sb.clusters.find((c) => c.name === CLUSTER)!.server).port);
  const h = admin(sb, CLUSTER);
  const stop = new AbortController();
  try {
    assert.equal(connectionsTo(port), 0);
    await openWatches(h, WATCHED, stop.signal);
    const answers = await Promise.all(Array.from({ length: 50 }, () => h.request({ path: '/api/v1/namespaces/default' })));
    assert.ok(answers.every((r) => r.status === 200));
    assert.equal(h.protocol, 'h2');
    assert.equal(connectionsTo(port), 1, 'one connection for 16 watches and 50 requests');
  } finally {
    stop.abort();
    h.close();
  }
});

test('HTTP/2: an apiserver that stops answering (SIGSTOP) times the request out, the connection is dropped after an unanswered PING, and once it answers again a new connection serves', async () => {
  const sb = await sandbox();
  const port = Number(new URL(sb.clusters.find((c) => c.name === CLUSTER)!.server).port);
  await waitUntil('no connection left from the test before', 20_000, async () => connectionsTo(port) === 0 || undefined, 100);
  const h = admin(sb, CLUSTER);
  try {
    assert.equal((await h.request({ path: '/api/v1/namespaces/default' })).status, 200);
    assert.equal(connectionsTo(port), 1);
    sb.faults.pauseApiserver(CLUSTER);
    try {
      await assert.rejects(h.request({ path: '/api/v1/namespaces/default', timeoutMs: 1000 }), (e) => e instanceof KubeUnreachableError && /no answer within 1000 ms/.test(e.message));
      // Not waited on forever: the silent connection is closed (the PING got no answer).
      await waitUntil('the silent connection is dropped', 30_000, async () => connectionsTo(port) === 0 || undefined, 250);
    } finally {
      sb.faults.resumeApiserver(CLUSTER);
    }
    assert.equal((await h.request({ path: '/api/v1/namespaces/default' })).status, 200);
    assert.equal(h.protocol, 'h2');
    assert.equal(connectionsTo(port), 1);
  } finally {
    h.close();
  }
});

// Last in the file: the proxy's own keep-alive connections to the apiserver would count in the tests above.
test('HTTP/1.1: through a TLS proxy that does not offer h2 the same client falls back to HTTP/1.1; requests and watches work the same', async () => {
  const sb = await sandbox();
  const proxy = await startWatchFaultProxy(sb, CLUSTER);
  const p = admin(sb, CLUSTER, proxy.server);
  const stopP = new AbortController();
  try {
    const ns = uniqueNamespace('h1');
    const seen: string[] = [];
    let open = false;
    // From a LIST's resourceVersion, as gitfed's watch caches start.
    const rv = (await p.request<{ metadata: { resourceVersion: string } }>({ path: '/api/v1/namespaces' })).body.metadata.resourceVersion;
    void p.stream(`/api/v1/namespaces?watch=1&timeoutSeconds=120&resourceVersion=${rv}`, { onLine: (l) => { seen.push(l); }, onOpen: () => { open = true; }, signal: stopP.signal }).catch(() => undefined);
    await waitUntil('the watch through the proxy is open', 20_000, async () => open || undefined, 50);
    assert.equal(p.protocol, 'http/1.1');
    const created = await p.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
    assert.equal(created.status, 201, created.text);
    await waitUntil('the watch through the proxy delivers the new Namespace', 20_000, async () => seen.some((l) => l.includes(`"name":"${ns}"`)) || undefined, 50).catch((e) => { throw new Error(`${e.message}; ${seen.length} lines: ${seen.map((l) => l.slice(0, 120)).join(' | ')}`); });
  } finally {
    stopP.abort();
    p.close();
    await proxy.close();
  }
});
