// The GCE load balancer's view of each cluster: for a GLBC backend service
// (k8s-be-<nodePort>--<uid>), the health of every instance group behind it.
// One instance group per cluster (k8s-ig--<uid> in the cluster's zone), so
// "which clusters does Google send traffic to" is answered here.
import type { GceClients } from './gce-clients.js';

export type BackendState = 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';

export interface GroupHealth {
  /** Instance group URL. */
  group: string;
  /** Zone parsed from the URL, to match a cluster's spec.gce.zone. */
  zone?: string;
  healthy: number;
  total: number;
  state: BackendState;
}

export class GceError extends Error {
  readonly code = 'EGCE';
  constructor(message: string, readonly resource: string, override readonly cause?: unknown) {
    super(message);
  }
}

function zoneOf(groupUrl: string): string | undefined {
  return /\/zones\/([^/]+)\//.exec(groupUrl)?.[1];
}

/** `signal` aborts the calls (the caller's timeout), so none goes on in the background. */
export async function backendServiceHealth(gce: GceClients, project: string, backendService: string, signal?: AbortSignal): Promise<GroupHealth[]> {
  const resource = `projects/${project}/global/backendServices/${backendService}`;
  const o = signal ? { signal } : undefined;
  try {
    const [svc] = await gce.backendServices.get({ project, backendService }, o);
    const out: GroupHealth[] = [];
    for (const b of svc.backends ?? []) {
      if (!b.group) continue;
      const [health] = await gce.backendServices.getHealth({ project, backendService, resourceGroupReferenceResource: { group: b.group } }, o);
      const statuses = health.healthStatus ?? [];
      const healthy = statuses.filter((s) => s.healthState === 'HEALTHY').length;
      const state: BackendState = statuses.length === 0 ? 'UNKNOWN' : healthy > 0 ? 'HEALTHY' : 'UNHEALTHY';
      const zone = zoneOf(b.group);
      out.push({ group: b.group, ...(zone ? { zone } : {}), healthy, total: statuses.length, state });
    }
    return out;
  } catch (e) {
    throw new GceError(`GCE ${resource}: ${(e as Error).message}`, resource, e);
  }
}
