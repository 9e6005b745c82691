// What one reconcile pass found and did, per cluster. Plain data, so the
// report writer and the CLI can use it without the Kubernetes client.
import type { ClusterHealth, Finding, ObjectRef, ReplicaDecision, Allocations, BlockedObject, Observations } from '../core/model.js';
import type { ObjectResult } from './apply.js';
import type { Drift } from './drift.js';
import type { EndpointCount } from './observe.js';
import type { PruneResult } from './prune.js';
import type { ReportedGates } from '../core/rollout-model.js';

export interface SyncCounts {
  inSync: number;
  changed: number;
  drifted: number;
  missing: number;
  failed: number;
  blocked: number;
}

export interface ClusterResult {
  cluster: string;
  health: ClusterHealth;
  reason: string;
  message: string;
  /** paused: Cluster spec.paused; unreachable: not Ready; held: a rollout has not reached it and there is no stable revision yet. */
  skipped?: 'paused' | 'unreachable' | 'held';
  objects: ObjectResult[];
  pruned: PruneResult[];
  blocked: BlockedObject[];
  drift: Drift[];
  errors: string[];
  /** Prune refused to delete everything this fleet owns here (a safety block, not an error of the cluster). */
  pruneRefused?: string;
  counts: SyncCounts;
  /** "namespace/service" -> endpoints, for the Services behind federated Ingresses */
  endpoints: Record<string, EndpointCount>;
  /** The rendered workloads' rollout status as the cluster reports it. */
  workloads?: WorkloadStatus[];
  /** kube-system/ingress-uid as the cluster has it (GLBC names its cloud resources after it). */
  ingressUid?: { uid?: string; providerUid?: string };
  /** This cluster is taking part in leaving (or rejoining) a shared load balancer: the step this pass made (core/leaving.ts). */
  leaving?: { step: string; message: string };
  /** run --shards: the rollout gates the replica that owns this cluster judged, and the revision its objects were at (the leader's copy of another replica's cluster). */
  reportedGates?: ReportedGates;
}

export interface WorkloadStatus {
  ref: ObjectRef;
  /** spec.replicas gitfed rendered for this cluster */
  desired: number;
  generation: number;
  observedGeneration: number;
  /** status.replicas: Pods of every template */
  total: number;
  ready: number;
  /** Pods of the current template */
  updated: number;
  exists: boolean;
}

export interface IngressShard {
  cluster: string;
  ips: string[];
  /** GLBC's backends annotation: backend name -> HEALTHY | UNHEALTHY | Unknown */
  backends: Record<string, string>;
  readyEndpoints: number;
  totalEndpoints: number;
  /**
   * v2: this cluster's GLBC names the Ingress's front end from its kube-system
   * namespace UID (finalizer networking.gke.io/ingress-finalizer-V2, k8s2-
   * names), so it cannot share one front end with another cluster.
   */
  frontEndNaming?: 'v1' | 'v2';
  /** What Compute Engine's backendServices.getHealth says of this cluster's instance group (only with a GCE edge). */
  gce?: ShardGceHealth;
}

export interface ShardGceHealth {
  backendService: string;
  state: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN' | 'MISSING' | 'ERROR';
  healthy: number;
  total: number;
  /** Why it is not HEALTHY, when that can be told (no ready endpoints, firewall missing, ...). */
  reason?: string;
}

/** The global address an Ingress's static-IP annotation names, in one project. */
export interface StaticIpState {
  name: string;
  project?: string;
  /** The reserved IP; absent when not reserved (or not looked up). */
  address?: string;
  /** gitfed reserved it in this pass. */
  created?: boolean;
  /** Why it could not be reserved or looked up: the call and the resource. */
  error?: string;
}

/**
 * The Compute Engine calls reconcile makes when given --gce/--gce-endpoint
 * (operator/gce/gce-edge.ts makes the real one). Each call is bounded by a
 * timeout there: a hanging GCE must not hold up a tick.
 */
export interface GceEdge {
  /** Reserve the global address if missing (lookupOnly: only look); undefined = not reserved. */
  address(project: string, name: string, lookupOnly: boolean): Promise<{ address: string; created: boolean } | undefined>;
  /** backendServices.getHealth for every instance group of one backend service. */
  backendHealth(project: string, backendService: string): Promise<Array<{ zone?: string; group: string; state: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN'; healthy: number; total: number }> | undefined>;
}

export interface IngressStatus {
  ref: ObjectRef;
  staticIp?: string;
  /** With a GCE edge: the static IP per project (reserved address or why not). */
  staticIps?: StaticIpState[];
  addresses: string[];
  shards: IngressShard[];
}

export interface ReconcileResult {
  clusters: ClusterResult[];
  ingresses: IngressStatus[];
  replicas: ReplicaDecision[];
  allocations: Allocations;
  findings: Finding[];
  /** The render had errors: nothing was applied or pruned anywhere. */
  renderFailed: boolean;
  /** With a GCE edge: every backendServices.getHealth answer this pass (status's per-backend-service line). */
  gceBackendHealth?: Array<{ project: string; backendService: string; groups?: Array<{ zone?: string; group: string; state: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN'; healthy: number; total: number }>; missing?: true; error?: string }>;
  /** Sharded: what this pass observed of the clusters it owns (published to the other shards). */
  observations?: Observations;
}
