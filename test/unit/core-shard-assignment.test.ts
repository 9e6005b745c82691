// Rendezvous hashing of clusters over live replicas: deterministic, balanced,
// and a replica joining or leaving moves only the clusters it wins or held.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assignClusters, clustersOf, ownerOf } from '../../operator/core/shard-assignment.js';

const clusters = Array.from({ length: 600 }, (_, i) => `cluster-${String(i).padStart(3, '0')}`);
const replicas = ['gitfed-0', 'gitfed-1', 'gitfed-2'];

test('shard assignment: every cluster has exactly one owner, the same whatever the order replicas are listed in', () => {
  const a = assignClusters(clusters, replicas);
  const b = assignClusters(clusters, [...replicas].reverse());
  assert.equal(a.size, clusters.length);
  assert.deepEqual([...a], [...b]);
  for (const r of replicas) for (const c of clustersOf(r, clusters, replicas)) assert.equal(a.get(c), r);
});

test('shard assignment: balanced (each of 3 replicas gets 600/3 +-20%)', () => {
  const counts = new Map<string, number>();
  for (const r of assignClusters(clusters, replicas).values()) counts.set(r, (counts.get(r) ?? 0) + 1);
  for (const r of replicas) assert.ok(Math.abs(counts.get(r)! - 200) <= 40, `${r}: ${counts.get(r)}`);
});

test('shard assignment: a replica leaving moves only its clusters; one joining takes only clusters from the others, about 1/N', () => {
  const before = assignClusters(clusters, replicas);
  const left = assignClusters(clusters, ['gitfed-0', 'gitfed-2']);
  for (const c of clusters) if (before.get(c) !== 'gitfed-1') assert.equal(left.get(c), before.get(c), `${c} moved though its replica stayed`);
  const joined = assignClusters(clusters, [...replicas, 'gitfed-3']);
  let moved = 0;
  for (const c of clusters) {
    if (joined.get(c) === before.get(c)) continue;
    moved++;
    assert.equal(joined.get(c), 'gitfed-3', `${c} moved between two old replicas`);
  }
  assert.ok(moved >= 600 / 4 - 45 && moved <= 600 / 4 + 45, `moved ${moved}, expected about 150`);
});

test('shard assignment: no replica -> no owner; one replica -> all clusters', () => {
  assert.equal(ownerOf('a', []), undefined);
  assert.equal(assignClusters(['a', 'b'], []).size, 0);
  assert.deepEqual(clustersOf('only', ['a', 'b'], ['only']), ['a', 'b']);
});
