// Taking a cluster out of a shared GCE load balancer (core/leaving.ts), on
// the sandbox with the Compute Engine and GLBC stand-ins: three clusters
// share one URL map and forwarding rule; one leaves the Ingress's placement;
// apply --prune, run again and again (as the operator's ticks would), walks
// drain -> re-key -> delete, and the shared front end is never missing in
// Compute Engine, checked after every apply and every GLBC sync and polled
// in between. A plain delete (--allow-shared-ingress-removal) would take it
// down (gce-standin.test.ts shows that).
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { main } from '../../operator/cli/main.js';
import { leavingGlbcUid } from '../../operator/core/hashes.js';
import { startComputeStandin, type ComputeStandin } from '../../operator/sandbox/compute-standin.js';
import { runGlbcOnce } from '../../operator/sandbox/glbc-standin.js';
import type { Sandbox } from '../../operator/sandbox/index.js';
import { web, writeFleet } from '../helpers/fleet-dir.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';

const CLUSTERS = ['us-east1', 'europe-west1', 'asia-east1'];
const PROJECT = 'gitfed-test';

let standin: ComputeStandin | undefined;
after(async () => { await standin?.close(); });

function cliIO() {
  const io = { stdout: '', stderr: '', cwd: process.cwd(), env: {} as NodeJS.ProcessEnv, out: (s: string) => { io.stdout += `${s}\n`; }, err: (s: string) => { io.stderr += `${s}\n`; } };
  return io;
}

async function get(sb: Sandbox, cluster: string, path: string): Promise<{ status: number; body: any }> {
  const c = sb.clusters.find((x) => x.name === cluster)!;
  const h = new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
  try { const r = await h.request<any>({ path }); return { status: r.status, body: r.body }; } finally { h.close(); }
}

test('a cluster leaves a shared load balancer: apply --prune walks drain, re-key, delete, and the shared URL map and forwarding rule are never missing', async () => {
  const sb = await sandbox();
  standin = await startComputeStandin();
  const ns = uniqueNamespace('leave');
  const dir = await writeFleet({ name: 'leave', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(ns, { replicas: 3 }) } });
  const apply = async (...extra: string[]) => {
    const io = cliIO();
    const code = await main(['apply', dir, '--kubeconfig', sb.kubeconfig, '--gce-endpoint', standin!.url, ...extra], io);
    return { code, out: io.stdout + io.stderr };
  };
  const glbcAll = async () => { for (const c of CLUSTERS) await runGlbcOnce(sb, c, { compute: { endpoint: standin!.url, project: PROJECT } }); };
  const first = await apply();
  assert.equal(first.code, 0, first.out);
  const uid = (await get(sb, 'us-east1', '/api/v1/namespaces/kube-system/configmaps/ingress-uid')).body.data.uid as string;
  const urlMap = `k8s-um-${ns}-web--${uid}`;
  const rule = `k8s-fw-${ns}-web--${uid}`;
  const frontEnd = () => {
    const s = standin!.snapshot();
    return s.urlMaps!.some((u) => u.name === urlMap) && s.forwardingRules!.some((r) => r.name === rule);
  };
  // Every cluster's GLBC serves the Ingress with ready endpoints: one front end.
  await waitUntil('the shared front end with ready endpoints in every cluster', 180_000, async () => {
    await glbcAll();
    const eps = await Promise.all(CLUSTERS.map(async (c) => (await get(sb, c, `/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices`)).body.items.flatMap((s: any) => s.endpoints ?? []).filter((e: any) => e.conditions?.ready).length));
    return frontEnd() && eps.every((n) => n > 0);
  }, 1000);

  // Poll Compute Engine all along: the front end must never be missing.
  const missing: string[] = [];
  let polling = true;
  const poller = (async () => { while (polling) { if (!frontEnd()) missing.push(new Date().toISOString()); await new Promise((r) => setTimeout(r, 50)); } })();
  const check = (when: string) => { if (!frontEnd()) missing.push(when); };

  const placement = { apiVersion: 'gitfed.io/v1alpha1', kind: 'Placement', metadata: { name: 'web' }, spec: { resources: [{ kind: 'Deployment', name: 'web', namespace: ns }, { kind: 'Service', name: 'web', namespace: ns }, { kind: 'Ingress', name: 'web', namespace: ns }], clusters: { names: ['us-east1', 'europe-west1'] } } };
  await writeFleet({ name: 'leave', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(ns, { replicas: 3 }), 'policies/placement.yaml': [placement] } }, dir);
  const plan = cliIO();
  await main(['plan', dir, '--kubeconfig', sb.kubeconfig, '--prune'], plan);
  assert.match(plan.stdout, /leaving the shared load balancer of .*step 1\/3 drain: \d+ ready endpoint\(s\) left/, 'plan shows the step');
  const outputs: string[] = [];
  const leaving = leavingGlbcUid(uid, 'asia-east1');
  try {
    await waitUntil('asia-east1 to have left', 300_000, async () => {
      const r = await apply('--prune');
      outputs.push(r.out);
      assert.equal(r.code, 0, r.out);
      check(`after apply ${outputs.length}`);
      await glbcAll();
      check(`after GLBC sync ${outputs.length}`);
      return (await get(sb, 'asia-east1', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`)).status === 404;
    }, 500);
    // Its GLBC syncs again with no Ingress left: it collects its own names only.
    for (let i = 0; i < 2; i++) { await apply('--prune'); check('after'); await glbcAll(); check('after'); }
  } finally {
    polling = false;
    await poller;
  }
  const all = outputs.join('\n');
  assert.match(all, /asia-east1 .*step 1\/3 drain/, 'drained first');
  assert.match(all, new RegExp(`step 2/3 re-key: asia-east1's kube-system/ingress-uid becomes ${leaving}`));
  assert.match(all, /step 3\/3 delete: Ingress .*\/web, Service .*\/web deleted in asia-east1/);
  assert.ok(all.indexOf('step 1/3 drain') < all.indexOf('step 2/3 re-key') && all.indexOf('step 2/3 re-key') < all.indexOf('step 3/3 delete'), 'in order');
  assert.deepEqual(missing, [], 'the shared URL map and forwarding rule were there at every observed moment');
  assert.equal((await get(sb, 'asia-east1', '/api/v1/namespaces/kube-system/configmaps/ingress-uid')).body.data.uid, leaving, 'the leaving uid stays');
  for (const c of ['us-east1', 'europe-west1']) assert.equal((await get(sb, c, `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`)).status, 200, `${c} keeps the Ingress`);
  const snap = standin.snapshot();
  assert.equal(snap.urlMaps!.filter((u) => u.name.endsWith(`--${leaving}`)).length, 0, 'what asia-east1 built under its leaving uid is collected');
  const be = snap.backendServices!.find((b) => b.name.endsWith(`--${uid}`))!;
  assert.ok(be.backends.some((b: { group: string }) => b.group.includes('/zones/asia-east1-a/')), 'its old instance group is still in the shared backend service (an orphan for gce gc)');
  const status = cliIO();
  await main(['status', dir, '--kubeconfig', sb.kubeconfig, '--gce-endpoint', standin.url], status);
  assert.match(status.stdout + status.stderr, /GCE orphan .*instanceGroups zones\/asia-east1-a\/k8s-ig--/, 'status lists it');
});
