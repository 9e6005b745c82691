// What Google's load balancer itself says about each federated Ingress: for
// every GLBC backend service the clusters report, the health of each
// cluster's instance group (matched to clusters by zone).
import type { IngressStatus } from '../cluster/reconcile-types.js';
import type { ClusterSpec } from '../core/model.js';
import { backendServiceHealth, type BackendState } from './backend-health.js';
import type { GceClients } from './gce-clients.js';

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

export async function gceIngressHealth(gce: GceClients, ingresses: readonly IngressStatus[], clusters: readonly ClusterSpec[]): Promise<GceBackendHealth[]> {
  const byZone = new Map(clusters.filter((c) => c.gce?.zone).map((c) => [c.gce!.zone!, c.name]));
  const project = clusters.find((c) => c.gce?.project)?.gce?.project;
  const out: GceBackendHealth[] = [];
  for (const i of ingresses) {
    const names = [...new Set(i.shards.flatMap((s) => Object.keys(s.backends)))].sort();
    for (const backendService of names) {
      const ingress = `${i.ref.namespace}/${i.ref.name}`;
      if (!project) { out.push({ ingress, backendService, shards: [], error: 'no Cluster has spec.gce.project' }); continue; }
      try {
        const groups = await backendServiceHealth(gce, project, backendService);
        out.push({
          ingress, backendService,
          shards: groups.map((g) => ({ cluster: (g.zone && byZone.get(g.zone)) ?? `(unknown zone ${g.zone ?? '?'})`, ...(g.zone ? { zone: g.zone } : {}), state: g.state, healthy: g.healthy, total: g.total })),
        });
      } catch (e) {
        out.push({ ingress, backendService, shards: [], error: (e as Error).message });
      }
    }
  }
  return out;
}
