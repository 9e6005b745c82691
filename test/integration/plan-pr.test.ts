// A pull request's plan in Git, on real apiservers and a real git server:
// `plan --repo --branch --commit` writes PLAN.md, plan.json and one diff per
// cluster to gitfed/plans/<branch>; `plan verify` exits 4 once the branch or
// a cluster moved, and 0 again after the plan is refreshed.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { web } from '../helpers/fleet-dir.js';
import { sandbox, uniqueNamespace } from '../helpers/sandbox.js';

const work = await mkdtemp(join(tmpdir(), 'gitfed-plan-'));
after(() => rm(work, { recursive: true, force: true }));
const CLUSTERS = ['us-east1', 'europe-west1', 'asia-east1'];
const ZONES: Record<string, string> = { 'us-east1': 'us-east1-b', 'europe-west1': 'europe-west1-c', 'asia-east1': 'asia-east1-a' };
const SECRET_VALUE = 'cGxhbi10ZXN0LXNlY3JldC12YWx1ZQ==';
const env = { ...process.env, GIT_AUTHOR_NAME: 'dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });

/** Run the real CLI; resolves with its exit code and output. */
function gitfed(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['bin/gitfed.js', ...args], { env: { ...process.env, XDG_CACHE_HOME: join(work, 'cache') } });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('exit', (code) => resolve({ code: code ?? -1, out, err }));
  });
}

async function put(root: string, files: Record<string, unknown[]>): Promise<void> {
  for (const [path, objects] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), objects.map((o) => stringify(o)).join('---\n'));
  }
}

test('plan --commit: PLAN.md with every cluster\'s dry-run diff on gitfed/plans/<branch>; verify goes stale when the branch or a cluster moves', async () => {
  const sb = await sandbox({ controllers: false });
  const ns = uniqueNamespace('plan');
  const url = await sb.git.createRepo(`plan-${ns}`);
  const src = join(work, 'src');
  git(work, 'init', '-q', '-b', 'main', src);
  await put(src, {
    'clusters/clusters.yaml': CLUSTERS.map((c) => ({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name: c }, spec: { gce: { project: 'plan', zone: ZONES[c] } } })),
    'policies/fleet.yaml': [{ apiVersion: 'gitfed.io/v1alpha1', kind: 'Fleet', metadata: { name: `plan-${ns}` } }],
    'manifests/app.yaml': web(ns, { replicas: 6 }),
  });
  git(src, 'add', '.');
  git(src, 'commit', '-q', '-m', 'fleet');
  git(src, 'push', '-q', url, 'main');
  // main is what runs: apply it from a checkout of main.
  const applied = await gitfed(['apply', src, '--kubeconfig', sb.kubeconfig]);
  assert.equal(applied.code, 0, applied.out + applied.err);

  // The pull request: more replicas and a Secret.
  git(src, 'checkout', '-q', '-b', 'scale-up');
  await put(src, { 'manifests/app.yaml': web(ns, { replicas: 9 }), 'manifests/secret.yaml': [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls', namespace: ns }, data: { 'tls.key': SECRET_VALUE } }] });
  git(src, 'add', '.');
  git(src, 'commit', '-q', '-m', 'scale up');
  git(src, 'push', '-q', url, 'scale-up');
  const head = git(src, 'rev-parse', 'HEAD').trim();
  const base = git(src, 'rev-parse', 'main').trim();
  const planArgs = ['plan', '--repo', url, '--branch', 'scale-up', '--base', 'main', '--kubeconfig', sb.kubeconfig, '--commit', '--output', 'markdown'];

  const first = await gitfed(planArgs);
  assert.equal(first.code, 2, `changes -> exit 2\n${first.out}${first.err}`);
  assert.match(first.err, /plan committed to gitfed\/plans\/scale-up/);

  const view = join(work, 'view');
  git(work, 'clone', '-q', url, view);
  git(view, 'fetch', '-q', 'origin', 'gitfed/plans/scale-up:plan', 'refs/notes/gitfed-plan:refs/notes/gitfed-plan');
  const planMd = git(view, 'show', 'plan:PLAN.md');
  assert.match(planMd, new RegExp(`## gitfed plan for \`scale-up\` @ \`${head.slice(0, 7)}\``));
  assert.match(planMd, new RegExp(`Base: \`main\` @ \`${base.slice(0, 7)}\``));
  for (const c of CLUSTERS) assert.match(planMd, new RegExp(`\\| ${c} \\| all \\| Ready \\| 1 \\| 1 \\| 0 \\| 0 \\| 0 \\|`), `a row for ${c}: 1 create (Secret), 1 update (Deployment)`);
  assert.match(planMd, new RegExp(`Deployment ${ns}/web \\(9\\) \\| 2 -> 3 \\| 2 -> 3 \\| 2 -> 3 \\|`), 'the replica split before -> after');
  const usDiff = git(view, 'show', 'plan:clusters/us-east1.diff');
  assert.match(usDiff, new RegExp(`~ update Deployment ${ns}/web\\n-     spec.replicas: 2\\n\\+     spec.replicas: 3`));
  assert.match(usDiff, new RegExp(`\\+ create Secret ${ns}/tls`));
  const message = git(view, 'log', '-1', '--format=%B', 'plan');
  assert.match(message, new RegExp(`Gitfed-Plan-For: ${head}`));
  assert.match(message, new RegExp(`Gitfed-Plan-Base: ${base}`));
  assert.match(git(view, 'notes', '--ref=gitfed-plan', 'show', head), /3 cluster\(s\), 6 change\(s\), 0 blocked/);
  const everything = git(view, 'log', '-p', 'plan') + first.out + first.err + git(view, 'notes', '--ref=gitfed-plan', 'show', head);
  assert.ok(!everything.includes(SECRET_VALUE), 'the Secret\'s value is nowhere in the plan, its commit or the note');

  const planCommits = () => Number(git(view, 'rev-list', '--count', 'origin/gitfed/plans/scale-up'));
  const again = await gitfed(planArgs);
  assert.equal(again.code, 2);
  assert.match(again.err, /plan unchanged/);
  git(view, 'fetch', '-q', 'origin');
  assert.equal(planCommits(), 1, 'an unchanged plan makes no new commit');

  const verify = (...extra: string[]) => gitfed(['plan', 'verify', '--repo', url, '--branch', 'scale-up', '--kubeconfig', sb.kubeconfig, ...extra]);
  let v = await verify();
  assert.equal(v.code, 0, v.out + v.err);

  // The author pushes another commit: the committed plan is stale until plan runs again.
  await put(src, { 'manifests/app.yaml': web(ns, { replicas: 12 }) });
  git(src, 'commit', '-q', '-am', 'more');
  git(src, 'push', '-q', url, 'scale-up');
  v = await verify();
  assert.equal(v.code, 4, v.out + v.err);
  assert.match(v.out, /stale: the plan is for .* but scale-up is at/);
  assert.equal((await gitfed(planArgs)).code, 2);
  v = await verify();
  assert.equal(v.code, 0, v.out + v.err);

  // A cluster changes under the plan (someone changes the image by hand): stale, and it names the cluster.
  execFileSync(sb.kubectl, ['--kubeconfig', sb.kubeconfig, '--context', 'europe-west1', '-n', ns, 'set', 'image', 'deployment/web', 'web=nginx:hacked'], { stdio: 'pipe' });
  v = await verify();
  assert.equal(v.code, 4, v.out + v.err);
  assert.match(v.out, /cluster\(s\) europe-west1 changed under the plan/);
});

test('plan DIR --output markdown: a blocked GLBC uid change exits 3 and says why', async () => {
  const sb = await sandbox({ controllers: false });
  const ns = uniqueNamespace('blk');
  // asia-east1 runs an Ingress under another GLBC uid: changing the uid would orphan its load balancer.
  const legacy = [
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ingress-uid', namespace: 'kube-system' }, data: { uid: 'legacy0000000001', 'provider-uid': 'legacy0000000001' } },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: `${ns}-old` } },
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'old', namespace: `${ns}-old`, annotations: { 'kubernetes.io/ingress.class': 'gce' } }, spec: { defaultBackend: { service: { name: 'old', port: { number: 80 } } } } },
  ];
  execFileSync(sb.kubectl, ['--kubeconfig', sb.kubeconfig, '--context', 'asia-east1', 'apply', '--server-side', '--force-conflicts', '--field-manager', 'glbc', '-f', '-'], { input: legacy.map((o) => stringify(o)).join('---\n'), stdio: ['pipe', 'pipe', 'pipe'] });
  const dir = join(work, 'blk');
  await put(dir, {
    'clusters/clusters.yaml': CLUSTERS.map((c) => ({ apiVersion: 'gitfed.io/v1alpha1', kind: 'Cluster', metadata: { name: c }, spec: { gce: { project: 'plan', zone: ZONES[c] } } })),
    'policies/fleet.yaml': [{ apiVersion: 'gitfed.io/v1alpha1', kind: 'Fleet', metadata: { name: `blk-${ns}` } }],
    'manifests/app.yaml': web(ns),
  });
  // The fleet's uid was allocated before (as the operator's status branch would have it).
  await writeFile(join(work, 'blk-allocations.yaml'), stringify({ nodePorts: {}, glbc: { uid: '5f1c2a9e0b7d3c44', providerUids: {} } }));
  const r = await gitfed(['plan', dir, '--kubeconfig', sb.kubeconfig, '--output', 'markdown', '--allocations', join(work, 'blk-allocations.yaml')]);
  assert.equal(r.code, 3, r.out + r.err);
  assert.match(r.out, /\| asia-east1 \| all \| Ready \| \d+ \| \d+ \| 0 \| [1-9]\d* \| 0 \|/);
  assert.match(r.out, /! blocked .*GLBC uid/);
});
