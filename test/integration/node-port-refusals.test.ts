// A cluster that refuses the node port every LIST showed as free, on REAL
// apiservers: another client takes the port between gitfed's observation and
// its apply (the same answer a port reserved by a client that died
// mid-request gets, until the apiserver's repair loop frees it). One
// `gitfed apply` still ends with ONE node port, free in every cluster.
import assert from 'node:assert/strict';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { main } from '../../operator/cli/main.js';
import { startApiserverProxy } from '../faults/injectors/apiserver-proxy.js';
import { admin } from '../helpers/fleet-repo.js';
import { web, writeFleet } from '../helpers/fleet-dir.js';
import { sandbox, uniqueNamespace } from '../helpers/sandbox.js';

const tmp = mkdtemp(join(tmpdir(), 'gitfed-refused-'));
after(async () => { await rm(await tmp, { recursive: true, force: true }); });

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += t + '\n'; }, err: (t) => { err += t + '\n'; }, cwd: process.cwd(), env: process.env });
  return { code, out, err };
}

/** The sandbox's kubeconfig with `cluster` reached through `server` (the fault proxy). */
async function kubeconfigVia(sb: Awaited<ReturnType<typeof sandbox>>, cluster: string, server: string): Promise<string> {
  const kc = parse(await readFile(sb.kubeconfig, 'utf8')) as { clusters: Array<{ name: string; cluster: { server: string } }> };
  for (const c of kc.clusters) if (c.name === cluster) c.cluster.server = server;
  const path = join(await mkdtemp(join(await tmp, 'kc-')), 'kubeconfig');
  await writeFile(path, stringify(kc), { mode: 0o600 });
  return path;
}

const nodePortOf = async (sb: Awaited<ReturnType<typeof sandbox>>, cluster: string, ns: string, name: string): Promise<number | undefined> => {
  const h = admin(sb, cluster);
  try {
    const r = await h.request<{ spec: { ports: Array<{ nodePort?: number }> } }>({ path: `/api/v1/namespaces/${ns}/services/${name}` });
    return r.status === 200 ? r.body.spec.ports[0]?.nodePort : undefined;
  } finally { h.close(); }
};

test('node ports: a cluster refuses the port gitfed chose ("already allocated") though it looked free; the same apply moves the Service to a port free in every cluster', async () => {
  const sb = await sandbox({ clusters: 2, controllers: false });
  const [first, second] = sb.clusters.map((c) => c.name) as [string, string];
  const refusing = sb.clusters.find((c) => c.name === second)!;
  const proxy = await startApiserverProxy(sb, refusing);
  const ns = uniqueNamespace('refused');
  const other = uniqueNamespace('squat');
  const squatter = admin(sb, second);
  try {
    assert.equal((await squatter.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: other } } })).status, 201);
    // The moment gitfed sends the Service to the second cluster, another
    // client takes that very node port there (a Service gitfed does not own).
    let taken: number | undefined;
    proxy.setBeforeForward(async (r) => {
      if (taken !== undefined || r.method !== 'PATCH' || !r.path.startsWith(`/api/v1/namespaces/${ns}/services/web?`)) return;
      taken = (JSON.parse(r.body.toString()) as { spec: { ports: Array<{ nodePort: number }> } }).spec.ports[0]!.nodePort;
      const created = await squatter.request({
        method: 'POST', path: `/api/v1/namespaces/${other}/services`,
        body: { apiVersion: 'v1', kind: 'Service', metadata: { name: 'squatter' }, spec: { type: 'NodePort', selector: { app: 'squatter' }, ports: [{ port: 80, nodePort: taken }] } },
      });
      assert.equal(created.status, 201, created.text);
    });
    const kubeconfig = await kubeconfigVia(sb, second, proxy.url);
    const fleetDir = await writeFleet({ name: `refused-${ns}`, clusters: [first, second], files: { 'manifests/web.yaml': web(ns, { replicas: 2 }) } });

    const r = await cli(['apply', fleetDir, '--kubeconfig', kubeconfig, '--output', 'json']);
    assert.equal(r.code, 0, r.err + r.out);
    assert.ok(taken, 'the second cluster was sent a node port');
    const ports = [await nodePortOf(sb, first, ns, 'web'), await nodePortOf(sb, second, ns, 'web')];
    assert.equal(ports[0], ports[1], `one node port in every cluster: ${ports}`);
    assert.notEqual(ports[0], taken, 'not the port the second cluster refused');
    assert.equal(await nodePortOf(sb, second, other, 'squatter'), taken, 'the other client keeps its port');
    const result = JSON.parse(r.out) as { findings: Array<{ code: string; cluster?: string; message: string }>; allocations: { nodePorts: Record<string, Record<string, number>> } };
    assert.equal(result.allocations.nodePorts[`${ns}/web`]?.http, ports[0], 'the allocation written back is the port applied');
    const why = result.findings.find((f) => f.code === 'NodePortRefused');
    assert.ok(why && why.cluster === second && why.message.includes(String(taken)), `the status says why the port moved: ${JSON.stringify(result.findings)}`);
  } finally {
    squatter.close();
    await proxy.close();
  }
});

test('node ports: a port allocated before is kept when one cluster refuses it (moving it would move every load balancer backend); that cluster gets the Service once the port is free', async () => {
  const sb = await sandbox({ clusters: 2, controllers: false });
  const [first, second] = sb.clusters.map((c) => c.name) as [string, string];
  const proxy = await startApiserverProxy(sb, sb.clusters.find((c) => c.name === second)!);
  const ns = uniqueNamespace('kept');
  try {
    const kubeconfig = await kubeconfigVia(sb, second, proxy.url);
    const allocations = join(await mkdtemp(join(await tmp, 'alloc-')), 'allocations.yaml');
    const fleetDir = await writeFleet({ name: `kept-${ns}`, clusters: [first, second], files: { 'manifests/web.yaml': web(ns, { replicas: 2 }) } });
    const apply = () => cli(['apply', fleetDir, '--kubeconfig', kubeconfig, '--allocations', allocations, '--output', 'json']);
    const one = await apply();
    assert.equal(one.code, 0, one.err + one.out);
    const port = (await nodePortOf(sb, first, ns, 'web'))!;
    assert.equal(await nodePortOf(sb, second, ns, 'web'), port);

    // The Service is deleted by hand in the second cluster, where a client
    // that died mid-request left the port reserved. No apiserver does that
    // on cue, so the proxy answers the Service's apply there the way one
    // does then (the same Status a real apiserver sends for a held port).
    const h = admin(sb, second);
    try { assert.equal((await h.request({ method: 'DELETE', path: `/api/v1/namespaces/${ns}/services/web` })).status, 200); } finally { h.close(); }
    const patches: string[] = [];
    proxy.setRule((r) => {
      if (r.method !== 'PATCH' || !r.path.startsWith(`/api/v1/namespaces/${ns}/services/web?`)) return undefined;
      patches.push(r.path);
      return { status: 422, body: 'status', reason: 'Invalid', message: `Service "web" is invalid: spec.ports[0].nodePort: Invalid value: ${port}: provided port is already allocated` };
    });
    const refused = await apply();
    assert.equal(refused.code, 1, 'the second cluster could not get the Service');
    assert.equal(patches.length, 1, 'one pass: nothing to re-plan for a port that stays');
    assert.equal(await nodePortOf(sb, first, ns, 'web'), port, 'the first cluster keeps the port');
    const result = JSON.parse(refused.out) as { findings: Array<{ code: string; message: string }>; allocations: { nodePorts: Record<string, Record<string, number>> } };
    assert.equal(result.allocations.nodePorts[`${ns}/web`]?.http, port);
    assert.match(result.findings.find((f) => f.code === 'NodePortRefused')?.message ?? '', new RegExp(`keeps port ${port}`));

    proxy.setRule(undefined); // the apiserver freed the port
    const healed = await apply();
    assert.equal(healed.code, 0, healed.err + healed.out);
    assert.equal(await nodePortOf(sb, second, ns, 'web'), port);
  } finally {
    await proxy.close();
  }
});
