// A local HTTP endpoint that answers the few Compute Engine REST calls gitfed
// makes (backend services, their health, global addresses). It stands in
// for compute.googleapis.com, which the development machines cannot reach.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GceEndpoint {
  url: string;
  /** backend service name -> instance group URL -> health states of its instances */
  backends: Map<string, Map<string, string[]>>;
  addresses: Map<string, string>;
  requests: Array<{ method: string; path: string; authorization?: string }>;
  close(): Promise<void>;
}

async function body(req: IncomingMessage): Promise<any> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

export async function startGceEndpoint(): Promise<GceEndpoint> {
  const state = { backends: new Map<string, Map<string, string[]>>(), addresses: new Map<string, string>(), requests: [] as GceEndpoint['requests'] };
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    state.requests.push({ method: req.method ?? '', path: url.pathname, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const send = (code: number, data: unknown) => { res.writeHead(code, { 'content-type': 'application/json' }); res.end(JSON.stringify(data)); };
    const notFound = (what: string) => send(404, { error: { code: 404, message: `The resource '${what}' was not found`, errors: [{ reason: 'notFound' }] } });
    const m = /^\/compute\/v1\/projects\/([^/]+)\/global\/(backendServices|addresses|operations)(?:\/([^/]+))?(?:\/(getHealth))?$/.exec(url.pathname);
    if (!m) return notFound(url.pathname);
    const [, project, collection, name, verb] = m;
    if (collection === 'backendServices' && name && req.method === 'GET' && !verb) {
      const groups = state.backends.get(name);
      if (!groups) return notFound(`projects/${project}/global/backendServices/${name}`);
      return send(200, { kind: 'compute#backendService', name, backends: [...groups.keys()].map((group) => ({ group })) });
    }
    if (collection === 'backendServices' && name && verb === 'getHealth' && req.method === 'POST') {
      const { group } = await body(req);
      const states = state.backends.get(name)?.get(group);
      if (!states) return notFound(group);
      return send(200, { kind: 'compute#backendServiceGroupHealth', healthStatus: states.map((healthState, i) => ({ healthState, instance: `${group}/instances/n${i}` })) });
    }
    if (collection === 'addresses' && name && req.method === 'GET') {
      const address = state.addresses.get(name);
      return address ? send(200, { name, address, status: 'RESERVED' }) : notFound(`projects/${project}/global/addresses/${name}`);
    }
    if (collection === 'addresses' && !name && req.method === 'POST') {
      const { name: n } = await body(req);
      state.addresses.set(n, `198.51.100.${10 + state.addresses.size}`);
      return send(200, { kind: 'compute#operation', name: `op-${n}`, status: 'DONE', operationType: 'insert', targetLink: `projects/${project}/global/addresses/${n}` });
    }
    if (collection === 'operations' && name) return send(200, { kind: 'compute#operation', name, status: 'DONE' });
    return notFound(url.pathname);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    ...state,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
