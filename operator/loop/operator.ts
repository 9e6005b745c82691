// The GitOps loop. Each tick has three stages:
//  1. git: fetch; read and load a new revision (git-stage.ts; a slow or
//     silent git server holds a tick at most a few seconds once a revision
//     has been applied).
//  2. clusters: a new revision that loaded is rendered and applied (+ prune);
//     otherwise the last good revision is observed, drift healed or reported,
//     replicas moved when health changed.
//  3. status: written back to Git (only when it changed), plus a git note for
//     a new revision.
// A failed git stage fails only itself: stage 2 still runs on the last good
// revision. A revision counts as good only once it loaded, rendered AND was
// applied; one that fails to load or render applies nothing, the last good
// one stays applied and the error (file:line) goes into the status. Ticks
// never overlap; a tick given an AbortSignal (leadership) stops between
// stages once it is aborted, before any further write.
import type { Connection } from '../cluster/connect.js';
import { reconcileFleet, type ReconcileOptions } from '../cluster/reconcile.js';
import type { ReconcileResult } from '../cluster/reconcile-types.js';
import type { RefusedNodePorts } from '../cluster/refused-node-ports.js';
import type { ProjectReport } from '../gce/gce-report.js';
import { emptyAllocations, hasErrors, type Allocations, type Finding, type Fleet } from '../core/model.js';
import { formatFinding } from '../load/index.js';
import { commitMessage, short, statusFiles, type StatusInput } from '../report/status-tree.js';
import { FleetConnections } from './fleet-connections.js';
import { GitStage, type Revision } from './git-stage.js';
import { RolloutDriver, ROLLOUT_INDEX_FILE } from './rollout-driver.js';
import type { OperatorOptions, PushHint, TickResult } from './operator-types.js';
import type { PublishedAllocations } from './shard-store.js';

class Aborted extends Error {}

export class Operator {
  /** Stage 1: what git brought (the head last examined, a revision pending, its findings). */
  private readonly git: GitStage;
  /** Loaded, rendered and applied: what is healed while the head is broken. */
  private lastGood?: Revision;
  private allocations: Allocations = emptyAllocations();
  /** Sharded, not the leader: what the leader last published (allocations, rollout targets). */
  private published?: PublishedAllocations;
  private stateFindings: Finding[] = [];
  private gceProjects: Array<Omit<ProjectReport, 'resources'>> | undefined;
  /** The revision whose git note was written. */
  private noted?: string;
  private readonly lastApplied = new Map<string, Map<string, string>>();
  private readonly everOwned = new Map<string, Set<string>>();
  /** Node ports clusters refused though free by every LIST: avoided for minutes, across ticks. */
  private readonly refusedNodePorts: RefusedNodePorts = new Map();
  /** Connections to the member clusters, kept across ticks (watch caches, health monitors). */
  private readonly clusters: FleetConnections;
  private running?: Promise<TickResult>;
  private again?: { reason: string; signal: AbortSignal | undefined; push?: PushHint };
  ticks = 0;
  firstTickDone = false;
  /** Monotonic time (opts.clock) when the last tick completed, and wall time for the metric. */
  lastTickCompletedAt?: number;

  private readonly rollouts: RolloutDriver;
  /** Rollout transitions of the tick in flight (each becomes the status commit's subject). */
  private rolloutEvents: string[] = [];

  constructor(readonly opts: OperatorOptions) {
    this.clusters = new FleetConnections({
      kubeconfig: opts.kubeconfig, metrics: opts.metrics,
      ...(opts.allowInCluster ? { allowInCluster: true } : {}), ...(opts.probeTimeoutMs ? { probeTimeoutMs: opts.probeTimeoutMs } : {}),
      ...(opts.healthIntervalMs ? { healthIntervalMs: opts.healthIntervalMs } : {}), ...(opts.watchIdleTimeoutMs ? { watchIdleTimeoutMs: opts.watchIdleTimeoutMs } : {}),
      ...(opts.onHealthChange ? { onHealthChange: opts.onHealthChange } : {}),
    });
    this.git = new GitStage({
      source: opts.source, sink: opts.sink, log: opts.log, ...(opts.limits ? { limits: opts.limits } : {}), ...(opts.age ? { age: opts.age } : {}),
      ...(opts.gitWaitMs !== undefined ? { waitMs: opts.gitWaitMs } : {}),
      onAllocations: (read) => {
        this.allocations = read.allocations;
        if (read.finding) this.stateFindings = [read.finding];
      },
    });
    this.rollouts = new RolloutDriver({
      readIndex: () => opts.sink.read(ROLLOUT_INDEX_FILE), files: async (rev) => (await opts.source.files(rev)).files, log: opts.log, ...(opts.age ? { age: opts.age } : {}),
      ...(opts.sink.control ? { readControl: () => opts.sink.control!() } : {}),
      ...(opts.allowHealthCheckDivergence ? { allowHealthCheckDivergence: true } : {}),
    });
  }

  private now(): number {
    return (this.opts.clock ?? (() => performance.now()))();
  }

  /** Run a tick now, or right after the one in flight (ticks never overlap); `push`: a webhook's (see PushHint). */
  trigger(reason: string, signal?: AbortSignal, push?: PushHint): Promise<TickResult> {
    if (this.running) {
      // Coalesced ticks keep a push hint: the tick that follows still fetches at once.
      const hint = push ?? this.again?.push;
      this.again = { reason, signal, ...(hint ? { push: hint } : {}) };
      return this.running;
    }
    this.running = (async () => {
      let r = await this.tick(reason, signal, push);
      while (this.again) {
        const next = this.again;
        this.again = undefined;
        r = await this.tick(next.reason, next.signal, next.push);
      }
      this.running = undefined;
      return r;
    })();
    return this.running;
  }

  /** Resolves when the tick in flight (if any) is done: SIGTERM lets it finish. */
  async idle(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** Mutating requests sent to member clusters so far (the "no writes" proof). */
  writes(): number {
    return this.clusters.writes();
  }

  /** Requests sent to member clusters by the current connections (they count from 0). */
  requests(): number {
    return this.clusters.requests();
  }

  close(): void {
    this.clusters.close();
  }

  private async reconcile(rev: Revision, writes: 'all' | 'heal', signal?: AbortSignal): Promise<ReconcileResult> {
    const connections = await this.clusters.for(rev.fleet);
    const shard = this.opts.shard;
    const plan = shard ? await shard.refresh(rev.fleet.clusters.map((c) => c.name)) : undefined;
    // A tick that loses its lease mid-stage sends no further write to any cluster.
    // Sharded, a cluster's writes stop when its own Lease is lost instead.
    for (const [name, c] of connections) if (!(c instanceof Error)) c.http.gateWrites(shard ? shard.signal(name) : signal);
    // With a RolloutPolicy only the clusters the rollout reached get this
    // revision; the others keep the stable one (per-cluster writes and prune).
    // Sharded, the leader steps the waves and publishes where they stand;
    // the other replicas follow what it published for this revision.
    const leading = !shard || (!!signal && shard.isLeader());
    const rollout = leading ? await this.rollouts.before(rev)
      : await this.rollouts.follow(rev, this.published?.revision === rev.revision ? this.published.rollout : undefined);
    const result = await reconcileFleet({
      fleet: rev.fleet, loadFindings: rev.findings, kubeconfigPath: this.opts.kubeconfig, allocations: this.allocations,
      dryRun: false, prune: this.opts.prune && (writes === 'all' || !!rollout), pruneAll: this.opts.pruneAll ?? false, writes,
      lastApplied: this.lastApplied, everOwned: this.everOwned, connections, refusedNodePorts: this.refusedNodePorts,
      ...(this.opts.probeTimeoutMs ? { probeTimeoutMs: this.opts.probeTimeoutMs } : {}), ...(rollout ? { rollout } : {}), ...(this.opts.gce ? { gce: this.opts.gce } : {}),
      ...(this.opts.allowSharedIngressRemoval ? { allowSharedIngressRemoval: true } : {}),
      ...(this.opts.allowV2Naming ? { allowV2Naming: true } : {}), ...(this.opts.allowHealthCheckDivergence ? { allowHealthCheckDivergence: true } : {}),
      // Taking a cluster out of a shared load balancer moves one observed step per tick, new revision or not.
      ...(this.opts.prune ? { continueLeaving: true } : {}),
      ...(shard && plan ? { shard: shard.reconcileShard(plan) } : {}),
    });
    if (shard) return this.afterShardPass(rev, writes, result, signal, rollout);
    if (!result.renderFailed) {
      await this.refreshGce(rev.fleet, result);
      this.allocations = result.allocations;
      this.observe(result, rev.revision);
      // Also without a policy: a revision applied everywhere becomes the stable one.
      const step = await this.rollouts.after(rev, result, Date.now());
      this.rolloutEvents.push(...step.events);
      // The assignment changed (next batch, next wave, a revert): apply it now, not a tick later.
      if (step.again) this.again ??= { reason: 'rollout', signal };
    }
    return result;
  }

  /**
   * Sharded: publish this replica's report; the leader also publishes the
   * allocations it decided for the revision (also when the render failed, so
   * the other shards refuse the revision too instead of waiting) and gets
   * the whole fleet's result for the status commit.
   */
  private async afterShardPass(rev: Revision, writes: 'all' | 'heal', result: ReconcileResult, signal: AbortSignal | undefined, rollout: ReconcileOptions['rollout']): Promise<ReconcileResult> {
    const shard = this.opts.shard!;
    const leading = !!signal && shard.isLeader();
    if (!result.renderFailed) this.allocations = result.allocations;
    // The rollout's targets as this pass used them: the leader's index as last committed (or about to be), never ahead of it.
    const targets = rollout ? { targets: [...rollout.targetClusters].sort(), ...(this.rollouts.stableRevision ? { stable: this.rollouts.stableRevision } : {}) } : undefined;
    if (leading && (writes === 'all' || !result.renderFailed)) await shard.publishAllocations(rev.revision, this.allocations, targets);
    await shard.publish(result, result.renderFailed ? undefined : rev.revision, result.renderFailed ? undefined : this.rollouts.ownGates(rev, result));
    if (result.renderFailed) return result;
    const merged = leading ? shard.merge(result, rev.fleet.clusters.map((c) => c.name)) : result;
    this.observe(result, rev.revision);
    if (!leading) {
      this.rollouts.record(result);
      return merged;
    }
    // Only the leader writes Git, from every shard's uids and backends, and steps the waves from every shard's gates.
    await this.refreshGce(rev.fleet, merged);
    const step = await this.rollouts.after(rev, merged, Date.now());
    this.rolloutEvents.push(...step.events);
    if (step.again) this.again ??= { reason: 'rollout', signal };
    return merged;
  }

  /** The Compute Engine side of the status commit (gce.yaml), from the whole fleet's result. */
  private async refreshGce(fleet: Fleet, result: ReconcileResult): Promise<void> {
    if (!this.opts.gceReports) return;
    // Listed once per tick; a Compute Engine that fails is an error line per project, never the tick.
    this.gceProjects = (await this.opts.gceReports(fleet, result).catch((e: Error) => [{ project: '(all)', resources: [], orphans: { orphans: [], unknown: [] }, firewall: [], error: e.message }]))
      .map(({ resources: _r, ...p }) => p);
  }

  /** Sharded, not the leader: the allocations to render with, or undefined while the leader has not published them for `revision`. */
  private async leaderAllocations(revision: string | undefined): Promise<boolean> {
    const got = await this.opts.shard!.allocationsFor(revision);
    if (got) { this.allocations = got.allocations; this.published = got; }
    return !!got;
  }

  async tick(trigger = 'manual', signal?: AbortSignal, push?: PushHint): Promise<TickResult> {
    const { log, metrics } = this.opts;
    const end = metrics.reconcileDuration.startTimer();
    metrics.ticks.inc({ trigger });
    this.ticks++;
    const checkpoint = () => { if (signal?.aborted) throw new Aborted(); };
    let gitError: string | undefined;
    let statusWritten = false;
    let statusStartedAt: number | undefined;
    this.rolloutEvents = [];
    try {
      checkpoint();
      const git = await this.timed('git', () => this.git.run(!!this.lastGood, () => { if (this.running) this.again ??= { reason: 'git', signal }; }, push));
      if (git.error) {
        gitError = git.error;
        if (git.settled) metrics.gitErrors.inc({ op: 'fetch' });
        log.warn(this.lastGood ? 'git stage failed; observing and healing the last good revision' : 'git stage failed; no revision applied yet', { error: gitError });
      }
      checkpoint();
      let result: ReconcileResult | undefined;
      let applied = false;
      let notApplied: string | undefined;
      let candidate = this.git.pending;
      // Sharded, a replica that does not lead applies a revision only with the
      // allocations the leader decided for it: until then it heals the last good one.
      const follower = !!this.opts.shard && !(signal && this.opts.shard.isLeader());
      if (candidate && follower && !(await this.leaderAllocations(candidate.revision))) {
        log.info('waiting for the leader to publish the allocations of this revision', { revision: short(candidate.revision) });
        candidate = undefined;
        await this.leaderAllocations(undefined);
      } else if (!candidate && follower) await this.leaderAllocations(undefined);
      if (candidate) {
        result = await this.timed('clusters', () => this.reconcile(candidate!, 'all', signal));
        this.git.taken(candidate);
        if (result.renderFailed) {
          // Invalid inside render: never recorded as applied or as the last good revision.
          this.git.headFindings = result.findings;
          notApplied = formatFinding(result.findings.find((f) => f.severity === 'error')!);
          log.error('revision fails validation: not applied', { revision: short(candidate.revision), first: notApplied });
          result = undefined;
        } else {
          this.lastGood = candidate;
          applied = true;
          log.info('new revision', { revision: short(candidate.revision), applied: true });
        }
      } else if (this.git.lastSeen && this.git.lastSeen !== this.lastGood?.revision && hasErrors(this.git.headFindings)) {
        notApplied = formatFinding(this.git.headFindings.find((f) => f.severity === 'error')!);
      }
      if (!result && this.lastGood) {
        checkpoint();
        const last = this.lastGood;
        result = await this.timed('clusters', () => this.reconcile(last, 'heal', signal));
      }
      const good = this.lastGood;
      const revision = this.git.lastSeen;
      const base = { ...(revision ? { revision } : {}), applied, ...(result ? { result } : {}), ...(gitError ? { gitError, error: gitError } : {}), ...(notApplied ? { notApplied } : {}) };
      if (!revision) return { ...base, statusCommitted: false };
      // Sharded: only the leader writes Git, once every shard reported the revision.
      if (follower) return { ...base, statusCommitted: false };
      if (this.opts.shard && good) {
        const waits = this.opts.shard.statusWaitsFor(good.revision, good.fleet.clusters.map((c) => c.name));
        if (waits.length) {
          log.info('status waits for the shards of these clusters to report the revision', { revision: short(good.revision), clusters: waits });
          return { ...base, statusCommitted: false };
        }
      }
      statusStartedAt = performance.now();
      const input: StatusInput = {
        revision, ...(good ? { appliedRevision: good.revision } : {}), repo: this.opts.source.describe, branch: this.opts.source.branch,
        findings: revision === good?.revision ? (result?.findings ?? []) : this.git.headFindings, ...(result ? { result } : {}), allocations: this.allocations,
        ...(this.stateFindings.length ? { stateFindings: this.stateFindings } : {}), ...(this.gceProjects ? { gce: this.gceProjects } : {}),
        ...(this.rollouts.state && good?.fleet.rolloutPolicy ? { rollout: this.rollouts.state } : {}),
      };
      // Stage 3. After a failed fetch the push would only wait for the same git server.
      if (gitError) {
        log.warn('status not written: the git stage failed; it is written on the next tick that reaches git');
        return { ...base, statusCommitted: false };
      }
      // A status written without the rollout state would drop rollouts/index.yaml from the branch.
      if (good?.fleet.rolloutPolicy && !this.rollouts.state) {
        log.warn('status not written: the rollout state could not be read; it is written on the next tick that reads it');
        return { ...base, statusCommitted: false };
      }
      checkpoint();
      // A rollout transition is the commit's subject: `rollout: 1a2b3c4 wave canary passed (1/3 clusters)`.
      const events = this.rolloutEvents;
      const status = commitMessage(input);
      const message = events.length ? [events[0]!, '', ...events.slice(1), ...(events.length > 1 ? [''] : []), status].join('\n') : status;
      const { committed, written } = await this.writeStatus(new Map([...statusFiles(input), ...this.rollouts.files()]), message, signal);
      statusWritten = written;
      if (committed) this.stateFindings = [];
      const noteFailed = (e: unknown) => { checkpoint(); metrics.gitErrors.inc({ op: 'push' }); log.warn('could not write the git note', { error: (e as Error).message }); };
      // One note per examined revision (retried on the next tick if it failed).
      if (this.opts.sink.note && this.noted !== revision && (revision === good?.revision || notApplied)) {
        checkpoint();
        await this.opts.sink.note(revision, status, signal).then(() => { this.noted = revision; }, noteFailed);
      }
      // Where the rollout stands, on the source commit (replaces its note on each transition).
      if (this.opts.sink.note && events.length && good) {
        checkpoint();
        await this.opts.sink.note(good.revision, events[events.length - 1]!, signal).catch(noteFailed);
      }
      return { ...base, statusCommitted: committed };
    } catch (e) {
      if (e instanceof Aborted) {
        log.warn('leadership lost: tick stopped before its next write');
        return { applied: false, statusCommitted: false, aborted: true, error: 'leadership lost', ...(gitError ? { gitError } : {}) };
      }
      log.error('tick failed', { error: (e as Error).message });
      return { applied: false, statusCommitted: false, error: (e as Error).message };
    } finally {
      // Rollout transitions stand only once the status commit that records them landed.
      if (statusStartedAt !== undefined) metrics.tickStageDuration.observe({ stage: 'status' }, (performance.now() - statusStartedAt) / 1000);
      this.rollouts.settle(statusWritten);
      if (!statusWritten && this.again?.reason === 'rollout') this.again = undefined;
      this.firstTickDone = true;
      this.lastTickCompletedAt = this.now();
      metrics.lastTickCompleted.set(Date.now() / 1000);
      this.clusters.count();
      end();
    }
  }

  /** One stage of a tick, timed into gitfed_tick_stage_duration_seconds (also when it throws). */
  private async timed<T>(stage: 'git' | 'clusters', fn: () => Promise<T>): Promise<T> {
    const end = this.opts.metrics.tickStageDuration.startTimer({ stage });
    try {
      return await fn();
    } finally {
      end();
    }
  }

  private observe(r: ReconcileResult, revision: string): void {
    const { metrics, log } = this.opts;
    metrics.lastApplied.reset();
    metrics.lastApplied.set({ revision }, 1);
    metrics.watchFailing.reset();
    const conns = this.clusters.current;
    for (const c of r.clusters) {
      metrics.clusterReady.set({ cluster: c.cluster }, c.health === 'Ready' ? 1 : 0);
      metrics.drifted.set({ cluster: c.cluster }, c.drift.length);
      if (c.counts.failed) metrics.applyErrors.inc({ cluster: c.cluster }, c.counts.failed);
      for (const e of c.errors) log.warn('cluster error', { cluster: c.cluster, error: e });
      const watches = [...(conns?.get(c.cluster) as Connection | undefined)?.caches?.values() ?? []].map((w) => w.state());
      metrics.watchCacheObjects.set({ cluster: c.cluster }, watches.reduce((n, w) => n + w.objects, 0));
      for (const w of watches) if (w.error) metrics.watchFailing.set({ cluster: c.cluster, kind: w.kind, code: w.error.code }, 1);
      for (const d of c.drift) log.info('drift', { cluster: c.cluster, object: `${d.ref.kind}/${d.ref.namespace ?? ''}/${d.ref.name}`, policy: d.mode, fields: d.fields.map((f) => f.path) });
    }
  }

  /** A status that could not be pushed is simply recomputed and written on the next tick. */
  private async writeStatus(files: Map<string, string>, message: string, signal?: AbortSignal): Promise<{ committed: boolean; written: boolean }> {
    try {
      const r = await this.opts.sink.write(files, message, signal);
      if (r.committed) this.opts.log.info('status committed', { message: message.split('\n')[0], commit: short(r.oid) });
      // Not committed without an error: the branch already holds exactly this.
      return { committed: r.committed, written: true };
    } catch (e) {
      if (signal?.aborted) throw new Aborted();
      this.opts.metrics.gitErrors.inc({ op: 'push' });
      this.opts.log.warn('status push failed; will retry on the next tick', { error: (e as Error).message, ...((e as { code?: string }).code ? { code: (e as { code?: string }).code } : {}) });
      return { committed: false, written: false };
    }
  }
}
