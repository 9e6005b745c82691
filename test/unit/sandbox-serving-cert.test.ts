// The sandbox's own serving certificates: a TLS client that trusts the
// cluster's CA accepts the leaf for 127.0.0.1 (and the apiserver's in-cluster
// names); one that trusts another cluster's CA refuses it.
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { connect, createServer } from 'node:tls';
import { caFromServingChain } from '../../operator/sandbox/identities.js';
import { servingCert } from '../../operator/sandbox/serving-cert.js';

async function handshake(chain: string, key: string, ca: string, servername?: string): Promise<string> {
  const server = createServer({ cert: chain, key }, (s) => s.end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const port = (server.address() as AddressInfo).port;
    return await new Promise<string>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, ca, ...(servername ? { servername } : {}) }, () => { s.setEncoding('utf8'); let got = ''; s.on('data', (d: string) => { got += d; }); s.on('end', () => resolve(got)); });
      s.on('error', reject);
    });
  } finally {
    server.close();
  }
}

test('a client that trusts the cluster CA talks TLS to its apiserver at 127.0.0.1 and by its in-cluster name', async () => {
  const c = servingCert('us-east1');
  assert.equal(caFromServingChain(c.chain), c.ca, 'the CA is the second certificate of apiserver.crt');
  assert.equal(await handshake(c.chain, c.key, c.ca), 'ok');
  assert.equal(await handshake(c.chain, c.key, c.ca, 'kubernetes.default.svc'), 'ok');
  const leaf = new X509Certificate(c.chain);
  assert.equal(leaf.publicKey.asymmetricKeyType, 'ec');
  assert.ok(leaf.checkIP('10.96.0.1'));
  assert.ok(!leaf.ca);
  assert.ok(new X509Certificate(c.ca).ca);
});

test("another cluster's CA does not vouch for this apiserver", async () => {
  const a = servingCert('us-east1');
  const b = servingCert('europe-west1');
  await assert.rejects(handshake(a.chain, a.key, b.ca), /self[- ]signed|unable to verify|certificate/i);
});

test('certificates run for a year from an hour ago, with dates after 2049 written as GeneralizedTime', () => {
  const now = new Date('2026-12-01T12:00:00Z');
  const leaf = new X509Certificate(servingCert('c', now).chain);
  assert.equal(new Date(leaf.validFrom).toISOString(), '2026-12-01T11:00:00.000Z');
  assert.equal(new Date(leaf.validTo).toISOString(), '2027-12-01T12:00:00.000Z');
  const late = new X509Certificate(servingCert('c', new Date('2049-06-01T00:00:00Z')).chain);
  assert.equal(new Date(late.validTo).toISOString(), '2050-06-01T00:00:00.000Z');
});

test('serial numbers are positive and minimally encoded, which Go requires of every certificate', () => {
  for (let i = 0; i < 300; i++) {
    for (const pem of [servingCert('c').chain, servingCert('c').ca]) {
      const serial = new X509Certificate(pem).serialNumber;
      assert.match(serial, /^[4-7][0-9A-F]{31}$/i, `serial ${serial}`);
    }
  }
});
