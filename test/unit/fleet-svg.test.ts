// fleet.svg on the status branch: deterministic (same status, same bytes;
// no commit for an unchanged fleet), every cluster present, well-formed XML
// with names from users and clusters escaped, health and problems marked.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterResult, ReconcileResult } from '../../operator/cluster/reconcile-types.js';
import { emptyAllocations } from '../../operator/core/model.js';
import type { RolloutIndex } from '../../operator/core/rollout-model.js';
import { fleetSvg, xmlEscape } from '../../operator/report/fleet-svg.js';
import { statusFiles } from '../../operator/report/status-tree.js';
import { xmlProblems } from '../helpers/xml-check.js';

function cluster(name: string, extra: Partial<ClusterResult> = {}): ClusterResult {
  return {
    cluster: name, health: 'Ready', reason: 'ClusterReady', message: '', objects: [], pruned: [], blocked: [], drift: [], errors: [],
    counts: { inSync: 3, changed: 0, drifted: 0, missing: 0, failed: 0, blocked: 0 }, endpoints: {}, ...extra,
  };
}

const NASTY = 'eu<west>&"1\'';
function result(clusters: ClusterResult[]): ReconcileResult {
  return {
    clusters, allocations: emptyAllocations(), findings: [], renderFailed: false,
    ingresses: [{
      ref: { kind: 'Ingress', namespace: 'web', name: 'shop' }, staticIp: 'shop-global-ip', addresses: ['203.0.113.224'],
      shards: clusters.map((c, i) => ({ cluster: c.cluster, ips: ['203.0.113.224'], backends: { 'k8s-be-30080--9f2c': i === 1 ? 'UNHEALTHY' : 'HEALTHY' }, readyEndpoints: i === 1 ? 0 : 2, totalEndpoints: 2 })),
    }],
    replicas: [{ ref: { kind: 'Deployment', namespace: 'web', name: 'shop' }, total: 9, plan: Object.fromEntries(clusters.map((c) => [c.cluster, 3])), overflow: {} }],
  };
}

const rollout: RolloutIndex = {
  history: [], quarantined: [],
  current: { revision: 'b'.repeat(40), verdict: 'running', startedAt: 1, waves: [{ name: 'canary', clusters: ['us-east1'], state: 'baking', changed: ['us-east1'] }, { name: 'rest', clusters: ['asia-east1', NASTY], state: 'pending', changed: [] }] },
};

const clusters = () => [
  cluster('us-east1'),
  cluster('asia-east1', { health: 'Offline', skipped: 'unreachable', errors: ['cannot reach the apiserver'] }),
  cluster(NASTY, { drift: [{ cluster: NASTY, ref: { kind: 'Deployment', namespace: 'web', name: 'shop' }, kind: 'modified', fields: [], mode: 'report' }] }),
];

test('fleet.svg: the same status gives the same bytes, whatever order the clusters come in', () => {
  const a = fleetSvg({ result: result(clusters()), rollout, revision: 'abcdef0' });
  assert.equal(fleetSvg({ result: result(clusters()), rollout, revision: 'abcdef0' }), a);
  assert.equal(fleetSvg({ result: result(clusters().reverse()), rollout, revision: 'abcdef0' }), a);
  assert.doesNotMatch(a, /\d{4}-\d\d-\d\dT\d\d:/, 'no timestamp');
});

test('fleet.svg: well-formed XML; every cluster is there, names escaped; the load balancer on top', () => {
  const svg = fleetSvg({ result: result(clusters()), rollout, revision: 'abcdef0' });
  assert.deepEqual(xmlProblems(svg), []);
  assert.match(svg, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  for (const name of ['us-east1', 'asia-east1']) assert.ok(svg.includes(`>${name}</text>`), name);
  assert.ok(svg.includes(`>${xmlEscape(NASTY)}</text>`));
  assert.ok(!svg.includes(NASTY), 'never raw');
  assert.ok(svg.includes('web/shop: 203.0.113.224 (static IP shop-global-ip)'));
  assert.ok(svg.includes('backend: k8s-be-30080--9f2c'));
  assert.ok(svg.indexOf('global load balancer') < svg.indexOf('asia-east1'), 'load balancer first');
});

test('fleet.svg: health colours, replicas, endpoints, backend health, rollout wave, drift and errors', () => {
  const svg = fleetSvg({ result: result(clusters()), rollout });
  const box = (name: string) => svg.slice(svg.indexOf(`>${name}</text>`) - 400, svg.indexOf(`>${name}</text>`) + 700);
  assert.match(box('us-east1'), /stroke="#1e8e3e"/);
  assert.match(box('asia-east1'), /stroke="#d93025"[^>]*\/>\n<text[^>]*>asia-east1<\/text>\n<text[^>]*>Offline</);
  assert.ok(box('us-east1').includes('>replicas: 3<') && box('us-east1').includes('>ready endpoints: 2/2<') && box('us-east1').includes('>backend: HEALTHY<'));
  assert.ok(box('us-east1').includes('>wave canary: baking<'));
  assert.ok(box('asia-east1').includes('! ready endpoints: 0/2') && box('asia-east1').includes('! backend: UNHEALTHY') && box('asia-east1').includes('! errors: 1'));
  assert.ok(box(xmlEscape(NASTY)).includes('! drift: 1 object(s)'));
});

test('fleet.svg: a fleet with nothing yet still draws, and long names are cut to their box', () => {
  const empty = fleetSvg({});
  assert.deepEqual(xmlProblems(empty), []);
  assert.match(empty, /no federated Ingress yet/);
  assert.match(empty, /no clusters reported yet/);
  const long = fleetSvg({ result: result([cluster('x'.repeat(80))]) });
  assert.ok(long.includes(`>${'x'.repeat(23)}…</text>`));
  assert.deepEqual(xmlProblems(long), []);
});

test('fleet.svg: written with the status files, and the status README shows it', () => {
  const files = statusFiles({ revision: 'a'.repeat(40), appliedRevision: 'a'.repeat(40), repo: 'r', branch: 'main', findings: [], allocations: emptyAllocations(), result: result(clusters()), rollout });
  assert.equal(files.get('fleet.svg'), fleetSvg({ result: result(clusters()), rollout, revision: 'aaaaaaa' }));
  assert.match(files.get('README.md')!, /\n!\[the fleet: global load balancer and clusters\]\(fleet\.svg\)\n/);
});

test('xml check: it does catch what it is there for', () => {
  assert.notDeepEqual(xmlProblems('<svg><text>a & b</text></svg>'), []);
  assert.notDeepEqual(xmlProblems('<svg><text>a</svg>'), []);
  assert.notDeepEqual(xmlProblems('<svg a="1" a="2"/>'), []);
  assert.notDeepEqual(xmlProblems('<svg/><svg/>'), []);
  assert.deepEqual(xmlProblems('<svg><text x="1">a &amp; b</text></svg>'), []);
});
