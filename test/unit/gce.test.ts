// The GCE edge against a local HTTP endpoint (Google itself is unreachable here):
// backend health per instance group and pre-reserving the static IP.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { backendServiceHealth, GceError } from '../../operator/gce/backend-health.js';
import { gceClients, type GceClients } from '../../operator/gce/gce-clients.js';
import { ensureGlobalAddress } from '../../operator/gce/static-ip.js';
import { startGceEndpoint, type GceEndpoint } from '../helpers/gce-endpoint.js';

let endpoint: GceEndpoint;
let gce: GceClients;
const ig = (zone: string) => `https://www.googleapis.com/compute/v1/projects/demo/zones/${zone}/instanceGroups/k8s-ig--5f1c`;

before(async () => {
  endpoint = await startGceEndpoint();
  gce = gceClients({ endpoint: endpoint.url, token: 'test-token' });
});
after(async () => {
  await gce.close();
  await endpoint.close();
});

test('gce: backend health per cluster instance group, with the zone to match clusters', async () => {
  endpoint.backends.set('k8s-be-30000--5f1c', new Map([
    [ig('us-east1-b'), ['HEALTHY', 'HEALTHY']],
    [ig('europe-west1-c'), ['UNHEALTHY', 'UNHEALTHY']],
    [ig('asia-east1-a'), []],
  ]));
  const health = await backendServiceHealth(gce, 'demo', 'k8s-be-30000--5f1c');
  assert.deepEqual(health.map((h) => [h.zone, h.state, h.healthy, h.total]), [
    ['us-east1-b', 'HEALTHY', 2, 2],
    ['europe-west1-c', 'UNHEALTHY', 0, 2],
    ['asia-east1-a', 'UNKNOWN', 0, 0],
  ]);
  assert.ok(endpoint.requests.every((r) => r.authorization === 'Bearer test-token'), 'every call is authenticated');
});

test('gce: a missing backend service is an error naming the resource', async () => {
  await assert.rejects(backendServiceHealth(gce, 'demo', 'k8s-be-31111--nope'), (e: unknown) => {
    assert.ok(e instanceof GceError);
    assert.equal(e.resource, 'projects/demo/global/backendServices/k8s-be-31111--nope');
    return true;
  });
});

test('gce: the static IP is reserved once, then found', async () => {
  const first = await ensureGlobalAddress(gce, 'demo', 'gitfed-demo-ip');
  assert.equal(first.created, true);
  assert.match(first.address, /^198\.51\.100\.\d+$/);
  const again = await ensureGlobalAddress(gce, 'demo', 'gitfed-demo-ip');
  assert.deepEqual(again, { ...first, created: false });
  assert.equal(endpoint.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/global/addresses')).length, 1);
});

test('a Compute list whose server sends the same page token again is an error within the deadline, and each page call gets its own timeout and abort signal', async () => {
  const { listAllPages, MAX_LIST_PAGES } = await import('../../operator/gce/operation.js');
  let calls = 0;
  const options: Array<{ timeout: number; signal: AbortSignal; autoPaginate: boolean; retry: unknown }> = [];
  const looping = async (req: object, o: { timeout: number; signal: AbortSignal; autoPaginate: false; retry: null }) => { calls++; options.push(o); return [[{ name: `r${calls}` }], { ...req, pageToken: 'same' }]; };
  await assert.rejects(listAllPages(looping, { project: 'p' }, 5000, 'GCE firewalls.list projects/p/global/firewalls'), /GCE firewalls\.list projects\/p\/global\/firewalls: the server sent page token "same" twice/);
  assert.equal(calls, 2, 'stopped at the repeat');
  assert.ok(options.every((o) => o.autoPaginate === false && o.retry === null && o.timeout > 0 && o.timeout <= 5000 && o.signal instanceof AbortSignal));
  // Tokens that never repeat still end: at MAX_LIST_PAGES.
  let n = 0;
  const endless = async (req: object) => [[], { ...req, pageToken: `t${n++}` }];
  await assert.rejects(listAllPages(endless, {}, 60_000, 'GCE urlMaps.list'), new RegExp(`more than ${MAX_LIST_PAGES} pages`));
  // Pages are followed to the last one.
  const pages = [['a', 'b'], ['c'], ['d']];
  let i = 0;
  const three = async (req: object) => { const p = pages[i++]!; return [p.map((name) => ({ name })), i < pages.length ? { ...req, pageToken: `p${i}` } : null]; };
  assert.deepEqual((await listAllPages(three, {}, 5000, 'x')).map((r) => (r as { name: string }).name), ['a', 'b', 'c', 'd']);
});

test('gce: a backend health call that hangs fails at the timeout and is aborted, not left running behind the tick', async () => {
  const { createServer } = await import('node:http');
  const { gceEdge } = await import('../../operator/gce/gce-edge.js');
  let open = 0;
  let closed = 0;
  const server = createServer((req) => { open++; req.on('close', () => { closed++; }); /* never answers */ });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const clients = gceClients({ endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`, token: 't' });
  try {
    await assert.rejects(gceEdge(clients, 300).backendHealth('p', 'k8s-be-30080--uid'), /no answer within 300ms/);
    for (let i = 0; i < 200 && !(open > 0 && closed === open); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(open > 0, 'the call reached the endpoint');
    assert.equal(closed, open, 'the hanging request was cancelled');
  } finally {
    await clients.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
