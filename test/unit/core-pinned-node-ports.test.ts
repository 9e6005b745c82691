// A node port pinned in Git by a Service no Ingress uses still belongs to that
// Service: gitfed never hands it to a Service behind a federated Ingress, and
// a pin on a port another Service already holds is an error at that line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyAllocations, type Allocations, type ClusterObservation, type Observations, type RenderResult } from '../../operator/core/model.js';
import { render } from '../../operator/core/render.js';
import { loadFleetFiles } from '../../operator/load/index.js';

const enc = new TextEncoder();
const CLUSTERS = ['a', 'b'].map((n, i) => `apiVersion: gitfed.io/v1alpha1
kind: Cluster
metadata: { name: ${n} }
spec: { gce: { project: p, zone: z${i} } }
`).join('---\n');
// shop/metrics pins 30000 (line 7) and no Ingress uses it; shop/web is behind a GCE Ingress.
const MANIFESTS = `apiVersion: v1
kind: Service
metadata: { name: metrics, namespace: shop }
spec:
  type: NodePort
  selector: { app: metrics }
  ports: [{ name: http, port: 9090, nodePort: 30000 }]
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  type: NodePort
  selector: { app: web }
  ports: [{ name: http, port: 80 }]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
  annotations: { kubernetes.io/ingress.global-static-ip-name: web-ip }
spec:
  defaultBackend: { service: { name: web, port: { number: 80 } } }
`;

function renderWith(observations: Observations, allocations: Allocations): RenderResult {
  const loaded = loadFleetFiles([{ path: 'clusters/c.yaml', content: enc.encode(CLUSTERS) }, { path: 'manifests/m.yaml', content: enc.encode(MANIFESTS) }]);
  return render({ fleet: loaded.fleet, observations, allocations, loadFindings: loaded.findings });
}
const nodePorts = (r: RenderResult, cluster: string) => Object.fromEntries(r.clusters.find((c) => c.cluster === cluster)!.objects
  .filter((o) => o.kind === 'Service').map((o) => [o.metadata.name, (o.spec as { ports: Array<{ nodePort?: number }> }).ports[0]!.nodePort]));

test('pinned node ports: the Service behind the Ingress never gets the port a plain NodePort Service pins', () => {
  const r = renderWith({}, emptyAllocations());
  assert.deepEqual(r.findings.filter((f) => f.severity === 'error'), []);
  for (const c of ['a', 'b']) assert.deepEqual(nodePorts(r, c), { metrics: 30000, web: 30001 }, c);
  assert.deepEqual(r.allocations.nodePorts, { 'shop/web': { http: 30001 } });
});

test('pinned node ports: pinning a port the federated Service already holds is an error at the nodePort line; the holder keeps its port', () => {
  const held: ClusterObservation = { health: 'Ready', nodePorts: [{ port: 30000, namespace: 'shop', service: 'web', servicePort: 'http' }], ingresses: [], workloads: [] };
  const allocations: Allocations = { ...emptyAllocations(), nodePorts: { 'shop/web': { http: 30000 } } };
  for (const [what, observations] of [['held live', { a: held, b: held }], ['allocated before, not observed', {}]] as const) {
    const r = renderWith(observations, allocations);
    const errs = r.findings.filter((f) => f.severity === 'error');
    assert.deepEqual(errs.map((f) => `${f.code} ${f.place?.file}:${f.place?.line}`), ['NodePortTaken manifests/m.yaml:7'], what);
    assert.match(errs[0]!.message, /^Service shop\/metrics port http: nodePort 30000 is already (held by Service shop\/web in cluster a|allocated to Service shop\/web \(manifests\/m.yaml:9\))/, what);
    for (const c of r.clusters) {
      assert.deepEqual(nodePorts(r, c.cluster), { web: 30000 }, `${what}: ${c.cluster} keeps web on 30000`);
      assert.deepEqual(c.blocked.map((b) => `${b.ref.kind}/${b.ref.name} ${b.finding.code}`), ['Service/metrics NodePortTaken'], what);
    }
    assert.deepEqual(r.allocations.nodePorts, { 'shop/web': { http: 30000 } }, what);
  }
});
