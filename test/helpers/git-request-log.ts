// An HTTP proxy in front of the sandbox's git server that writes down every
// request it forwards ("GET /fleet.git/info/refs?service=git-upload-pack"):
// what a tick asks of git, as the server sees it.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GitRequestLog {
  /** The same repository URL through the proxy. */
  url: string;
  /** Requests forwarded so far: method, path and the `service` query. */
  requests: string[];
  close(): Promise<void>;
}

export async function startGitRequestLog(repoUrl: string): Promise<GitRequestLog> {
  const upstream = new URL(repoUrl);
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? '/', 'http://proxy');
    const service = u.searchParams.get('service');
    requests.push(`${req.method} ${u.pathname}${service ? `?service=${service}` : ''}`);
    const out = request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on('error', () => { if (!res.headersSent) res.writeHead(502); res.end(); });
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const proxied = new URL(repoUrl);
  proxied.port = String((server.address() as AddressInfo).port);
  return {
    url: proxied.href.replace(/\/$/, ''),
    requests,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
