// Rollout gates of one cluster, from a tick's observation: given what the
// cluster reports, when the gates are judged, then only the target revision
// counts and every failing gate says why.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterResult, WorkloadStatus } from '../../operator/cluster/reconcile-types.js';
import { clusterGates } from '../../operator/core/rollout-gates.js';

const dep = { kind: 'Deployment', namespace: 'web', name: 'nginx' };
const ready = (extra: Partial<WorkloadStatus> = {}): WorkloadStatus => ({ ref: dep, desired: 5, generation: 3, observedGeneration: 3, total: 5, ready: 5, updated: 5, exists: true, ...extra });
function cluster(extra: Partial<ClusterResult> = {}): ClusterResult {
  return {
    cluster: 'asia-east1', health: 'Ready', reason: '', message: '', objects: [{ ref: dep, action: 'unchanged' }], pruned: [], blocked: [], drift: [], errors: [],
    counts: { inSync: 1, changed: 0, drifted: 0, missing: 0, failed: 0, blocked: 0 }, endpoints: { 'web/nginx': { ready: 5, total: 5 } }, workloads: [ready()], ...extra,
  };
}
const gates = { readyReplicas: true, readyEndpoints: true, backendHealth: true };
const ingress = (state: string) => [{ ref: { kind: 'Ingress', namespace: 'web', name: 'nginx' }, addresses: [], shards: [{ cluster: 'asia-east1', ips: [], backends: { 'k8s-be-30001--abc': state }, readyEndpoints: 5, totalEndpoints: 5 }] }];

test('gates: everything at target and healthy holds', () => {
  assert.deepEqual(clusterGates(cluster(), ingress('HEALTHY'), gates), { atTarget: true, ready: true, failing: [] });
});

test('gates: a status from before the apply never counts', () => {
  assert.equal(clusterGates(cluster({ objects: [{ ref: dep, action: 'updated' }] }), ingress('HEALTHY'), gates).atTarget, false, 'this tick wrote: the cluster was not at target');
  assert.equal(clusterGates(cluster({ workloads: [ready({ generation: 4 })] }), ingress('HEALTHY'), gates).atTarget, false, 'the new generation is not observed yet');
});

test('gates: each failing gate says why', () => {
  const g = clusterGates(cluster({ workloads: [ready({ ready: 3, updated: 2, total: 7 })], endpoints: { 'web/nginx': { ready: 0, total: 3 } } }), ingress('UNHEALTHY'), gates);
  assert.deepEqual(g.failing, [
    'readyReplicas web/nginx: 3/5 ready, 2/5 updated, 5 old',
    'readyEndpoints web/nginx: 0/3 ready',
    'backendHealth web/nginx: k8s-be-30001--abc is UNHEALTHY',
  ]);
});

test('gates: a cluster whose replica share is 0 is not held to ready endpoints; prometheus over max fails', () => {
  const idle = cluster({ workloads: [ready({ desired: 0, total: 0, ready: 0, updated: 0 })], endpoints: { 'web/nginx': { ready: 0, total: 0 } } });
  assert.deepEqual(clusterGates(idle, [], { ...gates, backendHealth: false }).failing, []);
  const prom = { ...gates, prometheus: { url: 'http://p', query: 'q', max: 0.01 } };
  assert.deepEqual(clusterGates(cluster(), ingress('HEALTHY'), prom, { value: 0.2 }).failing, ['prometheus: 0.2 > max 0.01']);
  assert.deepEqual(clusterGates(cluster(), ingress('HEALTHY'), prom, { error: 'query failed: HTTP 500' }).failing, ['prometheus: query failed: HTTP 500']);
});
