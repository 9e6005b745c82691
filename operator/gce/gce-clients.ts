// Google Compute Engine clients (REST transport of @google-cloud/compute).
// In production they use Application Default Credentials and Google's
// endpoint. `endpoint` points them elsewhere: the tests start a local HTTP
// server there, because nothing on the development machines can reach Google.
import { createRequire } from 'node:module';
import type { BackendServicesClient, GlobalAddressesClient, GlobalOperationsClient } from '@google-cloud/compute';

// Loaded on the first use, not on import: the library takes seconds to load
// (about 2 s idle, 6 s on a busy 2-core machine) and every `gitfed apply` and
// `gitfed run` imports this module, most of them without --gce.
const requireCjs = createRequire(import.meta.url);
/** The client library, loaded on first use. */
export const computeLibrary = () => requireCjs('@google-cloud/compute') as typeof import('@google-cloud/compute');
const compute = computeLibrary;

export interface GceOptions {
  /** "http://127.0.0.1:8085" for a local endpoint; absent = compute.googleapis.com with ADC. */
  endpoint?: string;
  /** Bearer token for a local endpoint (ADC is used otherwise). */
  token?: string;
}

export interface GceClients {
  backendServices: BackendServicesClient;
  globalAddresses: GlobalAddressesClient;
  globalOperations: GlobalOperationsClient;
  close(): Promise<void>;
}

/** Minimal auth client for a non-Google endpoint: adds a bearer token and fetches. */
function localAuth(token: string) {
  return {
    universeDomain: 'googleapis.com',
    getRequestHeaders: async () => new Headers({ authorization: `Bearer ${token}` }),
    fetch: (url: string | URL, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      headers.set('authorization', `Bearer ${token}`);
      return fetch(url, { ...init, headers });
    },
  };
}

/** The options that point any @google-cloud/compute client at `endpoint` (or at Google with ADC). */
export function computeClientOptions(opts: GceOptions = {}): ConstructorParameters<typeof BackendServicesClient>[0] & Record<string, unknown> {
  // The client's options type does not list the REST transport's protocol/port knobs.
  if (!opts.endpoint) return { fallback: true };
  const url = new URL(opts.endpoint);
  return {
    fallback: true,
    apiEndpoint: url.hostname,
    servicePath: url.hostname,
    port: Number(url.port || (url.protocol === 'http:' ? 80 : 443)),
    protocol: url.protocol.replace(':', ''),
    authClient: localAuth(opts.token ?? 'local') as never,
  };
}

export function gceClients(opts: GceOptions = {}): GceClients {
  const clientOpts = computeClientOptions(opts);
  const { BackendServicesClient, GlobalAddressesClient, GlobalOperationsClient } = compute();
  const backendServices = new BackendServicesClient(clientOpts);
  const globalAddresses = new GlobalAddressesClient(clientOpts);
  const globalOperations = new GlobalOperationsClient(clientOpts);
  return {
    backendServices,
    globalAddresses,
    globalOperations,
    close: async () => {
      await Promise.all([backendServices.close(), globalAddresses.close(), globalOperations.close()]);
    },
  };
}
