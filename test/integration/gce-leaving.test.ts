// Taking a cluster out of a shared GCE load balancer (core/leaving.ts), on
// the sandbox with the Compute Engine and GLBC stand-ins: three clusters
// share one URL map and forwarding rule; one leaves the Ingress's placement;
// apply --prune, run again and again (as the operator's ticks would), walks
// drain -> re-key -> delete, and the shared front end is never missing in
// Compute Engine, checked after every apply and every GLBC sync and polled
// in between. A plain delete (--allow-shared-ingress-removal) would take it
// down (gce-standin.test.ts shows that). Then the operator's status commit
// lists what that uid change left behind (orphans) and the firewall check;
// and an Ingress GLBC names with v2 names is refused unless --allow-v2-naming.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { after, test } from 'node:test';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { main } from '../../operator/cli/main.js';
import { leavingGlbcUid } from '../../operator/core/hashes.js';
import { assignClusters } from '../../operator/core/shard-assignment.js';
import { createLogger } from '../../operator/loop/logger.js';
import { Metrics } from '../../operator/loop/metrics.js';
import { Operator } from '../../operator/loop/operator.js';
import { dirEnds } from '../../operator/loop/sources.js';
import { startComputeStandin, type ComputeStandin } from '../../operator/sandbox/compute-standin.js';
import { runGlbcOnce } from '../../operator/sandbox/glbc-standin.js';
import type { Sandbox } from '../../operator/sandbox/index.js';
import { web, writeFleet } from '../helpers/fleet-dir.js';
import { replicas } from '../helpers/fleet-repo.js';
import { clusterState, sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';
import { cliIO, clusterGet as get } from '../helpers/cli-io.js';

const CLUSTERS = ['us-east1', 'europe-west1', 'asia-east1'];
const PROJECT = 'gitfed-test';

let standin: ComputeStandin | undefined;
after(async () => { await standin?.close(); });

let left: { dir: string; uid: string } | undefined;

test('a cluster leaves a shared load balancer: apply --prune walks drain, re-key, delete, and the shared URL map and forwarding rule are never missing', async (t) => {
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
  t.diagnostic(`applies until asia-east1 had left: ${outputs.length}; front-end checks: after each apply and GLBC sync, and every 50 ms`);
  assert.deepEqual(missing, [], 'the shared URL map and forwarding rule were there at every observed moment');
  assert.match(all, /asia-east1 .*step 1\/3 drain/, 'drained first');
  assert.match(all, new RegExp(`step 2/3 re-key: asia-east1's kube-system/ingress-uid becomes ${leaving}`));
  assert.match(all, /step 3\/3 delete: Ingress .*\/web, Service .*\/web deleted in asia-east1/);
  assert.ok(all.indexOf('step 1/3 drain') < all.indexOf('step 2/3 re-key') && all.indexOf('step 2/3 re-key') < all.indexOf('step 3/3 delete'), 'in order');
  assert.equal((await get(sb, 'asia-east1', '/api/v1/namespaces/kube-system/configmaps/ingress-uid')).body.data.uid, leaving, 'the leaving uid stays');
  for (const c of ['us-east1', 'europe-west1']) assert.equal((await get(sb, c, `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`)).status, 200, `${c} keeps the Ingress`);
  const snap = standin.snapshot();
  assert.equal(snap.urlMaps!.filter((u) => u.name.endsWith(`--${leaving}`)).length, 0, 'what asia-east1 built under its leaving uid is collected');
  const be = snap.backendServices!.find((b) => b.name.endsWith(`--${uid}`))!;
  assert.ok(be.backends.some((b: { group: string }) => b.group.includes('/zones/asia-east1-a/')), 'its old instance group is still in the shared backend service (an orphan for gce gc)');
  const status = cliIO();
  await main(['status', dir, '--kubeconfig', sb.kubeconfig, '--gce-endpoint', standin.url], status);
  assert.match(status.stdout + status.stderr, /GCE orphan .*instanceGroups zones\/asia-east1-a\/k8s-ig--/, 'status lists it');
  left = { dir, uid };
});

test('run --gce-endpoint: the status commit lists the orphans a uid change in one cluster left, and the health-check firewall per cluster', async () => {
  const sb = await sandbox();
  assert.ok(left, 'runs after the leaving test');
  const io = cliIO();
  const code = await main(['run', '--dir', left.dir, '--kubeconfig', sb.kubeconfig, '--once', '--gce-endpoint', standin!.url, '--log-format', 'json', '--listen', '127.0.0.1:0'], io);
  assert.equal(code, 0, io.stderr);
  const gce = parse(await readFile(join(left.dir, '.gitfed-status', 'gce.yaml'), 'utf8')) as { projects: Array<{ project: string; firewall: Array<{ verdict: string; message: string }>; orphans: Array<{ resource: string; reason: string }> }> };
  const p = gce.projects.find((x) => x.project === PROJECT)!;
  const orphan = p.orphans.find((o) => o.resource === `instanceGroups zones/asia-east1-a/k8s-ig--${left!.uid}`);
  assert.ok(orphan, `asia-east1's old instance group is an orphan: ${JSON.stringify(p.orphans)}`);
  assert.match(orphan.reason, new RegExp(`uid ${left.uid} is not the uid of asia-east1-a's cluster`));
  assert.deepEqual(p.firewall.map((f) => f.message.split(':')[0]).sort(), [...CLUSTERS].sort(), 'one firewall verdict per cluster');
  const readme = (await readFile(join(left.dir, '.gitfed-status', 'README.md'), 'utf8')).replaceAll('\\', '');
  assert.match(readme, /## Compute Engine/);
  assert.match(readme, new RegExp(`orphan \`${PROJECT} instanceGroups zones/asia-east1-a/k8s-ig--${left.uid}\``));
  const plan = cliIO();
  await main(['plan', left.dir, '--kubeconfig', sb.kubeconfig, '--gce-endpoint', standin!.url], plan);
  assert.match(plan.stdout, new RegExp(`GCE backend k8s-be-\\d+--${left.uid} \\(Ingress .*/web\\) in us-east1: HEALTHY`), plan.stdout);
  assert.match(plan.stdout, new RegExp(`GCE orphan ${PROJECT} instanceGroups zones/asia-east1-a/k8s-ig--${left.uid}`), 'plan --gce lists the orphans too');
});

test('run --shards 2 --gce-endpoint: the leader writes gce.yaml (orphans, firewall) for the whole fleet, also the clusters the other replica holds', async () => {
  const sb = await sandbox();
  assert.ok(left, 'runs after the leaving test');
  const file = join(left.dir, '.gitfed-status', 'gce.yaml');
  await rm(file, { force: true });
  const lease = uniqueNamespace('gce-shards');
  const ns = (await readFile(join(left.dir, 'manifests', 'app.yaml'), 'utf8')).match(/namespace: (leave-[a-z0-9-]+)/)![1]!;
  const split = await replicas(sb, ns);
  const logs = ['', ''];
  // Two replicas over three clusters: the leader holds at most two, so the third cluster's uid reaches gce.yaml only through the other's report.
  const procs = [0, 1].map((i) => {
    const p = spawn(process.execPath, ['bin/gitfed.js', 'run', '--dir', left!.dir, '--kubeconfig', sb.kubeconfig, '--interval', '1s', '--listen', '127.0.0.1:0',
      '--shards', '2', '--replica-id', `r${i}`, '--lease-context', 'us-east1', '--lease-name', lease, '--lease-duration', '5s',
      '--gce-endpoint', standin!.url, '--log-format', 'json'], { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr!.on('data', (d) => { logs[i] += d.toString(); });
    return p;
  });
  type GceFile = { projects: Array<{ project: string; firewall: Array<{ message: string }>; orphans: Array<{ resource: string }> }> };
  const verdicts = (g: GceFile) => (g.projects.find((x) => x.project === PROJECT)?.firewall ?? []).map((f) => f.message.split(':')[0]).sort();
  const want = assignClusters(CLUSTERS, ['r0', 'r1']);
  const holder = async (c: string) => (await get(sb, 'us-east1', `/apis/coordination.k8s.io/v1/namespaces/default/leases/${lease}-cluster-${c}`)).body?.spec?.holderIdentity;
  try {
    // The first replica up holds every cluster until the second announces itself: wait for the split, then for a gce.yaml written after it.
    await waitUntil('each replica holding its share of the clusters', 180_000, async () => (await Promise.all(CLUSTERS.map(async (c) => (await holder(c)) === want.get(c)))).every(Boolean) || undefined, 250)
      .catch((e: Error) => { throw new Error(`${e.message}\n${logs.map((l) => l.split('\n').slice(-15).join('\n')).join('\n')}`); });
    await rm(file, { force: true });
    const gce = await waitUntil('gce.yaml with a firewall verdict for every cluster, written by the sharded leader', 180_000, async () => {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      const g = text ? parse(text) as GceFile : undefined;
      return g && verdicts(g).length === CLUSTERS.length ? g : undefined;
    }, 250).catch((e: Error) => { throw new Error(`${e.message}\n${logs.map((l) => l.split('\n').slice(-15).join('\n')).join('\n')}`); });
    assert.deepEqual(verdicts(gce), [...CLUSTERS].sort());
    const p = gce.projects.find((x) => x.project === PROJECT)!;
    assert.ok(p.orphans.some((o) => o.resource === `instanceGroups zones/asia-east1-a/k8s-ig--${left!.uid}`), `the orphan is listed: ${JSON.stringify(p.orphans)}`);
  } finally {
    for (const p of procs) p.kill('SIGKILL');
  }
  // Nothing changed in Git, so no replica moved, also not while a replica's
  // clusters had no report yet (their workloads unknown, not "none running").
  assert.deepEqual(await replicas(sb, ns), split, `replicas per cluster (${sb.clusters.map((c) => c.name).join(', ')}) before and after the sharded run`);
});

test('gitfed run --prune: the operator walks the same steps one per tick, also on ticks without a new revision, and the front end stays', async (t) => {
  const sb = await sandbox();
  assert.ok(left, 'runs after the leaving test');
  const { dir, uid } = left;
  const ns = (await readFile(join(dir, 'manifests', 'app.yaml'), 'utf8')).match(/namespace: (leave-[a-z0-9-]+)/)![1]!;
  const urlMap = `k8s-um-${ns}-web--${uid}`;
  const rule = `k8s-fw-${ns}-web--${uid}`;
  const frontEnd = () => { const s = standin!.snapshot(); return s.urlMaps!.some((u) => u.name === urlMap) && s.forwardingRules!.some((r) => r.name === rule); };
  assert.ok(frontEnd(), 'the shared front end is there');
  // europe-west1 leaves too: only us-east1 keeps the Ingress.
  const placement = { apiVersion: 'gitfed.io/v1alpha1', kind: 'Placement', metadata: { name: 'web' }, spec: { resources: [{ kind: 'Deployment', name: 'web', namespace: ns }, { kind: 'Service', name: 'web', namespace: ns }, { kind: 'Ingress', name: 'web', namespace: ns }], clusters: { names: ['us-east1'] } } };
  await writeFleet({ name: 'leave', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(ns, { replicas: 3 }), 'policies/placement.yaml': [placement] } }, dir);
  // What the first tick is about to see (printed when the steps are not the expected ones).
  const before = clusterState(sb, CLUSTERS, ns);
  const operator = new Operator({ ...dirEnds(dir, join(dir, '.gitfed-status')), kubeconfig: sb.kubeconfig, prune: true, log: createLogger({ format: 'json', level: 'error', write: () => undefined }), metrics: new Metrics(), probeTimeoutMs: 5000 });
  const missing: string[] = [];
  const steps: string[] = [];
  let ticks = 0;
  try {
    await waitUntil('europe-west1 to have left', 300_000, async () => {
      const r = await operator.tick('test');
      ticks++;
      const l = r.result?.clusters.find((c) => c.cluster === 'europe-west1')?.leaving;
      if (l) steps.push(`${ticks}${r.applied ? ' (new revision)' : ''}: ${l.step}`);
      if (!frontEnd()) missing.push(`after tick ${ticks}`);
      for (const c of CLUSTERS) await runGlbcOnce(sb, c, { compute: { endpoint: standin!.url, project: PROJECT } });
      if (!frontEnd()) missing.push(`after GLBC sync ${ticks}`);
      return (await get(sb, 'europe-west1', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`)).status === 404;
    }, 200);
  } finally {
    operator.close();
  }
  t.diagnostic(`operator ticks until europe-west1 had left: ${ticks} (${steps.join('; ')})`);
  assert.deepEqual(missing, [], 'the shared front end was there after every tick and every GLBC sync');
  assert.deepEqual([...new Set(steps.map((x) => x.replace(/^\d+( \(new revision\))?: /, '')))], ['drain', 're-key', 'delete'], `${steps.join('; ')}\nbefore the first tick:\n${before}`);
  assert.ok(steps.some((x) => /^\d+: (re-key|delete)$/.test(x)), `a step ran on a tick without a new revision: ${steps.join('; ')}`);
  assert.equal((await get(sb, 'europe-west1', '/api/v1/namespaces/kube-system/configmaps/ingress-uid')).body.data.uid, leavingGlbcUid(uid, 'europe-west1'));
  assert.equal((await get(sb, 'us-east1', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`)).status, 200);
});

test('an Ingress a cluster\'s GLBC names with v2 names (finalizer ingress-finalizer-V2) is shown by plan and refused by apply there, unless --allow-v2-naming', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('v2');
  const app = (label: string) => web(ns, { replicas: 3 }).map((o: any) => (o.kind === 'Ingress' ? { ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, 'example.com/rev': label } } } : o));
  // The fleet the sandbox's ingress-uid ConfigMaps belong to (another would not adopt them).
  const dir = await writeFleet({ name: 'leave', clusters: CLUSTERS, files: { 'manifests/app.yaml': app('1') } });
  const first = cliIO();
  assert.equal(await main(['apply', dir, '--kubeconfig', sb.kubeconfig], first), 0, first.stdout + first.stderr);
  const path = `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`;
  const c = sb.clusters.find((x) => x.name === 'europe-west1')!;
  const h = new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
  const setFinalizers = (finalizers: string[]) => h.request({ method: 'PATCH', path: `${path}?fieldManager=glbc`, contentType: 'application/merge-patch+json', body: { metadata: { finalizers } } });
  try {
    // What ingress-gce's v2 namer does to an Ingress it serves.
    assert.equal((await setFinalizers(['networking.gke.io/ingress-finalizer-V2'])).status, 200);
    await writeFleet({ name: 'leave', clusters: CLUSTERS, files: { 'manifests/app.yaml': app('2') } }, dir);
    const plan = cliIO();
    assert.equal(await main(['plan', dir, '--kubeconfig', sb.kubeconfig], plan), 3, plan.stdout + plan.stderr);
    assert.match(plan.stdout, new RegExp(`! blocked Ingress ${ns}/web: not applied: europe-west1's GLBC names this Ingress with v2 front-end names \\(finalizer networking.gke.io/ingress-finalizer-V2\\).*Way out: .*--allow-v2-naming`));
    const refused = cliIO();
    assert.equal(await main(['apply', dir, '--kubeconfig', sb.kubeconfig], refused), 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout, new RegExp(`blocked europe-west1 Ingress ${ns}/web: not applied`));
    assert.doesNotMatch(refused.stdout, new RegExp(`blocked (us-east1|asia-east1) Ingress`), 'only there');
    const rev = async (cluster: string) => (await get(sb, cluster, path)).body.metadata.annotations['example.com/rev'];
    assert.equal(await rev('europe-west1'), '1', 'not applied there');
    assert.equal(await rev('us-east1'), '2', 'applied elsewhere');
    const forced = cliIO();
    assert.equal(await main(['apply', dir, '--kubeconfig', sb.kubeconfig, '--allow-v2-naming'], forced), 0, forced.stdout + forced.stderr);
    assert.equal(await rev('europe-west1'), '2', 'applied when allowed');
  } finally {
    await setFinalizers([]);
    h.close();
  }
});
