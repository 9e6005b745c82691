// The data every stage shares: what the loader produces, what the render core
// consumes (fleet + observations + previous allocations) and what it returns.
// Plain data only, so that `plan`, `apply` and the loop render the same way
// and tests can build inputs as literals.
import type { RolloutPolicy } from './rollout-model.js';

/** A place in the fleet repo: file path relative to the fleet root, 1-based line and column. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export type Severity = 'error' | 'warning' | 'info';

/** A reference to one Kubernetes object. `namespace` is absent for cluster-scoped kinds. */
export interface ObjectRef {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
}

/**
 * One problem or notice. `code` is stable (scripts and tests match on it);
 * `place` points at repo input, `cluster`/`object` at live state.
 */
export interface Finding {
  severity: Severity;
  code: string;
  message: string;
  place?: SourcePos;
  cluster?: string;
  object?: ObjectRef;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** Path into an object, as JSON keys and array indexes. */
export type FieldPath = ReadonlyArray<string | number>;

/** A manifest from the fleet repo plus where it came from. */
export interface SourcedObject {
  object: KubeObject;
  /** Where the document starts (its first key). */
  place: SourcePos;
  /**
   * Position of a field inside the document; falls back to the nearest
   * enclosing node that exists, then to `place`. Pure: no IO.
   */
  locate?: (path: FieldPath) => SourcePos;
  /** Loaded from a SOPS-encrypted file (decrypted in memory). */
  encrypted?: boolean;
}

export type Provider = 'gce' | 'other';

export interface ClusterSpec {
  name: string;
  labels: Record<string, string>;
  /** kubeconfig context; credentials never live in Git. */
  context: string;
  /** Where spec.context is written, when it is (else the context is the name). */
  contextAt?: SourcePos;
  provider: Provider;
  gce?: { project?: string; zone?: string };
  /** Kept in the fleet but nothing is applied to it. */
  paused: boolean;
  place: SourcePos;
}

/** Inclusive port range. */
export type PortRange = readonly [number, number];

export interface NodePortPolicy {
  name: string;
  range: PortRange;
  reserved: PortRange[];
  place: SourcePos;
}

export interface ResourceMatch {
  kind: string;
  name: string;
  namespace?: string;
}

/** Which federated objects a policy applies to. Empty selector = nothing. */
export interface ResourceSelector {
  resources?: ResourceMatch[];
  matchLabels?: Record<string, string>;
}

/** Label selector requirement, Kubernetes and Federation v1 style. */
export interface SelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

/** Which clusters a policy targets. Both absent = every cluster. */
export interface ClusterSelector {
  names?: string[];
  /** Where each of `names` is written (same order), so an error points at that name. */
  namesAt?: SourcePos[];
  matchLabels?: Record<string, string>;
  matchExpressions?: SelectorRequirement[];
}

export interface ClusterReplicaPreference {
  weight: number;
  minReplicas: number;
  /** null = unbounded */
  maxReplicas: number | null;
}

/** Federation v1's replica-set-preferences, normalised. */
export interface ReplicaPreferences {
  rebalance: boolean;
  /** cluster name or "*" */
  clusters: Record<string, ClusterReplicaPreference>;
}

export interface Placement {
  name: string;
  resources: ResourceSelector;
  clusters: ClusterSelector;
  replicas?: ReplicaPreferences;
  place: SourcePos;
}

/** RFC 6902 operation; `place` is where the operation is written. */
export interface JsonPatchOp {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: unknown;
  place: SourcePos;
}

export interface Override {
  name: string;
  resources: ResourceSelector;
  clusters: ClusterSelector;
  patches: JsonPatchOp[];
  place: SourcePos;
}

export type DriftMode = 'report' | 'heal';

export interface DriftPolicy {
  name: string;
  mode: DriftMode;
  /** Absent = every object. */
  resources?: ResourceSelector;
  place: SourcePos;
}

/**
 * One rule of Fleet `spec.resources.allow` / `deny`, like an Argo CD
 * AppProject's white- and blacklists. Patterns use "*" for any run of
 * characters; an absent field matches anything.
 */
export interface ResourceRule {
  /** API group ("" is the core group, "apps", "*.example.com"). */
  group?: string;
  kind?: string;
  /**
   * Namespace of a namespaced object (for a Namespace: its own name). A rule
   * with a namespace never matches other cluster-scoped objects.
   */
  namespace?: string;
  place: SourcePos;
}

/** Which federated objects a fleet may hold. Absent lists: allow everything, deny nothing. */
export interface ResourceRules {
  allow?: ResourceRule[];
  deny?: ResourceRule[];
}

/** Fleet-wide settings (`kind: Fleet`, optional). */
export interface FleetSettings {
  /** Goes into ownership labels; one fleet's prune never touches another's objects. */
  name: string;
  /** Allow a prune that would delete every owned object at once. */
  allowPruneAll: boolean;
  /** Guardrails on what the fleet's manifests may be (default: anything). */
  resources?: ResourceRules;
  place?: SourcePos;
}

/** Everything the loader read from one revision of the fleet repo. */
export interface Fleet {
  settings: FleetSettings;
  clusters: ClusterSpec[];
  nodePortPolicy?: NodePortPolicy;
  placements: Placement[];
  overrides: Override[];
  driftPolicies: DriftPolicy[];
  /** At most one; without it every cluster gets a new revision at once. */
  rolloutPolicy?: RolloutPolicy;
  manifests: SourcedObject[];
}

export interface LoadResult {
  /** Present even with errors (partial), but never rendered when errors exist. */
  fleet: Fleet;
  findings: Finding[];
}

// ---------------------------------------------------------------------------
// Observations: what the clusters look like now. Gathered by cluster/observe,
// passed in as data so the render core never does IO.

export type ClusterHealth = 'Ready' | 'NotReady' | 'Offline' | 'Unknown';

export interface NodePortUse {
  port: number;
  namespace: string;
  service: string;
  /** Which port of that Service: its name, or its number as text. */
  servicePort?: string;
  /**
   * No Service holds the port, yet the apiserver refused it ("provided port
   * is already allocated": a reservation a dead client left behind, freed by
   * the apiserver's repair loop within minutes). namespace/service are empty.
   */
  refused?: true;
}

export interface ObservedIngress {
  namespace: string;
  name: string;
  /** ingress class (annotation or spec.ingressClassName); absent = default (gce) */
  ingressClass?: string;
  annotations?: Record<string, string>;
  ips?: string[];
}

export interface ObservedWorkload {
  kind: string;
  namespace: string;
  name: string;
  replicas: number;
  readyReplicas: number;
  /** Pods unschedulable for longer than the capacity threshold (decided by the observer). */
  unschedulable?: number;
}

/**
 * Parts of an observation that failed, with the error. An absent part was
 * observed (an empty list then really means "none"). gitfed never writes an
 * object whose safety depends on a part that failed.
 */
export interface ObservationFailures {
  /** Services' node ports (which ports are free). */
  nodePorts?: string;
  /** ConfigMap kube-system/ingress-uid (the cluster's GLBC uid). */
  ingressUid?: string;
  /** Existing Ingresses (whether a uid change would orphan load balancers). */
  ingresses?: string;
  /** Deployments, ReplicaSets and unschedulable Pods (replica split). */
  workloads?: string;
}

export interface ClusterObservation {
  health: ClusterHealth;
  /** Absent: everything was observed. */
  failed?: ObservationFailures;
  /** Node ports held by Services in the cluster right now. */
  nodePorts: NodePortUse[];
  /** Data of ConfigMap kube-system/ingress-uid; absent when the ConfigMap does not exist. */
  ingressUid?: { uid?: string; providerUid?: string };
  ingresses: ObservedIngress[];
  workloads: ObservedWorkload[];
  /** Zone from node labels, when known. */
  zone?: string;
}

/** Keyed by cluster name. A cluster with no entry is treated as Ready and empty. */
export type Observations = Record<string, ClusterObservation>;

// ---------------------------------------------------------------------------
// Allocations: decisions that must stay stable across revisions and restarts.

export interface Allocations {
  /** "namespace/service" -> service port key (port name, or number as text) -> node port */
  nodePorts: Record<string, Record<string, number>>;
  glbc: {
    uid?: string;
    /** cluster name -> provider-uid */
    providerUids: Record<string, string>;
  };
}

export function emptyAllocations(): Allocations {
  return { nodePorts: {}, glbc: { providerUids: {} } };
}

// ---------------------------------------------------------------------------
// Render output.

export interface BlockedObject {
  ref: ObjectRef;
  finding: Finding;
}

/** Replica decision for one workload, for status and plan output. */
export interface ReplicaDecision {
  ref: ObjectRef;
  total: number;
  /** cluster -> replicas */
  plan: Record<string, number>;
  /** cluster -> replicas that did not fit there (moved elsewhere) */
  overflow: Record<string, number>;
  /** No plan: a counted cluster's workloads were not observed (`plan` is then what runs where it is known); the workload is written nowhere. */
  blocked?: Finding;
}

export interface ClusterRender {
  cluster: string;
  /** In apply order. */
  objects: KubeObject[];
  blocked: BlockedObject[];
  /** Paused or unreachable: rendered, but apply skips it. */
  skipped?: 'paused' | 'unreachable';
}

export interface RenderResult {
  /** Empty when the fleet had errors: a broken fleet renders nothing. */
  clusters: ClusterRender[];
  allocations: Allocations;
  replicas: ReplicaDecision[];
  findings: Finding[];
}

export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
