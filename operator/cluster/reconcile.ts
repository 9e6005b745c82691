// One reconcile pass over the fleet, read top to bottom like a Flux
// reconciler: observe every cluster (in parallel) -> render (pure core) ->
// per cluster: drift, apply, prune -> one result value. `plan`, `apply`,
// `status` and the operator loop all call this.
import { hasErrors, type Allocations, type Finding, type Fleet, type KubeObject, type Observations } from '../core/model.js';
import { describeRef, keyOf, refOf } from '../core/object-keys.js';
import { observationNeeds } from '../core/observation-needs.js';
import { keptPorts } from '../core/node-ports.js';
import { render } from '../core/render.js';
import { applyCluster, type ObjectResult } from './apply.js';
import { closeAll, connect, type Connection, type KubeconfigError } from './connect.js';
import { detectDrift } from './drift.js';
import { emptyLive, observeCluster, PRUNE_KINDS, type LiveCluster } from './observe.js';
import { pruneCluster, PruneAllRefused, type PruneResult } from './prune.js';
import type { ClusterResult, GceEdge, ReconcileResult, SyncCounts } from './reconcile-types.js';
import { blockUnreserved, reserveStaticIps, type StaticIpResults } from './static-ips.js';
import { addGceHealth, type FetchedBackendHealth } from './gce-health.js';
import { planLeaving, withLeaving, type ClusterLeaving } from '../core/leaving.js';
import { v2NamingBlocks } from '../core/glbc-naming.js';
import { withUnreported } from '../core/shard-report.js';
import { ingressStatus, workloadStatus } from './reconcile-status.js';
import { expireRefusals, recordRefusals, refusalFindings, withRefusals, type RefusedNodePorts } from './refused-node-ports.js';

export interface ReconcileOptions {
  fleet: Fleet;
  loadFindings?: readonly Finding[];
  kubeconfigPath: string;
  allocations: Allocations;
  dryRun: boolean;
  prune: boolean;
  pruneAll?: boolean;
  /** all: write every difference (a new revision, `gitfed apply`); heal: only drift under DriftPolicy heal; none: observe only */
  writes: 'all' | 'heal' | 'none';
  /** Dry run: report server-side apply conflicts (plan). */
  reportConflicts?: boolean;
  /**
   * Rollout waves: only `targetClusters` get this fleet's render; every other
   * cluster gets the `stable` revision's render (rendered from the same
   * observations), or is only observed when there is no stable revision yet.
   * `writesFor` overrides `writes` per cluster (a cluster that changes
   * revision this tick is applied in full, with prune).
   */
  rollout?: { targetClusters: ReadonlySet<string>; stable?: { fleet: Fleet; loadFindings?: readonly Finding[] }; writesFor?: (cluster: string) => 'all' | 'heal' };
  /** Keys (cluster + object) gitfed applied before: missing ones count as deleted by hand. */
  everOwned?: Map<string, Set<string>>;
  /**
   * cluster -> object key -> the desired object last applied (JSON). With
   * writes "heal", an object whose desired state changed since (e.g. replicas
   * moved because a cluster went Offline) is still applied: that is not drift.
   * Updated in place after each pass.
   */
  lastApplied?: Map<string, Map<string, string>>;
  /** Reuse connections across ticks (the loop); created and closed here when absent. */
  connections?: Map<string, Connection | KubeconfigError>;
  unschedulableAfterMs?: number;
  probeTimeoutMs?: number;
  now?: number;
  /**
   * Compute Engine (--gce/--gce-endpoint): static IPs are reserved before
   * Ingresses are applied (only looked up when nothing is written) and each
   * shard gets its instance group's backend health.
   */
  gce?: GceEdge;
  /** Prune may delete a federated GCE Ingress in a cluster while others keep it (an outage of the shared load balancer). */
  allowSharedIngressRemoval?: boolean;
  /**
   * Walk the steps of taking a cluster out of a shared load balancer also on
   * a pass that does not prune otherwise (the operator's quiet ticks, when it
   * runs with --prune): each step waits for the previous one to be observed.
   */
  continueLeaving?: boolean;
  /** Apply federated Ingresses that a cluster's GLBC names with v2 (k8s2-) names, which never share a front end. */
  allowV2Naming?: boolean;
  /** An Override may change the readiness probe behind a federated Ingress (a warning). */
  allowHealthCheckDivergence?: boolean;
  /**
   * Sharded operator (`run --shards`): only the `owned` clusters are observed
   * and reconciled (they alone are in the result); the render takes the other
   * clusters' observations from their shards' digests. A cluster in `full`
   * (just taken over from another replica) is applied in full, not healed:
   * this replica never applied it, so it cannot tell Git's changes from drift.
   */
  shard?: { owned: ReadonlySet<string>; observations: Observations; full?: ReadonlySet<string> };
  /**
   * Node ports clusters refused though no Service holds them
   * (refused-node-ports.ts). The operator keeps one across ticks; without
   * it a pass remembers refusals only for its own retries.
   */
  refusedNodePorts?: RefusedNodePorts;
}

/** Passes one reconcile may make when clusters refuse node ports they showed as free. */
const MAX_PASSES = 3;

function counts(objects: ObjectResult[], drift: number, blocked: number): SyncCounts {
  const c: SyncCounts = { inSync: 0, changed: 0, drifted: drift, missing: 0, failed: 0, blocked };
  for (const o of objects) {
    if (o.action === 'unchanged') c.inSync++;
    else if (o.action === 'failed') c.failed++;
    else if (o.action === 'skipped') { if (!o.diff) c.missing++; }
    else c.changed++;
  }
  return c;
}

async function reconcileCluster(conn: Connection, live: LiveCluster, objects: KubeObject[], blocked: ClusterResult['blocked'], skipped: ClusterResult['skipped'], opts: ReconcileOptions, leaving?: ClusterLeaving): Promise<ClusterResult> {
  const base: ClusterResult = {
    cluster: conn.cluster, health: live.probe.health, reason: live.probe.reason, message: live.probe.message,
    objects: [], pruned: [], blocked, drift: [], errors: [...live.errors], counts: counts([], 0, blocked.length), endpoints: Object.fromEntries(live.endpoints),
    ...(skipped ? { skipped } : {}),
  };
  if (skipped) return base;
  const last = opts.lastApplied?.get(conn.cluster);
  // Only the operator tracks what it applied (to tell Git's changes from drift).
  const json = new Map(opts.lastApplied ? objects.map((o) => [keyOf(refOf(o)), JSON.stringify(o)]) : []);
  // When Git (or the replica plan) changed an object since gitfed last applied
  // it, a difference live is that change, not drift.
  const drift = detectDrift(conn.cluster, objects, live.owned, opts.everOwned?.get(conn.cluster) ?? new Set(), opts.fleet.driftPolicies, live.unobserved?.ownedKinds)
    .filter((d) => !last || last.get(keyOf(d.ref)) === json.get(keyOf(d.ref)));
  // A heal pass writes what changed since gitfed last applied; a cluster it
  // never applied to (Offline since the operator started, or a shard it just
  // took) has nothing to compare with: it gets everything, at once, instead of
  // waiting for the next push.
  const never = opts.writes === 'heal' && (opts.shard?.full?.has(conn.cluster) || (!!opts.lastApplied && !last));
  const mode = opts.rollout?.writesFor?.(conn.cluster) ?? (never ? 'all' : opts.writes);
  const healKeys = new Set(drift.filter((d) => d.mode === 'heal').map((d) => keyOf(d.ref)));
  if (mode === 'heal' && last) for (const [k, j] of json) if (last.get(k) !== j) healKeys.add(k);
  const writes = mode === 'all' ? undefined : mode === 'heal' ? healKeys : new Set<string>();
  const results = await applyCluster(conn, objects, live.owned, { dryRun: opts.dryRun, force: true, ...(opts.reportConflicts ? { reportConflicts: true } : {}), ...(writes ? { onlyKeys: writes } : {}) });
  let pruned: PruneResult[] = [];
  if (opts.prune && mode === 'all') {
    try {
      // A blocked object is still wanted (it could not be written safely now): never prune it.
      // What the leaving step deletes is deleted below, on quiet passes too.
      const keep = [...objects, ...(leaving?.remove ?? []), ...blocked.map((b) => ({ apiVersion: b.ref.apiVersion ?? 'v1', kind: b.ref.kind, metadata: { name: b.ref.name, ...(b.ref.namespace ? { namespace: b.ref.namespace } : {}) } }))];
      pruned = await pruneCluster(conn, live.owned, keep, { dryRun: opts.dryRun, pruneAll: opts.pruneAll ?? opts.fleet.settings.allowPruneAll });
    } catch (e) {
      if (e instanceof PruneAllRefused) { base.errors.push(e.message); base.pruneRefused = e.message; }
      else throw e;
    }
  }
  if (leaving?.remove.length) {
    const only = new Map(leaving.remove.map((o) => [keyOf(refOf(o)), o]));
    pruned = [...pruned, ...(await pruneCluster(conn, only, [], { dryRun: opts.dryRun, pruneAll: true }))];
  }
  base.errors.push(...results.filter((r) => r.error).map((r) => r.error!), ...pruned.filter((p) => p.error).map((p) => p.error!));
  if (opts.lastApplied && !opts.dryRun) {
    const next = new Map<string, string>();
    for (const r of results) {
      const k = keyOf(r.ref);
      if (r.sharedWith) continue;
      if (r.action === 'failed' || r.action === 'skipped') { const prev = last?.get(k); if (prev) next.set(k, prev); }
      else next.set(k, json.get(k)!);
    }
    opts.lastApplied.set(conn.cluster, next);
    const ever = opts.everOwned?.get(conn.cluster) ?? new Set<string>();
    for (const k of next.keys()) ever.add(k);
    opts.everOwned?.set(conn.cluster, ever);
  }
  // The operator's status describes the cluster after the pass: a difference
  // this pass overwrote in report mode (a new revision, or a replica's first
  // pass on a cluster it took over) is not drift left in it, and reporting it
  // would make one revision two status commits. What heal reverted stays:
  // the status says what heal did.
  const written = new Set(results.filter((r) => r.action === 'updated' || r.action === 'created' || r.action === 'adopted').map((r) => keyOf(r.ref)));
  const left = opts.lastApplied ? drift.filter((d) => d.mode === 'heal' || !written.has(keyOf(d.ref))) : drift;
  return { ...base, objects: results, pruned, drift: left, counts: counts(results, left.length, blocked.length), workloads: workloadStatus(objects, live.owned) };
}

/**
 * Observe, render, apply. When a cluster refuses a node port it showed as
 * free, the refusal becomes an observation (refused-node-ports.ts) and, for a
 * port gitfed was choosing now, the pass runs again: the render moves the
 * Service to a port free everywhere, in the same command or tick.
 */
export async function reconcileFleet(opts: ReconcileOptions): Promise<ReconcileResult> {
  const conns = opts.connections ?? (await connect(opts.kubeconfigPath, opts.fleet.clusters));
  const refused = opts.refusedNodePorts ?? new Map();
  const writing = !opts.dryRun && opts.writes !== 'none';
  const kept = keptPorts(opts.fleet, opts.allocations);
  try {
    for (let pass = 1; ; pass++) {
      const now = opts.now ?? Date.now();
      expireRefusals(refused, now);
      const result = await reconcilePass({ ...opts, connections: conns }, refused);
      const fresh = writing && !result.renderFailed ? recordRefusals(refused, result.clusters, kept, now) : 0;
      if (fresh === 0 || pass >= MAX_PASSES) {
        return { ...result, findings: [...result.findings, ...refusalFindings(refused, new Set(result.clusters.map((c) => c.cluster)))] };
      }
    }
  } finally {
    if (!opts.connections) closeAll(conns);
  }
}

async function reconcilePass(opts: ReconcileOptions & { connections: Map<string, Connection | KubeconfigError> }, refused: RefusedNodePorts): Promise<ReconcileResult> {
  const { fleet } = opts;
  const conns = opts.connections;
  const renderedKinds = new Set<string>();
  for (const m of fleet.manifests) renderedKinds.add(`${m.object.apiVersion} ${m.object.kind}`);
  // Owned objects of a kind Git does not render matter only to prune (and to a
  // cluster leaving a shared load balancer); without them every cluster is
  // spared a LIST per such kind (one-shot apply, status, doctor, quiet ticks).
  // Render adds Namespaces and the ingress-uid ConfigMap of its own.
  const kinds: Array<[string, string]> = opts.prune || opts.continueLeaving ? [...PRUNE_KINDS] : [['v1', 'Namespace'], ['v1', 'ConfigMap']];
  for (const k of renderedKinds) { const [v, kind] = k.split(' ') as [string, string]; if (!kinds.some(([a, b]) => a === v && b === kind)) kinds.push([v, kind]); }

  const needs = observationNeeds(fleet, ...(opts.rollout?.stable ? [opts.rollout.stable.fleet] : []));
  const shard = opts.shard;
  const observed = await Promise.all(fleet.clusters.filter((c) => !shard || shard.owned.has(c.name)).map(async (c): Promise<LiveCluster> => {
    const conn = conns.get(c.name);
    if (!conn || conn instanceof Error) {
      return emptyLive(c.name, { health: 'Unknown', reason: 'NoKubeconfig', message: conn?.message ?? 'no connection' });
    }
    return observeCluster(conn, { fleetName: fleet.settings.name, kinds, needs, ...(opts.unschedulableAfterMs !== undefined ? { unschedulableAfterMs: opts.unschedulableAfterMs } : {}), ...(opts.probeTimeoutMs ? { probeTimeoutMs: opts.probeTimeoutMs } : {}), ...(opts.now ? { now: opts.now } : {}) });
  }));
  // A port a cluster refused counts as held there (and in this shard's digest).
  const lives = observed.map((l) => (refused.has(l.cluster) ? { ...l, observation: withRefusals(l.cluster, l.observation, refused) } : l));
  const own: Observations = { ...shard?.observations, ...Object.fromEntries(lives.map((l) => [l.cluster, l.observation])) };
  // Sharded: a cluster no shard has reported yet is unknown, not empty.
  const observations = shard ? withUnreported(own, fleet.clusters.map((c) => c.name)) : own;
  const rendered = render({ fleet, observations, allocations: opts.allocations, ...(opts.loadFindings ? { loadFindings: opts.loadFindings } : {}), ...(opts.allowHealthCheckDivergence ? { allowHealthCheckDivergence: true } : {}) });
  const byCluster = new Map(rendered.clusters.map((c) => [c.cluster, c]));
  const stable = opts.rollout?.stable;
  const held = (cluster: string) => !!opts.rollout && !opts.rollout.targetClusters.has(cluster);
  const stableRender = stable && rendered.clusters.length ? render({ fleet: stable.fleet, observations, allocations: rendered.allocations, ...(stable.loadFindings ? { loadFindings: stable.loadFindings } : {}), ...(opts.allowHealthCheckDivergence ? { allowHealthCheckDivergence: true } : {}) }) : undefined;
  const stableByCluster = new Map(stableRender?.clusters.map((c) => [c.cluster, c]) ?? []);
  // Status lists every rendered Ingress, also one blocked below for its static IP.
  const objects = new Map(rendered.clusters.filter((c) => !shard || shard.owned.has(c.cluster)).map((c) => [c.cluster, c.objects]));
  let staticIps: StaticIpResults | undefined;
  if (opts.gce) {
    staticIps = await reserveStaticIps(opts.gce, rendered.clusters, fleet.clusters, opts.dryRun || opts.writes === 'none');
    const gceClusters = new Set(fleet.clusters.filter((c) => c.provider === 'gce').map((c) => c.name));
    for (const [name, r] of byCluster) byCluster.set(name, blockUnreserved(r, staticIps, gceClusters));
    for (const [name, r] of stableByCluster) stableByCluster.set(name, blockUnreserved(r, staticIps, gceClusters));
  }
  if (!opts.allowV2Naming) {
    const v2 = v2NamingBlocks(byCluster, new Map(lives.map((l) => [l.cluster, l.ingresses])));
    for (const [name, extra] of v2) {
      const r = byCluster.get(name)!;
      const keys = new Set(extra.map((b) => `${b.ref.namespace}/${b.ref.name}`));
      byCluster.set(name, { ...r, objects: r.objects.filter((o) => !(o.kind === 'Ingress' && keys.has(`${o.metadata.namespace}/${o.metadata.name}`))), blocked: [...r.blocked, ...extra] });
    }
  }
  // Taking a cluster out of a shared load balancer (core/leaving.ts): its
  // steps apply when this pass may delete; rejoining under the shared uid always.
  const leaving = rendered.clusters.length ? planLeaving({
    renders: byCluster, owned: new Map(lives.map((l) => [l.cluster, l.owned])), sharedUid: rendered.allocations.glbc.uid ?? '',
    // A cluster whose EndpointSlices could not be listed is left out: unknown, not drained.
    readyEndpoints: new Map(lives.filter((l) => !l.unobserved?.endpoints).map((l) => [l.cluster, new Map([...l.endpoints].map(([k, e]) => [k, e.ready]))])),
    uids: new Map(lives.map((l) => [l.cluster, l.observation.ingressUid?.uid])),
  }) : new Map<string, ClusterLeaving>();
  const deleting = (opts.prune || opts.continueLeaving) && !opts.allowSharedIngressRemoval;
  for (const [name, l] of leaving) if (!deleting && l.finding.code !== 'RejoinSharedIngress') leaving.delete(name);
  for (const [name, l] of leaving) byCluster.set(name, withLeaving(byCluster.get(name)!, l));
  const clusters = await Promise.all(lives.map(async (live) => {
    const conn = conns.get(live.cluster);
    const r = byCluster.get(live.cluster);
    if (!conn || conn instanceof Error || !r) {
      return { cluster: live.cluster, health: live.probe.health, reason: live.probe.reason, message: live.probe.message, objects: [], pruned: [], blocked: r?.blocked ?? [], drift: [], errors: [...live.errors], counts: counts([], 0, 0), endpoints: Object.fromEntries(live.endpoints) } satisfies ClusterResult;
    }
    // A cluster a rollout has not reached keeps the stable revision (nothing is written without one).
    const own = held(live.cluster) ? stableByCluster.get(live.cluster) : r;
    const skipped = held(live.cluster) && !own ? 'held' : r.skipped ?? (live.probe.health !== 'Ready' ? 'unreachable' : undefined);
    // The leaving steps act on the fleet's revision only (a held cluster keeps the stable one).
    const l = held(live.cluster) ? undefined : leaving.get(live.cluster);
    return reconcileCluster(conn, live, (own ?? r).objects, (own ?? r).blocked, skipped, opts, l);
  }));
  // Same order as lives: each cluster's live uid, for the GCE checks (orphans, firewall names).
  clusters.forEach((c, i) => { const u = lives[i]?.observation.ingressUid; if (u) (c as ClusterResult).ingressUid = u; });
  const ingresses = ingressStatus(objects, lives);
  let gceBackendHealth: FetchedBackendHealth[] | undefined;
  if (opts.gce) {
    for (const i of ingresses) { const s = staticIps?.get(describeRef(i.ref)); if (s) i.staticIps = s; }
    gceBackendHealth = await addGceHealth(opts.gce, ingresses, fleet.clusters, new Set(lives.filter((l) => l.probe.health !== 'Ready').map((l) => l.cluster)));
  }
  for (const c of clusters) { const l = leaving.get(c.cluster); if (l) (c as ClusterResult).leaving = { step: l.step, message: l.finding.message }; }
  return {
    ...(gceBackendHealth ? { gceBackendHealth } : {}),
    clusters, ingresses, replicas: rendered.replicas,
    allocations: rendered.clusters.length ? rendered.allocations : opts.allocations,
    findings: rendered.findings, renderFailed: rendered.clusters.length === 0 && hasErrors(rendered.findings),
    ...(shard ? { observations: Object.fromEntries(lives.map((l) => [l.cluster, l.observation])) } : {}),
  };
}
