// Which replica works on which member cluster when `gitfed run --shards N`
// splits the fleet. Rendezvous (highest-random-weight) hashing: every
// replica scores every cluster and the highest score wins. Chosen over a
// hash ring because it needs no virtual nodes to be balanced and, when a
// replica joins or leaves, only the clusters that replica wins or held move
// (about 1/N of them); every other cluster keeps its replica. Pure: every
// replica computes the same answer from the same set of live replicas.
import { fnv1_32 } from './hashes.js';

/** A 32-bit score for (cluster, replica): FNV-1 of both, then a murmur3 finalizer so similar names spread. */
export function rendezvousScore(cluster: string, replica: string): number {
  let h = fnv1_32(`${cluster}\u0000${replica}`);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** The replica that owns `cluster` among `replicas` (ties: the smaller id); undefined with no replica. */
export function ownerOf(cluster: string, replicas: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const r of replicas) {
    const s = rendezvousScore(cluster, r);
    if (s > bestScore || (s === bestScore && best !== undefined && r < best)) { best = r; bestScore = s; }
  }
  return best;
}

/** cluster -> owning replica, for every cluster. */
export function assignClusters(clusters: readonly string[], replicas: readonly string[]): Map<string, string> {
  const live = [...new Set(replicas)].sort();
  const out = new Map<string, string>();
  for (const c of clusters) { const o = ownerOf(c, live); if (o !== undefined) out.set(c, o); }
  return out;
}

/** The clusters `replica` owns. */
export function clustersOf(replica: string, clusters: readonly string[], replicas: readonly string[]): string[] {
  return [...assignClusters(clusters, replicas)].filter(([, r]) => r === replica).map(([c]) => c);
}
