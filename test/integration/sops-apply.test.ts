// A SOPS-encrypted Secret (made by the real sops CLI) through the whole
// pipeline on a real apiserver: load -> render -> apply, then in sync (its
// stringData too), and a changed value planned as hashes only. One cluster,
// no controllers: only the apiserver matters here.
import assert from 'node:assert/strict';
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
import { sandbox, uniqueNamespace } from '../helpers/sandbox.js';
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
