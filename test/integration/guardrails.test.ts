// Guardrails on a real apiserver: gitfed never writes from a failed
// observation, never prunes what it only blocked, and never adopts another
// fleet's objects. One cluster, no controllers: only the apiserver matters here.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { main } from '../../operator/cli/main.js';
import type { Sandbox } from '../../operator/sandbox/index.js';
import { RESTRICTED_USER } from '../../operator/sandbox/identities.js';
import { web, writeFleet } from '../helpers/fleet-dir.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';
import { admin } from '../helpers/fleet-repo.js';

const start = () => sandbox({ clusters: 1, controllers: false });
const tmp: string[] = [];
after(async () => { for (const d of tmp) await rm(d, { recursive: true, force: true }); });

async function request(sb: Sandbox, method: string, path: string, body?: unknown): Promise<{ status: number; body: any; text: string }> {
  const h = admin(sb, sb.clusters[0]!.name);
  try { return await h.request({ method, path, ...(body ? { body } : {}) }); } finally { h.close(); }
}

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(args, { out: (t) => { out += t + '\n'; }, err: (t) => { out += t + '\n'; }, cwd: process.cwd(), env: {} });
  return { code, out };
}

async function allocationsFile(uid: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gitfed-alloc-'));
  tmp.push(dir);
  const file = join(dir, 'allocations.yaml');
  await writeFile(file, stringify({ nodePorts: {}, glbc: { uid, providerUids: {} } }));
  return file;
}

/** The restricted user may do everything gitfed needs except LIST (and WATCH) Ingresses. */
async function forbidListingIngresses(sb: Sandbox): Promise<void> {
  const role = {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'gitfed-all-but-ingress-list' },
    rules: [
      { apiGroups: ['', 'apps', 'discovery.k8s.io', 'authorization.k8s.io'], resources: ['*'], verbs: ['*'] },
      { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'create', 'update', 'patch', 'delete'] },
    ],
  };
  const binding = {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'gitfed-all-but-ingress-list' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: RESTRICTED_USER }],
  };
  for (const [path, body] of [['/apis/rbac.authorization.k8s.io/v1/clusterroles', role], ['/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', binding]] as const) {
    const r = await request(sb, 'POST', path, body);
    assert.ok(r.status === 201 || r.status === 409, r.text);
  }
  const c = sb.clusters[0]!;
  const restricted = new KubeHttp({ server: c.server, ca: c.ca, token: c.restrictedToken });
  try {
    await waitUntil('RBAC for the restricted user', 20_000, async () => (await restricted.request({ path: '/api/v1/services' })).status === 200);
    assert.equal((await restricted.request({ path: '/apis/networking.k8s.io/v1/ingresses' })).status, 403);
  } finally {
    restricted.close();
  }
}

test('observation gaps: listing Ingresses fails in a cluster whose uid differs and which has Ingresses -> ingress-uid is not overwritten; plan, apply, status and doctor say "could not observe"', async () => {
  const sb = await start();
  await forbidListingIngresses(sb);
  // The cluster already runs a GCE Ingress under GLBC uid legacy0000000001.
  const legacy = uniqueNamespace('legacy');
  assert.equal((await request(sb, 'POST', '/api/v1/namespaces', { metadata: { name: legacy } })).status, 201);
  const cm = await request(sb, 'POST', '/api/v1/namespaces/kube-system/configmaps', { metadata: { name: 'ingress-uid' }, data: { uid: 'legacy0000000001', 'provider-uid': 'legacyprovider01' } });
  assert.ok(cm.status === 201 || cm.status === 409, cm.text);
  const ing = await request(sb, 'POST', `/apis/networking.k8s.io/v1/namespaces/${legacy}/ingresses`, { metadata: { name: 'shop', annotations: { 'kubernetes.io/ingress.class': 'gce' } }, spec: { defaultBackend: { service: { name: 'shop', port: { number: 80 } } } } });
  assert.equal(ing.status, 201, ing.text);

  const ns = uniqueNamespace('blind');
  const dir = await writeFleet({ name: 'blind', clusters: ['us-east1'], contexts: { 'us-east1': 'us-east1-restricted' }, files: { 'manifests/app.yaml': web(ns) } });
  const alloc = await allocationsFile('5f1c2a9e0b7d3c44');
  const args = (cmd: string) => [cmd, dir, '--kubeconfig', sb.kubeconfig, '--allocations', alloc];

  const plan = await cli(args('plan'));
  assert.match(plan.out, /! blocked ConfigMap kube-system\/ingress-uid: cluster us-east1: could not observe Ingresses: .*forbidden/, plan.out);
  assert.match(plan.out, new RegExp(`! blocked Ingress ${ns}/web: cluster us-east1: could not observe Ingresses`), plan.out);

  const apply = await cli(args('apply'));
  assert.equal(apply.code, 1, apply.out);
  assert.match(apply.out, /blocked us-east1 ConfigMap kube-system\/ingress-uid: cluster us-east1: could not observe Ingresses: .*forbidden/, apply.out);
  const live = await request(sb, 'GET', '/api/v1/namespaces/kube-system/configmaps/ingress-uid');
  assert.deepEqual(live.body.data, { uid: 'legacy0000000001', 'provider-uid': 'legacyprovider01' }, 'the GLBC uid was not touched');
  assert.equal((await request(sb, 'GET', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`)).status, 404, 'the Ingress was not written');
  assert.equal((await request(sb, 'GET', `/apis/apps/v1/namespaces/${ns}/deployments/web`)).status, 200, 'what does not depend on Ingresses was applied');

  const status = await cli(args('status'));
  assert.match(status.out, /blocked us-east1 Ingress [\w-]+\/web: cluster us-east1: could not observe Ingresses/, status.out);
  const doctor = await cli(args('doctor'));
  assert.equal(doctor.code, 1, doctor.out);
  assert.match(doctor.out, /FAIL observe +cluster us-east1: could not observe Ingresses: .*forbidden/, doctor.out);
});

test('blocked is not deleted: with --prune, an Ingress that gitfed applied and now blocks (the fleet uid changed) stays', async () => {
  const sb = await start();
  const ns = uniqueNamespace('keep');
  const dir = await writeFleet({ name: 'keep', clusters: ['us-east1'], files: { 'manifests/app.yaml': web(ns) } });
  const current = (await request(sb, 'GET', '/api/v1/namespaces/kube-system/configmaps/ingress-uid')).body?.data?.uid as string | undefined;
  const first = await cli(['apply', dir, '--kubeconfig', sb.kubeconfig, '--allocations', await allocationsFile(current ?? '1111222233334444')]);
  assert.equal(first.code, 0, first.out);
  const before = await request(sb, 'GET', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`);
  assert.equal(before.status, 200);
  const second = await cli(['apply', dir, '--kubeconfig', sb.kubeconfig, '--prune', '--allocations', await allocationsFile('9999888877776666')]);
  assert.match(second.out, new RegExp(`blocked us-east1 Ingress ${ns}/web: cluster us-east1 uses GLBC uid`), second.out);
  const afterIng = await request(sb, 'GET', `/apis/networking.k8s.io/v1/namespaces/${ns}/ingresses/web`);
  assert.equal(afterIng.status, 200, 'the blocked Ingress was not pruned');
  assert.equal(afterIng.body.metadata.uid, before.body.metadata.uid);
});

test('adoption: an object another gitfed fleet owns is never adopted; the error names it and the owning fleet', async () => {
  const sb = await start();
  const ns = uniqueNamespace('shared');
  const cm = (data: Record<string, string>) => [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings', namespace: ns }, data }];
  const fleetA = await writeFleet({ name: 'fleet-a', clusters: ['us-east1'], files: { 'manifests/cm.yaml': cm({ owner: 'a' }) } });
  const a = await cli(['apply', fleetA, '--kubeconfig', sb.kubeconfig]);
  assert.equal(a.code, 0, a.out);
  const fleetB = await writeFleet({ name: 'fleet-b', clusters: ['us-east1'], files: { 'manifests/cm.yaml': cm({ owner: 'b' }) } });
  const b = await cli(['apply', fleetB, '--kubeconfig', sb.kubeconfig]);
  assert.equal(b.code, 1, b.out);
  assert.match(b.out, new RegExp(`us-east1 ConfigMap ${ns}/settings: owned by another gitfed fleet "fleet-a" \\(label gitfed.io/fleet=fleet-a\\)`), b.out);
  assert.doesNotMatch(b.out, new RegExp(`Namespace ${ns}: owned by another`), 'a namespace both fleets only use is shared, not an error');
  const live = await request(sb, 'GET', `/api/v1/namespaces/${ns}/configmaps/settings`);
  assert.equal(live.body.metadata.labels['gitfed.io/fleet'], 'fleet-a');
  assert.deepEqual(live.body.data, { owner: 'a' });
});

test('scopes: a cluster-scoped custom resource gitfed knows nothing about is applied without a namespace (discovery places it) and then is in sync', async () => {
  const sb = await start();
  const group = `${uniqueNamespace('g')}.example.com`;
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `tenants.${group}` },
    spec: { group, scope: 'Cluster', names: { kind: 'Tenant', plural: 'tenants', singular: 'tenant', listKind: 'TenantList' }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }] },
  };
  const created = await request(sb, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
  assert.equal(created.status, 201, created.text);
  await waitUntil('the CRD is served', 30_000, async () => (await request(sb, 'GET', `/apis/${group}/v1`)).status === 200);
  const dir = await writeFleet({ name: 'tenants', clusters: ['us-east1'], files: { 'manifests/t.yaml': [{ apiVersion: `${group}/v1`, kind: 'Tenant', metadata: { name: 'acme' }, spec: { tier: 'gold' } }] } });
  const r = await cli(['apply', dir, '--kubeconfig', sb.kubeconfig]);
  assert.equal(r.code, 0, r.out);
  const live = await request(sb, 'GET', `/apis/${group}/v1/tenants/acme`);
  assert.equal(live.status, 200, live.text);
  assert.equal(live.body.metadata.namespace, undefined);
  assert.equal(live.body.spec.tier, 'gold');
  // Git and the cluster agree: nothing left to change (a rendered "namespace: default" would differ forever).
  const plan = await cli(['plan', dir, '--kubeconfig', sb.kubeconfig]);
  assert.equal(plan.code, 0, plan.out);
  assert.match(plan.out, /no changes/);
});

test('in-cluster: a Cluster whose context is the operator\'s own apiserver is refused unless --allow-in-cluster', async () => {
  const sb = await start();
  const ns = uniqueNamespace('self');
  const dir = await writeFleet({ name: 'self', clusters: ['us-east1'], files: { 'manifests/cm.yaml': [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'self', namespace: ns } }] } });
  // As a Pod of that cluster sees it: KUBERNETES_SERVICE_HOST/PORT name the apiserver the context points at.
  const server = new URL(sb.clusters[0]!.server);
  const env = { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port };
  const run = async (extra: string[]) => {
    let out = '';
    const code = await main(['apply', dir, '--kubeconfig', sb.kubeconfig, ...extra], { out: (t) => { out += t + '\n'; }, err: (t) => { out += t + '\n'; }, cwd: process.cwd(), env });
    return { code, out };
  };
  const refused = await run([]);
  assert.equal(refused.code, 1, refused.out);
  assert.match(refused.out, /error: cluster us-east1: context "us-east1" is gitfed's own in-cluster identity \(its server https:\/\/127\.0\.0\.1:\d+ is this Pod's KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT\); .*--allow-in-cluster\nnothing applied/);
  assert.equal((await request(sb, 'GET', `/api/v1/namespaces/${ns}/configmaps/self`)).status, 404, 'nothing was written');
  const allowed = await run(['--allow-in-cluster']);
  assert.equal(allowed.code, 0, allowed.out);
  assert.equal((await request(sb, 'GET', `/api/v1/namespaces/${ns}/configmaps/self`)).status, 200);
});
