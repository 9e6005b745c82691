// `gitfed run --shards N`: the cluster stage split between replicas. Each
// tick a replica (1) lists the live replicas (their Leases), (2) takes the
// clusters rendezvous hashing gives it (their Leases), (3) reads the other
// shards' reports for the render, then reconciles only the clusters whose
// Lease it holds and (4) publishes its own report. The render core and the
// Git stages stay single-writer: the leader (the ordinary leader Lease)
// decides and publishes the allocations and alone writes Git, from every
// shard's report.
import type { ReconcileResult } from '../cluster/reconcile-types.js';
import type { ReportedGates } from '../core/rollout-model.js';
import type { Allocations } from '../core/model.js';
import { assignClusters } from '../core/shard-assignment.js';
import { clustersNotReporting, digestsByCluster, mergeObservations, type ClusterDigest } from '../core/shard-report.js';
import type { Logger } from './logger.js';
import type { ShardLeases } from './shard-leases.js';
import { digestOf, mergeResults } from './shard-results.js';
import type { PublishedAllocations, PublishedRollout, ShardStore } from './shard-store.js';

export interface ShardingOptions {
  identity: string;
  /** --shards N: the replicas expected (diagnostics; the assignment uses the live ones). */
  expected: number;
  leases: ShardLeases;
  store: ShardStore;
  /** Whether this replica holds the leader Lease now. */
  isLeader: () => boolean;
  log: Logger;
  /** The status waits at most this long for the other shards' reports of a revision (default 2 lease durations). */
  statusWaitMs: number;
  clock?: () => number;
}

export interface ShardPlan {
  /** Clusters whose Lease we hold: the only ones this pass observes and writes. */
  owned: Set<string>;
  /** Owned clusters we did not apply before (taken over): applied in full. */
  full: Set<string>;
  owners: Map<string, string>;
  digests: Map<string, ClusterDigest>;
}

export class Sharding {
  /** cluster -> the revision this replica last applied to it without a skip or an error (only while we hold it). */
  private readonly applied = new Map<string, string>();
  /** cluster -> the revision this replica last reconciled it at (what its report says; the leader's status waits for it). */
  private readonly reported = new Map<string, string>();
  private lastLive = '';
  /** The fleet's clusters as of the last tick (what rebalance() works on). */
  private clusters?: readonly string[];
  private waiting?: { revision: string; since: number };
  plan?: ShardPlan;

  constructor(readonly opts: ShardingOptions) {}

  get identity(): string {
    return this.opts.identity;
  }

  isLeader(): boolean {
    return this.opts.isLeader();
  }

  private now(): number {
    return (this.opts.clock ?? (() => performance.now()))();
  }

  /** Steps 1-2: the live replicas, and the Leases of the clusters they give us. */
  private async claim(clusters: readonly string[]): Promise<{ owners: Map<string, string>; owned: Set<string> }> {
    const { leases, identity, expected, log } = this.opts;
    this.clusters = clusters;
    const live = await leases.live();
    if (live.join(',') !== this.lastLive) {
      this.lastLive = live.join(',');
      (live.length === expected ? log.info : log.warn)('shard replicas', { live, expected });
    }
    const owners = assignClusters(clusters, live);
    const assigned = new Set(clusters.filter((c) => owners.get(c) === identity));
    const owned = await leases.sync(assigned);
    // A cluster we stopped holding (even for a moment) was maybe written by another replica: applied in full when it comes back.
    for (const c of [...this.applied.keys()]) if (!owned.has(c)) this.applied.delete(c);
    for (const c of [...this.reported.keys()]) if (!owned.has(c)) this.reported.delete(c);
    return { owners, owned };
  }

  /**
   * Steps 1-2 between ticks (every retry period): a dead replica's clusters
   * are taken, and ours released to a new replica, as soon as the Leases
   * allow, not only when the next tick starts (a tick can take seconds).
   * True when we hold a cluster the last tick did not work on: tick now.
   */
  async rebalance(): Promise<boolean> {
    if (!this.clusters) return false;
    const { owned } = await this.claim(this.clusters);
    return [...owned].some((c) => !this.plan?.owned.has(c));
  }

  /** Steps 1-3 for a fleet's clusters. */
  async refresh(clusters: readonly string[]): Promise<ShardPlan> {
    const { store } = this.opts;
    const { owners, owned } = await this.claim(clusters);
    const full = new Set([...owned].filter((c) => !this.applied.has(c)));
    const digests = digestsByCluster(await store.reports(), owners);
    this.plan = { owned, full, owners, digests };
    return this.plan;
  }

  /** The reconcile options for a plan: our clusters, the others' observations. */
  reconcileShard(plan: ShardPlan): { owned: Set<string>; full: Set<string>; observations: ReturnType<typeof mergeObservations> } {
    const others = new Map([...plan.digests].filter(([c]) => !plan.owned.has(c)));
    return { owned: plan.owned, full: plan.full, observations: mergeObservations({}, others) };
  }

  signal(cluster: string): AbortSignal | undefined {
    return this.opts.leases.signal(cluster);
  }

  /** Step 4: our clusters' digests; each names `revision` (undefined: a failed render) as the one it was reconciled at. */
  async publish(result: ReconcileResult, revision: string | undefined, gates?: ReadonlyMap<string, ReportedGates>): Promise<void> {
    const plan = this.plan;
    if (!plan) return;
    for (const c of result.clusters) {
      if (!plan.owned.has(c.cluster)) continue;
      if (revision) this.reported.set(c.cluster, revision);
      // A cluster skipped (unreachable) or with errors is not fully applied: its next pass is a full apply again.
      if (revision && !c.skipped && !c.errors.length) this.applied.set(c.cluster, revision);
      // Logged only while we still hold the Lease (a pass that lost it mid-way had its writes refused).
      if (this.signal(c.cluster)?.aborted !== false) continue;
      this.opts.log.info('cluster reconciled', { cluster: c.cluster, revision: this.reported.get(c.cluster), changed: c.counts.changed, at: Date.now() });
    }
    const clusters = result.clusters.filter((c) => plan.owned.has(c.cluster)).map((c) => digestOf(c, result.ingresses, result.observations?.[c.cluster], this.reported.get(c.cluster), gates?.get(c.cluster)));
    await this.opts.store.writeReport({ replica: this.opts.identity, at: new Date().toISOString(), clusters });
  }

  /** Written only when it changed (read first: another leader may have written it since we last did). */
  async publishAllocations(revision: string, allocations: Allocations, rollout?: PublishedRollout): Promise<void> {
    const cur = await this.opts.store.allocations();
    const next: PublishedAllocations = { revision, allocations, ...(rollout ? { rollout } : {}) };
    if (cur && JSON.stringify(cur) === JSON.stringify(next)) return;
    await this.opts.store.publishAllocations(next);
  }

  /** What the leader published for `revision` (any revision when undefined). */
  async allocationsFor(revision?: string): Promise<PublishedAllocations | undefined> {
    const p = await this.opts.store.allocations();
    return p && (revision === undefined || p.revision === revision) ? p : undefined;
  }

  /** The leader's result for the whole fleet. */
  merge(own: ReconcileResult, fleetClusters: readonly string[]): ReconcileResult {
    return this.plan ? mergeResults(own, fleetClusters, this.plan.digests) : own;
  }

  /**
   * Clusters the status commit still waits for: the other shards' clusters
   * that have not reported `revision` yet. Empty once they all did, or once
   * the wait has lasted statusWaitMs (a shard that cannot apply must not
   * hold the status back for ever; its clusters then show what they last reported).
   */
  statusWaitsFor(revision: string, fleetClusters: readonly string[]): string[] {
    const plan = this.plan;
    if (!plan) return [];
    const missing = clustersNotReporting(fleetClusters.filter((c) => !plan.owned.has(c)), revision, plan.digests);
    if (!missing.length) { this.waiting = undefined; return []; }
    if (this.waiting?.revision !== revision) this.waiting = { revision, since: this.now() };
    return this.now() - this.waiting.since > this.opts.statusWaitMs ? [] : missing;
  }
}
