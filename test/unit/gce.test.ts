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
