// What Google's load balancer itself says about each federated Ingress: for
// every GLBC backend service the clusters report, the health of each
// cluster's instance group (matched to clusters by zone).
import type { IngressStatus, ReconcileResult } from '../cluster/reconcile-types.js';
import type { ClusterSpec } from '../core/model.js';
import type { BackendState } from './backend-health.js';

export interface GceShardHealth {
  cluster: string;
  zone?: string;
  state: BackendState;
  healthy: number;
  total: number;
}

export interface GceBackendHealth {
  ingress: string;
  backendService: string;
  shards: GceShardHealth[];
  error?: string;
}

/**
 * The per-backend-service view (`GCE backend service ... (Ingress ...): us-east1
 * HEALTHY 2/2, ...`) from the getHealth answers reconcile already fetched for
 * the shards: no second call. A backend service no answer covers (its
 * project was not asked) or that does not exist reads as an error.
 */
export function gceIngressHealth(fetched: NonNullable<ReconcileResult['gceBackendHealth']>, ingresses: readonly IngressStatus[], clusters: readonly ClusterSpec[]): GceBackendHealth[] {
  const byZone = new Map(clusters.filter((c) => c.gce?.zone).map((c) => [c.gce!.zone!, c.name]));
  const project = clusters.find((c) => c.gce?.project)?.gce?.project;
  const out: GceBackendHealth[] = [];
  for (const i of ingresses) {
    const names = [...new Set(i.shards.flatMap((s) => Object.keys(s.backends)))].sort();
    for (const backendService of names) {
      const ingress = `${i.ref.namespace}/${i.ref.name}`;
      if (!project) { out.push({ ingress, backendService, shards: [], error: 'no Cluster has spec.gce.project' }); continue; }
      const f = fetched.find((x) => x.project === project && x.backendService === backendService);
      if (!f) { out.push({ ingress, backendService, shards: [], error: `not asked: no cluster of project ${project} reports ${backendService}` }); continue; }
      if (f.error) { out.push({ ingress, backendService, shards: [], error: f.error }); continue; }
      if (!f.groups) { out.push({ ingress, backendService, shards: [], error: `GCE backendServices.getHealth projects/${project}/global/backendServices/${backendService}: the backend service does not exist` }); continue; }
      out.push({
        ingress, backendService,
        shards: f.groups.map((g) => ({ cluster: (g.zone && byZone.get(g.zone)) ?? `(unknown zone ${g.zone ?? '?'})`, ...(g.zone ? { zone: g.zone } : {}), state: g.state, healthy: g.healthy, total: g.total })),
      });
    }
  }
  return out;
}
