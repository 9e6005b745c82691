// A SOPS-encrypted Secret (made by the real sops CLI) through the whole
// pipeline on a real apiserver: load -> render -> apply, then in sync (its
// stringData too), and a changed value planned as hashes only; then the
// operator on a real git server, and everything it wrote (status branch,
// notes, the plan branch, its logs) searched for the planted value. One
// cluster, no controllers: only the apiserver matters here.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { stringify } from 'yaml';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { main } from '../../operator/cli/main.js';
import { valueHash } from '../../operator/report/secret-values.js';
import { writeFleet } from '../helpers/fleet-dir.js';
import { sandbox, uniqueNamespace, waitUntil } from '../helpers/sandbox.js';
import { ensureSops, sops } from '../helpers/sops-cli.js';

const PLANTED = 'planted-in-cluster-3c1f9e';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const tmp = await mkdtemp(join(tmpdir(), 'gitfed-sops-apply-'));
after(() => rm(tmp, { recursive: true, force: true }));
let bin: string | { skip: string } = { skip: 'not built' };
let recipient = '';
const keyFile = join(tmp, 'age.txt');

before(async () => {
  bin = await ensureSops();
  const id = await generateX25519Identity();
  recipient = await identityToRecipient(id);
  await writeFile(keyFile, `${id}\n`);
});

async function encryptedSecret(ns: string, password: string): Promise<string> {
  const plain = join(tmp, `${ns}.yaml`);
  await writeFile(plain, stringify({
    apiVersion: 'v1', kind: 'Secret', metadata: { name: 'app', namespace: ns }, type: 'Opaque',
    data: { 'tls.key': b64(PLANTED) }, stringData: { password },
  }));
  return sops(bin as string, ['--encrypt', '--age', recipient, '--encrypted-regex', '^(data|stringData)$', plain]);
}

async function cli(args: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const code = await main(args, { out: (t) => { out += `${t}\n`; }, err: (t) => { out += `${t}\n`; }, cwd: process.cwd(), env: {} });
  return { code, out };
}

test('an encrypted Secret is applied decrypted, is then in sync, and a changed value is planned as hashes', async (t) => {
  if (typeof bin !== 'string') return t.skip(bin.skip);
  const sb = await sandbox({ clusters: 1, controllers: false });
  const ns = uniqueNamespace('sops');
  const dir = await writeFleet({ name: ns, clusters: ['us-east1'], files: { 'manifests/ns.yaml': [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }] } });
  await writeFile(join(dir, 'manifests', 'secret.yaml'), await encryptedSecret(ns, `${PLANTED}-1`));
  const flags = ['--kubeconfig', sb.kubeconfig, '--age-key-file', keyFile];

  const without = await cli(['apply', dir, '--kubeconfig', sb.kubeconfig]);
  assert.equal(without.code, 1);
  assert.match(without.out, /manifests\/secret\.yaml:\d+:\d+: error: this file is encrypted with SOPS/);
  assert.match(without.out, /nothing applied/);

  const applied = await cli(['apply', dir, ...flags]);
  assert.equal(applied.code, 0, applied.out);
  const c = sb.clusters[0]!;
  const http = new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
  try {
    const live = await http.request({ path: `/api/v1/namespaces/${ns}/secrets/app` });
    assert.equal(live.status, 200, live.text);
    assert.deepEqual(live.body.data, { 'tls.key': b64(PLANTED), password: b64(`${PLANTED}-1`) });
  } finally {
    http.close();
  }

  const again = await cli(['plan', dir, ...flags]);
  assert.equal(again.code, 0, again.out);
  assert.match(again.out, /no changes/);
  const status = await cli(['status', dir, ...flags, '--output', 'json']);
  assert.equal(JSON.parse(status.out).clusters[0].drift.length, 0, status.out);

  await writeFile(join(dir, 'manifests', 'secret.yaml'), await encryptedSecret(ns, `${PLANTED}-2`));
  const changed = await cli(['plan', dir, ...flags]);
  assert.equal(changed.code, 2, changed.out);
  assert.ok(changed.out.includes(`data.password: "${valueHash(b64(`${PLANTED}-1`))}"`) && changed.out.includes(`data.password: "${valueHash(b64(`${PLANTED}-2`))}"`), changed.out);
  const json = await cli(['plan', dir, ...flags, '--output', 'json']);
  for (const out of [without.out, applied.out, again.out, status.out, changed.out, json.out]) {
    assert.ok(!out.includes(PLANTED) && !out.includes(b64(PLANTED)) && !out.includes(b64(`${PLANTED}-2`)), out);
  }
});

/** Every blob, commit message and note reachable from every ref of a bare repo (what gitfed pushed). */
function everythingIn(url: string): string {
  const dir = join(tmp, `mirror-${Math.random().toString(36).slice(2)}`);
  execFileSync('git', ['clone', '-q', '--mirror', url, dir]);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', maxBuffer: 64 << 20 });
  const objects = git('cat-file', '--batch-all-objects', '--batch-check').trim().split('\n').map((l) => l.split(' '));
  return objects.map(([oid, type]) => (type === 'blob' || type === 'commit' ? git('cat-file', '-p', oid!) : '')).join('\n') + git('for-each-ref');
}

test('the operator on a real git server: the Secret is applied, drift and a plan are written, and the planted value is in no status commit, note, plan or log line', async (t) => {
  if (typeof bin !== 'string') return t.skip(bin.skip);
  const sb = await sandbox({ clusters: 1, controllers: false });
  const ns = uniqueNamespace('sopsop');
  const src = await writeFleet({ name: ns, clusters: ['us-east1'], files: {
    'manifests/ns.yaml': [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }],
    'policies/drift.yaml': [{ apiVersion: 'gitfed.io/v1alpha1', kind: 'DriftPolicy', metadata: { name: 'report' }, spec: { mode: 'report' } }],
  } });
  await writeFile(join(src, 'manifests', 'secret.yaml'), await encryptedSecret(ns, `${PLANTED}-1`));
  const url = await sb.git.createRepo(`sops-${ns}`);
  const env = { ...process.env, GIT_AUTHOR_NAME: 'dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: src, encoding: 'utf8', env });
  git('init', '-q', '-b', 'main');
  git('add', '.');
  git('commit', '-q', '-m', 'fleet with an encrypted Secret');
  git('push', '-q', url, 'main');
  const logs: string[] = [];
  const op = spawn(process.execPath, ['bin/gitfed.js', 'run', '--repo', url, '--kubeconfig', sb.kubeconfig, '--age-key-file', keyFile, '--interval', '1s', '--work-dir', join(tmp, `op-${ns}`), '--log-format', 'json', '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  op.stdout.on('data', (d) => logs.push(String(d)));
  op.stderr.on('data', (d) => logs.push(String(d)));
  const exited = new Promise((resolve) => op.on('exit', resolve));
  const statusFile = (file: string): string | undefined => {
    try { return execFileSync('git', ['--git-dir', join(src, '.git'), 'fetch', '-q', url, 'gitfed/status'], { env }) && execFileSync('git', ['--git-dir', join(src, '.git'), 'show', `FETCH_HEAD:${file}`], { encoding: 'utf8' }); } catch { return undefined; }
  };
  const c = sb.clusters[0]!;
  const http = new KubeHttp({ server: c.server, ca: c.ca, token: c.adminToken });
  try {
    await waitUntil('the Secret applied', 60_000, async () => (await http.request({ path: `/api/v1/namespaces/${ns}/secrets/app` })).body?.data?.['tls.key'] === b64(PLANTED) || undefined, 200);
    // Someone changes the Secret by hand: drift, reported (not healed) in the status commit.
    const patched = await http.request({ method: 'PATCH', path: `/api/v1/namespaces/${ns}/secrets/app?fieldManager=kubectl-edit`, contentType: 'application/merge-patch+json', body: { data: { 'tls.key': b64(`${PLANTED}-by-hand`) } } });
    assert.equal(patched.status, 200, patched.text);
    await waitUntil('the drift in the status branch', 60_000, async () => (statusFile('drift.yaml') ?? '').includes('kubectl-edit') || undefined, 500);
  } finally {
    http.close();
    op.kill('SIGTERM');
    await exited;
  }
  // A pull request that changes the value: its plan goes to gitfed/plans/<branch>.
  git('checkout', '-q', '-b', 'rotate');
  await writeFile(join(src, 'manifests', 'secret.yaml'), await encryptedSecret(ns, `${PLANTED}-2`));
  git('commit', '-q', '-am', 'rotate the password');
  git('push', '-q', url, 'rotate');
  const plan = await cli(['plan', '--repo', url, '--branch', 'rotate', '--kubeconfig', sb.kubeconfig, '--age-key-file', keyFile, '--work-dir', join(tmp, `plan-${ns}`), '--commit']);
  assert.equal(plan.code, 2, plan.out);

  const written = everythingIn(url);
  assert.match(written, /tls\.key[\s\S]*sha256:[0-9a-f]{12}/, 'the drift of the Secret is in the status, as hashes');
  assert.match(written, /Gitfed-Plan-For/, 'the plan commit is there');
  for (const [name, text] of [['what gitfed pushed (status branch, notes, plan branch)', written], ['its logs', logs.join('')], ['plan output', plan.out]] as const) {
    for (const v of [PLANTED, b64(PLANTED), b64(`${PLANTED}-by-hand`), b64(`${PLANTED}-1`), b64(`${PLANTED}-2`)]) {
      // The fleet's own encrypted file is in the repo too; only ciphertext of it, never these plain or base64 values.
      assert.ok(!text.includes(v), `${name} holds a Secret value (${v.slice(0, 6)}...)`);
    }
  }
});
