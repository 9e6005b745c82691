// --gce (Application Default Credentials, Google's endpoint) and
// --gce-endpoint URL (another endpoint, e.g. a local stand-in): the commands
// that talk to Compute Engine share these flags. No flag, no GCE calls.
import type { GceOptions } from '../gce/gce-clients.js';
import { DEFAULT_GCE_TIMEOUT_MS, openGceEdge } from '../gce/gce-edge.js';
import { gceInventory, type GceInventory } from '../gce/inventory.js';
import { parseDuration } from './args.js';

/** Where the Compute Engine calls go: --gce-endpoint URL, else Google's endpoint with Application Default Credentials. */
export function gceOptionsFromFlags(values: Record<string, unknown>): GceOptions {
  return values['gce-endpoint'] ? { endpoint: values['gce-endpoint'] as string } : {};
}

/** --gce-timeout bounds every Compute Engine call (default 20s): one that hangs costs that, never the tick. */
export function gceTimeoutFromFlags(values: Record<string, unknown>): number {
  return values['gce-timeout'] ? parseDuration('--gce-timeout', values['gce-timeout'] as string) : DEFAULT_GCE_TIMEOUT_MS;
}

export function gceFromFlags(values: Record<string, unknown>): ReturnType<typeof openGceEdge> | undefined {
  if (!values.gce && !values['gce-endpoint']) return undefined;
  return openGceEdge(gceOptionsFromFlags(values), gceTimeoutFromFlags(values));
}

/** The project listings (orphans, firewall) with the same endpoint and timeout, or none without --gce/--gce-endpoint. */
export function gceInventoryFromFlags(values: Record<string, unknown>): GceInventory | undefined {
  if (!values.gce && !values['gce-endpoint']) return undefined;
  return gceInventory(gceOptionsFromFlags(values), gceTimeoutFromFlags(values));
}

/** --allow-shared-ingress-removal, --allow-v2-naming, --allow-health-check-divergence as reconcile options (only those given). */
export function hazardOptions(values: Record<string, unknown>): { allowSharedIngressRemoval?: true; allowV2Naming?: true; allowHealthCheckDivergence?: true } {
  return {
    ...(values['allow-shared-ingress-removal'] ? { allowSharedIngressRemoval: true } : {}),
    ...(values['allow-v2-naming'] ? { allowV2Naming: true } : {}),
    ...(values['allow-health-check-divergence'] ? { allowHealthCheckDivergence: true } : {}),
  };
}
