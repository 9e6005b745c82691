// Rollout waves: the RolloutPolicy kind as the loader types it, and the
// rollout state the operator keeps in its status branch
// (rollouts/index.yaml), so a restart or a new leader resumes at the right wave.
import type { ClusterSelector, SourcePos } from './model.js';

export interface RolloutWave {
  name: string;
  clusters: ClusterSelector;
  /** Gates must hold this long without a break before the wave passes. */
  bakeMs: number;
  /** Wait for `gitfed rollout approve REV --wave NAME` before the wave starts. */
  approval: boolean;
  /** Clusters of this wave changed at once (default 1; never "all"). */
  maxUnavailable: number;
  place?: SourcePos;
}

export interface PrometheusGate { url: string; query: string; max: number }

export interface RolloutGates {
  readyReplicas: boolean;
  readyEndpoints: boolean;
  backendHealth: boolean;
  prometheus?: PrometheusGate;
}

export interface RolloutPolicy {
  name: string;
  waves: RolloutWave[];
  gates: RolloutGates;
  progressDeadlineMs: number;
  onFailure: 'revert' | 'pause';
  /** Stop at the next wave boundary (committed through a pull request). */
  paused: boolean;
  place?: SourcePos;
}

/** The wave every cluster that no wave selects goes to, last. */
export const LAST_WAVE = '(unassigned)';

export type WaveState = 'pending' | 'waiting-approval' | 'progressing' | 'baking' | 'passed' | 'failed' | 'paused';
export type RolloutVerdict = 'running' | 'paused' | 'waiting-approval' | 'done' | 'reverted' | 'failed' | 'aborted' | 'superseded';

export interface WaveRecord {
  name: string;
  clusters: string[];
  state: WaveState;
  /** Clusters of this wave that were given the target revision (batches of maxUnavailable). */
  changed: string[];
  startedAt?: number;
  /** Since when every gate held without a break (the bake clock). */
  gatesSince?: number;
  since?: number;
  reason?: string;
}

export interface RolloutRecord {
  revision: string;
  /** The revision clusters go back to on a failure (the last one that passed every wave). */
  stable?: string;
  verdict: RolloutVerdict;
  startedAt: number;
  finishedAt?: number;
  reason?: string;
  waves: WaveRecord[];
}

export interface QuarantinedRevision {
  revision: string;
  /** cluster -> hash of what the revision renders there: a commit that renders the same stays quarantined. */
  renders: Record<string, string>;
  reason: string;
}

export interface RolloutIndex {
  /** The last revision that passed every wave. */
  stable?: string;
  current?: RolloutRecord;
  /** Finished rollouts, newest first (bounded). */
  history: RolloutRecord[];
  quarantined: QuarantinedRevision[];
}

/** What people committed on branch gitfed/control. */
export interface RolloutControl {
  approvals: Array<{ revision: string; wave: string; by?: string }>;
  paused: boolean;
  aborts: Array<{ revision: string; by?: string }>;
}

/** One cluster's gates for the target revision, as observed this tick. */
/** run --shards: the gates the replica that owns a cluster judged, and the revision the cluster's objects were at (target or stable). */
export interface ReportedGates {
  revision: string;
  gates: ClusterGates;
}

export interface ClusterGates {
  /** Every object matches what the target renders and workloads observed their new generation. */
  atTarget: boolean;
  /** Health of the cluster (Offline clusters are not counted, see README). */
  ready: boolean;
  /** Gates that do not hold, with why (empty = all hold). */
  failing: string[];
}

export const emptyIndex = (): RolloutIndex => ({ history: [], quarantined: [] });
export const emptyControl = (): RolloutControl => ({ approvals: [], paused: false, aborts: [] });
