// A TLS proxy in front of a REAL kube-apiserver that can answer chosen
// requests itself: a status code with a Kubernetes Status body or an empty
// body, a watch stream holding one ERROR event, or a stream that never says
// anything. Everything else goes to the apiserver unchanged. It serves the
// apiserver's own certificate (valid for 127.0.0.1 on any port), so a
// kubeconfig only needs the proxy's URL instead of the apiserver's.
import { readFile } from 'node:fs/promises';
import { Agent, createServer, request, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Sandbox, SandboxCluster } from '../../../operator/sandbox/index.js';

export interface FaultAnswer {
  status: number;
  /**
   * status: a Kubernetes Status body; empty: no body; error-event: HTTP 200
   * and one watch ERROR event; stall: HTTP 200 and then silence; flood: HTTP
   * 200 and JSON-looking bytes without end (no newline, never a whole
   * object) as fast as the client reads them, until it hangs up.
   */
  body: 'status' | 'empty' | 'error-event' | 'stall' | 'flood';
  reason?: string;
  /** The Status message (default: says the fault suite injected it). */
  message?: string;
}

export interface ProxiedRequest {
  method: string;
  path: string;
  watch: boolean;
}

export type FaultRule = (req: ProxiedRequest) => FaultAnswer | undefined;

/** Runs (and is awaited) before a request goes to the apiserver: another client acting in between. */
export type BeforeForward = (req: ProxiedRequest & { body: Buffer }) => Promise<void>;

export interface ApiserverProxy {
  url: string;
  setRule(rule: FaultRule | undefined): void;
  setBeforeForward(hook: BeforeForward | undefined): void;
  /** Cut every watch stream in flight (as a restart or a load balancer would), so clients must reconnect. */
  dropWatches(): void;
  /** Requests the proxy answered itself since the last reset. */
  faulted(): number;
  resetCount(): void;
  close(): Promise<void>;
}

const REASONS: Record<number, string> = { 401: 'Unauthorized', 403: 'Forbidden', 410: 'Expired', 429: 'TooManyRequests', 500: 'InternalError', 503: 'ServiceUnavailable' };

function statusBody(code: number, reason?: string, message?: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: message ?? `injected by the fault suite: HTTP ${code}`, reason: reason ?? REASONS[code] ?? 'InternalError', code });
}

function answer(res: ServerResponse, a: FaultAnswer, streams: Set<ServerResponse>): void {
  if (a.body === 'empty') { res.writeHead(a.status, { 'content-length': '0' }).end(); return; }
  if (a.body === 'status') {
    // Like the apiserver's own JSON encoder: the Status ends with a newline.
    const body = `${statusBody(a.status, a.reason, a.message)}\n`;
    res.writeHead(a.status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...(a.status === 429 ? { 'retry-after': '1' } : {}) }).end(body);
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  if (a.body === 'error-event') {
    res.end(`${JSON.stringify({ type: 'ERROR', object: JSON.parse(statusBody(a.status, a.reason)) })}\n`);
    return;
  }
  if (a.body === 'flood') {
    const chunk = Buffer.from(`{"kind":"List","items":[${'{"x":"'.padEnd(64 * 1024 - 1, 'x')}`);
    const more = () => { while (!res.destroyed && res.write(chunk)); };
    res.on('drain', more);
    streams.add(res);
    res.once('close', () => streams.delete(res));
    more();
    return;
  }
  res.flushHeaders(); // stall: headers, then nothing until the suite lets go
  streams.add(res);
  res.once('close', () => streams.delete(res));
}

export async function startApiserverProxy(sb: Sandbox, cluster: SandboxCluster): Promise<ApiserverProxy> {
  const certs = join(sb.dir, 'clusters', cluster.name, 'certs');
  const [cert, key] = await Promise.all([readFile(join(certs, 'apiserver.crt'), 'utf8'), readFile(join(certs, 'apiserver.key'), 'utf8')]);
  const upstream = new URL(cluster.server);
  const agent = new Agent({ keepAlive: true, ca: cluster.ca });
  let rule: FaultRule | undefined;
  let before: BeforeForward | undefined;
  let faulted = 0;
  const watches = new Set<ServerResponse>();
  const server: Server = createServer({ cert, key }, (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    const watch = /[?&]watch=(1|true)(&|$)/.test(path);
    const a = rule?.({ method: req.method ?? 'GET', path, watch });
    if (a) {
      faulted++;
      req.resume();
      answer(res, a, watches);
      return;
    }
    const up = request({ hostname: upstream.hostname, port: upstream.port, path, method: req.method, headers: { ...req.headers, host: upstream.host }, agent }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      ures.pipe(res);
    });
    up.on('error', () => res.destroy());
    res.once('close', () => up.destroy());
    if (watch) { watches.add(res); res.once('close', () => watches.delete(res)); }
    if (!before) { req.pipe(up); return; }
    const hook = before;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => {
      const body = Buffer.concat(chunks);
      hook({ method: req.method ?? 'GET', path, watch, body }).then(() => up.end(body), () => { up.destroy(); res.destroy(); });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    setRule: (r) => { rule = r; },
    setBeforeForward: (h) => { before = h; },
    dropWatches: () => { for (const w of watches) w.destroy(); watches.clear(); },
    faulted: () => faulted,
    resetCount: () => { faulted = 0; },
    close: async () => {
      for (const w of watches) w.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      agent.destroy();
    },
  };
}
