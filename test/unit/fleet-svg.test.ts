// fleet.svg: the picture of the fleet on the status branch. Deterministic
// (the same state gives the same bytes, so an idle fleet makes no commit),
// every cluster present with its facts, user strings escaped, well-formed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterResult, ReconcileResult } from '../../operator/cluster/reconcile-types.js';
import { emptyAllocations } from '../../operator/core/model.js';
import { fleetSvg, xmlEscape } from '../../operator/report/fleet-svg.js';
import { statusFiles, type StatusInput } from '../../operator/report/status-tree.js';
import { xmlProblems } from '../helpers/xml-check.js';

const cluster = (name: string, extra: Partial<ClusterResult> = {}): ClusterResult => ({
  cluster: name, health: 'Ready', reason: 'ClusterReady', message: '', objects: [], pruned: [], blocked: [], drift: [], errors: [],
  counts: { inSync: 4, changed: 0, drifted: 0, missing: 0, failed: 0, blocked: 0 }, endpoints: {}, ...extra,
});
const result = (clusters: ClusterResult[]): ReconcileResult => ({
  clusters,
  ingresses: [{
    ref: { kind: 'Ingress', namespace: 'web', name: 'nginx' }, staticIp: 'nginx-ip', addresses: ['203.0.113.9'],
    shards: [
      { cluster: 'us-east1', ips: ['203.0.113.9'], backends: { 'k8s-be-30001--abc': 'HEALTHY' }, readyEndpoints: 3, totalEndpoints: 3 },
      { cluster: 'asia-east1', ips: ['203.0.113.9'], backends: { 'k8s-be-30001--abc': 'UNHEALTHY' }, readyEndpoints: 0, totalEndpoints: 2 },
    ],
  }],
  replicas: [{ ref: { kind: 'Deployment', namespace: 'web', name: 'nginx' }, total: 6, plan: { 'us-east1': 4, 'asia-east1': 2 }, overflow: {} }],
  allocations: emptyAllocations(), findings: [], renderFailed: false,
});
const input = (r: ReconcileResult, extra: Partial<StatusInput> = {}): StatusInput => ({ revision: 'abcdef0123456789', appliedRevision: 'abcdef0123456789', repo: 'u', branch: 'main', findings: [], allocations: emptyAllocations(), result: r, ...extra });

/** The text of every <text> element, unescaped, in order. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&'));
}

test('fleet.svg: the load balancer on top and one box per cluster with health, replicas, endpoints, backend health, drift and errors', () => {
  const drift = [{ ref: { kind: 'Deployment', namespace: 'web', name: 'nginx' }, kind: 'modified', mode: 'report', fields: [] }] as unknown as ClusterResult['drift'];
  const svg = fleetSvg(input(result([cluster('us-east1', { drift }), cluster('asia-east1', { errors: ['boom'] }), cluster('europe-west1', { health: 'Offline', reason: 'ClusterNotReachable' })])));
  const t = texts(svg);
  assert.ok(t.some((x) => x.includes('web/nginx: 203.0.113.9 (static IP nginx-ip); backend k8s-be-30001--abc')), t.join('\n'));
  const boxes = [...svg.matchAll(/data-cluster="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(boxes, ['asia-east1', 'europe-west1', 'us-east1'], 'one box per cluster, sorted');
  const box = (name: string) => texts(svg.slice(svg.indexOf(`data-cluster="${name}"`), svg.indexOf('</g>', svg.indexOf(`data-cluster="${name}"`))));
  assert.deepEqual(box('us-east1'), ['us-east1', 'Ready', 'replicas 4', 'ready endpoints 3/3', 'backends HEALTHY 1/1', 'drift 1']);
  assert.deepEqual(box('asia-east1'), ['asia-east1', 'Ready', 'replicas 2', 'ready endpoints 0/2', 'backends 1 not healthy of 1', 'errors 1']);
  assert.deepEqual(box('europe-west1').slice(0, 2), ['europe-west1', 'Offline']);
  assert.match(svg, /fill="#fce8e6" stroke="#d93025"/, 'Offline is red');
  assert.deepEqual(xmlProblems(svg), []);
});

test('fleet.svg: the same state gives the same bytes; a change of health changes them; it is referenced from README.md', () => {
  const a = statusFiles(input(result([cluster('us-east1'), cluster('asia-east1')])));
  const b = statusFiles(input(result([cluster('asia-east1'), cluster('us-east1')])));
  assert.equal(a.get('fleet.svg'), b.get('fleet.svg'), 'cluster order in the result does not matter');
  const c = statusFiles(input(result([cluster('us-east1', { health: 'NotReady' }), cluster('asia-east1')])));
  assert.notEqual(a.get('fleet.svg'), c.get('fleet.svg'));
  assert.match(a.get('README.md')!, /!\[The fleet: the load balancer and one box per cluster\]\(fleet\.svg\)/);
});

test('fleet.svg: a running rollout shows each cluster\'s wave and its state', () => {
  const rollout = { history: [], quarantined: [], current: { revision: 'abcdef0123456789', verdict: 'running', startedAt: 1, waves: [
    { name: 'canary', clusters: ['asia-east1'], state: 'baking', changed: ['asia-east1'] },
    { name: 'rest', clusters: ['us-east1'], state: 'pending', changed: [] },
  ] } } as unknown as StatusInput['rollout'];
  const t = texts(fleetSvg(input(result([cluster('us-east1'), cluster('asia-east1')]), { rollout })));
  assert.ok(t.includes('wave canary: baking'));
  assert.ok(t.includes('wave rest: pending'));
});

test('fleet.svg: names from users and clusters cannot add markup', () => {
  const evil = '<script>alert(1)</script>&"\'';
  assert.equal(xmlEscape(evil), '&lt;script&gt;alert(1)&lt;/script&gt;&amp;&quot;&apos;');
  const svg = fleetSvg(input(result([cluster(evil)])));
  assert.doesNotMatch(svg, /<script/);
  assert.deepEqual(xmlProblems(svg), []);
  assert.ok(texts(svg).some((x) => x.startsWith('<script>alert(1)')), 'shown as text');
});
