// gitfed bootstrap on real apiservers: one host cluster (also a member) and
// one more member. Every object is checked server-side; the member
// kubeconfig's tokens work with exactly the rights gitfed needs; a second run
// changes nothing; --dry-run and --uninstall write nothing / leave nothing.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateX25519Identity } from 'age-encryption';
import { parse } from 'yaml';
import { endpointFor } from '../../operator/cluster/connect.js';
import { Discovery } from '../../operator/cluster/discovery.js';
import { permissionChecks } from '../../operator/cluster/doctor-checks.js';
import { memberRules } from '../../operator/cluster/install-objects.js';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { main, type CliIO } from '../../operator/cli/main.js';
import { sandbox, waitUntil } from '../helpers/sandbox.js';

const work = await mkdtemp(join(tmpdir(), 'gitfed-bootstrap-'));
after(() => rm(work, { recursive: true, force: true }));

const REPO = 'https://git.example.com/platform/fleet.git';
const HOST = 'us-east1';
const MEMBERS = ['us-east1', 'europe-west1'];

async function gitfed(...argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const io: CliIO = { out: (t) => { out += `${t}\n`; }, err: (t) => { out += `${t}\n`; }, cwd: work, env: {}, };
  const code = await main(argv, io);
  return { code, out };
}

const sb = await sandbox({ clusters: 2, nodesPerCluster: 0 });
const admin = (name: string) => {
  const c = sb.clusters.find((x) => x.name === name)!;
  return new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
};

async function get(cluster: string, path: string): Promise<{ status: number; body: any }> {
  const h = admin(cluster);
  try { return await h.request({ path }); } finally { h.close(); }
}

const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
const LABELS = { 'app.kubernetes.io/managed-by': 'gitfed-bootstrap', 'app.kubernetes.io/part-of': 'gitfed' };

/** Paths of everything bootstrap creates, per cluster (the host is also a member). */
const MEMBER_PATHS = [
  '/api/v1/namespaces/gitfed-system', '/api/v1/namespaces/gitfed-system/serviceaccounts/gitfed', '/api/v1/namespaces/gitfed-system/secrets/gitfed-member-token',
  '/apis/rbac.authorization.k8s.io/v1/clusterroles/gitfed-member', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/gitfed-member',
];
const HOST_PATHS = [
  '/apis/rbac.authorization.k8s.io/v1/namespaces/gitfed-system/roles/gitfed-leader-election', '/apis/rbac.authorization.k8s.io/v1/namespaces/gitfed-system/rolebindings/gitfed-leader-election',
  '/api/v1/namespaces/gitfed-system/secrets/gitfed-git', '/api/v1/namespaces/gitfed-system/secrets/gitfed-member-kubeconfig', '/api/v1/namespaces/gitfed-system/secrets/gitfed-webhook',
  '/api/v1/namespaces/gitfed-system/services/gitfed', '/apis/apps/v1/namespaces/gitfed-system/deployments/gitfed',
];

const AGE_PATH = '/api/v1/namespaces/gitfed-system/secrets/gitfed-age-key';

/**
 * What a write by bootstrap would change: the resourceVersion, except for the
 * Deployment, whose status the controllers keep updating: its generation
 * (it moves only when its spec is written).
 */
async function resourceVersions(): Promise<string[]> {
  const version = (p: string, body: any) => (p.includes('/deployments/') ? `generation ${body?.metadata?.generation}` : body?.metadata?.resourceVersion);
  const out: string[] = [];
  for (const c of MEMBERS) for (const p of MEMBER_PATHS) out.push(`${c}${p}=${version(p, (await get(c, p)).body)}`);
  for (const p of [...HOST_PATHS, AGE_PATH]) out.push(`${HOST}${p}=${version(p, (await get(HOST, p)).body)}`);
  return out;
}

async function can(http: KubeHttp, verb: string, resource: string, group = '', namespace?: string): Promise<boolean> {
  const r = await http.request<any>({ method: 'POST', path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { verb, resource, group, ...(namespace ? { namespace } : {}) } } } });
  assert.equal(r.status, 201, r.text);
  return r.body.status.allowed === true;
}

test('bootstrap: --dry-run shows what it would do and writes nothing', async () => {
  const credentials = join(work, 'git-credentials');
  await writeFile(credentials, 'alice:s3cret-pass\n');
  const r = await gitfed('bootstrap', '--repo', REPO, '--kubeconfig', sb.kubeconfig, '--host-context', HOST, '--member-contexts', MEMBERS.join(','), '--git-credentials-file', credentials, '--dry-run');
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /^host us-east1:$/m);
  assert.match(r.out, /\+ would create +Deployment gitfed-system\/gitfed/);
  assert.match(r.out, /^member europe-west1:$/m);
  assert.match(r.out, /\+ would create +ClusterRole gitfed-member/);
  assert.match(r.out, /change\(s\) would be made \(dry run: nothing was written\)/);
  assert.doesNotMatch(r.out, /s3cret-pass/, 'no secret value is printed');
  for (const c of MEMBERS) for (const p of MEMBER_PATHS) assert.equal((await get(c, p)).status, 404, `${c} ${p} not written`);
});

test('bootstrap: installs the operator in the host and least-privilege access in the members; every object checked server-side', async () => {
  const ageKey = `# created: test\n${await generateX25519Identity()}\n`;
  await writeFile(join(work, 'age.txt'), ageKey);
  const r = await gitfed('bootstrap', '--repo', REPO, '--kubeconfig', sb.kubeconfig, '--host-context', HOST, '--member-contexts', MEMBERS.join(','), '--git-credentials-file', join(work, 'git-credentials'), '--age-key-file', join(work, 'age.txt'), '--image', 'registry.example/gitfed:test');
  assert.equal(r.code, 0, r.out);
  assert.doesNotMatch(r.out, /s3cret-pass/);
  assert.ok(!r.out.includes(ageKey.split('\n')[1]!), 'no key is printed');
  assert.equal(decode((await get(HOST, AGE_PATH)).body.data['keys.txt']), ageKey, 'the age key Secret the Deployment mounts');

  for (const c of MEMBERS) {
    for (const p of MEMBER_PATHS) {
      const o = await get(c, p);
      assert.equal(o.status, 200, `${c} ${p}`);
      assert.deepEqual({ ...o.body.metadata.labels }, { ...o.body.metadata.labels, ...LABELS }, `${c} ${p} carries bootstrap's labels`);
    }
    assert.deepEqual((await get(c, MEMBER_PATHS[3]!)).body.rules.map((x: any) => ({ apiGroups: x.apiGroups, resources: x.resources, verbs: x.verbs })), memberRules());
    assert.deepEqual((await get(c, MEMBER_PATHS[4]!)).body.subjects, [{ kind: 'ServiceAccount', name: 'gitfed', namespace: 'gitfed-system' }]);
  }
  for (const p of HOST_PATHS) assert.equal((await get(HOST, p)).status, 200, `host ${p}`);
  assert.equal((await get('europe-west1', HOST_PATHS[6]!)).status, 404, 'the Deployment is only in the host');

  const dep = (await get(HOST, HOST_PATHS[6]!)).body;
  const container = dep.spec.template.spec.containers[0];
  assert.equal(container.image, 'registry.example/gitfed:test');
  assert.deepEqual(container.env.find((e: any) => e.name === 'GITFED_REPO'), { name: 'GITFED_REPO', value: REPO });
  assert.ok(container.args.includes('--kubeconfig=/etc/gitfed/members/kubeconfig') && container.args.includes('--lease-context=in-cluster'));
  const git = (await get(HOST, HOST_PATHS[2]!)).body.data;
  assert.deepEqual([decode(git.username), decode(git.password)], ['alice', 's3cret-pass']);
  assert.ok(decode((await get(HOST, HOST_PATHS[4]!)).body.data.secret).length >= 32, 'a webhook secret was generated');

  // The member kubeconfig: only the member contexts (and the Pod's own for the Lease), tokens of the new ServiceAccounts.
  const kubeconfigText = decode((await get(HOST, HOST_PATHS[3]!)).body.data.kubeconfig);
  const kc = parse(kubeconfigText);
  assert.deepEqual(kc.contexts.map((c: any) => c.name), [...MEMBERS, 'in-cluster']);
  for (const c of sb.clusters) assert.ok(!kubeconfigText.includes(c.adminToken) && !kubeconfigText.includes(c.restrictedToken), 'no admin credentials');
  const file = join(work, 'member-kubeconfig');
  await writeFile(file, kubeconfigText);
  for (const ctx of MEMBERS) {
    const http = new KubeHttp(await endpointFor(file, ctx));
    try {
      const who = await http.request<any>({ method: 'POST', path: '/apis/authentication.k8s.io/v1/selfsubjectreviews', body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
      assert.equal(who.body?.status?.userInfo?.username, 'system:serviceaccount:gitfed-system:gitfed', `${ctx}: the token is the member ServiceAccount's`);
      const doctor = await permissionChecks({ cluster: ctx, context: ctx, http, discovery: new Discovery(http) });
      assert.equal(doctor[0]!.verdict, 'OK', `${ctx}: gitfed doctor finds every permission gitfed needs: ${doctor[0]!.message}`);
      assert.equal(await can(http, 'patch', 'deployments', 'apps', 'web'), true);
      assert.equal(await can(http, 'watch', 'services'), true, 'the operator watches what it lists');
      // Prune looks for owned objects of these kinds in every namespace, by label: gitfed lists (not gets) Secrets.
      assert.equal(await can(http, 'list', 'secrets'), true);
      for (const [verb, resource, group, ns] of [
        ['get', 'secrets', '', 'kube-system'], ['create', 'secrets', '', 'web'], ['patch', 'secrets', '', 'web'], ['get', 'nodes', '', undefined],
        ['delete', 'nodes', '', undefined], ['update', 'deployments', 'apps', 'web'], ['create', 'pods', '', 'web'], ['create', 'pods/exec', '', 'web'], ['create', 'clusterrolebindings', 'rbac.authorization.k8s.io', undefined],
        ['create', 'serviceaccounts/token', '', 'gitfed-system'], ['patch', 'clusterroles', 'rbac.authorization.k8s.io', undefined],
      ] as const) {
        assert.equal(await can(http, verb, resource, group, ns), false, `${ctx}: may not ${verb} ${resource}${ns ? ` in ${ns}` : ''}`);
      }
    } finally {
      http.close();
    }
  }
});

test('bootstrap: a second run changes nothing and says so', async () => {
  const before = await resourceVersions();
  const r = await gitfed('bootstrap', '--repo', REPO, '--kubeconfig', sb.kubeconfig, '--host-context', HOST, '--member-contexts', MEMBERS.join(','), '--git-credentials-file', join(work, 'git-credentials'), '--image', 'registry.example/gitfed:test');
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /nothing to change: gitfed is installed as requested/);
  assert.doesNotMatch(r.out, /\b(create|update)\b/);
  assert.deepEqual(await resourceVersions(), before, 'no object was written');
  const json = await gitfed('bootstrap', '--repo', REPO, '--kubeconfig', sb.kubeconfig, '--host-context', HOST, '--member-contexts', MEMBERS.join(','), '--git-credentials-file', join(work, 'git-credentials'), '--image', 'registry.example/gitfed:test', '--output', 'json');
  assert.equal(JSON.parse(json.out).changes, 0);
});

test('bootstrap: an unknown context is a usage error that names the contexts there are', async () => {
  const r = await gitfed('bootstrap', '--repo', REPO, '--kubeconfig', sb.kubeconfig, '--host-context', HOST, '--member-contexts', 'nope');
  assert.equal(r.code, 2);
  assert.match(r.out, /has no context "nope" \(contexts: us-east1, us-east1-restricted, europe-west1/);
});

test('bootstrap --uninstall: removes everything it created in host and members; the member tokens stop working', async () => {
  const kubeconfigText = decode((await get(HOST, HOST_PATHS[3]!)).body.data.kubeconfig);
  const dry = await gitfed('bootstrap', '--uninstall', '--kubeconfig', sb.kubeconfig, '--host-context', HOST, '--member-contexts', MEMBERS.join(','), '--dry-run');
  assert.equal(dry.code, 0, dry.out);
  assert.match(dry.out, /- would delete +Deployment gitfed-system\/gitfed/);
  assert.equal((await get(HOST, HOST_PATHS[6]!)).status, 200, 'the dry run deleted nothing');

  const r = await gitfed('bootstrap', '--uninstall', '--kubeconfig', sb.kubeconfig, '--host-context', HOST, '--member-contexts', MEMBERS.join(','));
  assert.equal(r.code, 0, r.out);
  for (const c of MEMBERS) for (const p of [...MEMBER_PATHS, ...HOST_PATHS, AGE_PATH]) assert.equal((await get(c, p)).status, 404, `${c} ${p} is gone`);
  const file = join(work, 'old-member-kubeconfig');
  await writeFile(file, kubeconfigText);
  const http = new KubeHttp(await endpointFor(file, 'europe-west1'));
  try {
    // Its RBAC is gone at once (403); the apiserver's token cache forgets it within seconds (401).
    await waitUntil('the revoked token is refused', 30_000, async () => (await http.request({ path: '/api/v1/namespaces' })).status === 401);
  } finally {
    http.close();
  }
  const again = await gitfed('bootstrap', '--uninstall', '--kubeconfig', sb.kubeconfig, '--host-context', HOST, '--member-contexts', MEMBERS.join(','));
  assert.match(again.out, /nothing to remove: no object of gitfed bootstrap is left/);
});
