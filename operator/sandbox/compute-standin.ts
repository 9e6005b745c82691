// A stand-in for Google's Compute Engine API (compute.googleapis.com), which
// the sandbox and the development machines cannot reach. It answers the REST
// calls that @google-cloud/compute sends over its REST transport for the
// resources GLBC builds (paths /compute/v1/projects/{project}/global/... and
// /compute/v1/projects/{project}/zones/{zone}/...), keeps them in memory and
// returns the Operation objects inserts return, already DONE. Errors have
// Google's JSON shape ({ error: { code, message, errors: [{ reason }] } }), so
// the client maps them as it would Google's (a 404 surfaces as code 5).
//
// Besides Google's paths it has its own under /_standin/: health (POST: GLBC's
// stand-in says whether the cluster has ready endpoints; GET: every
// instance's state with the reason, which Google's getHealth cannot carry),
// probe (GLBC's stand-in names the cluster behind an instance group, so a
// paused cluster turns UNHEALTHY with nobody left to report it) and state
// (everything, for the demo and a test in another process).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { listPage, MAX_PAGE } from './compute-list.js';
import { ClusterProbes } from './compute-probe.js';
import { normalizeRef } from './compute-rules.js';
import { ComputeError, ComputeStore, GLOBAL_COLLECTIONS, ZONAL_COLLECTIONS, type ComputeSnapshot, type HealthState, type InjectedFailure } from './compute-store.js';

export interface ComputeStandin {
  /** "http://127.0.0.1:PORT": the value for --gce-endpoint. */
  url: string;
  store: ComputeStore;
  snapshot(): ComputeSnapshot;
  /** The next matching mutation's Operation ends DONE with this error (and changes nothing). */
  failNext(f: InjectedFailure): void;
  requests: Array<{ method: string; path: string; query: string }>;
  probes: ClusterProbes;
  /** Every instance of every backend service's groups: its state and, when UNHEALTHY, why. */
  health(): Promise<HealthRow[]>;
  close(): Promise<void>;
}

export interface HealthRow { project: string; backendService: string; group: string; instance: string; state: HealthState; reason?: string }

async function readBody(req: IncomingMessage): Promise<Record<string, any>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? v : {};
  } catch {
    throw new ComputeError(400, 'parseError', 'This API does not support parsing form-encoded input.');
  }
}

function send(res: ServerResponse, status: number, data: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' });
  res.end(JSON.stringify(data));
}

function sendError(res: ServerResponse, e: ComputeError): void {
  send(res, e.status, { error: { code: e.status, message: e.message, errors: [{ message: e.message, domain: 'global', reason: e.reason }] } });
}

const ROUTE = /^\/compute\/v1\/projects\/([^/]+)\/(global|zones\/[^/]+)\/([A-Za-z]+)(?:\/([^/]+))?(?:\/([A-Za-z]+))?$/;
/** targetHttp(s)Proxies' setters live outside /global/ (projects/{p}/targetHttpProxies/{n}/setUrlMap), as in Google's API. */
const PROXY_SETTER = /^\/compute\/v1\/projects\/([^/]+)\/(targetHttpProxies|targetHttpsProxies)\/([^/]+)\/(setUrlMap|setSslCertificates)$/;

interface Ctx { store: ComputeStore; probes: ClusterProbes; pageSize: number }

/** One Compute Engine REST call against the store; returns the JSON body to answer 200 with. */
async function route({ store, probes, pageSize }: Ctx, method: string, path: string, query: URLSearchParams, req: IncomingMessage): Promise<unknown> {
  const setter = PROXY_SETTER.exec(path);
  if (setter && method === 'POST') {
    const [, project, collection, name, verb] = setter as unknown as [string, string, 'targetHttpProxies' | 'targetHttpsProxies', string, 'setUrlMap' | 'setSslCertificates'];
    if (verb === 'setSslCertificates' && collection !== 'targetHttpsProxies') throw new ComputeError(404, 'notFound', `The requested URL ${path} was not found on this server.`);
    return store.setProxyField(project, collection, name, verb, await readBody(req));
  }
  const m = ROUTE.exec(path);
  if (!m) throw new ComputeError(404, 'notFound', `The requested URL ${path} was not found on this server.`);
  const [, project, scope, collection, name, verb] = m as unknown as [string, string, string, string, string | undefined, string | undefined];
  if (collection === 'operations' && name) {
    if (method === 'GET' && !verb) return store.operation(project, scope, name);
    // Operations finish at once here, so wait answers DONE straight away.
    if (method === 'POST' && verb === 'wait') return store.operation(project, scope, name);
  }
  const known = scope === 'global' ? GLOBAL_COLLECTIONS : ZONAL_COLLECTIONS;
  if (!known.includes(collection)) throw new ComputeError(404, 'notFound', `The requested URL ${path} was not found on this server.`);
  if (!name) {
    if (method === 'GET') {
      const { items, nextPageToken } = listPage(store.list(project, scope, collection), query, pageSize);
      const kind = `compute#${collection === 'addresses' ? 'address' : collection.replace(/ies$/, 'y').replace(/s$/, '')}List`;
      return { kind, id: `projects/${project}/${scope}/${collection}`, ...(items.length ? { items } : {}), ...(nextPageToken ? { nextPageToken } : {}), selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/${scope}/${collection}` };
    }
    if (method === 'POST') return store.insert(project, scope, collection, await readBody(req));
  } else if (!verb) {
    if (method === 'GET') return store.get(project, scope, collection, name);
    if (method === 'DELETE') return store.remove(project, scope, collection, name);
    if (method === 'PATCH') return store.change(project, scope, collection, name, await readBody(req), 'patch');
    if (method === 'PUT') return store.change(project, scope, collection, name, await readBody(req), 'update');
  } else if (method === 'POST') {
    if (collection === 'backendServices' && verb === 'getHealth') {
      const group = String((await readBody(req)).group ?? '');
      return store.getHealth(project, name, group, await probes.reachable(normalizeRef(group)));
    }
    if (collection === 'instanceGroups' && scope.startsWith('zones/')) {
      const zone = scope.slice('zones/'.length);
      if (verb === 'addInstances' || verb === 'removeInstances' || verb === 'setNamedPorts') return store.groupMembers(project, zone, name, verb, await readBody(req));
      if (verb === 'listInstances') {
        const { items, nextPageToken } = listPage(store.listInstances(project, zone, name) as never[], query, pageSize);
        return { kind: 'compute#instanceGroupsListInstances', id: `projects/${project}/${scope}/instanceGroups/${name}`, ...(items.length ? { items } : {}), ...(nextPageToken ? { nextPageToken } : {}) };
      }
    }
  }
  throw new ComputeError(400, 'invalid', `${method} ${path} is not supported by this stand-in`);
}

/** Every instance's health with its reason, for /_standin/health and tests. */
async function healthRows(store: ComputeStore, probes: ClusterProbes): Promise<HealthRow[]> {
  const rows: HealthRow[] = [];
  const snap = store.snapshot();
  for (const bs of snap.backendServices ?? []) {
    const project = /projects\/([^/]+)\//.exec(bs.selfLink)![1]!;
    for (const b of bs.backends ?? []) {
      const group = normalizeRef(b.group);
      for (const h of store.healthDetails(project, bs.name, group, await probes.reachable(group))) {
        rows.push({ project, backendService: bs.name, group, instance: h.instance, state: h.state, ...(h.reason ? { reason: h.reason } : {}) });
      }
    }
  }
  return rows;
}

/**
 * pageSize: the most items one list page holds (Google's is 500); a test
 * sets it small to see that callers follow nextPageToken.
 */
export async function startComputeStandin(opts: { port?: number; host?: string; pageSize?: number } = {}): Promise<ComputeStandin> {
  const store = new ComputeStore();
  const probes = new ClusterProbes();
  const ctx: Ctx = { store, probes, pageSize: opts.pageSize ?? MAX_PAGE };
  const requests: ComputeStandin['requests'] = [];
  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://standin');
    requests.push({ method, path: url.pathname, query: url.search });
    void (async () => {
      try {
        if (url.pathname === '/_standin/state' && method === 'GET') return send(res, 200, store.snapshot());
        if (url.pathname === '/_standin/health' && method === 'POST') {
          const b = await readBody(req);
          store.setHealth(String(b.project), String(b.backendService), String(b.group), b.state === 'HEALTHY' ? 'HEALTHY' : 'UNHEALTHY' as HealthState);
          return send(res, 200, {});
        }
        if (url.pathname === '/_standin/health' && method === 'GET') return send(res, 200, { health: await healthRows(store, probes) });
        if (url.pathname === '/_standin/probe' && method === 'POST') {
          const b = await readBody(req);
          probes.register(normalizeRef(String(b.group)), { cluster: String(b.cluster), server: String(b.server), ca: String(b.ca ?? '') });
          return send(res, 200, {});
        }
        send(res, 200, await route(ctx, method, url.pathname, url.searchParams, req));
      } catch (e) {
        if (e instanceof ComputeError) return sendError(res, e);
        sendError(res, new ComputeError(500, 'backendError', (e as Error).message));
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    snapshot: () => store.snapshot(),
    failNext: (f) => store.failNext(f),
    requests,
    probes,
    health: () => healthRows(store, probes),
    // Keep-alive sockets of the client would hold close() open; end them all.
    close: () => new Promise((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
