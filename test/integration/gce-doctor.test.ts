// doctor, status and `gce gc` against the local Compute Engine stand-in
// (nothing here can reach Google): backend health per cluster with ready
// endpoints, the health-check firewall (removed -> FAIL with the gcloud
// command, and that cluster's backend UNHEALTHY), and a uid migration whose old set is listed as orphans and then
// deleted, exactly that set, by `gce gc --yes`.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { FirewallsClient } from '@google-cloud/compute';
import { main } from '../../operator/cli/main.js';
import { computeClientOptions } from '../../operator/gce/gce-clients.js';
import { startComputeStandin, type ComputeStandin } from '../../operator/sandbox/compute-standin.js';
import { runGlbcOnce } from '../../operator/sandbox/glbc-standin.js';
import type { Sandbox } from '../../operator/sandbox/index.js';
import { web, writeFleet } from '../helpers/fleet-dir.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';
import { admin } from '../helpers/fleet-repo.js';
import { cliIO } from '../helpers/cli-io.js';

const CLUSTERS = ['us-east1', 'europe-west1', 'asia-east1'];
const PROJECT = 'gitfed-test';
const NEW_UID = 'migrated00000001';

let standin: ComputeStandin | undefined;
after(async () => { await standin?.close(); });

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  const io = cliIO();
  const code = await main(args, io);
  return { code, out: io.stdout + io.stderr };
}

async function ingressUid(sb: Sandbox, cluster: string): Promise<Record<string, string>> {
  const h = admin(sb, cluster);
  try { return ((await h.request<any>({ path: '/api/v1/namespaces/kube-system/configmaps/ingress-uid' })).body).data; } finally { h.close(); }
}

async function setUid(sb: Sandbox, cluster: string, uid: string): Promise<void> {
  const h = admin(sb, cluster);
  try {
    await h.request({ method: 'PATCH', path: '/api/v1/namespaces/kube-system/configmaps/ingress-uid?fieldManager=test', contentType: 'application/merge-patch+json', body: { data: { uid } } });
  } finally { h.close(); }
}

const ns = uniqueNamespace('gcedoc');
let dir = '';
const flags = () => ['--kubeconfig', (globalThis as any).__kubeconfig as string, '--gce-endpoint', standin!.url];
const glbcAll = async (sb: Sandbox) => { for (const c of CLUSTERS) await runGlbcOnce(sb, c, { compute: { endpoint: standin!.url, project: PROJECT } }); };

test('doctor --gce-endpoint: backend health per cluster next to ready endpoints, the static IP, the firewall; the firewall removed -> FAIL with the gcloud command', async () => {
  const sb = await sandbox();
  (globalThis as any).__kubeconfig = sb.kubeconfig;
  standin = await startComputeStandin();
  dir = await writeFleet({ name: 'gcedoc', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(ns, { replicas: 3 }) } });
  const applied = await cli(['apply', dir, ...flags()]);
  assert.equal(applied.code, 0, applied.out);
  const ok = await waitUntil('doctor sees every backend HEALTHY', 180_000, async () => {
    await glbcAll(sb);
    const d = await cli(['doctor', dir, ...flags()]);
    return CLUSTERS.every((c) => new RegExp(`OK   gce-backend Ingress ${ns}/web in ${c}: backend k8s-be-\\d+--\\w+ HEALTHY \\d+/\\d+, endpoints 1/1 ready`).test(d.out)) && d;
  }, 1000);
  assert.match(ok.out, new RegExp(`OK   static-ip   Ingress ${ns}/web: ${ns}-ip is [\\d.]+ in project ${PROJECT}`));
  for (const c of CLUSTERS) assert.match(ok.out, new RegExp(`OK   firewall    ${c}: health checks \\(130\\.211\\.0\\.0/22, 35\\.191\\.0\\.0/16\\) reach node port\\(s\\) \\d+ on network default`));
  assert.match(ok.out, /OK   orphans     project gitfed-test: no GLBC resources left by another uid/);

  const pu = (await ingressUid(sb, 'europe-west1'))['provider-uid']!;
  const port = /k8s-be-(\d+)--/.exec(ok.out)![1];
  const fw = new FirewallsClient(computeClientOptions({ endpoint: standin.url }) as never);
  try { await fw.delete({ project: PROJECT, firewall: `k8s-fw-l7--${pu}` }); } finally { await fw.close(); }
  const broken = await cli(['doctor', dir, ...flags()]);
  assert.equal(broken.code, 1, broken.out);
  assert.match(broken.out, new RegExp(`FAIL firewall    europe-west1: no firewall rule admits Google's health checks \\(130\\.211\\.0\\.0/22, 35\\.191\\.0\\.0/16\\) to node port\\(s\\) ${port} on network default \\(k8s-fw-l7--${pu} is missing\\)`));
  assert.ok(broken.out.includes(`fix: gcloud compute firewall-rules create k8s-fw-l7--${pu} --project ${PROJECT} --network default --direction INGRESS --source-ranges 130.211.0.0/22,35.191.0.0/16 --allow tcp:${port}`), broken.out);
  assert.match(broken.out, /OK   firewall    us-east1:/, 'the other clusters keep theirs');
  // And the load balancer sees it at once: Google's probers no longer reach europe-west1's nodes, its backend turns UNHEALTHY with ready endpoints.
  assert.match(broken.out, new RegExp(`FAIL gce-backend Ingress ${ns}/web in europe-west1: backend k8s-be-${port}--\\w+ UNHEALTHY 0/\\d+ \\(endpoints are ready but the load balancer's probes fail: firewall missing`));
  assert.match(broken.out, new RegExp(`OK   gce-backend Ingress ${ns}/web in us-east1: backend k8s-be-${port}--\\w+ HEALTHY`));
  // GLBC rewrites its own firewall on its next sync, and the backend is HEALTHY again.
  await glbcAll(sb);
  const healed = (await cli(['doctor', dir, ...flags()])).out;
  assert.match(healed, /OK   firewall    europe-west1:/);
  assert.match(healed, new RegExp(`OK   gce-backend Ingress ${ns}/web in europe-west1: backend k8s-be-${port}--\\w+ HEALTHY`));
});

test('doctor: a cluster without ready endpoints: its backend UNHEALTHY, which and why', async () => {
  const sb = await sandbox();
  assert.ok(standin && dir, 'runs after the doctor test');
  const h = admin(sb, 'europe-west1');
  const scale = (replicas: number) => h.request({ method: 'PATCH', path: `/apis/apps/v1/namespaces/${ns}/deployments/web?fieldManager=test`, contentType: 'application/merge-patch+json', body: { spec: { replicas } } });
  try {
    await scale(0);
    const d = await waitUntil('doctor: europe-west1 UNHEALTHY', 180_000, async () => {
      await glbcAll(sb);
      const r = await cli(['doctor', dir, ...flags()]);
      return /FAIL gce-backend Ingress \S+ in europe-west1/.test(r.out) && r;
    }, 1000);
    assert.match(d.out, new RegExp(`FAIL gce-backend Ingress ${ns}/web in europe-west1: backend k8s-be-\\d+--\\w+ UNHEALTHY 0/\\d+ \\(no ready endpoints in this cluster\\), endpoints 0/0 ready: Google sends this cluster no traffic`));
    assert.match(d.out, new RegExp(`OK   gce-backend Ingress ${ns}/web in us-east1: `));
  } finally {
    await scale(1);
    h.close();
  }
  await waitUntil('europe-west1 HEALTHY again', 180_000, async () => { await glbcAll(sb); return /OK   gce-backend Ingress \S+ in europe-west1/.test((await cli(['doctor', dir, ...flags()])).out); }, 1000);
});

test('a uid migration: the old set is listed as orphans by status and doctor (the old instance groups block the new ones); gce gc prints them, and with --yes deletes exactly those', async () => {
  const sb = await sandbox();
  assert.ok(standin && dir, 'runs after the doctor test');
  const before = await Promise.all(CLUSTERS.map((c) => ingressUid(sb, c)));
  const oldUid = before[0]!.uid!;
  assert.ok(before.every((b) => b.uid === oldUid), 'one uid before');
  const names = () => Object.entries(standin!.snapshot()).flatMap(([col, rs]) => rs.map((r) => `${col} ${r.zone ? `zones/${String(r.zone).split('/').pop()}/` : ''}${r.name}`)).sort();
  try {
    for (const c of CLUSTERS) await setUid(sb, c, NEW_UID);
    await glbcAll(sb);
    const all = names();
    const old = all.filter((n) => n.endsWith(`--${oldUid}`));
    assert.ok(old.some((n) => n.startsWith('backendServices ')) && old.filter((n) => n.startsWith('instanceGroups ')).length === 3, old.join('\n'));
    assert.ok(all.some((n) => n.endsWith(`--${NEW_UID}`)), 'GLBC built the new set');

    const status = await cli(['status', dir, ...flags()]);
    for (const n of old) assert.ok(status.out.includes(`GCE orphan ${PROJECT} ${n}: `), `${n} listed by status:\n${status.out}`);
    assert.match(status.out, /instanceInMultipleLoadBalancedIgs/);
    const doctor = await cli(['doctor', dir, ...flags()]);
    assert.match(doctor.out, new RegExp(`FAIL orphans     project ${PROJECT}: instanceGroups zones/asia-east1-a/k8s-ig--${oldUid}: .*instanceInMultipleLoadBalancedIgs`));
    assert.match(doctor.out, /fix: gitfed gce gc DIR --kubeconfig F --gce-endpoint http:\/\/127\.0\.0\.1:\d+ --yes/);

    // --context leaves the other clusters unobserved: their uids (and their live firewalls) are unknown, so nothing goes.
    const one = await cli(['gce', 'gc', dir, ...flags(), '--context', 'us-east1', '--yes']);
    assert.equal(one.code, 1, one.out);
    assert.match(one.out, /nothing deleted: the GLBC uid of europe-west1, asia-east1 is not known \(cluster unreachable, left out by --context/);
    assert.deepEqual(names(), all, 'nothing deleted with --context');
    const dry = await cli(['gce', 'gc', dir, ...flags()]);
    assert.equal(dry.code, 0, dry.out);
    assert.deepEqual(dry.out.split('\n').filter((l) => l.startsWith('would delete ')).map((l) => l.split(':')[0]!.replace(`would delete ${PROJECT} `, '')).sort(), old);
    assert.deepEqual(names(), all, 'nothing deleted without --yes');
    // Deletes answer RUNNING, as Compute Engine's do: each is waited on until DONE before the next.
    standin.store.answerRunning = true;
    const waitsBefore = standin.requests.filter((r) => r.method === 'POST' && /\/operations\/[^/]+\/wait$/.test(r.path)).length;
    const gc = await cli(['gce', 'gc', dir, ...flags(), '--yes']);
    standin.store.answerRunning = false;
    assert.equal(gc.code, 0, gc.out);
    assert.deepEqual(names(), all.filter((n) => !old.includes(n)), 'exactly the old set deleted');
    assert.equal(standin.requests.filter((r) => r.method === 'POST' && /\/operations\/[^/]+\/wait$/.test(r.path)).length - waitsBefore, old.length, 'one operations.wait per delete');
    assert.match((await cli(['gce', 'gc', dir, ...flags()])).out, /no orphaned GLBC resources/);
    // With the old groups gone the new ones take the nodes on GLBC's next sync.
    await glbcAll(sb);
    const groups = standin.snapshot().instanceGroups!.filter((g) => g.name === `k8s-ig--${NEW_UID}`);
    assert.equal(groups.length, 3);
    assert.ok(groups.every((g) => (g.instances ?? []).length > 0), 'every new instance group has its nodes');
  } finally {
    for (const [i, c] of CLUSTERS.entries()) await setUid(sb, c, before[i]!.uid!);
  }
});

test('doctor: an Ingress GLBC names with v2 front-end names (finalizer ingress-finalizer-V2) in one cluster is a FAIL with the way out', async () => {
  const sb = await sandbox();
  assert.ok(dir, 'runs after the doctor test');
  const h = admin(sb, 'asia-east1');
  const path = `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`;
  const patch = (finalizers: string[] | null) => h.request({ method: 'PATCH', path: `${path}?fieldManager=glbc`, contentType: 'application/merge-patch+json', body: { metadata: { finalizers } } });
  try {
    await patch(['networking.gke.io/ingress-finalizer-V2']);
    const d = await cli(['doctor', dir, '--kubeconfig', sb.kubeconfig]);
    assert.equal(d.code, 1, d.out);
    assert.match(d.out, new RegExp(`FAIL glbc-naming Ingress ${ns}/web: GLBC in asia-east1 uses v2 front-end names .*cannot share one load balancer`));
    assert.match(d.out, /fix: GLBC keeps v1 names only when its v2 namer is off \(ingress-gce --enable-v2-frontend-namer=false/);
  } finally {
    await patch(null);
    h.close();
  }
  assert.doesNotMatch((await cli(['doctor', dir, '--kubeconfig', sb.kubeconfig])).out, /glbc-naming/);
});

test('gce gc refuses without --gce/--gce-endpoint', async () => {
  const r = await cli(['gce', 'gc', dir, '--kubeconfig', (globalThis as any).__kubeconfig]);
  assert.equal(r.code, 2, r.out);
  assert.match(r.out, /give --gce \(Application Default Credentials\) or --gce-endpoint URL/);
});
