// Which parts of a cluster a fleet needs observed. A part left out must never
// matter: the render of a fleet is the same whether the parts it does not
// need were observed (full of live data) or not observed at all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyAllocations, type ClusterObservation, type KubeObject, type Observations } from '../../operator/core/model.js';
import { observationNeeds, type ObservationNeeds } from '../../operator/core/observation-needs.js';
import { render } from '../../operator/core/render.js';
import { cluster, deployment, fleet, ingress, service } from '../helpers/fleet-builder.js';

const configMap = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'web' }, data: { a: '1' } });
const replicaSet = (name: string): KubeObject => ({ ...deployment(name, 6), kind: 'ReplicaSet' });
const other = (name: string) => cluster(name, { provider: 'other' });
const gce = (name: string) => cluster(name, { gce: { project: 'demo', zone: `${name}-b` } });

const NONE: ObservationNeeds = { nodePorts: false, ingressUid: false, ingresses: false, endpoints: false, workloads: false };
const cases: Array<{ name: string; clusters: ReturnType<typeof cluster>[]; manifests: KubeObject[]; needs: Partial<ObservationNeeds> }> = [
  { name: 'ConfigMaps on non-GCE clusters: nothing but owned objects', clusters: [other('a'), other('b')], manifests: [configMap('x')], needs: {} },
  { name: 'ConfigMaps on GCE clusters: the GLBC uid (and what decides it)', clusters: [gce('a'), gce('b')], manifests: [configMap('x')], needs: { ingressUid: true, ingresses: true, endpoints: true } },
  { name: 'a Service: node ports and endpoints', clusters: [other('a')], manifests: [service('web')], needs: { nodePorts: true, endpoints: true } },
  { name: 'a Deployment: workloads', clusters: [other('a')], manifests: [deployment('web', 4)], needs: { workloads: true } },
  { name: 'a ReplicaSet: workloads', clusters: [other('a')], manifests: [replicaSet('web')], needs: { workloads: true } },
  { name: 'an Ingress on non-GCE clusters: uid, Ingresses, endpoints', clusters: [other('a')], manifests: [ingress('web', 'web')], needs: { ingressUid: true, ingresses: true, endpoints: true } },
  { name: 'the seed example on GCE: everything', clusters: [gce('a'), gce('b')], manifests: [deployment('web', 50), service('web'), ingress('web', 'web')], needs: { nodePorts: true, ingressUid: true, ingresses: true, endpoints: true, workloads: true } },
];

for (const c of cases) {
  test(`observation needs: ${c.name}`, () => {
    assert.deepEqual(observationNeeds(fleet({ clusters: c.clusters, manifests: c.manifests })), { ...NONE, ...c.needs });
  });
}

test('observation needs: a rollout observes for both revisions (the stable one has the Service)', () => {
  const target = fleet({ clusters: [other('a')], manifests: [configMap('x')] });
  const stable = fleet({ clusters: [other('a')], manifests: [service('web'), deployment('web', 3)] });
  assert.deepEqual(observationNeeds(target), NONE);
  assert.deepEqual(observationNeeds(target, stable), { ...NONE, nodePorts: true, endpoints: true, workloads: true });
});

// A cluster full of things the fleet did not ask about: other Services' node
// ports, a GLBC uid, GCE Ingresses, workloads with the fleet's names.
function busy(name: string): ClusterObservation {
  return {
    health: 'Ready',
    nodePorts: [{ port: 30080, namespace: 'web', service: 'web', servicePort: 'http' }, { port: 30081, namespace: 'other', service: 'x', servicePort: '80' }],
    ingressUid: { uid: 'live00000000uid1', providerUid: `p-${name}` },
    ingresses: [{ namespace: 'web', name: 'web', ingressClass: 'gce', annotations: { 'ingress.kubernetes.io/forwarding-rule': 'k8s-fw-web-web--live00000000uid1' }, ips: ['203.0.113.9'] }],
    workloads: [{ kind: 'Deployment', namespace: 'web', name: 'web', replicas: 7, readyReplicas: 2, unschedulable: 5 }, { kind: 'ReplicaSet', namespace: 'web', name: 'web', replicas: 3, readyReplicas: 0 }],
  };
}

/** What observeCluster leaves in an observation when `needs` skip a part. */
function unobserved(o: ClusterObservation, needs: ObservationNeeds): ClusterObservation {
  const { ingressUid, ...rest } = o;
  return {
    ...rest,
    ...(needs.ingressUid && ingressUid ? { ingressUid } : {}),
    nodePorts: needs.nodePorts ? o.nodePorts : [],
    ingresses: needs.ingresses ? o.ingresses : [],
    workloads: needs.workloads ? o.workloads : [],
  };
}

for (const c of cases) {
  test(`observation needs: what is not observed does not change the render (${c.name})`, () => {
    const f = fleet({ clusters: c.clusters, manifests: c.manifests });
    const needs = observationNeeds(f);
    const full: Observations = Object.fromEntries(c.clusters.map((x) => [x.name, busy(x.name)]));
    const partial: Observations = Object.fromEntries(c.clusters.map((x) => [x.name, unobserved(busy(x.name), needs)]));
    for (const allocations of [emptyAllocations(), { ...emptyAllocations(), glbc: { uid: 'fleetuid00000001', providerUids: {} } }]) {
      assert.deepEqual(render({ fleet: f, observations: partial, allocations }), render({ fleet: f, observations: full, allocations }));
    }
  });
}
