// What a shard publishes for the clusters it works on (a ConfigMap per
// replica in the host cluster), so the leader can render with every
// cluster's observation and write one status commit for the whole fleet.
// Bounded: a ConfigMap holds at most 1 MiB and every replica rewrites its own
// each tick, so lists are capped (the first N kept, `truncated` says which)
// and whole objects are never included, only what the render core and the
// status files need. Pure: no IO, no clock (the loop stamps the time).
import type { ClusterHealth, ClusterObservation, ObjectRef, Observations } from './model.js';
import type { ReportedGates } from './rollout-model.js';
import { ownValue } from './own-value.js';

export const REPORT_LIMITS = {
  errors: 10, errorChars: 300, drift: 50, driftFields: 20, valueChars: 200, endpoints: 200, ingressShards: 200,
  // The whole node-port range (30000-32767) fits: node ports are never cut.
  nodePorts: 2768, ingresses: 500, workloads: 1000, annotationChars: 1000,
  /** The serialized report; past it the observation details of the largest clusters are dropped. */
  reportBytes: 512 * 1024,
} as const;

export interface DigestCounts { inSync: number; changed: number; drifted: number; missing: number; failed: number; blocked: number }

export interface DigestDrift {
  ref: ObjectRef;
  kind: 'deleted' | 'modified';
  mode: 'report' | 'heal';
  fields: Array<{ path: string; git: unknown; live: unknown; manager?: string }>;
}

export interface DigestIngressShard {
  /** "namespace/name" of the federated Ingress. */
  ingress: string;
  ref: ObjectRef;
  ips: string[];
  backends: Record<string, string>;
  readyEndpoints: number;
  totalEndpoints: number;
  frontEndNaming?: 'v1' | 'v2';
}

/** One cluster as its shard last saw and applied it. */
export interface ClusterDigest {
  cluster: string;
  /** The revision last applied to this cluster (absent: none yet). */
  revision?: string;
  observation: ClusterObservation;
  health: ClusterHealth;
  reason: string;
  message: string;
  skipped?: 'paused' | 'unreachable' | 'held';
  pruneRefused?: string;
  counts: DigestCounts;
  errors: string[];
  drift: DigestDrift[];
  endpoints: Record<string, { ready: number; total: number }>;
  ingressShards: DigestIngressShard[];
  ingressUid?: { uid?: string; providerUid?: string };
  /** With a RolloutPolicy: the gates this cluster's replica judged, at the revision its objects were at (target or stable). */
  rollout?: ReportedGates;
  /** Lists that were cut to REPORT_LIMITS. */
  truncated?: string[];
}

export interface ShardReport {
  replica: string;
  /** Wall time of the tick that wrote it (ISO), for humans and staleness. */
  at: string;
  clusters: ClusterDigest[];
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
const clipValue = (v: unknown): unknown => {
  const s = JSON.stringify(v);
  return s !== undefined && s.length > REPORT_LIMITS.valueChars ? clip(s, REPORT_LIMITS.valueChars) : v;
};

function cap<T>(list: readonly T[], n: number, name: string, cut: string[]): T[] {
  if (list.length <= n) return [...list];
  cut.push(name);
  return list.slice(0, n);
}

/** The digest cut to REPORT_LIMITS (lists, long texts, drifted values, ingress annotations). */
export function boundDigest(d: ClusterDigest): ClusterDigest {
  const L = REPORT_LIMITS;
  const cut: string[] = [...(d.truncated ?? [])];
  const o = d.observation;
  const observation: ClusterObservation = {
    ...o,
    nodePorts: cap(o.nodePorts, L.nodePorts, 'nodePorts', cut),
    ingresses: cap(o.ingresses, L.ingresses, 'ingresses', cut).map((i) => (i.annotations
      ? { ...i, annotations: Object.fromEntries(Object.entries(i.annotations).map(([k, v]) => [k, clip(v, L.annotationChars)])) } : i)),
    workloads: cap(o.workloads, L.workloads, 'workloads', cut),
  };
  const endpoints = Object.entries(d.endpoints);
  const out: ClusterDigest = {
    ...d, observation, message: clip(d.message, L.errorChars),
    errors: cap(d.errors, L.errors, 'errors', cut).map((e) => clip(e, L.errorChars)),
    drift: cap(d.drift, L.drift, 'drift', cut).map((x) => ({ ...x, fields: x.fields.slice(0, L.driftFields).map((f) => ({ ...f, git: clipValue(f.git), live: clipValue(f.live) })) })),
    endpoints: Object.fromEntries(cap(endpoints, L.endpoints, 'endpoints', cut)),
    ingressShards: cap(d.ingressShards, L.ingressShards, 'ingressShards', cut),
    ...(d.rollout ? { rollout: { ...d.rollout, gates: { ...d.rollout.gates, failing: cap(d.rollout.gates.failing, L.errors, 'rollout', cut).map((f) => clip(f, L.errorChars)) } } } : {}),
  };
  if (cut.length) out.truncated = [...new Set(cut)];
  else delete out.truncated;
  return out;
}

/** The report as ConfigMap text, within REPORT_LIMITS.reportBytes (observation details go first, largest cluster first). */
export function serializeReport(r: ShardReport): string {
  const report: ShardReport = { ...r, clusters: r.clusters.map(boundDigest) };
  let text = JSON.stringify(report);
  const bySize = [...report.clusters].sort((a, b) => JSON.stringify(b).length - JSON.stringify(a).length);
  for (const c of bySize) {
    if (Buffer.byteLength(text) <= REPORT_LIMITS.reportBytes) break;
    c.observation = { ...c.observation, ingresses: [], workloads: [] };
    c.drift = [];
    c.ingressShards = [];
    c.truncated = [...new Set([...(c.truncated ?? []), 'ingresses', 'workloads', 'drift', 'ingressShards'])];
    text = JSON.stringify(report);
  }
  return text;
}

/**
 * Every cluster's digest, one per cluster: the one from its current owner's
 * report when there is one, else the first report that has it (a replica
 * that died keeps its last ConfigMap until its clusters are reported again).
 */
export function digestsByCluster(reports: readonly ShardReport[], owners: ReadonlyMap<string, string>): Map<string, ClusterDigest> {
  const out = new Map<string, ClusterDigest>();
  for (const r of reports) {
    for (const d of r.clusters) {
      const prev = out.get(d.cluster);
      if (!prev || owners.get(d.cluster) === r.replica) out.set(d.cluster, d);
    }
  }
  return out;
}

/** Observations for the render: our own for the clusters we observed, the shards' digests for the rest. */
export function mergeObservations(own: Observations, digests: ReadonlyMap<string, ClusterDigest>): Observations {
  const out: Observations = {};
  for (const [cluster, d] of digests) out[cluster] = reportedObservation(d);
  return { ...out, ...own };
}

/**
 * A digest's observation, where a list cut to fit the ConfigMap counts as
 * failed to observe: a shortened Ingress list would look like "no Ingresses"
 * to the GLBC uid decision, a shortened workload list like "no replicas here".
 */
function reportedObservation(d: ClusterDigest): ClusterObservation {
  const cut = (['ingresses', 'workloads'] as const).filter((part) => d.truncated?.includes(part));
  if (!cut.length) return d.observation;
  const why = `the report of ${d.cluster} was cut to fit its ConfigMap`;
  return { ...d.observation, failed: { ...d.observation.failed, ...Object.fromEntries(cut.map((part) => [part, why])) } };
}

/** Clusters (of `clusters`) whose digest does not yet report `revision` applied: the leader waits for them before the status commit. */
export function clustersNotReporting(clusters: readonly string[], revision: string, digests: ReadonlyMap<string, ClusterDigest>): string[] {
  return clusters.filter((c) => digests.get(c)?.revision !== revision);
}

/**
 * The observation of a cluster whose owner has not reported yet (a replica
 * just started, or its clusters just moved). Every part is marked failed, as
 * a LIST that failed would be: the render core then blocks what depends on
 * that cluster instead of treating it as empty (an empty node-port list would
 * let the leader allocate a port something there already holds). It stays
 * Ready, so its replicas are not moved away only because a report is late.
 */
export function unreportedObservation(cluster: string): ClusterObservation {
  const why = `no report from the replica that owns ${cluster} yet`;
  return { health: 'Ready', nodePorts: [], ingresses: [], workloads: [], failed: { nodePorts: why, ingressUid: why, ingresses: why, workloads: why } };
}

/** `observations` with every fleet cluster that has none filled in as unreported. */
export function withUnreported(observations: Observations, clusters: readonly string[]): Observations {
  const out: Observations = { ...observations };
  // Not `out[c] ??=`: a cluster named "constructor" would find Object's and stay unfilled.
  for (const c of clusters) if (ownValue(out, c) === undefined) out[c] = unreportedObservation(c);
  return out;
}
