// A small HTTPS proxy in front of a REAL sandbox apiserver that can answer
// watch requests with a fault: a status with a Status body, an empty 5xx, a
// stall (200 and then nothing), an ERROR 410 event, garbage, or hold (the
// apiserver's events are kept back until release(), then delivered in
// order: a watch that lags behind the writes). Every other
// request (and every watch in "pass" mode) goes through to the apiserver.
// It serves the apiserver's own certificate, so clients keep the sandbox CA.
import { readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { Sandbox } from '../../operator/sandbox/index.js';

export type WatchFault =
  | { kind: 'pass' }
  | { kind: 'status'; status: number; body: string }
  | { kind: 'stall' }
  | { kind: 'gone-event' }
  | { kind: 'garbage' }
  | { kind: 'hold' };

export interface WatchFaultProxy {
  server: string;
  /** Answer watches with this from now on; watches open now are cut. */
  setFault(f: WatchFault): void;
  /** Deliver what held watches kept back, and pass everything from now on (open watches stay open). */
  release(): void;
  /** Arrival times (ms) of the watch requests seen so far. */
  watchTimes: number[];
  close(): Promise<void>;
}

export function statusBody(code: number, reason: string, message: string): string {
  return JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }) + '\n';
}

export async function startWatchFaultProxy(sb: Sandbox, cluster: string): Promise<WatchFaultProxy> {
  const c = sb.clusters.find((x) => x.name === cluster)!;
  const certs = join(sb.dir, 'clusters', cluster, 'certs');
  const upstream = new URL(c.server);
  const sockets = new Set<Socket>();
  const open = new Set<Socket>();
  let fault: WatchFault = { kind: 'pass' };
  /** Held watches: each starts delivering when called. */
  const held: Array<() => void> = [];
  const proxy: WatchFaultProxy = {
    server: '', watchTimes: [], close: async () => undefined,
    release: () => { fault = { kind: 'pass' }; for (const go of held.splice(0)) go(); },
    setFault: (f) => { fault = f; for (const s of open) s.destroy(); open.clear(); },
  };
  const server: Server = createServer({ cert: readFileSync(join(certs, 'apiserver.crt')), key: readFileSync(join(certs, 'apiserver.key')) }, (req, res) => {
    const isWatch = /[?&]watch=(1|true)/.test(req.url ?? '');
    if (isWatch) {
      proxy.watchTimes.push(Date.now());
      open.add(req.socket);
      req.socket.on('close', () => open.delete(req.socket));
    }
    const f = fault;
    if (isWatch && f.kind === 'status') {
      res.writeHead(f.status, f.body ? { 'content-type': 'application/json' } : {});
      res.end(f.body);
      return;
    }
    if (isWatch && f.kind === 'stall') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      return; // never a byte more: a half-open connection as far as the client can tell
    }
    if (isWatch && f.kind === 'gone-event') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'too old resource version: 1 (2)', reason: 'Expired', code: 410 } }) + '\n');
      return;
    }
    if (isWatch && f.kind === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('<html>502 from some load balancer</html>\n{"type":"ADDED"}\n');
      return;
    }
    const up = request({ hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers, ca: c.ca }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      res.flushHeaders(); // a watch's headers come before its first event, as from the apiserver itself
      // Held: nothing is read from the apiserver (it waits in the stream) until release().
      if (isWatch && f.kind === 'hold') held.push(() => ures.pipe(res));
      else ures.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  proxy.server = `https://127.0.0.1:${port}`;
  proxy.close = () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); });
  return proxy;
}
