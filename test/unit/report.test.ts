// What reviewers read: the status commit message and the status files.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'yaml';
import type { ReconcileResult } from '../../operator/cluster/reconcile-types.js';
import { emptyAllocations } from '../../operator/core/model.js';
import { commitMessage, statusFiles, type StatusInput } from '../../operator/report/status-tree.js';

const cluster = (name: string, health: 'Ready' | 'Offline' = 'Ready') => ({
  cluster: name, health, reason: health === 'Ready' ? 'ClusterReady' : 'ClusterNotReachable', message: '', objects: [], pruned: [], blocked: [], drift: [], errors: [],
  counts: { inSync: 4, changed: 1, drifted: 0, missing: 0, failed: 0, blocked: 0 }, endpoints: {}, ...(health === 'Offline' ? { skipped: 'unreachable' as const } : {}),
});
const result = (clusters: Array<Omit<ReturnType<typeof cluster>, 'errors'> & { errors: string[] }>): ReconcileResult => ({
  clusters, ingresses: [{ ref: { kind: 'Ingress', namespace: 'web', name: 'nginx' }, staticIp: 'ip', addresses: ['203.0.113.9'], shards: [{ cluster: 'a', ips: ['203.0.113.9'], backends: { 'k8s-be-30001--abc': 'HEALTHY' }, readyEndpoints: 3, totalEndpoints: 3 }] }],
  replicas: [{ ref: { kind: 'Deployment', namespace: 'web', name: 'nginx' }, total: 6, plan: { a: 3, b: 3 }, overflow: {} }], allocations: emptyAllocations(), findings: [], renderFailed: false,
});
const input = (extra: Partial<StatusInput>): StatusInput => ({ revision: 'abcdef0123456789', appliedRevision: 'abcdef0123456789', repo: 'https://git.example/fleet.git', branch: 'main', findings: [], allocations: emptyAllocations(), ...extra });

/** The same result once the load balancer has an address and `ready` endpoints per cluster. */
const serving = (r: ReconcileResult, ready: Record<string, number>): ReconcileResult => ({
  ...r, ingresses: [{ ...r.ingresses[0]!, addresses: ['203.0.113.224'], shards: Object.entries(ready).map(([c, n]) => ({ cluster: c, ips: ['203.0.113.224'], backends: {}, readyEndpoints: n, totalEndpoints: 2 })) }],
});
const notServingYet = (r: ReconcileResult): ReconcileResult => ({ ...r, ingresses: r.ingresses.map((i) => ({ ...i, addresses: [], shards: i.shards.map((x) => ({ ...x, ips: [], readyEndpoints: 0 })) })) });

test('report: the commit message says how many clusters got the revision', () => {
  assert.equal(commitMessage(input({ result: notServingYet(result([cluster('a'), cluster('b'), cluster('c')])) })), 'status: abcdef0 applied to 3/3 clusters');
  assert.equal(commitMessage(input({ result: notServingYet(result([cluster('us-east1', 'Offline'), cluster('b'), cluster('c')])) })), 'status: abcdef0 applied to 2/3 clusters (us-east1 Offline)');
});

test('report: the two commits of one revision differ: applied, then serving on the load balancer address', () => {
  const clusters = [cluster('a'), cluster('b'), cluster('c')];
  const applied = commitMessage(input({ result: notServingYet(result(clusters)) }));
  const up = commitMessage(input({ result: serving(result(clusters), { a: 2, b: 2, c: 2 }) }));
  assert.equal(applied, 'status: abcdef0 applied to 3/3 clusters');
  assert.equal(up, 'status: abcdef0 serving on 203.0.113.224 in 3/3 clusters');
});

test('report: serving names the clusters that do not serve yet, and why', () => {
  const offline = serving(result([cluster('us-east1', 'Offline'), cluster('b'), cluster('c')]), { 'us-east1': 0, b: 2, c: 2 });
  assert.equal(commitMessage(input({ result: offline })), 'status: abcdef0 serving on 203.0.113.224 in 2/3 clusters (us-east1 Offline)');
  const starting = serving(result([cluster('a'), cluster('b'), cluster('c')]), { a: 2, b: 0, c: 2 });
  assert.equal(commitMessage(input({ result: starting })), 'status: abcdef0 serving on 203.0.113.224 in 2/3 clusters (b no ready endpoints)');
  const noneReady = serving(result([cluster('a'), cluster('b')]), { a: 0, b: 0 });
  assert.equal(commitMessage(input({ result: noneReady })), 'status: abcdef0 applied to 2/2 clusters', 'an address but no ready Pods anywhere is not serving');
});

test('report: a broken revision names its first error and the revision that stays applied', () => {
  const msg = commitMessage(input({ revision: '1111111aaaa', appliedRevision: '2222222bbbb', findings: [{ severity: 'error', code: 'YamlSyntax', message: 'YAML syntax error: bad', place: { file: 'manifests/a.yaml', line: 3, col: 7 } }] }));
  assert.equal(msg, 'status: 1111111 not applied: manifests/a.yaml:3:7: error: YAML syntax error: bad; 2222222 stays applied');
});

test('report: the status tree has the files reviewers and the next render read, and no timestamps', () => {
  const files = statusFiles(input({ result: result([cluster('a'), cluster('b')]) }));
  assert.deepEqual([...files.keys()].sort(), ['.gitfed-owned', 'README.md', 'allocations.yaml', 'clusters.yaml', 'drift.yaml', 'errors.yaml', 'fleet.svg', 'ingresses/web/nginx.yaml']);
  assert.deepEqual(parse(files.get('clusters.yaml')!).clusters[0].sync, { inSync: 5, drifted: 0, missing: 0, failed: 0, blocked: 0 });
  assert.match(files.get('README.md')!, /Backends: `k8s-be-30001--abc`/);
  assert.doesNotMatch([...files.values()].join('\n'), /\d{4}-\d\d-\d\dT\d\d:/, 'nothing that changes every tick');
  assert.deepEqual(statusFiles(input({ result: result([cluster('a'), cluster('b')]) })), files, 'same state, same files');
});

test('report: an error with newlines still gives a one-line subject (no text becomes a trailer)', () => {
  const msg = commitMessage(input({ revision: '1111111aaaa', appliedRevision: '2222222bbbb', findings: [{ severity: 'error', code: 'X', message: 'bad\n\nSigned-off-by: mallory <m@example.com>\r\nCo-authored-by: x', place: { file: 'manifests/a.yaml', line: 3, col: 7 } }] }));
  assert.doesNotMatch(msg, /[\r\n]/);
  assert.match(msg, /^status: 1111111 not applied: manifests\/a\.yaml:3:7: error: bad Signed-off-by: mallory/);
});

test('report: user and cluster text in the README cannot add table columns, rows, headings, links or HTML', () => {
  const c = { ...cluster('a'), errors: ['boom | injected | cell\n## Owned\n<img src=x onerror=alert(1)> [click](http://evil.example)'] };
  const r = result([c]);
  r.ingresses[0]!.shards[0]!.backends = { 'k8s-be-1--x': 'HEALTHY | evil |' };
  const readme = statusFiles(input({ result: r })).get('README.md')!;
  assert.doesNotMatch(readme, /^## Owned/m, 'no heading from an error message');
  assert.doesNotMatch(readme, /<img/, 'no raw HTML');
  assert.doesNotMatch(readme, /\]\(http/, 'no link');
  const row = readme.split('\n').find((l) => l.startsWith('| a |') && l.includes('HEALTHY'))!;
  assert.equal(row.split(/(?<!\\)\|/).length - 2, 4, 'the shard row keeps its 4 columns');
  const errorLine = readme.split('\n').find((l) => l.includes('boom'))!;
  assert.match(errorLine, /^- a: boom \\\| injected/, 'the whole error stays one list item');
});
