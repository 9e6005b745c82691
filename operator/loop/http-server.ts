// One HTTP server for the operator: POST /webhook (signed push events trigger
// an immediate fetch), /healthz, /readyz, /metrics.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.js';
import { verifyWebhook } from './webhook.js';

export interface HttpOptions {
  host: string;
  port: number;
  webhookSecret?: string;
  maxBodyBytes?: number;
  metrics: Metrics;
  ready: () => boolean;
  onPush: (provider: string) => void;
}

export async function startHttpServer(opts: HttpOptions): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const max = opts.maxBodyBytes ?? 1024 * 1024;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') { res.writeHead(200).end('ok\n'); return; }
    if (req.method === 'GET' && path === '/readyz') { const r = opts.ready(); res.writeHead(r ? 200 : 503).end(r ? 'ok\n' : 'not ready\n'); return; }
    if (req.method === 'GET' && path === '/metrics') {
      opts.metrics.registry.metrics().then((text) => res.writeHead(200, { 'content-type': opts.metrics.registry.contentType }).end(text), () => res.writeHead(500).end());
      return;
    }
    if (path !== '/webhook' || req.method !== 'POST') { res.writeHead(404).end('not found\n'); return; }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = Number(req.headers['content-length'] ?? 0) > max;
    if (tooBig) { res.writeHead(413, { connection: 'close' }).end('payload too large\n'); req.destroy(); return; }
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) { tooBig = true; res.writeHead(413, { connection: 'close' }).end('payload too large\n'); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) return;
      const v = verifyWebhook(req.headers, Buffer.concat(chunks), opts.webhookSecret);
      if (!v.ok) { res.writeHead(401).end(`${v.reason}\n`); return; }
      opts.onPush(v.provider);
      res.writeHead(202).end('fetch triggered\n');
    });
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(opts.port, opts.host, resolve); });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://${opts.host}:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
