// Which parts of a cluster's observation a fleet's render, apply and status
// read. Pure. A part that nothing reads for this fleet is not observed at all:
// a fleet of ConfigMaps spares every cluster five cluster-wide LISTs on each
// one-shot apply (and the operator five watches per cluster). Each rule below
// names its readers, so a new reader of a part has to widen its rule.
import type { Fleet } from './model.js';
import { groupOf } from './object-keys.js';

export interface ObservationNeeds {
  /** Node ports in use (Services): node-ports.ts allocates them for Services behind federated Ingresses. */
  nodePorts: boolean;
  /** ConfigMap kube-system/ingress-uid: glbc-uid.ts (GCE clusters), leaving.ts, the GCE orphan checks. */
  ingressUid: boolean;
  /** Live Ingresses: glbc-uid.ts (a uid from forwarding rules), v2-naming blocks, Ingress status. */
  ingresses: boolean;
  /** Ready endpoints per Service: Ingress status, leaving.ts, rollout and doctor readyEndpoints checks. */
  endpoints: boolean;
  /** Deployments and ReplicaSets: render-replicas.ts (the split and moving replicas off full clusters). */
  workloads: boolean;
}

export const ALL_PARTS: ObservationNeeds = { nodePorts: true, ingressUid: true, ingresses: true, endpoints: true, workloads: true };

const WORKLOAD_KINDS = new Set(['Deployment', 'ReplicaSet']);

/** What `fleets` (the revision being applied, and a rollout's stable one) need observed. */
export function observationNeeds(...fleets: readonly Fleet[]): ObservationNeeds {
  let service = false, ingress = false, workload = false, gce = false;
  for (const fleet of fleets) {
    gce ||= fleet.clusters.some((c) => c.provider === 'gce');
    for (const m of fleet.manifests) {
      const { kind, apiVersion } = m.object;
      const group = groupOf(apiVersion ?? '');
      if (kind === 'Service' && group === '') service = true;
      else if (kind === 'Ingress') ingress = true;
      else if (WORKLOAD_KINDS.has(kind) && (group === 'apps' || group === 'extensions')) workload = true;
    }
  }
  // GCE clusters get a GLBC uid whether or not an Ingress is rendered yet, and
  // a cluster leaving a shared load balancer is judged by its endpoints and uid.
  const lb = gce || ingress;
  return { nodePorts: service, ingressUid: lb, ingresses: lb, endpoints: lb || service, workloads: workload };
}
