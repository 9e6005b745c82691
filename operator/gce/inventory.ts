// What GLBC built in a project, listed through @google-cloud/compute, and the
// deletes `gitfed gce gc` makes. Each list and delete is one bounded call; a
// failure names the call and the resource.
import { GceError } from './backend-health.js';
import { computeClientOptions, computeLibrary, type GceOptions } from './gce-clients.js';
import { awaitOperation, callOptions, listAllPages, withTimeout, type OperationBody, type OperationPoller } from './operation.js';
import type { CloudResource } from '../core/gce-orphans.js';

export interface GceInventory {
  /** Every resource of the GLBC collections in `project` (instance groups of the given zones). */
  list(project: string, zones: readonly string[]): Promise<CloudResource[]>;
  remove(project: string, r: CloudResource): Promise<void>;
  close(): Promise<void>;
}

// Deletion order: what points at something goes first (forwarding rule -> proxy -> URL map -> backend service -> health check, instance group).
export const GC_ORDER = ['forwardingRules', 'targetHttpsProxies', 'targetHttpProxies', 'sslCertificates', 'urlMaps', 'backendServices', 'healthChecks', 'instanceGroups', 'firewalls'] as const;

type AnyClient = { list(req: object, options?: object): Promise<unknown[]>; delete(req: object, options?: object): Promise<unknown[]>; close(): Promise<void> };
type OperationsClient = { wait(req: object, options?: object): Promise<unknown[]>; close(): Promise<void> };

export function gceInventory(opts: GceOptions, timeoutMs = 20_000): GceInventory {
  const o = computeClientOptions(opts);
  // Each collection: its client and the request field that names one resource.
  // Loaded here, on first use: every command imports this module, few of them with --gce.
  const {
    BackendServicesClient, FirewallsClient, GlobalForwardingRulesClient, HealthChecksClient, InstanceGroupsClient,
    SslCertificatesClient, TargetHttpProxiesClient, TargetHttpsProxiesClient, UrlMapsClient, GlobalOperationsClient, ZoneOperationsClient,
  } = computeLibrary();
  const globalOps = new GlobalOperationsClient(o) as unknown as OperationsClient;
  const zoneOps = new ZoneOperationsClient(o) as unknown as OperationsClient;
  const pollIn = (project: string): OperationPoller => async (operation, zone, signal) => {
    const [body] = await (zone ? zoneOps.wait({ project, zone, operation }, callOptions(timeoutMs, signal)) : globalOps.wait({ project, operation }, callOptions(timeoutMs, signal)));
    return body as OperationBody;
  };
  const clients: Record<(typeof GC_ORDER)[number], [AnyClient, string]> = {
    forwardingRules: [new GlobalForwardingRulesClient(o) as unknown as AnyClient, 'forwardingRule'],
    targetHttpsProxies: [new TargetHttpsProxiesClient(o) as unknown as AnyClient, 'targetHttpsProxy'],
    targetHttpProxies: [new TargetHttpProxiesClient(o) as unknown as AnyClient, 'targetHttpProxy'],
    sslCertificates: [new SslCertificatesClient(o) as unknown as AnyClient, 'sslCertificate'],
    urlMaps: [new UrlMapsClient(o) as unknown as AnyClient, 'urlMap'],
    backendServices: [new BackendServicesClient(o) as unknown as AnyClient, 'backendService'],
    healthChecks: [new HealthChecksClient(o) as unknown as AnyClient, 'healthCheck'],
    instanceGroups: [new InstanceGroupsClient(o) as unknown as AnyClient, 'instanceGroup'],
    firewalls: [new FirewallsClient(o) as unknown as AnyClient, 'firewall'],
  };
  const path = (project: string, r: CloudResource) => `projects/${project}/${r.zone ? `zones/${r.zone}` : 'global'}/${r.collection}/${r.name}`;
  return {
    async list(project, zones) {
      // Every list at once: a Compute Engine that hangs costs one timeout, not one per collection.
      const calls = GC_ORDER.flatMap((collection) => (collection === 'instanceGroups' ? [...new Set(zones)] : [undefined]).map(async (zone) => {
        const [client] = clients[collection];
        const where = `projects/${project}/${zone ? `zones/${zone}` : 'global'}/${collection}`;
        try {
          const items = await listAllPages((req, opts) => client.list(req, opts), { project, ...(zone ? { zone } : {}) }, timeoutMs, `GCE ${collection}.list ${where}`);
          return (items as Array<Record<string, unknown> & { name?: string }>).filter((it) => it.name).map((it): CloudResource => ({ collection, name: it.name!, ...(zone ? { zone } : {}), data: it }));
        } catch (e) {
          if (e instanceof GceError) throw e;
          throw new GceError(`GCE ${collection}.list ${where}: ${(e as Error).message}`, where, e);
        }
      }));
      // In GC_ORDER (deletion order), as before.
      return (await Promise.all(calls)).flat();
    },
    async remove(project, r) {
      const [client, field] = clients[r.collection as (typeof GC_ORDER)[number]];
      const resource = path(project, r);
      try {
        const ctrl = new AbortController();
        const [op] = await withTimeout(client.delete({ project, ...(r.zone ? { zone: r.zone } : {}), [field]: r.name }, callOptions(timeoutMs, ctrl.signal)), timeoutMs, `GCE ${r.collection}.delete ${resource}`, ctrl);
        // The next delete (what this one pointed at) waits until this one is DONE.
        await awaitOperation(op as never, `${r.collection}.delete`, resource, pollIn(project));
      } catch (e) {
        if (e instanceof GceError) throw e;
        throw new GceError(`GCE ${r.collection}.delete ${resource}: ${(e as Error).message}`, resource, e);
      }
    },
    close: async () => { await Promise.all([...Object.values(clients).map(([c]) => c.close()), globalOps.close(), zoneOps.close()]); },
  };
}
