// A Secret's stringData is folded into data before apply and diff, as the
// apiserver does (it never returns stringData): an applied Secret with
// stringData (common in SOPS files) is in sync, not drifted forever.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { liveDiff, toApply } from '../../operator/cluster/live-diff.js';
import type { KubeObject } from '../../operator/core/model.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const secret = (extra: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'web' }, type: 'Opaque', ...extra }) as unknown as KubeObject;

test('stringData is sent as data (stringData wins over data for the same key); the input is not changed', () => {
  const desired = secret({ data: { a: b64('from data'), b: b64('kept') }, stringData: { a: 'from stringData', c: 'ünïcode' } });
  const sent = toApply(desired) as unknown as Record<string, any>;
  assert.deepEqual(sent.data, { a: b64('from stringData'), b: b64('kept'), c: b64('ünïcode') });
  assert.equal(sent.stringData, undefined);
  assert.ok((desired as unknown as Record<string, any>).stringData, 'the rendered object keeps its stringData');
  const odd = toApply(secret({ stringData: { n: 5 } })) as unknown as Record<string, any>;
  assert.deepEqual(odd.stringData, { n: 5 }, 'a non-string is left for the server to refuse');
});

test('a Secret applied with stringData is in sync with what the server keeps, and a changed value is a diff', () => {
  const desired = secret({ stringData: { password: 'p1' } });
  assert.deepEqual(liveDiff(desired, secret({ data: { password: b64('p1') } })), []);
  assert.deepEqual(liveDiff(desired, secret({ data: { password: b64('p2') } })).map((d) => d.path), [['data', 'password']]);
});
