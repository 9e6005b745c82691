// The GitOps loop. Each tick: fetch; on a new revision load -> render ->
// apply (+ prune); on every tick observe, heal or report drift and move
// replicas when health changed; then write status back to Git (only when it
// changed). Ticks never overlap. A revision that fails to load or render
// applies nothing: the last good one stays applied and the error (file:line)
// goes into the status.
import { parse } from 'yaml';
import { closeAll, connect, type Connection, type KubeconfigError } from '../cluster/connect.js';
import { podEnvironment } from '../cluster/in-cluster.js';
import { reconcileFleet } from '../cluster/reconcile.js';
import type { ReconcileResult } from '../cluster/reconcile-types.js';
import { emptyAllocations, hasErrors, type Allocations, type Finding, type Fleet } from '../core/model.js';
import { parseAllocations } from '../core/state-files.js';
import type { FleetFile } from '../load/index.js';
import { loadFleetFiles } from '../load/index.js';
import { commitMessage, short, statusFiles, type StatusInput } from '../report/status-tree.js';
import { createHash } from 'node:crypto';

function filesHash(files: readonly FleetFile[]): string {
  const h = createHash('sha1');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : 1))) h.update(f.path).update('\0').update(f.content).update('\0');
  return h.digest('hex');
}
import type { Logger } from './logger.js';
import { RolloutDriver, ROLLOUT_INDEX_FILE } from './rollout-driver.js';
import type { Metrics } from './metrics.js';

/** Where revisions come from: a git remote or a local directory. */
export interface RevisionSource {
  describe: string;
  branch: string;
  /** Current head revision (a commit, or a content hash for a directory). */
  head(): Promise<string>;
  files(revision: string): Promise<FleetFile[]>;
}

/** Where status goes: a git branch or a directory. */
export interface StatusSink {
  read(path: string): Promise<string | undefined>;
  write(files: ReadonlyMap<string, string>, message: string): Promise<{ committed: boolean; oid?: string }>;
  note?(revision: string, text: string): Promise<void>;
  /** control.yaml of branch gitfed/control (rollout approvals, pauses, aborts). */
  control?(): Promise<string | undefined>;
}

export interface OperatorOptions {
  source: RevisionSource;
  sink: StatusSink;
  kubeconfig: string;
  prune: boolean;
  pruneAll?: boolean;
  log: Logger;
  metrics: Metrics;
  probeTimeoutMs?: number;
  /** Manage the cluster the operator runs in with its own identity (--allow-in-cluster). */
  allowInCluster?: boolean;
  /** A watch with no event and no bookmark for this long reconnects (default 5 min). */
  watchIdleTimeoutMs?: number;
}

export interface TickResult {
  revision?: string;
  applied: boolean;
  statusCommitted: boolean;
  result?: ReconcileResult;
  error?: string;
}

export class Operator {
  private lastSeen?: string;
  /** Hash of the fleet files of lastSeen: a commit that changes nothing in them (e.g. gitfed's own status commit) is not a new revision. */
  private lastFilesHash?: string;
  private lastGood?: { revision: string; fleet: Fleet; findings: Finding[] };
  private headFindings: Finding[] = [];
  private allocations: Allocations = emptyAllocations();
  private allocationsLoaded = false;
  private readonly lastApplied = new Map<string, Map<string, string>>();
  private readonly everOwned = new Map<string, Set<string>>();
  private connections?: Map<string, Connection | KubeconfigError>;
  private connectionsFor?: string;
  private running?: Promise<TickResult>;
  private again = false;
  ticks = 0;
  firstTickDone = false;

  private readonly rollouts: RolloutDriver;

  constructor(readonly opts: OperatorOptions) {
    this.rollouts = new RolloutDriver({
      readIndex: () => opts.sink.read(ROLLOUT_INDEX_FILE), files: (rev) => opts.source.files(rev), log: opts.log,
      ...(opts.sink.control ? { readControl: () => opts.sink.control!() } : {}),
    });
  }

  /** Run a tick now, or right after the one in flight (ticks never overlap). */
  trigger(reason: string): Promise<TickResult> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      let r: TickResult;
      do {
        this.again = false;
        r = await this.tick(reason);
      } while (this.again);
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
    let n = 0;
    for (const c of this.connections?.values() ?? []) if (!(c instanceof Error)) n += c.http.writes;
    return n;
  }

  close(): void {
    if (this.connections) closeAll(this.connections);
  }

  private async loadAllocations(): Promise<void> {
    if (this.allocationsLoaded) return;
    const text = await this.opts.sink.read('allocations.yaml');
    if (text) {
      const parsed = parseAllocations(parse(text), 'allocations.yaml');
      if (!hasErrors(parsed.findings)) this.allocations = parsed.allocations;
    }
    this.allocationsLoaded = true;
  }

  private conns(fleet: Fleet): Map<string, Connection | KubeconfigError> | undefined {
    return this.connections && this.connectionsFor === JSON.stringify(fleet.clusters.map((c) => [c.name, c.context])) ? this.connections : undefined;
  }

  async tick(trigger = 'manual'): Promise<TickResult> {
    const { log, metrics, source } = this.opts;
    const end = metrics.reconcileDuration.startTimer();
    metrics.ticks.inc({ trigger });
    this.ticks++;
    try {
      await this.loadAllocations().catch((e) => { metrics.gitErrors.inc({ op: 'fetch' }); throw e; });
      let revision: string;
      try {
        revision = await source.head();
      } catch (e) {
        metrics.gitErrors.inc({ op: 'fetch' });
        log.warn('fetch failed; keeping the last good revision applied', { error: (e as Error).message });
        if (!this.lastGood) return { applied: false, statusCommitted: false, error: (e as Error).message };
        revision = this.lastSeen!;
      }
      let isNew = revision !== this.lastSeen;
      let files: FleetFile[] = [];
      if (isNew) {
        files = await source.files(revision);
        const hash = filesHash(files);
        if (hash === this.lastFilesHash) { revision = this.lastSeen!; isNew = false; }
        this.lastFilesHash = hash;
      }
      if (isNew) {
        const loaded = loadFleetFiles(files);
        this.headFindings = loaded.findings;
        this.lastSeen = revision;
        if (hasErrors(loaded.findings)) {
          log.error('revision has errors: not applied', { revision: short(revision), first: loaded.findings.find((f) => f.severity === 'error')?.message });
        } else {
          this.lastGood = { revision, fleet: loaded.fleet, findings: loaded.findings };
          log.info('new revision', { revision: short(revision) });
        }
      }
      const good = this.lastGood;
      let result: ReconcileResult | undefined;
      let applied = false;
      let rolloutEvents: string[] = [];
      if (good) {
        const applyAll = isNew && good.revision === revision;
        const fresh = !this.conns(good.fleet);
        if (fresh) {
          if (this.connections) closeAll(this.connections);
          this.connections = await connect(this.opts.kubeconfig, good.fleet.clusters, undefined, this.opts.allowInCluster ? {} : { refuseInCluster: podEnvironment() });
          // A long-running operator keeps watch caches: quiet ticks send no LISTs.
          for (const c of this.connections.values()) {
            if (c instanceof Error) continue;
            c.caches = new Map();
            if (this.opts.watchIdleTimeoutMs) c.watch = { idleTimeoutMs: this.opts.watchIdleTimeoutMs };
          }
          this.connectionsFor = JSON.stringify(good.fleet.clusters.map((c) => [c.name, c.context]));
        }
        // With a RolloutPolicy, only the clusters the rollout reached get this revision.
        const rollout = await this.rollouts.before(good);
        result = await reconcileFleet({
          fleet: good.fleet, loadFindings: good.findings, kubeconfigPath: this.opts.kubeconfig, allocations: this.allocations,
          dryRun: false, prune: this.opts.prune && (applyAll || !!rollout), pruneAll: this.opts.pruneAll ?? false, writes: applyAll ? 'all' : 'heal',
          lastApplied: this.lastApplied, everOwned: this.everOwned, connections: this.connections!,
          ...(this.opts.probeTimeoutMs ? { probeTimeoutMs: this.opts.probeTimeoutMs } : {}), ...(rollout ? { rollout } : {}),
        });
        applied = applyAll && !result.renderFailed;
        if (rollout && !result.renderFailed) {
          const step = await this.rollouts.after(good, result, Date.now());
          rolloutEvents = step.events;
          if (step.again) this.again = true;
        }
        if (!result.renderFailed) this.allocations = result.allocations;
        this.observe(result, good.revision);
      }
      const input: StatusInput = {
        revision, ...(good ? { appliedRevision: good.revision } : {}), repo: source.describe, branch: source.branch,
        findings: revision === good?.revision ? (result?.findings ?? []) : this.headFindings, ...(result ? { result } : {}), allocations: this.allocations,
        ...(this.rollouts.state && good?.fleet.rolloutPolicy ? { rollout: this.rollouts.state } : {}),
      };
      const statusTree = new Map([...statusFiles(input), ...this.rollouts.files()]);
      // A rollout transition is the commit's subject: `rollout: 1a2b3c4 wave canary passed (1/3 clusters)`.
      const message = rolloutEvents.length ? [rolloutEvents[0]!, '', ...rolloutEvents.slice(1), ...(rolloutEvents.length > 1 ? [''] : []), commitMessage(input)].join('\n') : commitMessage(input);
      const committed = await this.writeStatus(statusTree, message);
      const note = rolloutEvents.length ? rolloutEvents[rolloutEvents.length - 1]! : isNew ? commitMessage(input) : undefined;
      if (note && this.opts.sink.note) {
        await this.opts.sink.note(rolloutEvents.length ? good!.revision : revision, note).catch((e) => { metrics.gitErrors.inc({ op: 'push' }); log.warn('could not write the git note', { error: (e as Error).message }); });
      }
      this.firstTickDone = true;
      return { revision, applied, statusCommitted: committed, ...(result ? { result } : {}) };
    } catch (e) {
      log.error('tick failed', { error: (e as Error).message });
      return { applied: false, statusCommitted: false, error: (e as Error).message };
    } finally {
      end();
    }
  }

  private observe(r: ReconcileResult, revision: string): void {
    const { metrics, log } = this.opts;
    metrics.lastApplied.reset();
    metrics.lastApplied.set({ revision }, 1);
    metrics.watchFailing.reset();
    const conns = this.connections;
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
  private async writeStatus(files: Map<string, string>, message: string): Promise<boolean> {
    try {
      const r = await this.opts.sink.write(files, message);
      if (r.committed) this.opts.log.info('status committed', { message, commit: short(r.oid) });
      return r.committed;
    } catch (e) {
      this.opts.metrics.gitErrors.inc({ op: 'push' });
      this.opts.log.warn('status push failed; will retry on the next tick', { error: (e as Error).message });
      return false;
    }
  }
}
