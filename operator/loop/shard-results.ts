// A cluster's reconcile result <-> the digest its shard publishes. The
// leader turns the other shards' digests back into cluster results, so the
// status commit describes the whole fleet with the same files as unsharded.
import type { ClusterResult, IngressStatus, ReconcileResult } from '../cluster/reconcile-types.js';
import type { ReportedGates } from '../core/rollout-model.js';
import type { ClusterObservation } from '../core/model.js';
import type { ClusterDigest } from '../core/shard-report.js';

const EMPTY: ClusterObservation = { health: 'Unknown', nodePorts: [], ingresses: [], workloads: [] };

export function digestOf(c: ClusterResult, ingresses: readonly IngressStatus[], observation: ClusterObservation | undefined, revision: string | undefined, rollout?: ReportedGates): ClusterDigest {
  const { inSync, changed, drifted, missing, failed, blocked } = c.counts;
  return {
    cluster: c.cluster, ...(revision ? { revision } : {}), observation: observation ?? EMPTY,
    health: c.health, reason: c.reason, message: c.message, ...(c.skipped ? { skipped: c.skipped } : {}), ...(c.pruneRefused ? { pruneRefused: c.pruneRefused } : {}),
    counts: { inSync, changed, drifted, missing, failed, blocked }, errors: c.errors,
    drift: c.drift.map((d) => ({ ref: d.ref, kind: d.kind, mode: d.mode, fields: d.fields })),
    endpoints: c.endpoints,
    ingressShards: ingresses.flatMap((i) => i.shards.filter((s) => s.cluster === c.cluster).map((s) => ({
      ingress: `${i.ref.namespace ?? 'default'}/${i.ref.name}`, ref: i.ref, ips: s.ips, backends: s.backends, readyEndpoints: s.readyEndpoints, totalEndpoints: s.totalEndpoints,
      ...(s.frontEndNaming ? { frontEndNaming: s.frontEndNaming } : {}),
    }))),
    ...(c.ingressUid ? { ingressUid: c.ingressUid } : {}),
    ...(rollout ? { rollout } : {}),
  };
}

/** A digest as a cluster result (objects are not carried: only their counts). */
export function resultOf(d: ClusterDigest): ClusterResult {
  return {
    cluster: d.cluster, health: d.health, reason: d.reason, message: d.message, ...(d.skipped ? { skipped: d.skipped } : {}), ...(d.pruneRefused ? { pruneRefused: d.pruneRefused } : {}),
    objects: [], pruned: [], blocked: [], drift: d.drift.map((x) => ({ cluster: d.cluster, ...x })), errors: d.errors, counts: d.counts, endpoints: d.endpoints,
    ...(d.ingressUid ? { ingressUid: d.ingressUid } : {}),
    ...(d.rollout ? { reportedGates: d.rollout } : {}),
  };
}

/** The leader's result for its own clusters, completed with the other clusters' digests (fleet order kept). */
export function mergeResults(own: ReconcileResult, fleetClusters: readonly string[], digests: ReadonlyMap<string, ClusterDigest>): ReconcileResult {
  const mine = new Map(own.clusters.map((c) => [c.cluster, c]));
  const clusters: ClusterResult[] = [];
  for (const name of fleetClusters) {
    const c = mine.get(name) ?? (digests.has(name) ? resultOf(digests.get(name)!) : undefined);
    clusters.push(c ?? { cluster: name, health: 'Unknown', reason: 'NoShardReport', message: 'no replica has reported this cluster yet', objects: [], pruned: [], blocked: [], drift: [], errors: [], counts: { inSync: 0, changed: 0, drifted: 0, missing: 0, failed: 0, blocked: 0 }, endpoints: {} });
  }
  const ingresses = own.ingresses.map((i) => ({ ...i, shards: [...i.shards], addresses: [...i.addresses] }));
  const byKey = new Map(ingresses.map((i) => [`${i.ref.namespace ?? 'default'}/${i.ref.name}`, i]));
  for (const name of fleetClusters) {
    if (mine.has(name)) continue;
    for (const s of digests.get(name)?.ingressShards ?? []) {
      let i = byKey.get(s.ingress);
      if (!i) { i = { ref: s.ref, addresses: [], shards: [] }; byKey.set(s.ingress, i); ingresses.push(i); }
      i.shards.push({ cluster: name, ips: s.ips, backends: s.backends, readyEndpoints: s.readyEndpoints, totalEndpoints: s.totalEndpoints, ...(s.frontEndNaming ? { frontEndNaming: s.frontEndNaming } : {}) });
      for (const ip of s.ips) if (!i.addresses.includes(ip)) i.addresses.push(ip);
    }
  }
  // Shards in fleet order, as an unsharded pass lists them.
  for (const i of ingresses) i.shards.sort((a, b) => fleetClusters.indexOf(a.cluster) - fleetClusters.indexOf(b.cluster));
  return { ...own, clusters, ingresses };
}
