// Taking a cluster out of a shared load balancer: the step planLeaving picks
// from what the clusters hold (uid, ready endpoints, GLBC's url-map annotation).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocateGlbcUid } from '../../operator/core/glbc-uid.js';
import { leavingGlbcUid } from '../../operator/core/hashes.js';
import { planLeaving, withLeaving } from '../../operator/core/leaving.js';
import { emptyAllocations, type ClusterRender, type KubeObject } from '../../operator/core/model.js';
import { keyOf, refOf } from '../../operator/core/object-keys.js';
import { cluster, observed } from '../helpers/fleet-builder.js';

const UID = 'aaaabbbbccccdddd';
const ingress = (name = 'shop', urlMapUid = UID): KubeObject => ({
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
  metadata: { name, namespace: 'web', annotations: { 'kubernetes.io/ingress.class': 'gce', 'ingress.kubernetes.io/url-map': `k8s-um-web-${name}--${urlMapUid}` } },
  spec: { defaultBackend: { service: { name, port: { number: 80 } } } },
});
const service = (name = 'shop'): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'web' }, spec: { type: 'NodePort' } });
const configMap = (uid = UID): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ingress-uid', namespace: 'kube-system' }, data: { uid, 'provider-uid': 'p' } });
const owned = (...objs: KubeObject[]) => new Map(objs.map((o) => [keyOf(refOf(o)), o]));
const render = (c: string, objects: KubeObject[]): ClusterRender => ({ cluster: c, objects, blocked: [] });

/** a and b keep web/shop; c (and maybe d) no longer render it but hold it live. */
function input(o: { uids?: Record<string, string>; ready?: Record<string, number>; cLive?: KubeObject[]; cRenders?: KubeObject[]; d?: boolean }) {
  const leavers = ['c', ...(o.d ? ['d'] : [])];
  const renders = new Map<string, ClusterRender>([
    ['a', render('a', [configMap(), service(), ingress()])], ['b', render('b', [configMap(), service(), ingress()])],
    ...leavers.map((c): [string, ClusterRender] => [c, render(c, [configMap(), ...(c === 'c' ? o.cRenders ?? [] : [])])]),
  ]);
  return {
    renders, sharedUid: UID,
    owned: new Map([['a', owned(service(), ingress())], ['b', owned(service(), ingress())], ...leavers.map((c): [string, Map<string, KubeObject>] => [c, owned(...(c === 'c' && o.cLive ? o.cLive : [service(), ingress()]))])]),
    readyEndpoints: new Map([...['a', 'b', ...leavers]].map((c) => [c, new Map([['web/shop', o.ready?.[c] ?? 0]])])),
    uids: new Map(['a', 'b', ...leavers].map((c) => [c, o.uids?.[c] ?? UID])),
  };
}

test('leaving: ready endpoints left -> step drain; the Ingress and the Service behind it are kept, the uid is not touched', () => {
  const l = planLeaving(input({ ready: { c: 2 } })).get('c')!;
  assert.equal(l.step, 'drain');
  assert.equal(l.configMapUid, undefined);
  assert.deepEqual(l.remove, []);
  assert.deepEqual(l.blocked.map((b) => `${b.ref.kind} ${b.finding.code}`), ['Ingress LeavingSharedIngress', 'Service LeavingSharedIngress']);
  assert.match(l.finding.message, /step 1\/3 drain: 2 ready endpoint\(s\) left behind it in c/);
  assert.equal(l.finding.severity, 'warning');
});

test('leaving: endpoints not observed (their LIST failed) -> step drain, never re-key: "could not look" is not "none left"', () => {
  const i = input({});
  const unobserved = { ...i, readyEndpoints: new Map([...i.readyEndpoints].filter(([c]) => c !== 'c')) };
  const l = planLeaving(unobserved).get('c')!;
  assert.equal(l.step, 'drain');
  assert.equal(l.configMapUid, undefined, 'ingress-uid not re-keyed');
  assert.deepEqual(l.remove, []);
  assert.match(l.finding.message, /step 1\/3 drain: waits until c's ready endpoints can be counted/);
  // Observed again with none left: the sequence goes on.
  assert.equal(planLeaving(i).get('c')!.step, 're-key');
});

test('leaving: drained -> step re-key: ingress-uid gets the cluster\'s own leaving uid, nothing deleted yet', () => {
  const l = planLeaving(input({})).get('c')!;
  assert.equal(l.step, 're-key');
  assert.equal(l.configMapUid, leavingGlbcUid(UID, 'c'));
  assert.notEqual(l.configMapUid, UID);
  assert.deepEqual(l.remove, []);
  const r = withLeaving(input({}).renders.get('c')!, l);
  assert.equal((r.objects.find((o) => o.kind === "ConfigMap") as unknown as { data: Record<string, string> }).data.uid, leavingGlbcUid(UID, 'c'));
  assert.equal((r.objects.find((o) => o.kind === "ConfigMap") as unknown as { data: Record<string, string> }).data['provider-uid'], 'p', 'provider-uid (the firewall) unchanged');
  assert.equal(r.blocked.length, 2);
});

test('leaving: re-keyed but GLBC still names the Ingress with the shared uid -> wait (glbc); once it names it with the leaving uid -> delete', () => {
  const leaving = leavingGlbcUid(UID, 'c');
  const waiting = planLeaving(input({ uids: { c: leaving } })).get('c')!;
  assert.equal(waiting.step, 'glbc');
  assert.equal(waiting.configMapUid, leaving);
  assert.deepEqual(waiting.remove, []);
  assert.match(waiting.finding.message, /waiting until c's GLBC names web\/shop with uid/);
  const done = planLeaving(input({ uids: { c: leaving }, cLive: [service(), ingress('shop', leaving)] })).get('c')!;
  assert.equal(done.step, 'delete');
  assert.deepEqual(done.remove.map((o) => o.kind), ['Ingress', 'Service']);
  assert.deepEqual(done.blocked, []);
  assert.equal(done.configMapUid, leaving, 'the leaving uid stays while it deletes');
});

test('leaving: ready endpoints do not matter once re-keyed (a restart resumes where the clusters are)', () => {
  const leaving = leavingGlbcUid(UID, 'c');
  assert.equal(planLeaving(input({ uids: { c: leaving }, ready: { c: 5 }, cLive: [service(), ingress('shop', leaving)] })).get('c')!.step, 'delete');
});

test('leaving: one cluster at a time: the one already re-keyed goes on, the other waits', () => {
  const plan = planLeaving(input({ d: true, uids: { d: leavingGlbcUid(UID, 'd') } }));
  assert.equal(plan.get('c')!.step, 'wait');
  assert.match(plan.get('c')!.finding.message, /waits until d has left/);
  assert.equal(plan.get('c')!.configMapUid, undefined);
  assert.equal(plan.get('d')!.step, 'glbc');
  const fresh = planLeaving(input({ d: true }));
  assert.equal(fresh.get('c')!.step, 're-key', 'first by name');
  assert.equal(fresh.get('d')!.step, 'wait');
});

test('leaving: a cluster that keeps another federated GCE Ingress cannot be re-keyed: SharedIngressRemoval (an error) as before', () => {
  const l = planLeaving(input({ cRenders: [service('cart'), ingress('cart')] })).get('c')!;
  assert.equal(l.step, 'wait');
  assert.equal(l.finding.code, 'SharedIngressRemoval');
  assert.equal(l.finding.severity, 'error');
  assert.match(l.finding.message, /cannot do while c serves another federated GCE Ingress.*--allow-shared-ingress-removal/);
  assert.equal(l.configMapUid, undefined);
});

test('leaving: an Ingress only this cluster had is no shared removal; a cluster that left and is placed again rejoins under the shared uid', () => {
  const solo = input({});
  solo.renders.set('a', render('a', [configMap()]));
  solo.renders.set('b', render('b', [configMap()]));
  assert.equal(planLeaving(solo).size, 0);
  const back = input({ uids: { c: leavingGlbcUid(UID, 'c') }, cRenders: [service(), ingress()] });
  const l = planLeaving(back).get('c')!;
  assert.equal(l.finding.code, 'RejoinSharedIngress');
  assert.equal(l.configMapUid, UID);
});

test('glbc uid: a cluster on its leaving uid keeps it (no GlbcUidMismatch), also with Ingresses still there', () => {
  const clusters = [cluster('a'), cluster('b'), cluster('c')];
  const ing = { namespace: 'web', name: 'shop' };
  const obs = {
    a: observed({ ingressUid: { uid: UID, providerUid: 'pa' }, ingresses: [ing] }),
    b: observed({ ingressUid: { uid: UID, providerUid: 'pb' }, ingresses: [ing] }),
    c: observed({ ingressUid: { uid: leavingGlbcUid(UID, 'c'), providerUid: 'pc' }, ingresses: [ing] }),
  };
  const r = allocateGlbcUid(clusters, obs, emptyAllocations(), 'prod');
  assert.equal(r.uid, UID);
  assert.deepEqual(r.blocked, {});
  assert.equal((r.configMaps.c!.data as Record<string, string>).uid, leavingGlbcUid(UID, 'c'));
});

test('glbc uid: without allocations, clusters that left do not vote: the shared uid wins even when it is one cluster\'s against two leaving ones', () => {
  const clusters = [cluster('a'), cluster('b'), cluster('c')];
  const UID = 'ffff0000ffff0000';
  // A tie would go to the uid that sorts first: make sure that is a leaving one, so the test shows the rule.
  assert.ok([leavingGlbcUid(UID, 'b'), leavingGlbcUid(UID, 'c')].some((u) => u < UID));
  const obs = {
    a: observed({ ingressUid: { uid: UID, providerUid: 'pa' }, ingresses: [{ namespace: 'web', name: 'shop' }] }),
    b: observed({ ingressUid: { uid: leavingGlbcUid(UID, 'b'), providerUid: 'pb' } }),
    c: observed({ ingressUid: { uid: leavingGlbcUid(UID, 'c'), providerUid: 'pc' } }),
  };
  const r = allocateGlbcUid(clusters, obs, emptyAllocations(), 'prod');
  assert.equal(r.uid, UID);
  assert.deepEqual(r.blocked, {});
  assert.equal((r.configMaps.b!.data as Record<string, string>).uid, leavingGlbcUid(UID, 'b'), 'b keeps its leaving uid');
});
