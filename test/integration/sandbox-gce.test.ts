// `gitfed sandbox up --gce`: the Compute Engine stand-in runs next to the
// clusters, prints its URL, GLBC's stand-in builds every gce Ingress into it
// until `sandbox down`, and nothing of it outlives `down`.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { main } from '../../operator/cli/main.js';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { gceClients } from '../../operator/gce/gce-clients.js';
import { ensureGlobalAddress } from '../../operator/gce/static-ip.js';
import { stopSandboxDir } from '../../operator/sandbox/index.js';
import { alive } from '../../operator/sandbox/supervisor.js';
import { waitUntil } from '../helpers/sandbox.js';

let dir: string | undefined;
after(async () => {
  if (!dir) return;
  await stopSandboxDir(dir);
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += t + '\n'; }, err: (t) => { err += t + '\n'; }, cwd: process.cwd(), env: process.env });
  return { code, out, err };
}

test('sandbox up --gce: prints the compute stand-in, GLBC builds the Ingress into it, sandbox down stops it', async () => {
  dir = await mkdtemp(join(tmpdir(), 'gitfed-sandbox-gce-'));
  const up = await cli(['sandbox', 'up', '--gce', '--clusters', '1', '--nodes', '1', '--dir', dir]);
  assert.equal(up.code, 0, up.out + up.err);
  const url = /^ {2}compute: +(http:\/\/127\.0\.0\.1:\d+)\b/m.exec(up.out)?.[1];
  assert.ok(url, up.out);

  const state = JSON.parse(await readFile(join(dir, 'sandbox.json'), 'utf8'));
  const c = state.clusters[0];
  const h = new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
  const gce = gceClients({ endpoint: url });
  try {
    const address = await ensureGlobalAddress(gce, 'gitfed-demo', 'up-ip');
    const create = async (path: string, body: unknown) => {
      const r = await h.request({ method: 'POST', path, body });
      assert.equal(r.status, 201, r.text);
    };
    await create('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'up' } });
    await create('/api/v1/namespaces/up/services', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'up' }, spec: { type: 'NodePort', selector: { app: 'web' }, ports: [{ port: 80 }] } });
    await create('/apis/networking.k8s.io/v1/namespaces/up/ingresses', {
      apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
      metadata: { name: 'web', namespace: 'up', annotations: { 'kubernetes.io/ingress.class': 'gce', 'kubernetes.io/ingress.global-static-ip-name': 'up-ip' } },
      spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } } },
    });
    const nodePort = (await h.request<any>({ path: '/api/v1/namespaces/up/services/web' })).body.spec.ports[0].nodePort;
    const snap = await waitUntil('the forwarding rule in the compute stand-in', 60_000, async () => {
      const s = await (await fetch(`${url}/_standin/state`)).json() as Record<string, any[]>;
      return s.forwardingRules!.length === 1 && s;
    }, 500);
    const uid = (await h.request<any>({ path: '/api/v1/namespaces/kube-system/configmaps/ingress-uid' })).body.data.uid;
    assert.deepEqual(snap.backendServices!.map((b) => [b.name, b.backends.length]), [[`k8s-be-${nodePort}--${uid}`, 1]]);
    assert.deepEqual(snap.forwardingRules!.map((r) => [r.name, r.IPAddress]), [[`k8s-fw-up-web--${uid}`, address.address]]);
    assert.deepEqual(snap.instanceGroups!.map((g) => [g.name, g.instances.length]), [[`k8s-ig--${uid}`, 1]]);
  } finally {
    h.close();
    await gce.close();
  }

  const pid = state.compute?.pid ?? JSON.parse(await readFile(join(dir, 'sandbox.json'), 'utf8')).compute.pid;
  const down = await cli(['sandbox', 'down', '--dir', dir]);
  assert.equal(down.code, 0, down.out + down.err);
  assert.equal(alive(pid), false, 'the compute stand-in is stopped');
  await assert.rejects(fetch(`${url}/_standin/state`));
});
