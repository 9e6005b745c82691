// Rollout waves in the operator loop. Before a tick's reconcile it says which
// clusters run the target revision and which keep the stable one; after it,
// it judges the gates from what the tick observed, steps the pure state
// machine and hands back the transitions (each becomes a status commit).
// State lives in the status branch (rollouts/index.yaml), approvals, pauses
// and aborts on branch gitfed/control: a restart resumes at the same wave.
import { parse, stringify } from 'yaml';
import type { ReconcileOptions } from '../cluster/reconcile.js';
import type { ReconcileResult } from '../cluster/reconcile-types.js';
import { emptyAllocations, hasErrors, type Fleet, type Finding } from '../core/model.js';
import { render } from '../core/render.js';
import { currentTargets, renderFingerprints, stepRollout } from '../core/rollout.js';
import { clusterGates, reportedGates } from '../core/rollout-gates.js';
import { emptyControl, emptyIndex, type ClusterGates, type ReportedGates, type RolloutControl, type RolloutIndex, type RolloutPolicy } from '../core/rollout-model.js';
import type { FleetFile } from '../load/index.js';
import { loadFleet, type AgeKeySource } from '../load/index.js';
import type { PublishedRollout } from './shard-store.js';

export const ROLLOUT_INDEX_FILE = 'rollouts/index.yaml';

export interface RolloutEnds {
  /** rollouts/index.yaml as last committed (undefined: none yet). */
  readIndex(): Promise<string | undefined>;
  /** control.yaml of branch gitfed/control (undefined: none yet). */
  readControl?(): Promise<string | undefined>;
  /** Fleet files of a revision (to render the stable revision). */
  files(revision: string): Promise<FleetFile[]>;
  log: { warn(msg: string, f?: Record<string, unknown>): void };
  /** The age keys for SOPS-encrypted files (the stable revision may have some). */
  age?: AgeKeySource;
  /** Prometheus queries (injected so tests can count them); default fetch with a timeout. */
  fetch?: typeof fetch;
  /** `--allow-health-check-divergence`: the fingerprints must come from the same render the reconcile does. */
  allowHealthCheckDivergence?: boolean;
}

export interface Target { revision: string; fleet: Fleet; findings: Finding[] }

export function parseControl(text: string | undefined): RolloutControl {
  const raw = text ? (parse(text) as Partial<RolloutControl> | null) : null;
  return {
    approvals: Array.isArray(raw?.approvals) ? raw!.approvals.filter((a) => a && typeof a.revision === 'string' && typeof a.wave === 'string') : [],
    paused: raw?.paused === true,
    aborts: Array.isArray(raw?.aborts) ? raw!.aborts.filter((a) => a && typeof a.revision === 'string') : [],
  };
}

export function parseIndex(text: string | undefined): RolloutIndex {
  const raw = text ? (parse(text) as Partial<RolloutIndex> | null) : null;
  if (!raw || typeof raw !== 'object') return emptyIndex();
  return { ...emptyIndex(), ...raw, history: Array.isArray(raw.history) ? raw.history : [], quarantined: Array.isArray(raw.quarantined) ? raw.quarantined : [] };
}

export class RolloutDriver {
  private index?: RolloutIndex;
  /** The index as it stands on the status branch: a transition counts only once its status commit landed. */
  private persisted?: RolloutIndex;
  private control: RolloutControl = emptyControl();
  private stable?: { revision: string; fleet: Fleet; findings: Finding[] };
  /** cluster -> the revision last applied there in full (a change means apply all + prune). */
  private readonly applied = new Map<string, string>();
  private used: string[] = [];
  /** The revision the last option gives a cluster: the target where the rollout reached it, else the stable one. */
  private revisionOf: (cluster: string) => string = () => '';
  private optionStable?: string;

  constructor(private readonly ends: RolloutEnds) {}

  get state(): RolloutIndex | undefined {
    return this.index;
  }

  /** The rollout options of this tick's reconcile, or undefined without a RolloutPolicy. */
  async before(target: Target): Promise<ReconcileOptions['rollout'] | undefined> {
    const policy = target.fleet.rolloutPolicy;
    if (!this.index) {
      let text: string | undefined;
      try {
        text = await this.ends.readIndex();
      } catch (e) {
        // Unknown rollout state (the status branch could not be read): write to no cluster this tick.
        this.ends.log.warn('cannot read rollouts/index.yaml; holding every cluster this tick', { error: (e as Error).message });
        return policy ? { targetClusters: new Set() } : undefined;
      }
      try {
        this.index = parseIndex(text);
      } catch (e) {
        // A damaged index must not stop the fleet: start over (the safest state: roll the head out again from wave one).
        this.ends.log.warn('rollouts/index.yaml is not valid YAML; starting from an empty rollout history', { error: (e as Error).message });
        this.index = emptyIndex();
      }
      this.persisted = structuredClone(this.index);
    }
    if (!policy) return undefined;
    if (this.ends.readControl) {
      try { this.control = parseControl(await this.ends.readControl()); } catch (e) { this.ends.log.warn('could not read gitfed/control; using the last control read', { error: (e as Error).message }); }
    }
    const stableRev = this.index.current?.revision === target.revision ? this.index.current.stable ?? this.index.stable : this.index.stable;
    return this.option(target, new Set(currentTargets(this.index, target.revision, target.fleet.clusters, policy)), stableRev);
  }

  /**
   * run --shards, a replica that does not lead: the rollout option from what
   * the leader published for this revision (the clusters the rollout reached,
   * the stable revision). Nothing published yet: every cluster is held.
   */
  async follow(target: Target, published: PublishedRollout | undefined): Promise<ReconcileOptions['rollout'] | undefined> {
    if (!target.fleet.rolloutPolicy) return undefined;
    return this.option(target, new Set(published?.targets ?? []), published?.stable);
  }

  /** The stable revision the last option kept the other clusters on (what a sharded leader publishes). */
  get stableRevision(): string | undefined {
    return this.optionStable;
  }

  private async option(target: Target, targets: Set<string>, stableRev: string | undefined): Promise<ReconcileOptions['rollout']> {
    if (stableRev && this.stable?.revision !== stableRev && stableRev !== target.revision) {
      const loaded = await loadFleet(await this.ends.files(stableRev), this.ends.age ? { age: this.ends.age } : {});
      if (hasErrors(loaded.findings)) this.ends.log.warn('the stable revision no longer loads; clusters outside the rollout are only observed', { revision: stableRev });
      else this.stable = { revision: stableRev, fleet: loaded.fleet, findings: loaded.findings };
    }
    this.used = [...targets].sort();
    const stable = this.stable && this.stable.revision === stableRev ? this.stable : undefined;
    this.optionStable = stable?.revision;
    this.revisionOf = (c: string) => (targets.has(c) ? target.revision : stable?.revision ?? '');
    const revisionOf = this.revisionOf;
    return {
      targetClusters: targets,
      ...(stable ? { stable: { fleet: stable.fleet, loadFindings: stable.findings } } : {}),
      writesFor: (c) => (this.applied.get(c) === revisionOf(c) ? 'heal' : 'all'),
    };
  }

  /** Clusters applied without errors this pass are at the revision their option gave them (the next pass only heals them). */
  record(result: ReconcileResult): void {
    for (const c of result.clusters) {
      if (c.reportedGates) continue; // another replica's cluster (run --shards): it records its own
      if (c.errors.length === 0 && !c.skipped && c.objects.every((o) => o.action !== 'failed')) this.applied.set(c.cluster, this.revisionOf(c.cluster));
    }
  }

  /**
   * run --shards: the gates of this replica's clusters, judged from its own
   * pass, with the revision their objects are at; the leader reads them from
   * the shard reports (Prometheus it queries itself).
   */
  ownGates(target: Target, result: ReconcileResult): Map<string, ReportedGates> {
    const policy = target.fleet.rolloutPolicy;
    const out = new Map<string, ReportedGates>();
    if (!policy) return out;
    const { prometheus: _p, ...gates } = policy.gates;
    for (const c of result.clusters) out.set(c.cluster, { revision: this.revisionOf(c.cluster), gates: clusterGates(c, result.ingresses, gates) });
    return out;
  }

  /** Judge the gates, step the rollout; true in `again` when the assignment changed (tick again now). */
  async after(target: Target, result: ReconcileResult, now: number): Promise<{ events: string[]; again: boolean }> {
    const policy = target.fleet.rolloutPolicy;
    if (!this.index) return { events: [], again: false };
    if (!policy) {
      // Without a policy every cluster gets the revision at once: once it is
      // applied without errors it is the stable revision a later rollout
      // keeps the clusters it has not reached on (and reverts to).
      if (result.clusters.every((c) => c.errors.length === 0 && c.objects.every((o) => o.action !== 'failed'))) this.index.stable = target.revision;
      return { events: [], again: false };
    }
    this.record(result);
    const gates: Record<string, ClusterGates> = {};
    const prom = await this.prometheus(policy, this.used);
    for (const c of result.clusters) {
      gates[c.cluster] = c.reportedGates ? reportedGates(c.reportedGates, target.revision, policy.gates, prom[c.cluster]) : clusterGates(c, result.ingresses, policy.gates, prom[c.cluster]);
    }
    const renders = renderFingerprints(render({ fleet: target.fleet, observations: {}, allocations: emptyAllocations(), ...(this.ends.allowHealthCheckDivergence ? { allowHealthCheckDivergence: true } : {}) }));
    const step = stepRollout({ policy, clusters: target.fleet.clusters, target: target.revision, renders, index: this.index, control: this.control, gates, now });
    this.index = step.index;
    const next = [...step.targetClusters].sort();
    return { events: step.events, again: JSON.stringify(next) !== JSON.stringify(this.used) };
  }

  /**
   * After the tick's status stage. Written (or unchanged on the branch): the
   * transitions stand. Not written (git down, push refused, leadership lost):
   * they are forgotten and decided again by a later tick whose commit lands,
   * so no wave widens on state a restarted operator would not find (it would
   * roll those clusters back to the stable revision).
   */
  settle(written: boolean): void {
    if (!this.index) return;
    if (written) this.persisted = structuredClone(this.index);
    else if (this.persisted) this.index = structuredClone(this.persisted);
  }

  /** Status files: the index, for restarts and for `gitfed rollout status`. */
  files(): Map<string, string> {
    return this.index && (this.index.stable || this.index.current) ? new Map([[ROLLOUT_INDEX_FILE, stringify(this.index)]]) : new Map();
  }

  private async prometheus(policy: RolloutPolicy, clusters: string[]): Promise<Record<string, { value?: number; error?: string }>> {
    const gate = policy.gates.prometheus;
    if (!gate) return {};
    const get = this.ends.fetch ?? fetch;
    const out: Record<string, { value?: number; error?: string }> = {};
    await Promise.all(clusters.map(async (cluster) => {
      const query = gate.query.split('{{cluster}}').join(cluster);
      try {
        const r = await get(`${gate.url.replace(/\/$/, '')}/api/v1/query?query=${encodeURIComponent(query)}`, { signal: AbortSignal.timeout(5000) });
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        const body = await r.json() as { data?: { result?: Array<{ value?: [number, string] }> } };
        const v = body.data?.result?.[0]?.value?.[1];
        out[cluster] = v === undefined ? {} : { value: Number(v) };
      } catch (e) {
        out[cluster] = { error: `query failed: ${(e as Error).message}` };
      }
    }));
    return out;
  }
}
