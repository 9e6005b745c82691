// SOPS-encrypted Secrets made by the real sops CLI (built once from the Go
// module proxy, see test/helpers/sops-cli.ts) are opened by gitfed's own
// SOPS code: YAML and JSON, encrypted_regex and unencrypted_suffix,
// tampering (no revision applied), another recipient, no key.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { hasErrors, type Finding, type LoadResult } from '../../operator/core/model.js';
import { loadFleet, type FleetFile } from '../../operator/load/index.js';
import { ensureSops, sops } from '../helpers/sops-cli.js';

const PLANTED = 'planted-Secret-value-7f3a9c';
const SECRET = `apiVersion: v1
kind: Secret
metadata:
  name: tls-secret
  namespace: default
type: Opaque
data:
  tls.key: ${Buffer.from(PLANTED).toString('base64')}
stringData:
  password: ${PLANTED}
  port: 5432
  ratio: 1.5
  enabled: true
  note_unencrypted: left in the clear
`;

let bin = '';
let skip: string | undefined;
const dir = await mkdtemp(join(tmpdir(), 'gitfed-sops-'));
const keys = { a: '', b: '', recipientA: '', recipientB: '' };
after(() => rm(dir, { recursive: true, force: true }));

before(async () => {
  const started = Date.now();
  const built = await ensureSops((l) => console.log(l));
  if (typeof built !== 'string') { skip = built.skip; return; }
  bin = built;
  console.log(`sops ready in ${Math.round((Date.now() - started) / 1000)} s`);
  keys.a = await generateX25519Identity();
  keys.b = await generateX25519Identity();
  keys.recipientA = await identityToRecipient(keys.a);
  keys.recipientB = await identityToRecipient(keys.b);
  await writeFile(join(dir, 'a.txt'), `# created: test\n# public key: ${keys.recipientA}\n${keys.a}\n`);
});

/** Encrypts `plain` (named like `name`, which picks sops's format) with the sops CLI. */
async function encrypt(name: string, plain: string, args: string[]): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, plain);
  return sops(bin, ['--encrypt', ...args, file]);
}

const file = (path: string, text: string): FleetFile => ({ path, content: new TextEncoder().encode(text) });
const errors = (r: LoadResult): Finding[] => r.findings.filter((f) => f.severity === 'error');
const secretOf = (r: LoadResult) => r.fleet.manifests.find((m) => m.object.kind === 'Secret')?.object as Record<string, any> | undefined;
const withKeyFile = { age: { keyFile: join(dir, 'a.txt'), env: {} } };

function assertOpened(r: LoadResult): void {
  assert.deepEqual(errors(r), []);
  const s = secretOf(r)!;
  assert.equal(s.metadata.name, 'tls-secret');
  assert.equal(s.data['tls.key'], Buffer.from(PLANTED).toString('base64'));
  assert.deepEqual(s.stringData, { password: PLANTED, port: 5432, ratio: 1.5, enabled: true, note_unencrypted: 'left in the clear' });
  assert.equal('sops' in s, false, 'the sops: block is not part of the object');
}

test('sops: a YAML Secret encrypted by sops (every value) loads decrypted with --age-key-file', async (t) => {
  if (skip) return t.skip(skip);
  const enc = await encrypt('s.yaml', SECRET, ['--age', keys.recipientA]);
  assert.doesNotMatch(enc, new RegExp(PLANTED));
  assert.match(enc, /note_unencrypted: left in the clear/, 'sops leaves _unencrypted keys in the clear (its default)');
  assertOpened(await loadFleet([file('manifests/s.yaml', enc)], withKeyFile));
});

test('sops: a JSON Secret loads decrypted; the key can come from SOPS_AGE_KEY_FILE or SOPS_AGE_KEY', async (t) => {
  if (skip) return t.skip(skip);
  const json = JSON.stringify((await import('yaml')).parse(SECRET), null, 2);
  const enc = await encrypt('s.json', json, ['--age', keys.recipientA]);
  assertOpened(await loadFleet([file('manifests/s.json', enc)], { age: { env: { SOPS_AGE_KEY_FILE: join(dir, 'a.txt') } } }));
  assertOpened(await loadFleet([file('manifests/s.json', enc)], { age: { env: { SOPS_AGE_KEY: keys.a } } }));
});

test('sops: encrypted_regex leaves the rest in the clear and still loads; a file for two recipients opens with either key', async (t) => {
  if (skip) return t.skip(skip);
  const enc = await encrypt('r.yaml', SECRET, ['--age', `${keys.recipientB},${keys.recipientA}`, '--encrypted-regex', '^(data|stringData)$']);
  assert.match(enc, /name: tls-secret/);
  assert.match(enc, /encrypted_regex: \^\(data\|stringData\)\$/);
  assertOpened(await loadFleet([file('manifests/r.yaml', enc)], withKeyFile));
  assertOpened(await loadFleet([file('manifests/r.yaml', enc)], { age: { env: { SOPS_AGE_KEY: keys.b } } }));
});

test('sops: unencrypted_suffix and mac_only_encrypted variants load; a multi-document file too', async (t) => {
  if (skip) return t.skip(skip);
  const suffixed = SECRET.replace('note_unencrypted', 'note_plain');
  const enc = await encrypt('u.yaml', suffixed, ['--age', keys.recipientA, '--unencrypted-suffix', '_plain', '--mac-only-encrypted']);
  assert.match(enc, /note_plain: left in the clear/);
  assert.match(enc, /mac_only_encrypted: true/);
  const r = await loadFleet([file('manifests/u.yaml', enc)], withKeyFile);
  assert.deepEqual(errors(r), []);
  assert.equal(secretOf(r)!.stringData.note_plain, 'left in the clear');
  // Comments (sops encrypts them too; they are not in the MAC), lists (their
  // items share the list's path as additional data), numbers inside lists.
  const three = `# the TLS key\n${SECRET}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm, namespace: default }\ndata: { k: v }\n`
    + '---\napiVersion: v1\nkind: Service\nmetadata: { name: web, namespace: default }\nspec:\n  type: NodePort\n  ports:\n    - { name: http, port: 80, nodePort: 30080 } # pinned\n    - { name: https, port: 443 }\n';
  const multi = await loadFleet([file('manifests/m.yaml', await encrypt('m.yaml', three, ['--age', keys.recipientA]))], withKeyFile);
  assert.deepEqual(errors(multi), []);
  assert.deepEqual(multi.fleet.manifests.map((m) => m.object.kind).sort(), ['ConfigMap', 'Secret', 'Service']);
  const svc = multi.fleet.manifests.find((m) => m.object.kind === 'Service')!.object as Record<string, any>;
  assert.deepEqual(svc.spec.ports, [{ name: 'http', port: 80, nodePort: 30080 }, { name: 'https', port: 443 }]);
});

test('sops: a tampered value is an error at the file (integrity or MAC), and nothing of that file loads', async (t) => {
  if (skip) return t.skip(skip);
  const enc = await encrypt('t.yaml', SECRET, ['--age', keys.recipientA, '--encrypted-regex', '^(data|stringData)$']);
  // A value left in the clear changed: only the MAC can tell.
  const clear = await loadFleet([file('manifests/t.yaml', enc.replace('name: tls-secret', 'name: other-secret'))], withKeyFile);
  const mac = errors(clear);
  assert.equal(mac.length, 1, JSON.stringify(mac));
  assert.equal(mac[0]!.code, 'SopsMacMismatch');
  assert.equal(mac[0]!.place?.file, 'manifests/t.yaml');
  assert.equal(mac[0]!.place?.line, enc.split('\n').findIndex((l) => /^ {4}mac: ENC/.test(l)) + 1, 'at the line of sops.mac');
  assert.equal(clear.fleet.manifests.length, 0);
  // An encrypted value changed: AES-GCM's tag fails, at that value's line.
  const line = enc.split('\n').findIndex((l) => l.includes('password: ENC['));
  const lines = enc.split('\n');
  lines[line] = lines[line]!.replace(/data:([A-Za-z0-9+/])/, (_m, c: string) => `data:${c === 'A' ? 'B' : 'A'}`);
  const bad = await loadFleet([file('manifests/t.yaml', lines.join('\n'))], withKeyFile);
  assert.deepEqual(errors(bad).map((f) => [f.code, f.place?.line]), [['SopsIntegrity', line + 1]]);
  assert.match(errors(bad)[0]!.message, /stringData\.password fails its integrity check/);
  // A value moved to another key: its additional data (the path) no longer matches.
  const moved = await loadFleet([file('manifests/t.yaml', enc.replace(/ {4}password: (ENC\[[^\n]+)\n/, '    password2: $1\n'))], withKeyFile);
  assert.equal(errors(moved)[0]?.code, 'SopsIntegrity');
  for (const r of [clear, bad, moved]) assert.doesNotMatch(JSON.stringify(r), new RegExp(PLANTED));
});

test('sops: a file for another recipient names its recipients and the key\'s; no key names the three ways to give one', async (t) => {
  if (skip) return t.skip(skip);
  const enc = await encrypt('o.yaml', SECRET, ['--age', keys.recipientB]);
  const other = errors(await loadFleet([file('manifests/o.yaml', enc)], withKeyFile));
  assert.equal(other.length, 1);
  assert.equal(other[0]!.code, 'SopsWrongKey');
  assert.equal(other[0]!.place?.line, enc.split('\n').indexOf('sops:') + 1);
  assert.ok(other[0]!.message.includes(keys.recipientB) && other[0]!.message.includes(keys.recipientA), other[0]!.message);
  const none = errors(await loadFleet([file('manifests/o.yaml', enc)], { age: { env: {} } }));
  assert.equal(none[0]!.code, 'SopsNoKey');
  for (const way of ['--age-key-file', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_KEY']) assert.ok(none[0]!.message.includes(way), way);
  const missing = errors(await loadFleet([file('manifests/o.yaml', enc)], { age: { keyFile: join(dir, 'nope.txt') } }));
  assert.match(missing[0]!.message, /cannot read the age key file .*nope\.txt \(--age-key-file\): ENOENT/);
  for (const f of [...other, ...none, ...missing]) assert.ok(!f.message.includes(keys.a) && !f.message.includes(keys.b), 'no key in a message');
  assert.ok(hasErrors(none));
});

test('sops: gitfed validate DIR --age-key-file opens the file; without the key it fails at file:line', async (t) => {
  if (skip) return t.skip(skip);
  const { main } = await import('../../operator/cli/main.js');
  const fleet = join(dir, 'fleet');
  await mkdir(join(fleet, 'manifests'), { recursive: true });
  await mkdir(join(fleet, 'clusters'), { recursive: true });
  await writeFile(join(fleet, 'clusters', 'c.yaml'), 'apiVersion: gitfed.io/v1alpha1\nkind: Cluster\nmetadata: { name: c1 }\nspec: { provider: other }\n');
  await writeFile(join(fleet, 'manifests', 'secret.yaml'), await encrypt('v.yaml', SECRET, ['--age', keys.recipientA]));
  const io = { stdout: '', stderr: '', cwd: dir, env: {} as NodeJS.ProcessEnv, out: (s: string) => { io.stdout += `${s}\n`; }, err: (s: string) => { io.stderr += `${s}\n`; } };
  assert.equal(await main(['validate', fleet, '--age-key-file', 'a.txt'], io), 0, io.stderr);
  assert.match(io.stderr, /fleet is valid/);
  assert.doesNotMatch(io.stdout + io.stderr, /plain text/);
  // A Secret in plain text next to it: a warning at its data line, with the command that encrypts it for this key.
  await writeFile(join(fleet, 'manifests', 'plain.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata: { name: plain, namespace: default }\ndata:\n  k: dg==\n');
  io.stdout = '';
  assert.equal(await main(['validate', fleet, '--age-key-file', 'a.txt'], io), 0, io.stderr);
  assert.ok(io.stdout.includes(`manifests/plain.yaml:4:1: warning: Secret default/plain is in plain text in Git`), io.stdout);
  assert.ok(io.stdout.includes(`sops --encrypt --age ${keys.recipientA} --encrypted-regex '^(data|stringData)$' --in-place manifests/plain.yaml`), io.stdout);
  await rm(join(fleet, 'manifests', 'plain.yaml'));
  io.stderr = '';
  assert.equal(await main(['validate', fleet], io), 1);
  assert.match(io.stderr, /manifests\/secret\.yaml:\d+:\d+: error: this file is encrypted with SOPS for the age recipient/);
  assert.doesNotMatch(io.stdout + io.stderr, new RegExp(`${PLANTED}|${keys.a}`));
  assert.equal(await readFile(join(fleet, 'manifests', 'secret.yaml'), 'utf8').then((s) => s.includes('ENC[')), true, 'the file is left encrypted');
});

test('sops: the operator applies a revision with an encrypted Secret, refuses a tampered one, and writes neither the value nor the key', async (t) => {
  if (skip) return t.skip(skip);
  const { Operator } = await import('../../operator/loop/operator.js');
  const { createLogger } = await import('../../operator/loop/logger.js');
  const { Metrics } = await import('../../operator/loop/metrics.js');
  const enc = await encrypt('op.yaml', SECRET, ['--age', keys.recipientA, '--encrypted-regex', '^(data|stringData)$']);
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  const cluster = file('clusters/c.yaml', 'apiVersion: gitfed.io/v1alpha1\nkind: Cluster\nmetadata: { name: c1 }\nspec: { provider: other }\n');
  let current = { head: 'a'.repeat(40), files: [cluster, file('manifests/s.yaml', enc)] };
  const written: string[] = [];
  const op = new Operator({
    source: { describe: 'fake', branch: 'main', head: async () => current.head, files: async () => ({ files: current.files, findings: [] }) },
    sink: {
      read: async () => undefined,
      write: async (files, message) => { written.push(message, ...files.values()); return { committed: true }; },
      note: async (_r, text) => { written.push(text); },
    },
    kubeconfig, prune: false, metrics: new Metrics(), age: { keyFile: join(dir, 'a.txt'), env: {} },
    log: createLogger({ format: 'json', level: 'debug', write: (l: string) => { written.push(l); } }),
  });
  const good = await op.tick('test');
  assert.equal(good.applied, true, good.error ?? good.notApplied);
  current = { head: 'b'.repeat(40), files: [cluster, file('manifests/s.yaml', enc.replace('name: tls-secret', 'name: other-secret'))] };
  const tampered = await op.tick('test');
  op.close();
  assert.equal(tampered.applied, false);
  assert.match(tampered.notApplied ?? '', /^manifests\/s\.yaml:\d+:\d+: error: MAC mismatch/);
  const all = written.join('\n');
  assert.ok(all.length > 0);
  assert.ok(!all.includes(PLANTED) && !all.includes(Buffer.from(PLANTED).toString('base64')), 'no Secret value in status, notes or logs');
  assert.ok(!all.includes(keys.a), 'no key in status, notes or logs');
});

test('sops: a revision refused for a missing key is loaded again once the key is there (same commit, no push needed)', async (t) => {
  if (skip) return t.skip(skip);
  const { Operator } = await import('../../operator/loop/operator.js');
  const { createLogger } = await import('../../operator/loop/logger.js');
  const { Metrics } = await import('../../operator/loop/metrics.js');
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  const files = [
    file('clusters/c.yaml', 'apiVersion: gitfed.io/v1alpha1\nkind: Cluster\nmetadata: { name: c1 }\nspec: { provider: other }\n'),
    file('manifests/s.yaml', await encrypt('late.yaml', SECRET, ['--age', keys.recipientA])),
  ];
  const keyFile = join(dir, 'late-key.txt');
  const op = new Operator({
    source: { describe: 'fake', branch: 'main', head: async () => 'c'.repeat(40), files: async () => ({ files, findings: [] }) },
    sink: { read: async () => undefined, write: async () => ({ committed: true }) },
    kubeconfig, prune: false, metrics: new Metrics(), age: { keyFile, env: {} },
    log: createLogger({ format: 'json', level: 'error', write: () => undefined }),
  });
  const before = await op.tick('test');
  assert.equal(before.applied, false);
  assert.match(before.notApplied ?? '', /cannot read the age key file .*late-key\.txt \(--age-key-file\): ENOENT/);
  await writeFile(keyFile, `${keys.a}\n`);
  const after = await op.tick('test');
  op.close();
  assert.equal(after.applied, true, after.notApplied ?? after.error);
});
