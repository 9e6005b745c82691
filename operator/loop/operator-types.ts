// What the GitOps loop (operator.ts) is given and what a tick returns: the
// two git-facing edges (where revisions come from, where status goes), the
// operator's options, and a tick's result.
import type { HealthProbe } from '../cluster/health.js';
import type { GceEdge, ReconcileResult } from '../cluster/reconcile-types.js';
import type { ProjectReport } from '../gce/gce-report.js';
import type { Finding, Fleet } from '../core/model.js';
import type { AgeKeySource, FleetFile, LoadLimits } from '../load/index.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { Sharding } from './sharding.js';

/**
 * A verified webhook announced a push to the watched branch: new commits
 * are likely, so a git source fetches at once instead of first asking where
 * the branch points, unless `after` (the commit the payload names) is one
 * the clone already holds (a redelivery, or nothing new).
 */
export interface PushHint {
  after?: string;
}

/** Where revisions come from: a git remote or a local directory. */
export interface RevisionSource {
  describe: string;
  branch: string;
  /** Current head revision (a commit, or a content hash for a directory); `push`: see PushHint. */
  head(push?: PushHint): Promise<string>;
  /** The fleet files of a revision, and problems met reading them (e.g. too many files). */
  files(revision: string): Promise<{ files: FleetFile[]; findings: Finding[] }>;
}

/** Where status goes: a git branch or a directory. */
export interface StatusSink {
  read(path: string): Promise<string | undefined>;
  /** `signal` (leadership): once aborted, nothing more is written. */
  write(files: ReadonlyMap<string, string>, message: string, signal?: AbortSignal): Promise<{ committed: boolean; oid?: string }>;
  note?(revision: string, text: string, signal?: AbortSignal): Promise<void>;
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
  /** Each cluster's health is probed in the background this often (default 10 s); ticks read the verdict. */
  healthIntervalMs?: number;
  /** A background probe changed a cluster's verdict (run ticks at once: replicas move off a cluster that failed). */
  onHealthChange?: (cluster: string, next: HealthProbe, previous: HealthProbe) => void;
  /** Load limits (default DEFAULT_LIMITS). */
  limits?: LoadLimits;
  /** The age keys for SOPS-encrypted files (--age-key-file, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY); read on every load. */
  age?: AgeKeySource;
  /** Monotonic clock in ms (for "when did a tick last complete"). */
  clock?: () => number;
  /** Manage the cluster the operator runs in with its own identity (--allow-in-cluster). */
  allowInCluster?: boolean;
  /** Compute Engine (--gce/--gce-endpoint): static IPs reserved before Ingresses are applied, backend health in status. */
  gce?: GceEdge;
  /** Prune may delete a federated GCE Ingress in one cluster while others keep it. */
  allowSharedIngressRemoval?: boolean;
  /** Apply Ingresses a cluster's GLBC names with v2 (k8s2-) names (--allow-v2-naming). */
  allowV2Naming?: boolean;
  /** With --gce/--gce-endpoint: the projects' firewall checks and orphans, for the status commit. */
  gceReports?: (fleet: Fleet, result: ReconcileResult) => Promise<ProjectReport[]>;
  /** A readiness-probe Override behind a federated Ingress is a warning (--allow-health-check-divergence). */
  allowHealthCheckDivergence?: boolean;
  /** A watch with no event and no bookmark for this long reconnects (default 5 min). */
  watchIdleTimeoutMs?: number;
  /** A tick with a last good revision waits this long for git, then heals without it (default 5 s). */
  gitWaitMs?: number;
  /** `run --shards`: this replica reconciles only its clusters; only the leader renders allocations and writes Git. */
  shard?: Sharding;
}

export interface TickResult {
  revision?: string;
  /** The head revision was applied in this tick. */
  applied: boolean;
  statusCommitted: boolean;
  result?: ReconcileResult;
  error?: string;
  /** The git stage failed (fetch or read); the clusters stage still ran. */
  gitError?: string;
  /** The head revision failed to load or render: why it was not applied. */
  notApplied?: string;
  /** Leadership was lost: the tick stopped before its next write. */
  aborted?: boolean;
}
