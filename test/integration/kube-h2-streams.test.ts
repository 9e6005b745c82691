// HTTP/2 stream limits and refusals against a REAL kube-apiserver: one that
// allows only 2 streams per connection still answers a burst of 60 requests
// on a new connection (the client waits for the server's SETTINGS and keeps
// to them), and a stream the server refuses unprocessed (REFUSED_STREAM, as
// after a GOAWAY) is sent again, once, never twice.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { constants, createSecureServer, type Http2SecureServer, type ServerHttp2Stream } from 'node:http2';
import { Agent, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { KubeHttp } from '../../operator/cluster/kube-http.js';
import { KubeUnreachableError } from '../../operator/cluster/kube-types.js';
import type { Sandbox, SandboxCluster } from '../../operator/sandbox/index.js';
import { admin } from '../helpers/fleet-repo.js';
import { sandbox, uniqueNamespace } from '../helpers/sandbox.js';

const STREAM_LIMIT = 2;
const sb = () => sandbox({ clusters: 1, controllers: false, apiserverArgs: [`--http2-max-streams-per-connection=${STREAM_LIMIT}`] });

/** An HTTP/2 TLS server in front of the apiserver that refuses the next `refuse` streams (RST_STREAM REFUSED_STREAM) and forwards the rest. */
async function refusingProxy(s: Sandbox, c: SandboxCluster): Promise<{ url: string; refuse(n: number): void; seen: () => { refused: number; forwarded: string[] }; close(): Promise<void> }> {
  const certs = join(s.dir, 'clusters', c.name, 'certs');
  const [cert, key] = await Promise.all([readFile(join(certs, 'apiserver.crt'), 'utf8'), readFile(join(certs, 'apiserver.key'), 'utf8')]);
  const upstream = new URL(c.server);
  const agent = new Agent({ keepAlive: true, ca: c.ca });
  let refuse = 0;
  let refused = 0;
  const forwarded: string[] = [];
  const server: Http2SecureServer = createSecureServer({ cert, key }, undefined);
  server.on('stream', (stream: ServerHttp2Stream, headers) => {
    stream.on('error', () => undefined); // a stream closed with an error code reports it on this side too
    if (refuse > 0) { refuse--; refused++; stream.close(constants.NGHTTP2_REFUSED_STREAM); return; }
    const method = String(headers[':method']);
    const path = String(headers[':path']);
    forwarded.push(`${method} ${path.split('?')[0]}`);
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(headers)) if (!k.startsWith(':') && typeof v === 'string') h[k] = v;
    const up = request({ hostname: upstream.hostname, port: upstream.port, path, method, headers: h, agent }, (res) => {
      const out: Record<string, string | string[]> = { ':status': String(res.statusCode ?? 502) };
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined && !['connection', 'transfer-encoding', 'keep-alive'].includes(k)) out[k] = v;
      stream.respond(out);
      res.pipe(stream);
    });
    up.on('error', () => stream.close(constants.NGHTTP2_INTERNAL_ERROR));
    stream.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    refuse: (n) => { refuse = n; },
    seen: () => ({ refused, forwarded: [...forwarded] }),
    close: async () => { await new Promise<void>((r) => server.close(() => r())); agent.destroy(); },
  };
}

let proxy: Awaited<ReturnType<typeof refusingProxy>> | undefined;
after(async () => { await proxy?.close(); });

test('HTTP/2: an apiserver that allows 2 streams per connection answers every one of 60 requests sent at once on a new connection', async () => {
  const s = await sb();
  const h = admin(s, s.clusters[0]!.name);
  try {
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => h.request({ path: i % 2 ? '/api/v1/namespaces/default' : '/api/v1/namespaces/kube-system' })));
    assert.deepEqual([...new Set(answers.map((r) => r.status))], [200]);
    assert.equal(h.protocol, 'h2');
  } finally {
    h.close();
  }
});

test('HTTP/2: a stream refused before processing is sent again: a POST refused twice is created once; refused three times it fails and creates nothing', async () => {
  const s = await sb();
  const c = s.clusters[0]!;
  proxy = await refusingProxy(s, c);
  const direct = admin(s, c.name);
  const h = new KubeHttp({ server: proxy.url, ca: c.ca, token: c.adminToken });
  const ns = uniqueNamespace('refused');
  try {
    assert.equal((await direct.request({ method: 'POST', path: '/api/v1/namespaces', body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } } })).status, 201);
    assert.equal((await h.request({ path: '/version' })).status, 200); // the connection is open and its SETTINGS known
    assert.equal(h.protocol, 'h2');
    const create = (name: string) => h.request({ method: 'POST', path: `/api/v1/namespaces/${ns}/configmaps`, body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { a: '1' } } });
    proxy.refuse(2);
    const r = await create('twice');
    assert.equal(r.status, 201, r.text);
    assert.equal(proxy.seen().refused, 2);
    assert.deepEqual(proxy.seen().forwarded.filter((f) => f.startsWith('POST')), [`POST /api/v1/namespaces/${ns}/configmaps`], 'sent to the apiserver once');
    proxy.refuse(3);
    await assert.rejects(create('thrice'), (e) => e instanceof KubeUnreachableError && /REFUSED_STREAM/.test(e.message));
    assert.equal(proxy.seen().refused, 5, 'three attempts in all, then the error');
    assert.equal((await direct.request({ path: `/api/v1/namespaces/${ns}/configmaps/thrice` })).status, 404, 'nothing was created');
  } finally {
    h.close();
    direct.close();
  }
});
