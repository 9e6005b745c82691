// Apply, observe and heal on a real 3-cluster sandbox: what a user of
// `gitfed apply | plan | status | doctor` would see.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { closeAll, connect, type Connection } from '../../operator/cluster/connect.js';
import { observeCluster } from '../../operator/cluster/observe.js';
import { reconcileFleet, type ReconcileOptions } from '../../operator/cluster/reconcile.js';
import { deterministicGlbcUid, federationProviderUid } from '../../operator/core/hashes.js';
import { emptyAllocations, type Allocations } from '../../operator/core/model.js';
import { loadFleetDir } from '../../operator/load/index.js';
import { runGlbcOnce } from '../../operator/sandbox/glbc-standin.js';
import type { Sandbox } from '../../operator/sandbox/index.js';
import { main } from '../../operator/cli/main.js';
import { web, writeFleet } from '../helpers/fleet-dir.js';
import { startGceEndpoint } from '../helpers/gce-endpoint.js';
import { admin, getBody } from '../helpers/fleet-repo.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';

const CLUSTERS = ['us-east1', 'europe-west1', 'asia-east1'];
// Every test fleet shares the sample fleet's GLBC uid: one uid per cluster is the point.
const sharedUid = (): Allocations => ({ ...emptyAllocations(), glbc: { uid: deterministicGlbcUid('demo'), providerUids: {} } });

const get = getBody;

async function reconcile(sb: Sandbox, dir: string, extra: Partial<ReconcileOptions> = {}) {
  const loaded = await loadFleetDir(dir);
  assert.deepEqual(loaded.findings.filter((f) => f.severity === 'error'), []);
  return reconcileFleet({ fleet: loaded.fleet, loadFindings: loaded.findings, kubeconfigPath: sb.kubeconfig, allocations: sharedUid(), dryRun: false, prune: false, writes: 'all', ...extra });
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += t + '\n'; }, err: (t) => { err += t + '\n'; }, cwd: process.cwd(), env: process.env });
  return { code, out, err };
}

test('apply: the sample fleet lands everywhere with one nodePort, one uid, distinct provider-uids, 16/17/17 and ONE GLBC backend', async () => {
  const sb = await sandbox();
  const r = await cli(['apply', '.', '--kubeconfig', sb.kubeconfig, '--age-key-file', sb.ageKeyFile]);
  assert.equal(r.code, 0, r.out + r.err);
  const ports = new Set<number>();
  const uids = new Set<string>();
  const providers = new Set<string>();
  const replicas: number[] = [];
  for (const c of CLUSTERS) {
    ports.add((await get(sb, c, '/api/v1/namespaces/web/services/nginx')).spec.ports[0].nodePort);
    const cm = await get(sb, c, '/api/v1/namespaces/kube-system/configmaps/ingress-uid');
    uids.add(cm.data.uid);
    providers.add(cm.data['provider-uid']);
    assert.equal(cm.data['provider-uid'], federationProviderUid(c));
    replicas.push((await get(sb, c, '/apis/apps/v1/namespaces/web/deployments/nginx')).spec.replicas);
    const ing = await get(sb, c, '/apis/networking.k8s.io/v1/namespaces/web/ingresses/nginx');
    assert.equal(ing.metadata.annotations['kubernetes.io/ingress.global-static-ip-name'], 'gitfed-demo-ip');
    assert.equal(ing.metadata.labels['app.kubernetes.io/managed-by'], 'gitfed');
  }
  assert.equal(ports.size, 1, 'one nodePort');
  assert.equal(uids.size, 1, 'one GLBC uid');
  assert.equal(providers.size, 3, 'distinct provider-uids');
  assert.deepEqual(replicas.sort(), [16, 17, 17]);
  const views = await Promise.all(CLUSTERS.map((c) => runGlbcOnce(sb, c)));
  const backends = new Set(views.flatMap((v) => v.filter((x) => x.namespace === 'web').flatMap((x) => Object.keys(x.backends))));
  assert.deepEqual([...backends], [`k8s-be-${[...ports][0]}--${[...uids][0]}`], 'every cluster joins one backend service');
  const status = await cli(['status', '.', '--kubeconfig', sb.kubeconfig, '--age-key-file', sb.ageKeyFile]);
  assert.match(status.out, /Backends: {3}k8s-be-\d+--[0-9a-f]{16}\n/);
});

test('status --gce-endpoint: the load balancer\'s own view of each cluster\'s instance group (local GCE endpoint)', async () => {
  const sb = await sandbox();
  await Promise.all(CLUSTERS.map((c) => runGlbcOnce(sb, c)));
  const ing = await get(sb, 'us-east1', '/apis/networking.k8s.io/v1/namespaces/web/ingresses/nginx');
  const backend = Object.keys(JSON.parse(ing.metadata.annotations['ingress.kubernetes.io/backends']))[0]!;
  const gce = await startGceEndpoint();
  const group = (zone: string) => `https://www.googleapis.com/compute/v1/projects/gitfed-demo/zones/${zone}/instanceGroups/k8s-ig--x`;
  gce.backends.set(backend, new Map([[group('us-east1-b'), ['HEALTHY', 'HEALTHY']], [group('europe-west1-c'), ['UNHEALTHY', 'UNHEALTHY']], [group('asia-east1-a'), ['HEALTHY']]]));
  try {
    const r = await cli(['status', '.', '--kubeconfig', sb.kubeconfig, '--age-key-file', sb.ageKeyFile, '--gce-endpoint', gce.url]);
    assert.ok(r.out.includes(`GCE backend service ${backend} (Ingress web/nginx): us-east1 HEALTHY 2/2, europe-west1 UNHEALTHY 0/2, asia-east1 HEALTHY 1/1`), r.out);
    assert.ok(gce.requests.some((q) => q.path === `/compute/v1/projects/gitfed-demo/global/backendServices/${backend}/getHealth`));
  } finally {
    await gce.close();
  }
});

test('apply: a second apply of the same revision makes zero writes (the objects gitfed writes are unchanged)', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('noop');
  const dir = await writeFleet({ name: 'noop', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(ns) } });
  await reconcile(sb, dir);
  // The controllers keep updating a Deployment's status (its resourceVersion moves), never its
  // generation or gitfed's managedFields entry; nothing but gitfed writes the Service.
  const seen = () => Promise.all(CLUSTERS.map(async (c) => {
    const d = await get(sb, c, `/apis/apps/v1/namespaces/${ns}/deployments/web`);
    const svc = await get(sb, c, `/api/v1/namespaces/${ns}/services/web`);
    const mine = (d.metadata.managedFields ?? []).find((m: { manager?: string; operation?: string }) => m.manager === 'gitfed' && m.operation === 'Apply');
    return { generation: d.metadata.generation, gitfedFieldsAt: mine?.time, service: svc.metadata.resourceVersion };
  }));
  const before = await seen();
  const loaded = await loadFleetDir(dir);
  const conns = await connect(sb.kubeconfig, loaded.fleet.clusters);
  try {
    const r = await reconcileFleet({ fleet: loaded.fleet, kubeconfigPath: sb.kubeconfig, allocations: sharedUid(), dryRun: false, prune: true, writes: 'all', connections: conns });
    const writes = [...conns.values()].reduce((n, c) => n + (c instanceof Error ? 0 : (c as Connection).http.writes), 0);
    assert.equal(writes, 0, 'no mutating request at all');
    assert.ok(r.clusters.every((c) => c.counts.changed === 0 && c.counts.inSync === 5));
  } finally {
    closeAll(conns);
  }
  assert.deepEqual(await seen(), before);
});

test('apply: objects in a namespace the same apply creates are PATCHed without a GET first; in a namespace that existed, an object made by hand is still read and its adoption shown', async () => {
  const sb = await sandbox();
  const fresh = uniqueNamespace('cold');
  const existing = uniqueNamespace('warm');
  // In us-east1 only, someone made `existing` and a ConfigMap in it by hand.
  const h = admin(sb, 'us-east1');
  try {
    assert.equal((await h.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: existing } } })).status, 201);
    const made = await h.request({ method: 'POST', path: `/api/v1/namespaces/${existing}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, data: { mode: 'hand' } } });
    assert.equal(made.status, 201, made.text);
  } finally {
    h.close();
  }
  const settings = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: existing }, data: { mode: 'git' } };
  const dir = await writeFleet({ name: 'cold', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(fresh, { cpu: '1m' }), 'manifests/settings.yaml': [settings] } });
  const loaded = await loadFleetDir(dir);
  const conns = await connect(sb.kubeconfig, loaded.fleet.clusters);
  // Every request each cluster's client sends, as "METHOD path" without the query.
  const sent = new Map<string, string[]>();
  for (const c of conns.values()) {
    if (c instanceof Error) continue;
    const log: string[] = [];
    sent.set(c.cluster, log);
    const request = c.http.request.bind(c.http);
    c.http.request = ((o: Parameters<typeof request>[0]) => { log.push(`${o.method ?? 'GET'} ${o.path.split('?')[0]}`); return request(o); }) as typeof c.http.request;
  }
  try {
    const r = await reconcileFleet({ fleet: loaded.fleet, kubeconfigPath: sb.kubeconfig, allocations: sharedUid(), dryRun: false, prune: false, writes: 'all', connections: conns });
    const objectPaths = [`/api/v1/namespaces/${fresh}/services/web`, `/apis/apps/v1/namespaces/${fresh}/deployments/web`, `/apis/networking.k8s.io/v1/namespaces/${fresh}/ingresses/web`];
    const settingsPath = `/api/v1/namespaces/${existing}/configmaps/settings`;
    for (const c of CLUSTERS) {
      const log = sent.get(c)!;
      const res = r.clusters.find((x) => x.cluster === c)!;
      assert.deepEqual(res.errors, [], `${c}: ${res.errors.join('; ')}`);
      const action = (kind: string, ns: string) => res.objects.find((o) => o.ref.kind === kind && o.ref.namespace === ns)?.action;
      assert.equal(res.objects.find((o) => o.ref.kind === 'Namespace' && o.ref.name === fresh)?.action, 'created', c);
      // The namespace itself was read first (it could have been another fleet's); nothing in it was.
      assert.ok(log.includes(`GET /api/v1/namespaces/${fresh}`), `${c}: ${log.join(', ')}`);
      for (const p of objectPaths) {
        assert.ok(!log.includes(`GET ${p}`), `${c}: no GET of ${p} before its PATCH: ${log.join(', ')}`);
        assert.equal(log.filter((l) => l === `PATCH ${p}`).length, 1, `${c}: one PATCH of ${p}`);
      }
      for (const kind of ['Service', 'Deployment', 'Ingress']) assert.equal(action(kind, fresh), 'created', `${c} ${kind}`);
      assert.equal((await get(sb, c, `/apis/apps/v1/namespaces/${fresh}/deployments/web`)).metadata.labels['app.kubernetes.io/managed-by'], 'gitfed');
      // `existing` was there before in us-east1 (by hand): its ConfigMap is read
      // before it is written, and the adoption shows what changes. Elsewhere
      // gitfed created that namespace in this apply: no GET there either.
      const cm = res.objects.find((o) => o.ref.kind === 'ConfigMap' && o.ref.namespace === existing)!;
      const read = log.indexOf(`GET ${settingsPath}`);
      if (c === 'us-east1') {
        assert.ok(read >= 0 && read < log.indexOf(`PATCH ${settingsPath}`), `${c}: ${log.join(', ')}`);
        assert.equal(cm.action, 'adopted');
        assert.ok(cm.diff?.some((d) => JSON.stringify(d.path).includes('mode') && d.have === 'hand' && d.want === 'git'), JSON.stringify(cm.diff));
      } else {
        assert.equal(read, -1, `${c}: ${log.join(', ')}`);
        assert.equal(cm.action, 'created');
      }
      assert.deepEqual((await get(sb, c, settingsPath)).data, { mode: 'git' });
    }
  } finally {
    closeAll(conns);
  }
});

test('apply: a nodePort already taken in one cluster makes gitfed pick one free in all', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('port');
  const h = admin(sb, 'europe-west1');
  try {
    await h.request({ method: 'POST', path: '/api/v1/namespaces', body: { metadata: { name: `${ns}-other` } } });
    const taken = await h.request({ method: 'POST', path: `/api/v1/namespaces/${ns}-other/services`, body: { metadata: { name: 'squatter' }, spec: { type: 'NodePort', selector: { a: 'b' }, ports: [{ port: 80, nodePort: 31200 }] } } });
    assert.equal(taken.status, 201, taken.text);
  } finally {
    h.close();
  }
  const dir = await writeFleet({ name: 'ports', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(ns), 'policies/ports.yaml': [{ apiVersion: 'gitfed.io/v1alpha1', kind: 'NodePortPolicy', metadata: { name: 'narrow' }, spec: { range: '31200-31210' } }] } });
  const r = await reconcile(sb, dir);
  assert.deepEqual(r.allocations.nodePorts[`${ns}/web`], { http: 31201 });
  for (const c of CLUSTERS) assert.equal((await get(sb, c, `/api/v1/namespaces/${ns}/services/web`)).spec.ports[0].nodePort, 31201);
});

test('drift: a hand edit is reported with the field, Git value, live value and manager; heal reverts it', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('drift');
  const files = { 'manifests/app.yaml': web(ns, { image: 'nginx:1.27' }) };
  const dir = await writeFleet({ name: 'drift', clusters: CLUSTERS, files });
  await reconcile(sb, dir);
  execFileSync(sb.kubectl, ['--kubeconfig', sb.kubeconfig, '--context', 'us-east1', '-n', ns, 'set', 'image', 'deployment/web', 'web=nginx:hacked'], { stdio: 'pipe' });
  const reported = await reconcile(sb, dir, { writes: 'heal' });
  const d = reported.clusters.find((c) => c.cluster === 'us-east1')!.drift;
  assert.equal(d.length, 1);
  assert.deepEqual(d[0]!.fields, [{ path: 'spec.template.spec.containers[0].image', git: 'nginx:1.27', live: 'nginx:hacked', manager: 'kubectl-set' }]);
  assert.equal(d[0]!.mode, 'report');
  assert.equal((await get(sb, 'us-east1', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).spec.template.spec.containers[0].image, 'nginx:hacked', 'report mode leaves it');
  const status = await cli(['status', dir, '--kubeconfig', sb.kubeconfig, '--allocations', '/dev/null']);
  assert.match(status.out, /image: git="nginx:1\.27" live="nginx:hacked" \(changed by kubectl-set\)/);
  await writeFleet({ name: 'drift', clusters: CLUSTERS, files: { ...files, 'policies/drift.yaml': [{ apiVersion: 'gitfed.io/v1alpha1', kind: 'DriftPolicy', metadata: { name: 'heal' }, spec: { mode: 'heal' } }] } }, dir);
  const healed = await reconcile(sb, dir, { writes: 'heal' });
  assert.equal(healed.clusters.find((c) => c.cluster === 'us-east1')!.drift[0]?.mode, 'heal');
  assert.equal((await get(sb, 'us-east1', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).spec.template.spec.containers[0].image, 'nginx:1.27', 'heal reverts it');
});

test('prune: an object removed from Git is deleted; deleting everything at once is refused', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('prune');
  const extra = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra', namespace: ns }, data: { a: '1' } };
  const dir = await writeFleet({ name: 'prune', clusters: CLUSTERS, files: { 'manifests/app.yaml': [...web(ns), extra] } });
  await reconcile(sb, dir, { prune: true });
  assert.equal((await get(sb, 'asia-east1', `/api/v1/namespaces/${ns}/configmaps/extra`)).metadata.name, 'extra');
  await writeFleet({ name: 'prune', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(ns) } }, dir);
  const r = await reconcile(sb, dir, { prune: true });
  assert.ok(r.clusters.every((c) => c.pruned.some((p) => p.ref.name === 'extra' && p.action === 'pruned')));
  for (const c of CLUSTERS) assert.equal((await get(sb, c, `/api/v1/namespaces/${ns}/configmaps/extra`)).reason, 'NotFound');
  await writeFleet({ name: 'prune', clusters: CLUSTERS, files: {} }, dir);
  const all = await reconcile(sb, dir, { prune: true });
  assert.ok(all.clusters.every((c) => c.errors.some((e) => /would delete all \d+ object\(s\) this fleet owns there; .*--prune-all/.test(e))));
  assert.equal((await get(sb, 'us-east1', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).metadata.name, 'web', 'nothing deleted');
});

test('permissions: with a token without rights, doctor names what is missing and apply says so per object', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('rbac');
  const dir = await writeFleet({ name: 'rbac', clusters: ['us-east1'], contexts: { 'us-east1': 'us-east1-restricted' }, files: { 'manifests/app.yaml': web(ns) } });
  const doctor = await cli(['doctor', dir, '--kubeconfig', sb.kubeconfig]);
  assert.equal(doctor.code, 1);
  assert.match(doctor.out, /FAIL permissions cluster us-east1: gitfed's credentials lack: .*create configmaps.*patch deployments\.apps/);
  const apply = await cli(['apply', dir, '--kubeconfig', sb.kubeconfig]);
  assert.equal(apply.code, 1);
  assert.match(apply.err, /us-east1 Namespace [\w-]+: HTTP 403: namespaces "[\w-]+" is forbidden: User "gitfed-restricted" cannot patch resource "namespaces"/);
  // Services could not even be listed: the one behind the Ingress is not written blind.
  assert.match(apply.out, /blocked us-east1 Service [\w-]+\/web: cluster us-east1: could not observe node ports \(Services\): .*forbidden/);
  // Nor Deployments: where its replicas run is unknown, so the Deployment is not written on a guess.
  assert.match(apply.out, /blocked us-east1 Deployment [\w-]+\/web: cluster us-east1: could not observe workloads: .*deployments.apps is forbidden/);
  // Every part of the observation fails at once: the errors come in one order, the same every time
  // (not in the order the LISTs happened to fail), so the status files do not change between ticks.
  const conns = await connect(sb.kubeconfig, [{ name: 'us-east1', labels: {}, context: 'us-east1-restricted', provider: 'gce', paused: false, place: { file: 'clusters/us-east1.yaml', line: 1, col: 1 } }]);
  const conn = conns.get('us-east1') as Connection;
  try {
    const observe = async () => (await observeCluster(conn, { fleetName: 'rbac', kinds: [['v1', 'ConfigMap'], ['apps/v1', 'Deployment'], ['v1', 'Service']] })).errors;
    const first = await observe();
    assert.deepEqual(first.map((e) => e.split(':')[0]), ['services', 'ingress-uid ConfigMap', 'ingresses', 'endpoints', 'owned objects', 'workloads'], first.join('\n'));
    assert.match(first[4]!, /configmaps is forbidden/, 'the first kind listed for ownership, not whichever failed first');
    assert.match(first[5]!, /deployments\.apps is forbidden/);
    for (let i = 0; i < 5; i++) assert.deepEqual(await observe(), first);
  } finally {
    closeAll(conns);
  }
});

test('capacity: Pods that do not fit in one cluster overflow to the others', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('cap');
  const placement = { apiVersion: 'gitfed.io/v1alpha1', kind: 'Placement', metadata: { name: 'heavy' }, spec: { resources: [{ kind: 'Deployment', name: 'web', namespace: ns }], replicas: { rebalance: false, clusters: { 'asia-east1': { weight: 4 }, '*': { weight: 1 } } } } };
  // Each hollow node offers 1 CPU: 400m Pods fit 2 per node, 4 per cluster.
  const dir = await writeFleet({ name: 'cap', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(ns, { replicas: 14, cpu: '400m' }), 'policies/placement.yaml': [placement] } });
  const first = await reconcile(sb, dir);
  assert.equal(first.replicas[0]!.plan['asia-east1'], 10);
  // Every one of the 10 Pods placed or found Unschedulable: usually 4 fit, but
  // Pods of earlier tests in this sandbox (10m each) can leave a node room for one.
  const decided = await waitUntil('every Pod in asia-east1 scheduled or Unschedulable', 60_000, async () => {
    const pods = (await get(sb, 'asia-east1', `/api/v1/namespaces/${ns}/pods`)).items;
    const placed = pods.filter((p: any) => p.spec.nodeName).length;
    const stuck = pods.filter((p: any) => !p.spec.nodeName && p.status.conditions?.some((c: any) => c.reason === 'Unschedulable')).length;
    return placed + stuck === 10 && stuck > 0 ? { placed, stuck } : undefined;
  });
  assert.ok(decided.placed >= 1 && decided.placed <= 4, `at most 4 Pods of 400m fit on two 1-CPU nodes: ${decided.placed}`);
  const second = await reconcile(sb, dir, { unschedulableAfterMs: 0 });
  const plan = second.replicas[0]!;
  assert.equal(plan.plan['asia-east1'], decided.placed, 'asia keeps what fits');
  assert.equal(plan.overflow['asia-east1'], decided.stuck);
  assert.equal((plan.plan['us-east1'] ?? 0) + (plan.plan['europe-west1'] ?? 0), 14 - decided.placed, 'the overflow went to the others');
  assert.ok(second.findings.some((f) => f.code === 'ReplicasOverflow' && f.cluster === 'asia-east1'));
});

test('relocation: an apiserver killed mid-apply: the others complete, it is Offline next, its replicas move; restarted, it converges', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('reloc');
  const placement = [{ apiVersion: 'gitfed.io/v1alpha1', kind: 'Placement', metadata: { name: 'p' }, spec: { resources: [{ kind: 'Deployment', name: 'web', namespace: ns }], replicas: { rebalance: true, clusters: { '*': { weight: 1 } } } } }];
  const dir = await writeFleet({ name: 'reloc', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(ns, { replicas: 12 }), 'policies/placement.yaml': placement } });
  await reconcile(sb, dir);
  // A new revision (15 replicas) is being applied when asia-east1's apiserver dies.
  await writeFleet({ name: 'reloc', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(ns, { replicas: 15, image: 'nginx:1.28' }), 'policies/placement.yaml': placement } }, dir);
  const midApply = reconcile(sb, dir, { probeTimeoutMs: 2000 });
  await new Promise((r) => setTimeout(r, 40));
  await sb.faults.killApiserver('asia-east1');
  try {
    const during = await midApply;
    for (const c of during.clusters.filter((x) => x.cluster !== 'asia-east1')) assert.deepEqual(c.errors, [], `${c.cluster} completes`);
    const t0 = Date.now();
    const down = await reconcile(sb, dir, { probeTimeoutMs: 2000 });
    assert.ok(Date.now() - t0 < 15_000, 'a dead cluster does not hold up the others');
    const asia = down.clusters.find((c) => c.cluster === 'asia-east1')!;
    assert.equal(asia.health, 'Offline', 'Offline within one probe');
    assert.equal(asia.skipped, 'unreachable');
    const plan = down.replicas[0]!.plan;
    assert.deepEqual(Object.keys(plan).sort(), ['europe-west1', 'us-east1'], 'only the reachable clusters count');
    assert.deepEqual(Object.values(plan).sort(), [7, 8], 'its share moved to the others (which one gets 8 depends on the hash tie-break)');
    assert.deepEqual((await Promise.all(['us-east1', 'europe-west1'].map((c) => get(sb, c, `/apis/apps/v1/namespaces/${ns}/deployments/web`)))).map((d) => d.spec.replicas).sort(), [7, 8]);
  } finally {
    await sb.faults.startApiserver('asia-east1');
  }
  const back = await reconcile(sb, dir);
  assert.ok(back.clusters.every((c) => c.health === 'Ready' && c.errors.length === 0));
  const deps = await Promise.all(CLUSTERS.map((c) => get(sb, c, `/apis/apps/v1/namespaces/${ns}/deployments/web`)));
  assert.deepEqual(deps.map((d) => d.spec.replicas), [5, 5, 5], 'nothing lost, nothing duplicated');
  assert.ok(deps.every((d) => d.spec.template.spec.containers[0].image === 'nginx:1.28'), 'the revision reached the returning cluster too');
});

test('shards: a cluster whose nodes stopped shows a shard without ready endpoints in status and doctor', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('shard');
  const c = sb.clusters.find((x) => x.name === 'europe-west1')!;
  const node = c.nodes[0]!;
  // Pin europe-west1's Pods to one node with an Override, then stop that node.
  const pin = { apiVersion: 'gitfed.io/v1alpha1', kind: 'Override', metadata: { name: 'pin' }, spec: { resources: [{ kind: 'Deployment', name: 'web', namespace: ns }], clusters: { names: ['europe-west1'] }, patches: [{ op: 'add', path: '/spec/template/spec/nodeName', value: node }] } };
  const dir = await writeFleet({ name: 'shard', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(ns), 'policies/pin.yaml': [pin] } });
  await reconcile(sb, dir);
  const ready = async () => (await reconcile(sb, dir, { writes: 'none' })).ingresses[0]!.shards.find((s) => s.cluster === 'europe-west1')!;
  await waitUntil('2 ready endpoints in europe-west1', 60_000, async () => (await ready()).readyEndpoints === 2);
  await sb.faults.stopNode('europe-west1', node);
  try {
    await waitUntil('europe-west1 endpoints not ready', 120_000, async () => (await ready()).readyEndpoints === 0, 2000);
    const status = await cli(['status', dir, '--kubeconfig', sb.kubeconfig, '--allocations', '/dev/null']);
    assert.match(status.out, /europe-west1 +ip=\S+ +backend=\S+ +endpoints=0\/2 ready/);
    const doctor = await cli(['doctor', dir, '--kubeconfig', sb.kubeconfig, '--allocations', '/dev/null']);
    assert.match(doctor.out, new RegExp(`FAIL endpoints +Ingress ${ns}/web: no ready endpoints in europe-west1`));
  } finally {
    await sb.faults.startNode('europe-west1', node);
  }
});

test('uid safety: a cluster with another uid and existing Ingresses is blocked, the others go on, doctor explains', async () => {
  const sb = await sandbox();
  const ns = uniqueNamespace('uid');
  const h = admin(sb, 'asia-east1');
  const original = (await get(sb, 'asia-east1', '/api/v1/namespaces/kube-system/configmaps/ingress-uid')).data;
  try {
    await h.request({ method: 'PATCH', path: '/api/v1/namespaces/kube-system/configmaps/ingress-uid?fieldManager=glbc', contentType: 'application/merge-patch+json', body: { data: { uid: 'legacy0000000001' } } });
    const dir = await writeFleet({ name: 'uid', clusters: CLUSTERS, files: { 'manifests/app.yaml': web(ns) } });
    const r = await reconcile(sb, dir);
    const asia = r.clusters.find((c) => c.cluster === 'asia-east1')!;
    assert.equal(asia.blocked.length, 1);
    assert.equal(asia.blocked[0]!.ref.kind, 'Ingress');
    assert.match(asia.blocked[0]!.finding.message, /uses GLBC uid legacy0000000001 .*about 10 minutes of outage/);
    assert.equal((await get(sb, 'asia-east1', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`)).reason, 'NotFound');
    assert.equal((await get(sb, 'asia-east1', '/api/v1/namespaces/kube-system/configmaps/ingress-uid')).data.uid, 'legacy0000000001', 'its uid is left alone');
    assert.equal((await get(sb, 'us-east1', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`)).metadata.name, 'web', 'the others go on');
    const doctor = await cli(['doctor', dir, '--kubeconfig', sb.kubeconfig, '--allocations', '/dev/null']);
    assert.match(doctor.out, /FAIL glbc-uid +cluster asia-east1 uses GLBC uid legacy0000000001/);
    assert.match(doctor.out, /fix: delete or migrate that cluster's existing Ingresses/);
  } finally {
    // A merge patch (force is for apply patches only: with it the apiserver refuses the request and the uid stayed legacy).
    await h.request({ method: 'PATCH', path: '/api/v1/namespaces/kube-system/configmaps/ingress-uid?fieldManager=gitfed', contentType: 'application/merge-patch+json', body: { data: original } });
    h.close();
  }
});
