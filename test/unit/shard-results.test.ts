// The leader's status describes the whole fleet: its own clusters' results,
// the other shards' digests turned back into results (fleet order), the
// Ingress shards of every cluster, and a cluster nobody reported as Unknown.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ClusterResult, ReconcileResult } from '../../operator/cluster/reconcile-types.js';
import { emptyAllocations } from '../../operator/core/model.js';
import { digestOf, mergeResults } from '../../operator/loop/shard-results.js';

const counts = { inSync: 4, changed: 0, drifted: 0, missing: 0, failed: 0, blocked: 0 };
const cluster = (name: string, extra: Partial<ClusterResult> = {}): ClusterResult => ({ cluster: name, health: 'Ready', reason: 'ClusterReady', message: '', objects: [], pruned: [], blocked: [], drift: [], errors: [], counts, endpoints: {}, ...extra });
const ref = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'web', name: 'shop' };
const result = (clusters: ClusterResult[], ips: Record<string, string[]>): ReconcileResult => ({
  clusters, replicas: [], allocations: emptyAllocations(), findings: [], renderFailed: false,
  ingresses: [{ ref, addresses: [...new Set(Object.values(ips).flat())], shards: clusters.map((c) => ({ cluster: c.cluster, ips: ips[c.cluster] ?? [], backends: {}, readyEndpoints: 1, totalEndpoints: 1 })) }],
});

test('shard results: the leader\'s result is completed with the other shards\' digests, in fleet order', () => {
  const other = result([cluster('b', { errors: ['boom'], counts: { ...counts, failed: 1 } })], { b: ['10.0.0.2'] });
  const digest = digestOf(other.clusters[0]!, other.ingresses, { health: 'Ready', nodePorts: [], ingresses: [], workloads: [] }, 'rev2');
  assert.equal(digest.revision, 'rev2');
  const mine = result([cluster('c')], { c: ['10.0.0.3'] });
  const merged = mergeResults(mine, ['a', 'b', 'c'], new Map([['b', digest]]));
  assert.deepEqual(merged.clusters.map((c) => [c.cluster, c.health]), [['a', 'Unknown'], ['b', 'Ready'], ['c', 'Ready']]);
  assert.equal(merged.clusters[0]!.reason, 'NoShardReport');
  assert.deepEqual(merged.clusters[1]!.errors, ['boom']);
  assert.equal(merged.clusters[1]!.counts.failed, 1);
  assert.deepEqual(merged.ingresses[0]!.shards.map((s) => s.cluster), ['b', 'c']);
  assert.deepEqual(merged.ingresses[0]!.addresses.sort(), ['10.0.0.2', '10.0.0.3']);
  assert.deepEqual(mine.ingresses[0]!.shards.map((s) => s.cluster), ['c'], 'the leader\'s own result is not changed');
});
