// What lets the operator's watch caches hold its own writes before their
// events arrive (read-your-writes): resource versions compared as
// Kubernetes defines them, and "would this collection list that object?".
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../operator/core/model.js';
import { compareResourceVersions, pathSelects } from '../../operator/cluster/watch-cache.js';

test('resource versions compare as numbers of any length; anything else is not ordered', () => {
  const table: Array<[unknown, unknown, number | undefined]> = [
    ['9', '10', -1], ['10', '9', 1], ['123', '123', 0], ['99999999999999999999', '100000000000000000000', -1],
    ['200', '199', 1], ['0', '1', -1],
    ['', '1', undefined], ['01', '1', undefined], ['abc', '1', undefined], [undefined, '1', undefined], [12, '1', undefined], ['1', '-1', undefined],
  ];
  for (const [a, b, want] of table) {
    const got = compareResourceVersions(a, b);
    assert.equal(got === undefined ? undefined : Math.sign(got), want, `${String(a)} vs ${String(b)}`);
  }
});

test('a written object goes only into collections that would list it', () => {
  const o = (ns: string, labels: Record<string, string>, name = 'web'): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, labels } });
  const owned = `/api/v1/services?labelSelector=${encodeURIComponent('app.kubernetes.io/managed-by=gitfed,gitfed.io/fleet=prod')}`;
  const mine = o('shop', { 'app.kubernetes.io/managed-by': 'gitfed', 'gitfed.io/fleet': 'prod' });
  const table: Array<[string, KubeObject, boolean]> = [
    ['/api/v1/services', mine, true],
    [owned, mine, true],
    [owned, o('shop', { 'app.kubernetes.io/managed-by': 'gitfed', 'gitfed.io/fleet': 'staging' }), false],
    [owned, o('shop', {}), false],
    ['/api/v1/namespaces/shop/services', mine, true],
    ['/api/v1/namespaces/other/services', mine, false],
    [`/api/v1/namespaces/shop/services?fieldSelector=${encodeURIComponent('metadata.name=web')}`, mine, true],
    [`/api/v1/namespaces/shop/services?fieldSelector=${encodeURIComponent('metadata.name=api')}`, mine, false],
    [`/api/v1/services?labelSelector=${encodeURIComponent('tier!=db')}`, o('shop', { tier: 'web' }), true],
    [`/api/v1/services?labelSelector=${encodeURIComponent('tier!=db')}`, o('shop', { tier: 'db' }), false],
    // What is not understood is never assumed to match.
    [`/api/v1/pods?fieldSelector=${encodeURIComponent('status.phase=Pending')}`, mine, false],
    [`/api/v1/services?labelSelector=${encodeURIComponent('tier in (web)')}`, o('shop', { tier: 'web' }), false],
    ['/api/v1/services?limit=500', mine, false],
  ];
  for (const [path, obj, want] of table) assert.equal(pathSelects(path, obj), want, `${decodeURIComponent(path)} ${JSON.stringify(obj.metadata)}`);
});
