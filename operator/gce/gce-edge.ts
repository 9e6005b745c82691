// The GceEdge reconcile uses, on @google-cloud/compute clients. Every call is
// bounded: a Compute Engine that fails or hangs costs one timeout and an error
// in status, never the tick (the clusters stage runs regardless).
import type { GceEdge } from '../cluster/reconcile-types.js';
import { backendServiceHealth, GceError } from './backend-health.js';
import { gceClients, type GceClients, type GceOptions } from './gce-clients.js';
import { withTimeout } from './operation.js';
import { ensureGlobalAddress, findGlobalAddress } from './static-ip.js';

export const DEFAULT_GCE_TIMEOUT_MS = 20_000;

function notFound(e: unknown): boolean {
  const c = (e instanceof GceError ? e.cause : e) as { code?: number | string } | undefined;
  return c?.code === 5 || c?.code === 404;
}

export function gceEdge(clients: GceClients, timeoutMs = DEFAULT_GCE_TIMEOUT_MS): GceEdge {
  return {
    async address(project, name, lookupOnly) {
      const what = `GCE projects/${project}/global/addresses/${name}`;
      // The timeout aborts the calls too: a hanging Compute Engine leaves nothing running behind each tick.
      const ctrl = new AbortController();
      const a = await withTimeout(lookupOnly ? findGlobalAddress(clients, project, name, ctrl.signal) : ensureGlobalAddress(clients, project, name, ctrl.signal), timeoutMs, what, ctrl);
      return a && { address: a.address, created: a.created };
    },
    async backendHealth(project, backendService) {
      try {
        const ctrl = new AbortController();
        return await withTimeout(backendServiceHealth(clients, project, backendService, ctrl.signal), timeoutMs, `GCE backendServices.getHealth projects/${project}/global/backendServices/${backendService}`, ctrl);
      } catch (e) {
        if (notFound(e)) return undefined;
        throw e;
      }
    },
  };
}

/** An edge with its own clients (closed by `close`). */
export function openGceEdge(opts: GceOptions, timeoutMs?: number): { edge: GceEdge; clients: GceClients; close(): Promise<void> } {
  const clients = gceClients(opts);
  return { edge: gceEdge(clients, timeoutMs), clients, close: () => clients.close() };
}
