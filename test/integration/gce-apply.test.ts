// gitfed on GCE, against the local Compute Engine stand-in (nothing here can
// reach Google): apply and run with --gce-endpoint reserve the static IP an
// Ingress names before applying it; a reservation whose Operation ends DONE
// with an error blocks that Ingress only, naming the call and the resource;
// the operator's status commit shows the address and, per cluster, the
// backend health Compute Engine reports, with the reason when unhealthy; a
// Compute Engine that hangs costs a timeout, never the tick.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { reconcileFleet } from '../../operator/cluster/reconcile.js';
import { main } from '../../operator/cli/main.js';
import { emptyAllocations } from '../../operator/core/model.js';
import { gceEdge } from '../../operator/gce/gce-edge.js';
import { gceClients } from '../../operator/gce/gce-clients.js';
import { loadFleetDir } from '../../operator/load/index.js';
import { startComputeStandin, type ComputeStandin } from '../../operator/sandbox/compute-standin.js';
import { runGlbcOnce } from '../../operator/sandbox/glbc-standin.js';
import type { Sandbox } from '../../operator/sandbox/index.js';
import { web, writeFleet } from '../helpers/fleet-dir.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';
import { cliIO, clusterGet as get } from '../helpers/cli-io.js';

const CLUSTERS = ['us-east1', 'europe-west1', 'asia-east1'];
const PROJECT = 'gitfed-test';

let standin: ComputeStandin | undefined;
after(async () => { await standin?.close(); });

async function patchReplicas(sb: Sandbox, cluster: string, ns: string, replicas: number): Promise<void> {
  const c = sb.clusters.find((x) => x.name === cluster)!;
  const h = new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
  try {
    await h.request({ method: 'PATCH', path: `/apis/apps/v1/namespaces/${ns}/deployments/web?fieldManager=test`, contentType: 'application/merge-patch+json', body: { spec: { replicas } } });
  } finally { h.close(); }
}

const ns = uniqueNamespace('gceapply');
let dir = '';

test('apply --gce-endpoint: a reservation whose Operation ends DONE with an error blocks that Ingress only, naming the call and the address; the next apply reserves it and applies the Ingress', async () => {
  const sb = await sandbox();
  standin = await startComputeStandin();
  // As Compute Engine does: the insert answers RUNNING, and only waiting on the Operation shows how it ended.
  standin.store.answerRunning = true;
  dir = await writeFleet({ name: 'gceapply', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(ns, { replicas: 3 }) } });
  standin.failNext({ collection: 'addresses', verb: 'insert', code: 'QUOTA_EXCEEDED', message: 'Quota STATIC_ADDRESSES exceeded' });
  const io = cliIO();
  assert.equal(await main(['apply', dir, '--kubeconfig', sb.kubeconfig, '--gce-endpoint', standin.url], io), 1, io.stdout + io.stderr);
  const resource = `projects/${PROJECT}/global/addresses/${ns}-ip`;
  for (const c of CLUSTERS) {
    assert.match(io.stdout, new RegExp(`blocked ${c} Ingress ${ns}/web: static IP ${ns}-ip \\(project ${PROJECT}\\) is not reserved.*globalAddresses\\.insert ${resource}.*QUOTA_EXCEEDED: Quota STATIC_ADDRESSES exceeded`));
    assert.equal((await get(sb, c, `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`)).status, 404, `no Ingress in ${c}`);
    assert.equal((await get(sb, c, `/api/v1/namespaces/${ns}/services/web`)).status, 200, `the rest is applied in ${c}`);
  }
  assert.equal(standin.snapshot().addresses!.some((a) => a.name === `${ns}-ip`), false);
  assert.doesNotMatch(io.stdout + io.stderr, /Bearer|authorization/i, 'no credentials in the output');

  const again = cliIO();
  assert.equal(await main(['apply', dir, '--kubeconfig', sb.kubeconfig, '--gce-endpoint', standin.url], again), 0, again.stdout + again.stderr);
  const address = standin.snapshot().addresses!.find((a) => a.name === `${ns}-ip`)!.address;
  assert.match(again.stdout, new RegExp(`static IP ${ns}-ip \\(project ${PROJECT}\\) for Ingress ${ns}/web: ${address.replaceAll('.', '\\.')} \\(reserved now\\)`));
  for (const c of CLUSTERS) assert.equal((await get(sb, c, `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`)).status, 200, `the Ingress in ${c}`);
  // Reserved once: a third apply finds it.
  const third = cliIO();
  assert.equal(await main(['apply', dir, '--kubeconfig', sb.kubeconfig, '--gce-endpoint', standin.url], third), 0, third.stderr);
  assert.match(third.stdout, new RegExp(`${ns}/web: ${address.replaceAll('.', '\\.')} \\(reserved\\)`));
  assert.equal(standin.snapshot().addresses!.filter((a) => a.name === `${ns}-ip`).length, 1);
  assert.equal(standin.requests.filter((r) => r.method === 'POST' && /\/global\/operations\/[^/]+\/wait$/.test(r.path)).length, 2, 'each insert waited on until DONE');
  standin.store.answerRunning = false;
});

async function runOnce(sb: Sandbox): Promise<{ readme: string; ingress: any; log: string }> {
  const io = cliIO();
  const code = await main(['run', '--dir', dir, '--kubeconfig', sb.kubeconfig, '--once', '--gce-endpoint', standin!.url, '--log-format', 'json', '--listen', '127.0.0.1:0'], io);
  assert.equal(code, 0, io.stderr);
  const status = join(dir, '.gitfed-status');
  // Markdown escapes (\\- \\. \\() are dropped so the checks read as the table does.
  return { readme: (await readFile(join(status, 'README.md'), 'utf8')).replaceAll('\\', ''), ingress: parse(await readFile(join(status, 'ingresses', ns, 'web.yaml'), 'utf8')), log: io.stderr + io.stdout };
}

test('run --gce-endpoint: the status commit shows the reserved address and each cluster\'s backend health from getHealth; a cluster without ready endpoints turns UNHEALTHY with the reason', async () => {
  const sb = await sandbox();
  assert.ok(standin && dir, 'runs after the apply test');
  const glbcAll = async () => { for (const c of CLUSTERS) await runGlbcOnce(sb, c, { compute: { endpoint: standin!.url, project: PROJECT } }); };
  const healthy = await waitUntil('every cluster HEALTHY in the status', 180_000, async () => {
    await glbcAll();
    const s = await runOnce(sb);
    return s.ingress.shards.every((x: any) => x.gce?.state === 'HEALTHY') && s;
  }, 1000);
  const address = standin.snapshot().addresses!.find((a) => a.name === `${ns}-ip`)!.address;
  assert.deepEqual(healthy.ingress.staticIps, [{ name: `${ns}-ip`, project: PROJECT, address }]);
  assert.match(healthy.readme, new RegExp(`Static IP name: \`${ns}-ip\` ${PROJECT}: ${address.replaceAll('.', '\\.')} \\(reserved\\)`));
  assert.match(healthy.readme, /\| cluster \| ip \| backend health \| ready endpoints \| GCE backend health \|/);
  assert.match(healthy.readme, /\| europe-west1 \|.*\| HEALTHY \d+\/\d+ \|/);
  assert.doesNotMatch(healthy.readme + JSON.stringify(healthy.ingress) + healthy.log, /Bearer|authorization/i, 'no credentials in status or logs');

  await patchReplicas(sb, 'europe-west1', ns, 0);
  try {
    const down = await waitUntil('europe-west1 UNHEALTHY in the status', 180_000, async () => {
      await glbcAll();
      const s = await runOnce(sb);
      // The operator heals replicas back: scale down again until GLBC and the status catch it.
      const eu = s.ingress.shards.find((x: any) => x.cluster === 'europe-west1');
      if (eu.gce?.state !== 'UNHEALTHY') { await patchReplicas(sb, 'europe-west1', ns, 0); return false; }
      return s;
    }, 1000);
    const eu = down.ingress.shards.find((x: any) => x.cluster === 'europe-west1');
    assert.match(eu.gce.reason, /no ready endpoints/);
    assert.match(down.readme, /\| europe-west1 \|.*\| UNHEALTHY .*no ready endpoints in this cluster\) \|/);
    assert.ok(down.ingress.shards.filter((x: any) => x.cluster !== 'europe-west1').every((x: any) => x.gce.state === 'HEALTHY'));
  } finally {
    await patchReplicas(sb, 'europe-west1', ns, 1);
  }
});

test('a Compute Engine that never answers costs a timeout: the clusters are still reconciled and the static IP says why', async () => {
  const sb = await sandbox();
  const sockets = new Set<import('node:net').Socket>();
  const hang: Server = createServer((s) => { sockets.add(s); });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  const port = (hang.address() as import('node:net').AddressInfo).port;
  const clients = gceClients({ endpoint: `http://127.0.0.1:${port}` });
  try {
    const loaded = await loadFleetDir(dir);
    const started = Date.now();
    const r = await reconcileFleet({ fleet: loaded.fleet, loadFindings: loaded.findings, kubeconfigPath: sb.kubeconfig, allocations: emptyAllocations(), dryRun: false, prune: false, writes: 'heal', gce: gceEdge(clients, 500) });
    assert.ok(Date.now() - started < 60_000);
    assert.ok(r.clusters.every((c) => c.health === 'Ready'), 'the clusters stage ran');
    const st = r.ingresses.find((i) => i.ref.namespace === ns)!.staticIps!;
    assert.match(st[0]!.error!, new RegExp(`projects/${PROJECT}/global/addresses/${ns}-ip: no answer within 500ms`));
    assert.ok(r.clusters.every((c) => c.blocked.some((b) => b.ref.kind === 'Ingress' && b.ref.namespace === ns)), 'the Ingress is held back, not deleted');
  } finally {
    for (const s of sockets) s.destroy();
    hang.close();
    await clients.close();
  }
});

test('prune takes a cluster out of a shared Ingress only by the safe sequence (drain first: the Ingress stays while its workloads are placed there), or at once with --allow-shared-ingress-removal', async () => {
  const sb = await sandbox();
  assert.ok(dir, 'runs after the apply test');
  const placement = { apiVersion: 'gitfed.io/v1alpha1', kind: 'Placement', metadata: { name: 'web-ingress' }, spec: { resources: [{ kind: 'Ingress', name: 'web', namespace: ns }], clusters: { names: ['us-east1', 'europe-west1'] } } };
  await writeFleet({ name: 'gceapply', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(ns, { replicas: 3 }), 'policies/placement.yaml': [placement] } }, dir);
  const ingressIn = async (c: string) => (await get(sb, c, `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`)).status;
  // The safe sequence (gce-leaving.test.ts) starts with the drain, which
  // cannot finish while the workloads behind the Ingress stay placed there.
  const refused = cliIO();
  assert.equal(await main(['apply', dir, '--kubeconfig', sb.kubeconfig, '--prune'], refused), 0, refused.stdout + refused.stderr);
  assert.match(refused.stdout, new RegExp(`blocked asia-east1 Ingress ${ns}/web: leaving the shared load balancer of ${ns}/web \\(us-east1, europe-west1 keep it\\), step 1/3 drain: \\d+ ready endpoint\\(s\\) left behind it in asia-east1.*${ns}/web is still placed in asia-east1: take its workloads out of asia-east1's placement too \\(or --allow-shared-ingress-removal`));
  assert.equal(await ingressIn('asia-east1'), 200, 'still there');
  const plan = cliIO();
  await main(['plan', dir, '--kubeconfig', sb.kubeconfig, '--prune'], plan);
  // The replica split may have drained asia-east1 meanwhile (its endpoints go
  // when the apply above moved its replicas), so plan may already be a step on.
  assert.match(plan.stdout + plan.stderr, new RegExp(`leaving the shared load balancer of ${ns}/web.*step (1/3 drain|2/3 re-key)`), 'plan shows it');
  const allowed = cliIO();
  assert.equal(await main(['apply', dir, '--kubeconfig', sb.kubeconfig, '--prune', '--allow-shared-ingress-removal'], allowed), 0, allowed.stdout + allowed.stderr);
  assert.equal(await ingressIn('asia-east1'), 404, 'taken out when allowed');
  assert.equal(await ingressIn('us-east1'), 200);
});

test('run --once with a Compute Engine that never answers: the tick completes, applies, and its status commit says which call timed out', async () => {
  const sb = await sandbox();
  assert.ok(dir, 'runs after the apply test');
  const sockets = new Set<import('node:net').Socket>();
  const hang: Server = createServer((s) => { sockets.add(s); });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  const port = (hang.address() as import('node:net').AddressInfo).port;
  try {
    const io = cliIO();
    const started = Date.now();
    const code = await main(['run', '--dir', dir, '--kubeconfig', sb.kubeconfig, '--once', '--gce-endpoint', `http://127.0.0.1:${port}`, '--gce-timeout', '2s', '--log-format', 'json', '--listen', '127.0.0.1:0'], io);
    assert.equal(code, 0, io.stderr);
    assert.ok(Date.now() - started < 60_000, 'at most one timeout per phase (addresses, then backend health), not one per call');
    const readme = (await readFile(join(dir, '.gitfed-status', 'README.md'), 'utf8')).replaceAll('\\', '');
    assert.match(readme, new RegExp(`us-east1 Ingress ${ns}/web: static IP ${ns}-ip \\(project ${PROJECT}\\) is not reserved, so the Ingress is not applied: GCE projects/${PROJECT}/global/addresses/${ns}-ip: no answer within 2000ms`));
    assert.match(readme, /\| us-east1 \| Ready \|/);
  } finally {
    for (const s of sockets) s.destroy();
    hang.close();
  }
});
