// One HTTP server for the operator: POST /webhook (signed push events to the
// watched branch trigger an immediate fetch; ping, other events, other
// branches and repeated deliveries get 200 and trigger nothing), /healthz,
// /readyz, /metrics.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.js';
import type { Readiness } from './readiness.js';
import { classifyWebhook, RecentDeliveries, verifyWebhook } from './webhook.js';

export interface HttpOptions {
  host: string;
  port: number;
  webhookSecret?: string;
  maxBodyBytes?: number;
  metrics: Metrics;
  ready: () => boolean | Readiness;
  /** A verified push to the watched branch; `after`: the commit its payload names, if any. */
  onPush: (provider: string, after?: string) => void;
  /** The watched branch: pushes to other branches trigger nothing (unset: every push). */
  branch?: string;
}

export async function startHttpServer(opts: HttpOptions): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const max = opts.maxBodyBytes ?? 1024 * 1024;
  const deliveries = new RecentDeliveries();
  opts.metrics.webhookSecretConfigured.set(opts.webhookSecret ? 1 : 0);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') { res.writeHead(200).end('ok\n'); return; }
    if (req.method === 'GET' && path === '/readyz') {
      const r = opts.ready();
      const ok = typeof r === 'boolean' ? r : r.ready;
      res.writeHead(ok ? 200 : 503).end(ok ? 'ok\n' : `not ready${typeof r === 'object' && !r.ready ? `: ${r.message}` : ''}\n`);
      return;
    }
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
      const body = Buffer.concat(chunks);
      const v = verifyWebhook(req.headers, body, opts.webhookSecret);
      if (!v.ok) { opts.metrics.webhookDeliveries.inc({ outcome: 'unauthorized' }); res.writeHead(401).end(`${v.reason}\n`); return; }
      const action = classifyWebhook(req.headers, body, opts.branch);
      if (action.delivery && !deliveries.first(action.delivery)) {
        opts.metrics.webhookDeliveries.inc({ outcome: 'duplicate' });
        res.writeHead(200).end('this delivery was seen before: nothing triggered\n');
        return;
      }
      if (!action.fetch) { opts.metrics.webhookDeliveries.inc({ outcome: 'ignored' }); res.writeHead(200).end(`${action.reason}: nothing triggered\n`); return; }
      opts.metrics.webhookDeliveries.inc({ outcome: 'fetch' });
      opts.onPush(v.provider, action.after);
      res.writeHead(202).end('fetch triggered\n');
    });
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(opts.port, opts.host, resolve); });
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://${opts.host}:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}
