// status --gce's per-backend-service line ("GCE backend service ... (Ingress
// ...): a HEALTHY 2/2, ...") is derived from the getHealth answers reconcile
// fetched for the shards: one call per backend service, and the line reads as
// it did when it made calls of its own (unknown zone, missing, error).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addGceHealth } from '../../operator/cluster/gce-health.js';
import type { GceEdge, IngressStatus } from '../../operator/cluster/reconcile-types.js';
import type { ClusterSpec } from '../../operator/core/model.js';
import { gceIngressHealth } from '../../operator/gce/ingress-health.js';

const clusters = [
  { name: 'a', provider: 'gce', gce: { project: 'p', zone: 'za' } },
  { name: 'b', provider: 'gce', gce: { project: 'p', zone: 'zb' } },
] as unknown as ClusterSpec[];

function ing(name: string, backends: string[]): IngressStatus {
  return { ref: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace: 'n', name }, addresses: [], shards: ['a', 'b'].map((cluster) => ({ cluster, ips: [], backends: Object.fromEntries(backends.map((b) => [b, 'HEALTHY'])), readyEndpoints: 1, totalEndpoints: 1 })) };
}

/** The line status prints for each entry (its documented format). */
const line = (g: ReturnType<typeof gceIngressHealth>[number]) => `GCE backend service ${g.backendService} (Ingress ${g.ingress}): ${g.error ? `error: ${g.error}` : g.shards.map((s) => `${s.cluster} ${s.state} ${s.healthy}/${s.total}`).join(', ') || 'no instance groups yet'}`;

test('status --gce: the per-backend-service line comes from the shards\' getHealth answers, one call per backend service', async () => {
  const calls: string[] = [];
  const edge: GceEdge = {
    address: async () => undefined,
    backendHealth: async (project, bs) => {
      calls.push(`${project}/${bs}`);
      if (bs === 'k8s-be-1--u') return [
        { zone: 'za', group: 'za/ig', state: 'HEALTHY', healthy: 2, total: 2 },
        { zone: 'zb', group: 'zb/ig', state: 'UNHEALTHY', healthy: 0, total: 2 },
        { zone: 'zq', group: 'zq/ig', state: 'UNKNOWN', healthy: 0, total: 0 },
      ];
      if (bs === 'k8s-be-2--u') return undefined;
      if (bs === 'k8s-be-3--u') throw new Error('GCE backendServices.getHealth projects/p/global/backendServices/k8s-be-3--u: no answer within 2000ms');
      return [];
    },
  };
  const ingresses = [ing('web', ['k8s-be-1--u']), ing('gone', ['k8s-be-2--u']), ing('slow', ['k8s-be-3--u']), ing('new', ['k8s-be-4--u'])];
  const fetched = await addGceHealth(edge, ingresses, clusters);
  const lines = gceIngressHealth(fetched, ingresses, clusters).map(line);
  assert.deepEqual(calls.sort(), ['p/k8s-be-1--u', 'p/k8s-be-2--u', 'p/k8s-be-3--u', 'p/k8s-be-4--u'], 'each backend service asked once for both clusters and both views');
  assert.deepEqual(lines, [
    'GCE backend service k8s-be-1--u (Ingress n/web): a HEALTHY 2/2, b UNHEALTHY 0/2, (unknown zone zq) UNKNOWN 0/0',
    'GCE backend service k8s-be-2--u (Ingress n/gone): error: GCE backendServices.getHealth projects/p/global/backendServices/k8s-be-2--u: the backend service does not exist',
    'GCE backend service k8s-be-3--u (Ingress n/slow): error: GCE backendServices.getHealth projects/p/global/backendServices/k8s-be-3--u: no answer within 2000ms',
    'GCE backend service k8s-be-4--u (Ingress n/new): no instance groups yet',
  ]);
  // The shards say the same from the same answers.
  assert.equal(ingresses[1]!.shards[0]!.gce!.state, 'MISSING');
  assert.equal(ingresses[2]!.shards[0]!.gce!.state, 'ERROR');
});

test('status --gce: no Cluster with a project, or a backend service nobody asked about, is an error on its line', () => {
  const noProject = [{ name: 'a', provider: 'gce' }] as unknown as ClusterSpec[];
  assert.deepEqual(gceIngressHealth([], [ing('web', ['k8s-be-1--u'])], noProject).map(line), ['GCE backend service k8s-be-1--u (Ingress n/web): error: no Cluster has spec.gce.project']);
  assert.match(gceIngressHealth([], [ing('web', ['k8s-be-1--u'])], clusters).map(line)[0]!, /error: not asked: no cluster of project p reports k8s-be-1--u/);
});
