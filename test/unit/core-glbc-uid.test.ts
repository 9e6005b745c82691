// One GLBC uid across clusters, unique provider-uids, and the safety block.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocateGlbcUid } from '../../operator/core/glbc-uid.js';
import { deterministicGlbcUid, federationProviderUid } from '../../operator/core/hashes.js';
import { emptyAllocations } from '../../operator/core/model.js';
import { cluster, observed } from '../helpers/fleet-builder.js';

const clusters = [cluster('a'), cluster('b'), cluster('c')];
const ing = { namespace: 'web', name: 'shop' };

test('glbc uid: nothing anywhere -> a deterministic uid from the fleet name, Federation v1 provider-uids', () => {
  const r = allocateGlbcUid(clusters, {}, emptyAllocations(), 'prod');
  assert.equal(r.uid, deterministicGlbcUid('prod'));
  assert.match(r.uid, /^[0-9a-f]{16}$/);
  assert.deepEqual(r.providerUids, { a: federationProviderUid('a'), b: federationProviderUid('b'), c: federationProviderUid('c') });
  for (const c of ['a', 'b', 'c']) assert.deepEqual(r.configMaps[c]!.data, { uid: r.uid, 'provider-uid': federationProviderUid(c) });
  assert.equal(new Set(Object.values(r.providerUids)).size, 3);
});

test('glbc uid: the uid most clusters already have wins; their provider-uids are kept', () => {
  const obs = {
    a: observed({ ingressUid: { uid: 'aaaa', providerUid: 'p-a' } }),
    b: observed({ ingressUid: { uid: 'bbbb', providerUid: 'p-b' } }),
    c: observed({ ingressUid: { uid: 'bbbb', providerUid: 'p-c' } }),
  };
  const r = allocateGlbcUid(clusters, obs, emptyAllocations(), 'prod');
  assert.equal(r.uid, 'bbbb');
  assert.deepEqual(r.providerUids, { a: 'p-a', b: 'p-b', c: 'p-c' });
  assert.equal(r.configMaps.a!.data && (r.configMaps.a!.data as Record<string, string>).uid, 'bbbb', 'a has no Ingresses, so its uid changes');
  assert.ok(r.findings.some((f) => f.code === 'GlbcUidChanges' && f.cluster === 'a'));
});

test('glbc uid: the previous allocation is kept even when clusters disagree', () => {
  const obs = { a: observed({ ingressUid: { uid: 'zzzz' } }), b: observed({ ingressUid: { uid: 'zzzz' } }) };
  const r = allocateGlbcUid(clusters, obs, { ...emptyAllocations(), glbc: { uid: 'keep', providerUids: { c: 'pc' } } }, 'prod');
  assert.equal(r.uid, 'keep');
  assert.equal(r.providerUids.c, 'pc');
});

test('glbc uid: a cluster with a different uid AND Ingresses is left alone and blocked, with the way out', () => {
  const obs = {
    a: observed({ ingressUid: { uid: 'shared' } }),
    b: observed({ ingressUid: { uid: 'shared' } }),
    c: observed({ ingressUid: { uid: 'other1' }, ingresses: [ing] }),
  };
  const r = allocateGlbcUid(clusters, obs, emptyAllocations(), 'prod');
  assert.equal(r.uid, 'shared');
  assert.equal(r.configMaps.c, undefined, 'no ConfigMap: its uid must not change');
  assert.equal(r.blocked.c?.code, 'GlbcUidMismatch');
  assert.match(r.blocked.c!.message, /orphan their load balancers \(about 10 minutes of outage/);
  assert.match(r.blocked.c!.message, /web\/shop/);
  assert.ok(r.configMaps.a && r.configMaps.b);
});

test('glbc uid: Ingresses of another class do not block', () => {
  const obs = { c: observed({ ingressUid: { uid: 'other1' }, ingresses: [{ ...ing, ingressClass: 'nginx' }] }) };
  const r = allocateGlbcUid(clusters, { ...obs, a: observed({ ingressUid: { uid: 's' } }), b: observed({ ingressUid: { uid: 's' } }) }, emptyAllocations(), 'prod');
  assert.equal(r.blocked.c, undefined);
});

test('glbc uid: without the ConfigMap, the uid in an existing forwarding-rule annotation counts', () => {
  const obs = {
    a: observed({ ingressUid: { uid: 'shared' } }),
    b: observed({ ingressUid: { uid: 'shared' } }),
    c: observed({ ingresses: [{ ...ing, annotations: { 'ingress.kubernetes.io/forwarding-rule': 'k8s-fw-web-shop--0123abcd' } }] }),
  };
  const r = allocateGlbcUid(clusters, obs, emptyAllocations(), 'prod');
  assert.match(r.blocked.c?.message ?? '', /uses GLBC uid 0123abcd/);
});

test('glbc uid: a provider-uid two clusters share is replaced for the second', () => {
  const obs = { a: observed({ ingressUid: { uid: 'u', providerUid: 'same' } }), b: observed({ ingressUid: { uid: 'u', providerUid: 'same' } }) };
  const r = allocateGlbcUid(clusters, obs, emptyAllocations(), 'prod');
  assert.equal(r.providerUids.a, 'same');
  assert.equal(r.providerUids.b, federationProviderUid('b'));
  assert.ok(r.findings.some((f) => f.code === 'ProviderUidDuplicate' && f.cluster === 'b'));
});
