// --gce (Application Default Credentials, Google's endpoint) and
// --gce-endpoint URL (another endpoint, e.g. a local stand-in): the commands
// that talk to Compute Engine share these flags. No flag, no GCE calls.
import { openGceEdge } from '../gce/gce-edge.js';

export function gceFromFlags(values: Record<string, unknown>): ReturnType<typeof openGceEdge> | undefined {
  if (!values.gce && !values['gce-endpoint']) return undefined;
  return openGceEdge(values['gce-endpoint'] ? { endpoint: values['gce-endpoint'] as string } : {});
}
