// The local fleet is real: apiservers apply, allocate node ports and run
// Deployments through controllers, scheduler and hollow nodes; the git server
// speaks smart HTTP; faults behave like faults; nothing outlives the sandbox.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile, chmod, mkdir } from 'node:fs/promises';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import git from 'isomorphic-git';
import http from 'isomorphic-git/http/node';
import { stringify } from 'yaml';
import { Discovery } from '../../operator/cluster/discovery.js';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { KubeUnreachableError } from '../../operator/cluster/kube-types.js';
import { emptyAllocations } from '../../operator/core/model.js';
import { render } from '../../operator/core/render.js';
import { loadFleetDir } from '../../operator/load/index.js';
import { startGitServer } from '../../operator/sandbox/git-server.js';
import { createBareRepo } from '../../operator/sandbox/git-server.js';
import { startSandbox, type Sandbox } from '../../operator/sandbox/index.js';
import { alive } from '../../operator/sandbox/supervisor.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';

const admin = (sb: Sandbox, name: string) => {
  const c = sb.clusters.find((x) => x.name === name)!;
  return new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken }, 5000);
};

async function createNamespace(h: KubeHttp, ns: string): Promise<void> {
  const r = await h.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } });
  assert.ok(r.status === 201 || r.status === 409, r.text);
}

test('sandbox: kubectl reaches every context of the kubeconfig, and the restricted one is restricted', async () => {
  const sb = await sandbox();
  assert.match(sb.version, /^v1\.3[6-9]\./);
  for (const c of sb.clusters) {
    const out = execFileSync(sb.kubectl, ['--kubeconfig', sb.kubeconfig, '--context', c.context, 'get', 'ns', '-o', 'name'], { encoding: 'utf8' });
    assert.match(out, /namespace\/kube-system/);
  }
  assert.throws(() => execFileSync(sb.kubectl, ['--kubeconfig', sb.kubeconfig, '--context', 'us-east1-restricted', 'get', 'pods'], { stdio: 'pipe' }), /forbidden/i);
});

test('sandbox: server-side apply of the sample fleet works in all 3 clusters', async () => {
  const sb = await sandbox();
  const loaded = await loadFleetDir(process.cwd(), { age: { keyFile: sb.ageKeyFile } });
  assert.deepEqual(loaded.findings.filter((f) => f.severity === 'error'), [], 'the sample fleet loads with the sandbox\'s demo key');
  const result = render({ fleet: loaded.fleet, observations: {}, allocations: emptyAllocations(), loadFindings: loaded.findings });
  assert.equal(result.clusters.length, 3);
  for (const c of result.clusters) {
    const h = admin(sb, c.cluster);
    const d = new Discovery(h);
    try {
      for (const obj of c.objects) {
        const { object } = await d.paths(obj);
        const r = await h.request({ method: 'PATCH', path: `${object}?fieldManager=gitfed-sandbox-test&force=true`, contentType: 'application/apply-patch+yaml', body: stringify(obj) });
        assert.ok(r.status === 200 || r.status === 201, `${c.cluster} ${obj.kind}/${obj.metadata.name}: ${r.status} ${r.text.slice(0, 300)}`);
      }
      const svc = await h.request<any>({ path: '/api/v1/namespaces/web/services/nginx' });
      assert.equal(svc.body.spec.ports[0].nodePort, result.allocations.nodePorts['web/nginx']!.http);
    } finally {
      h.close();
    }
  }
});

test('sandbox: the real apiserver rejects a nodePort another Service holds', async () => {
  const sb = await sandbox();
  const h = admin(sb, 'europe-west1');
  const ns = uniqueNamespace('np');
  try {
    await createNamespace(h, ns);
    const svc = (name: string) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { type: 'NodePort', selector: { app: name }, ports: [{ port: 80, nodePort: 31555, protocol: 'TCP' }] } });
    const first = await h.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/services`, body: svc('first') });
    assert.equal(first.status, 201, first.text);
    const second = await h.request<{ message: string }>({ method: 'POST', path: `/api/v1/namespaces/${ns}/services`, body: svc('second') });
    assert.equal(second.status, 422);
    assert.match(second.body.message, /provided port is already allocated/);
  } finally {
    h.close();
  }
});

async function roundTrip(url: string, onAuth?: () => { username: string; password: string }): Promise<void> {
  const fsDir = await mkdtemp(join(tmpdir(), 'gitfed-git-'));
  const other = await mkdtemp(join(tmpdir(), 'gitfed-git-'));
  try {
    const auth = onAuth ? { onAuth } : {};
    await git.init({ fs, dir: fsDir, defaultBranch: 'main' });
    await writeFile(join(fsDir, 'README.md'), 'fleet\n');
    await git.add({ fs, dir: fsDir, filepath: 'README.md' });
    const oid = await git.commit({ fs, dir: fsDir, message: 'first', author: { name: 't', email: 't@example.com' } });
    await git.push({ fs, http, dir: fsDir, url, ref: 'main', remoteRef: 'main', ...auth });
    await git.clone({ fs, http, dir: other, url, ref: 'main', singleBranch: true, ...auth });
    assert.equal(await git.resolveRef({ fs, dir: other, ref: 'HEAD' }), oid);
    await writeFile(join(fsDir, 'README.md'), 'fleet v2\n');
    await git.add({ fs, dir: fsDir, filepath: 'README.md' });
    const oid2 = await git.commit({ fs, dir: fsDir, message: 'second', author: { name: 't', email: 't@example.com' } });
    await git.push({ fs, http, dir: fsDir, url, ref: 'main', remoteRef: 'main', ...auth });
    await git.fetch({ fs, http, dir: other, url, ref: 'main', singleBranch: true, ...auth });
    assert.equal(await git.resolveRef({ fs, dir: other, ref: 'refs/remotes/origin/main' }), oid2);
  } finally {
    await rm(fsDir, { recursive: true, force: true });
    await rm(other, { recursive: true, force: true });
  }
}

test('sandbox: isomorphic-git clone, commit, push and fetch over smart HTTP', async () => {
  const sb = await sandbox();
  await roundTrip(await sb.git.createRepo('roundtrip'));
});

test('sandbox: the git server with basic auth refuses a wrong password and serves the right one', async () => {
  const root = await mkdtemp(join(tmpdir(), 'gitfed-repos-'));
  createBareRepo(root, 'secure.git');
  const server = await startGitServer({ root, port: 0, username: 'fleet', password: 's3cret' });
  try {
    const url = `http://127.0.0.1:${server.port}/secure.git`;
    await assert.rejects(git.getRemoteInfo({ http, url, onAuth: () => ({ username: 'fleet', password: 'wrong' }), onAuthFailure: () => ({ cancel: true }) }));
    await roundTrip(url, () => ({ username: 'fleet', password: 's3cret' }));
  } finally {
    await new Promise((r) => server.server.close(r));
    await rm(root, { recursive: true, force: true });
  }
});

test('sandbox: refusing pushes makes a push fail; allowing again works', async () => {
  const sb = await sandbox();
  const url = await sb.git.createRepo('refuse');
  const dir = await mkdtemp(join(tmpdir(), 'gitfed-git-'));
  try {
    await git.init({ fs, dir, defaultBranch: 'main' });
    await writeFile(join(dir, 'a'), 'a');
    await git.add({ fs, dir, filepath: 'a' });
    await git.commit({ fs, dir, message: 'a', author: { name: 't', email: 't@example.com' } });
    await sb.git.refusePushes(true);
    await assert.rejects(git.push({ fs, http, dir, url, ref: 'main', remoteRef: 'main' }), /403/);
    await sb.git.refusePushes(false);
    const r = await git.push({ fs, http, dir, url, ref: 'main', remoteRef: 'main' });
    assert.equal(r.ok, true);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('sandbox: a 3-replica Deployment gets 3 ready endpoints through controllers, scheduler and hollow nodes', async () => {
  const sb = await sandbox();
  const h = admin(sb, 'us-east1');
  const ns = uniqueNamespace('dep');
  try {
    await createNamespace(h, ns);
    const labels = { app: 'echo' };
    assert.equal((await h.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/services`, body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'echo', namespace: ns }, spec: { selector: labels, ports: [{ port: 80 }] } } })).status, 201);
    const dep = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'echo', namespace: ns }, spec: { replicas: 3, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'echo', image: 'registry.example/echo:1' }] } } } };
    assert.equal((await h.request({ method: 'POST', path: `/apis/apps/v1/namespaces/${ns}/deployments`, body: dep })).status, 201);
    const ready = await waitUntil('3 ready endpoints', 60_000, async () => {
      const r = await h.request<any>({ path: `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Decho` });
      const eps = (r.body.items ?? []).flatMap((s: any) => s.endpoints ?? []).filter((e: any) => e.conditions?.ready);
      // Every hollow pod reports the same fake IP: count by the Pod each endpoint points at.
      const pods = new Set(eps.map((e: any) => e.targetRef?.name));
      return pods.size === 3 ? pods : undefined;
    });
    assert.equal(ready.size, 3);
  } finally {
    h.close();
  }
});

test('sandbox: a killed apiserver is unreachable while the others serve; restarted, it serves again', async () => {
  const sb = await sandbox();
  const victim = admin(sb, 'asia-east1');
  const other = admin(sb, 'us-east1');
  try {
    await sb.faults.killApiserver('asia-east1');
    await assert.rejects(victim.request({ path: '/readyz', timeoutMs: 2000 }), KubeUnreachableError);
    assert.equal((await other.request({ path: '/readyz' })).status, 200);
    await sb.faults.startApiserver('asia-east1');
    assert.equal((await victim.request({ path: '/readyz' })).status, 200);
  } finally {
    victim.close();
    other.close();
  }
});

test('sandbox: a stopped hollow node goes NotReady and its endpoints turn not ready', async () => {
  const sb = await sandbox();
  const c = sb.clusters.find((x) => x.name === 'europe-west1')!;
  const h = admin(sb, c.name);
  const ns = uniqueNamespace('node');
  const node = c.nodes[0]!;
  try {
    await createNamespace(h, ns);
    const labels = { app: 'pinned' };
    await h.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/services`, body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'pinned', namespace: ns }, spec: { selector: labels, ports: [{ port: 80 }] } } });
    await h.request({ method: 'POST', path: `/apis/apps/v1/namespaces/${ns}/deployments`, body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'pinned', namespace: ns }, spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { nodeName: node, containers: [{ name: 'c', image: 'registry.example/c:1' }] } } } } });
    const slices = () => h.request<any>({ path: `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dpinned` });
    await waitUntil('2 ready endpoints on the node', 60_000, async () => (await slices()).body.items.flatMap((s: any) => s.endpoints ?? []).filter((e: any) => e.conditions?.ready).length === 2);
    await sb.faults.stopNode(c.name, node);
    await waitUntil(`${node} NotReady`, 90_000, async () => {
      const n = await h.request<any>({ path: `/api/v1/nodes/${node}` });
      return n.body.status.conditions.find((x: any) => x.type === 'Ready')?.status !== 'True';
    }, 1000);
    await waitUntil('endpoints not ready', 60_000, async () => (await slices()).body.items.flatMap((s: any) => s.endpoints ?? []).every((e: any) => !e.conditions?.ready), 1000);
    await sb.faults.startNode(c.name, node);
  } finally {
    h.close();
  }
});

test('sandbox: a start that fails leaves no process behind', async () => {
  const assets = await mkdtemp(join(tmpdir(), 'gitfed-assets-'));
  const saved = process.env.KUBEBUILDER_ASSETS;
  try {
    await mkdir(assets, { recursive: true });
    await writeFile(join(assets, 'kube-apiserver'), '#!/bin/sh\necho "broken on purpose" >&2\nexit 3\n');
    await chmod(join(assets, 'kube-apiserver'), 0o755);
    process.env.KUBEBUILDER_ASSETS = assets;
    const before = new Set(execFileSync('ps', ['-e', '-o', 'pid='], { encoding: 'utf8' }).split('\n').map((s) => s.trim()));
    await assert.rejects(startSandbox({ clusters: 2, controllers: false }), /exited before it was ready/);
    const leftovers = execFileSync('ps', ['-e', '-o', 'pid=,args='], { encoding: 'utf8' }).split('\n')
      .map((l) => l.trim()).filter((l) => l && !before.has(l.split(/\s+/)[0]!) && /etcd|kube-apiserver|hollow-node|git-server-main/.test(l));
    assert.deepEqual(leftovers, []);
  } finally {
    if (saved === undefined) delete process.env.KUBEBUILDER_ASSETS; else process.env.KUBEBUILDER_ASSETS = saved;
    await rm(assets, { recursive: true, force: true });
  }
});

test('sandbox: stop leaves nothing running (checked in the process table)', async () => {
  const sb = await startSandbox({ clusters: 1, nodesPerCluster: 1 });
  const pids = sb.pids();
  assert.ok(pids.length >= 5, `etcd, git, apiserver, controllers, node: got ${pids.length}`);
  await sb.stop();
  const table = new Set(execFileSync('ps', ['-e', '-o', 'pid='], { encoding: 'utf8' }).split('\n').map((s) => Number(s.trim())));
  assert.deepEqual(pids.filter((p) => table.has(p) && alive(p)), []);
});
