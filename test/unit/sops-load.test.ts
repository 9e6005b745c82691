// The small pure parts of gitfed's SOPS support, without the sops CLI (the
// files sops writes are tested in test/integration/sops.test.ts).
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { readAgeIdentities } from '../../operator/load/age-keys.js';
import { loadFleetFiles } from '../../operator/load/index.js';
import { plainSecretWarnings, sopsEncryptCommand } from '../../operator/load/plain-secrets.js';
import { goFloat } from '../../operator/load/sops.js';
import { rfc3339, shouldBeEncrypted } from '../../operator/load/sops-meta.js';

const dir = await mkdtemp(join(tmpdir(), 'gitfed-sops-unit-'));
after(() => rm(dir, { recursive: true, force: true }));
const enc = (text: string) => new TextEncoder().encode(text);

test('goFloat writes floats as Go\'s FormatFloat(f, \'f\', -1) does (the MAC hashes that text)', () => {
  assert.equal(goFloat(1.5), '1.5');
  assert.equal(goFloat(1e21), '1000000000000000000000');
  assert.equal(goFloat(1.25e22), '12500000000000000000000');
  assert.equal(goFloat(1e-7), '0.0000001');
  assert.equal(goFloat(-2.5e-8), '-0.000000025');
  assert.equal(goFloat(3), '3');
});

test('rfc3339 gives lastmodified as Go formats it again (fraction dropped, +00:00 as Z)', () => {
  assert.equal(rfc3339('2026-11-30T06:53:55Z'), '2026-11-30T06:53:55Z');
  assert.equal(rfc3339('2026-11-30T06:53:55.123Z'), '2026-11-30T06:53:55Z');
  assert.equal(rfc3339('2026-11-30T06:53:55+00:00'), '2026-11-30T06:53:55Z');
  assert.equal(rfc3339('2026-11-30T06:53:55+02:00'), '2026-11-30T06:53:55+02:00');
});

test('shouldBeEncrypted follows sops: any key on the path decides', () => {
  assert.equal(shouldBeEncrypted({ kind: 'unencrypted_suffix', suffix: '_unencrypted' }, ['a_unencrypted', 'b']), false);
  assert.equal(shouldBeEncrypted({ kind: 'unencrypted_suffix', suffix: '_unencrypted' }, ['data', 'b']), true);
  assert.equal(shouldBeEncrypted({ kind: 'encrypted_regex', regex: /^(data|stringData)$/ }, ['metadata', 'name']), false);
  assert.equal(shouldBeEncrypted({ kind: 'encrypted_regex', regex: /^(data|stringData)$/ }, ['data', 'tls.key']), true);
  assert.equal(shouldBeEncrypted({ kind: 'unencrypted_regex', regex: /^meta/ }, ['metadata', 'name']), false);
  assert.equal(shouldBeEncrypted({ kind: 'encrypted_suffix', suffix: '_secret' }, ['x_secret']), true);
});

test('the synchronous loader refuses an encrypted file with an error that says how to give a key', () => {
  const r = loadFleetFiles([{ path: 'manifests/s.yaml', content: enc('apiVersion: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n  mac: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n  lastmodified: "2026-01-01T00:00:00Z"\n') }]);
  assert.equal(r.fleet.manifests.length, 0);
  assert.equal(r.findings.length, 1);
  assert.equal(r.findings[0]!.code, 'SopsNoKey');
  assert.equal(r.findings[0]!.place?.line, 2);
  assert.match(r.findings[0]!.message, /--age-key-file FILE, or the environment variable SOPS_AGE_KEY_FILE=FILE, or SOPS_AGE_KEY=/);
});

test('age keys: comments skipped, a bad line is named by number only (never quoted), a file with no key is an error', async () => {
  const id = await generateX25519Identity();
  await writeFile(join(dir, 'ok.txt'), `# created: now\n# public key: x\n\n${id}\n`);
  const ok = await readAgeIdentities({ keyFile: join(dir, 'ok.txt') });
  assert.deepEqual(ok, { identities: [id], recipients: [await identityToRecipient(id)] });
  const typo = `${id.slice(0, -3)}x!y`;
  await writeFile(join(dir, 'bad.txt'), `# c\n${typo}\n`);
  const bad = await readAgeIdentities({ keyFile: join(dir, 'bad.txt') });
  assert.ok('error' in bad);
  assert.match(bad.error, /line 2 of the age key file .*bad\.txt \(--age-key-file\) is not an age identity/);
  assert.ok(!bad.error.includes(typo.slice(20)));
  const none = await readAgeIdentities({ env: { SOPS_AGE_KEY: '# nothing\n' } });
  assert.deepEqual(none, { error: 'SOPS_AGE_KEY holds no age identity (a line AGE-SECRET-KEY-1...)' });
  const fromEnv = await readAgeIdentities({ env: { SOPS_AGE_KEY: id } });
  assert.ok('identities' in fromEnv && fromEnv.identities[0] === id);
});

test('validate: a plain-text Secret warns at its data line with the sops command; an encrypted one does not', () => {
  const text = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: tls\n  namespace: web\ntype: Opaque\ndata:\n  k: dg==\n';
  const r = loadFleetFiles([{ path: 'manifests/my secret.yaml', content: enc(text) }]);
  const w = plainSecretWarnings(r.fleet, 'age1abc');
  assert.equal(w.length, 1);
  assert.equal(w[0]!.severity, 'warning');
  assert.deepEqual([w[0]!.place?.file, w[0]!.place?.line], ['manifests/my secret.yaml', 7]);
  assert.ok(w[0]!.message.includes("sops --encrypt --age age1abc --encrypted-regex '^(data|stringData)$' --in-place 'manifests/my secret.yaml'"), w[0]!.message);
  assert.ok(!w[0]!.message.includes('dg=='), 'the value is not quoted');
  assert.match(plainSecretWarnings(r.fleet)[0]!.message, /age-keygen -y KEYFILE/);
  r.fleet.manifests[0]!.encrypted = true;
  assert.deepEqual(plainSecretWarnings(r.fleet), []);
  assert.equal(sopsEncryptCommand("it's.yaml", 'age1x'), "sops --encrypt --age age1x --encrypted-regex '^(data|stringData)$' --in-place 'it'\\''s.yaml'");
});

test('a sops: block gitfed cannot use is an error at its line, saying why (key groups, no age, two rules, comment regexes)', async () => {
  const { loadFleet } = await import('../../operator/load/index.js');
  const id = await generateX25519Identity();
  const head = 'apiVersion: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops:\n  mac: ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\n  lastmodified: "2026-01-01T00:00:00Z"\n';
  const age = '  age:\n    - recipient: age1abc\n      enc: x\n';
  const cases: Array<[string, RegExp, number]> = [
    [`${head}${age}  key_groups:\n    - age: []\n`, /key groups \(Shamir secret sharing\)/, 8],
    [`${head}  pgp:\n    - fp: ABC\n      enc: x\n`, /no age recipient \(it is encrypted with pgp\)/, 2],
    [`${head}${age}  encrypted_regex: ^data$\n  unencrypted_suffix: _plain\n`, /sets unencrypted_suffix and encrypted_regex; sops allows only one/, 8],
    [`${head}${age}  encrypted_comment_regex: sops:enc\n`, /does not open files encrypted with encrypted_comment_regex/, 8],
    ['apiVersion: v1\nsops:\n  lastmodified: "2026-01-01T00:00:00Z"\n', /has no mac/, 2],
  ];
  for (const [text, message, line] of cases) {
    const r = await loadFleet([{ path: 'manifests/s.yaml', content: enc(text) }], { age: { env: { SOPS_AGE_KEY: id } } });
    assert.equal(r.findings.length, 1, JSON.stringify(r.findings));
    assert.equal(r.findings[0]!.code, 'SopsBadMetadata');
    assert.match(r.findings[0]!.message, message);
    assert.equal(r.findings[0]!.place?.line, line, r.findings[0]!.message);
    assert.equal(r.fleet.manifests.length, 0);
  }
});
