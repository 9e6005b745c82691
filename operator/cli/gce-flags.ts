// --gce (Application Default Credentials, Google's endpoint) and
// --gce-endpoint URL (another endpoint, e.g. a local stand-in): the commands
// that talk to Compute Engine share these flags. No flag, no GCE calls.
import type { GceOptions } from '../gce/gce-clients.js';
import { openGceEdge } from '../gce/gce-edge.js';

/** Where the Compute Engine calls go: --gce-endpoint URL, else Google's endpoint with Application Default Credentials. */
export function gceOptionsFromFlags(values: Record<string, unknown>): GceOptions {
  return values['gce-endpoint'] ? { endpoint: values['gce-endpoint'] as string } : {};
}

export function gceFromFlags(values: Record<string, unknown>): ReturnType<typeof openGceEdge> | undefined {
  if (!values.gce && !values['gce-endpoint']) return undefined;
  return openGceEdge(gceOptionsFromFlags(values));
}
