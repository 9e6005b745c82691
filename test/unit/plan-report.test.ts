// What a reviewer reads in a pull request: plan.json, PLAN.md and the
// per-cluster diffs, built from a dry run's result. Given a result, when the
// plan is built, then the counts, exit code, hashes and texts are right.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterResult, ReconcileResult } from '../../operator/cluster/reconcile-types.js';
import { emptyAllocations } from '../../operator/core/model.js';
import { buildPlan, PLAN_EXIT } from '../../operator/report/plan-document.js';
import { planMarkdown } from '../../operator/report/plan-markdown.js';
import { clusterDiff, planText } from '../../operator/report/plan-text.js';
import { changedClusters } from '../../operator/cli/plan-verify.js';

const SECRET = 'c3VwZXItc2VjcmV0LXRscy1rZXk=';
const dep = { kind: 'Deployment', namespace: 'web', name: 'nginx' };

function cluster(name: string, extra: Partial<ClusterResult> = {}): ClusterResult {
  return {
    cluster: name, health: 'Ready', reason: 'ClusterReady', message: '', objects: [], pruned: [], blocked: [], drift: [], errors: [],
    counts: { inSync: 0, changed: 0, drifted: 0, missing: 0, failed: 0, blocked: 0 }, endpoints: {}, ...extra,
  };
}

function result(clusters: ClusterResult[], replicas = true): ReconcileResult {
  return {
    clusters, ingresses: [], allocations: emptyAllocations(), findings: [], renderFailed: false,
    replicas: replicas ? [{ ref: dep, total: 60, plan: Object.fromEntries(clusters.map((c) => [c.cluster, 20])), overflow: {} }] : [],
  };
}

const meta = { head: 'a'.repeat(40), base: 'b'.repeat(40), branch: 'feature/scale', baseBranch: 'main', fleet: 'demo' };

const changed = () => result([
  cluster('us-east1', { objects: [
    { ref: dep, action: 'updated', diff: [{ path: ['spec', 'replicas'], have: 17, want: 20 }] },
    { ref: { kind: 'Secret', namespace: 'web', name: 'tls' }, action: 'updated', diff: [{ path: ['data', 'tls.key'], have: 'b2xk', want: SECRET }] },
    { ref: { kind: 'ConfigMap', namespace: 'web', name: 'new' }, action: 'created', conflict: undefined },
  ] }),
  cluster('europe-west1', { objects: [{ ref: dep, action: 'updated', diff: [{ path: ['spec', 'replicas'], have: 16, want: 20 }], conflict: 'Apply failed with 1 conflict: conflict with "kubectl-edit": .spec.replicas' }] }),
  cluster('asia-east1', { objects: [{ ref: dep, action: 'created' }] }),
]);

test('plan: counts per cluster, the replica split before -> after, exit 2 for changes', () => {
  const p = buildPlan(changed(), meta);
  const us = p.clusters.find((c) => c.name === 'us-east1')!;
  assert.deepEqual([us.creates, us.updates, us.deletes, us.blocked, us.conflicts], [1, 2, 0, 0, 0]);
  assert.equal(p.clusters.find((c) => c.name === 'europe-west1')!.conflicts, 1);
  assert.deepEqual(p.replicas[0]!.before, { 'us-east1': 17, 'europe-west1': 16, 'asia-east1': 0 });
  assert.deepEqual(p.replicas[0]!.after, { 'us-east1': 20, 'europe-west1': 20, 'asia-east1': 20 });
  assert.equal(p.exitCode, PLAN_EXIT.changes);
  assert.deepEqual(p.clusters.map((c) => c.name), ['asia-east1', 'europe-west1', 'us-east1'], 'stable order');
});

test('plan: secret values never appear, only their hashes, and a changed value changes the hash', () => {
  const p = buildPlan(changed(), meta);
  const everything = JSON.stringify(p) + planMarkdown(p) + p.clusters.map(clusterDiff).join('') + planText(p).join('\n');
  assert.ok(!everything.includes(SECRET), 'the secret value is nowhere');
  assert.ok(!everything.includes('b2xk'), 'nor the old value');
  assert.match(clusterDiff(p.clusters.find((c) => c.name === 'us-east1')!), /data\.tls\.key: "sha256:[0-9a-f]{12}"/);
});

test('plan: blocked objects, a refused prune and an unreachable cluster exit 3; errors exit 1', () => {
  const uid = { kind: 'ConfigMap', namespace: 'kube-system', name: 'ingress-uid' };
  const finding = { severity: 'error' as const, code: 'UidChange', message: 'cluster a uses another GLBC uid' };
  // The render core reports the block as a fleet finding too: it must count as blocked, not as an error.
  const blocked = buildPlan({ ...result([cluster('a', { blocked: [{ ref: uid, finding }] })], false), findings: [{ ...finding, place: { file: 'clusters/a.yaml', line: 1, col: 1 } }] }, meta);
  assert.equal(blocked.exitCode, PLAN_EXIT.blocked);
  assert.match(clusterDiff(blocked.clusters[0]!), /! blocked ConfigMap kube-system\/ingress-uid: cluster a uses another GLBC uid/);
  const refused = buildPlan(result([cluster('a', { errors: ['would delete all 3'], pruneRefused: 'would delete all 3' })], false), meta);
  assert.equal(refused.exitCode, PLAN_EXIT.blocked);
  assert.deepEqual(refused.clusters[0]!.errors, [], 'a refused prune is a block, not an error');
  const offline = buildPlan(result([cluster('a', { health: 'Offline', skipped: 'unreachable' })], false), meta);
  assert.equal(offline.exitCode, PLAN_EXIT.blocked);
  const failed = buildPlan(result([cluster('a', { errors: ['a ConfigMap web/x: HTTP 422: invalid'] })], false), meta);
  assert.equal(failed.exitCode, PLAN_EXIT.errors);
  assert.equal(buildPlan(result([cluster('a')], false), meta).exitCode, PLAN_EXIT.noChanges);
});

test('plan: the fingerprint ignores which commit asked, and names the clusters that changed', () => {
  const a = buildPlan(changed(), meta);
  const b = buildPlan(changed(), { ...meta, head: 'c'.repeat(40) });
  assert.equal(a.fingerprint, b.fingerprint, 'same changes, same fingerprint');
  const moved = changed();
  moved.clusters[1]!.objects[0]!.diff![0]!.have = 15;
  const c = buildPlan(moved, meta);
  assert.notEqual(c.fingerprint, a.fingerprint);
  assert.deepEqual(changedClusters(a, c), ['europe-west1']);
});

test('plan: PLAN.md has the header, a row per cluster, the replica table and one collapsible diff per cluster', () => {
  const md = planMarkdown(buildPlan(changed(), meta));
  assert.match(md, /^## gitfed plan for `feature\/scale` @ `aaaaaaa`/);
  assert.match(md, /- Base: `main` @ `bbbbbbb`/);
  assert.match(md, /\| Cluster \| Wave \| Health \| Creates \| Updates \| Deletes \| Blocked \| Conflicts \|/);
  assert.match(md, /\| us-east1 \| all \| Ready \| 1 \| 2 \| 0 \| 0 \| 0 \|/);
  assert.match(md, /\| Deployment web\/nginx \(60\) \| 0 -> 20 \| 16 -> 20 \| 17 -> 20 \|/);
  assert.equal(md.match(/<details><summary>/g)!.length, 3);
  assert.match(md, /-     spec\.replicas: 17\n\+     spec\.replicas: 20/);
  assert.match(md, /! conflict Deployment web\/nginx: Apply failed with 1 conflict/);
});

test('plan: user strings cannot break out of PLAN.md tables or code blocks', () => {
  const evil = result([cluster('a', { objects: [{ ref: { kind: 'ConfigMap', namespace: 'web', name: 'x' }, action: 'updated', diff: [{ path: ['data', 'k'], have: 'a', want: '```\n</details>| injected |' }] }] })], false);
  const md = planMarkdown(buildPlan(evil, { ...meta, branch: 'x|y<script>' }));
  assert.match(md, /^## gitfed plan for `x\|y<script>` @/m, 'a code span shows the branch as it is (nothing inside it is markup)');
  const fence = /\n(`{3,})diff\n/.exec(md)![1]!;
  assert.ok(fence.length > 3, 'the fence is longer than the backticks inside');
  assert.equal(md.match(/^<\/details>$/gm)!.length, 1, 'only the real closing tag stands on a line of its own');
  assert.ok(!/^\| injected/m.test(md), 'no table row injected');
});

test('plan: with a RolloutPolicy, each cluster\'s row names its wave', () => {
  const p = buildPlan(changed(), { ...meta, waves: [{ name: 'canary', clusters: ['asia-east1'] }, { name: 'rest', clusters: ['europe-west1', 'us-east1'] }] });
  assert.deepEqual(p.clusters.map((c) => [c.name, c.wave]), [['asia-east1', 'canary'], ['europe-west1', 'rest'], ['us-east1', 'rest']]);
  assert.match(planMarkdown(p), /\| asia-east1 \| canary \| Ready \|/);
});
