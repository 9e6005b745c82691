// Cross-object rules: each bad fleet gives one error that points at the line to fix.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { indexFleet } from '../../operator/core/fleet-index.js';
import type { Finding, Fleet } from '../../operator/core/model.js';
import { validateFleet } from '../../operator/core/validate-fleet.js';
import { cluster, deployment, fleet, ingress, nodePortPolicy, override, placement, sampleFleet, service } from '../helpers/fleet-builder.js';

const validate = (f: Fleet): Finding[] => validateFleet(f, indexFleet(f));
const errors = (f: Fleet) => validate(f).filter((x) => x.severity === 'error');
const three = () => [cluster('a', { gce: { project: 'p', zone: 'z1' } }), cluster('b', { gce: { project: 'p', zone: 'z2' } }), cluster('c', { gce: { project: 'p', zone: 'z3' } })];

const cases: Array<{ name: string; fleet: () => Fleet; code: string; message: RegExp; at: (f: Fleet) => { file: string; line: number; col?: number } }> = [
  { name: 'unknown cluster in a Placement', code: 'UnknownCluster', message: /names cluster "mars", which is not registered/,
    fleet: () => fleet({ clusters: three(), manifests: [deployment('x', 1)], placements: [placement('p', { resources: { resources: [{ kind: 'Deployment', name: 'x' }] }, clusters: { names: ['a', 'mars'] } })] }),
    at: (f) => f.placements[0]!.place },
  { name: 'nodePort outside the range', code: 'NodePortOutOfRange', message: /nodePort 40000 is outside the node-port range 30000-30100/,
    fleet: () => fleet({ clusters: three(), nodePortPolicy: nodePortPolicy([30000, 30100]), manifests: [service('s', { nodePort: 40000 })] }),
    at: (f) => ({ file: f.manifests[0]!.place.file, line: f.manifests[0]!.place.line, col: 5 }) },
  { name: 'nodePort reserved', code: 'NodePortReserved', message: /nodePort 30050 is reserved by NodePortPolicy ports/,
    fleet: () => fleet({ clusters: three(), nodePortPolicy: nodePortPolicy([30000, 30100], [[30050, 30060]]), manifests: [service('s', { nodePort: 30050 })] }),
    at: (f) => ({ ...f.manifests[0]!.place, col: 5 }) },
  { name: 'two Services want one nodePort', code: 'NodePortDuplicate', message: /nodePort 30005 is also wanted by Service web\/first at manifests\/test.yaml:\d+/,
    fleet: () => fleet({ clusters: three(), manifests: [service('first', { nodePort: 30005 }), service('second', { nodePort: 30005 })] }),
    at: (f) => ({ ...f.manifests[1]!.place, col: 5 }) },
  { name: 'Ingress backend Service missing', code: 'BackendServiceMissing', message: /routes to Service web\/ghost, which is not in the fleet/,
    fleet: () => fleet({ clusters: three(), manifests: [ingress('i', 'ghost')] }),
    at: (f) => ({ ...f.manifests[0]!.place, col: 5 }) },
  { name: 'Ingress backend Service is ClusterIP', code: 'BackendServiceType', message: /is of type ClusterIP; GLBC needs type NodePort/,
    fleet: () => fleet({ clusters: three(), manifests: [service('s', { type: 'ClusterIP' }), ingress('i', 's')] }),
    at: (f) => ({ ...f.manifests[0]!.place, col: 3 }) },
  { name: 'Ingress routes to a port the Service lacks', code: 'BackendPortMissing', message: /routes to port 80 of Service web\/s, which has no such port/,
    fleet: () => fleet({ clusters: three(), manifests: [service('s', { ports: [{ port: 8080 }] }), ingress('i', 's')] }),
    at: (f) => ({ ...f.manifests[1]!.place, col: 5 }) },
  { name: 'Override of a federated nodePort', code: 'OverrideEnforcedField', message: /would replace \/spec\/ports\/0\/nodePort of Service web\/s, which gitfed enforces/,
    fleet: () => fleet({ clusters: three(), manifests: [service('s'), ingress('i', 's')], overrides: [override('o', { resources: { resources: [{ kind: 'Service', name: 's' }] }, clusters: {}, patches: [{ op: 'replace', path: '/spec/ports/0/nodePort', value: 31000 }] })] }),
    at: (f) => f.overrides[0]!.patches[0]!.place },
  { name: 'Override that replaces all annotations of an Ingress (drops the static IP)', code: 'OverrideEnforcedField', message: /static-IP annotation must be identical/,
    fleet: () => fleet({ clusters: three(), manifests: [service('s'), ingress('i', 's')], overrides: [override('o', { resources: { resources: [{ kind: 'Ingress', name: 'i' }] }, clusters: {}, patches: [{ op: 'replace', path: '/metadata/annotations', value: {} }] })] }),
    at: (f) => f.overrides[0]!.patches[0]!.place },
  { name: 'Override of replicas', code: 'OverrideEnforcedField', message: /replicas are split by the Placement/,
    fleet: () => fleet({ clusters: three(), manifests: [deployment('d', 3)], overrides: [override('o', { resources: { matchLabels: {} , resources: [{ kind: 'Deployment', name: 'd' }] }, clusters: {}, patches: [{ op: 'replace', path: '/spec/replicas', value: 1 }] })] }),
    at: (f) => f.overrides[0]!.patches[0]!.place },
  { name: 'Override of the readiness probe of Pods behind a federated Ingress (GLBC\'s shared health check)', code: 'OverrideEnforcedField', message: /would add \/spec\/template\/spec\/containers\/0\/readinessProbe of Deployment web\/s, .*ONE shared health check from their readiness probe/,
    fleet: () => fleet({ clusters: three(), manifests: [service('s'), deployment('s', 3), ingress('i', 's')], overrides: [override('o', { resources: { resources: [{ kind: 'Deployment', name: 's' }] }, clusters: {}, patches: [{ op: 'add', path: '/spec/template/spec/containers/0/readinessProbe', value: { httpGet: { path: '/healthz', port: 80 } } }] })] }),
    at: (f) => f.overrides[0]!.patches[0]!.place },
  { name: 'the ingress-uid ConfigMap written in Git', code: 'EnforcedObject', message: /ConfigMap kube-system\/ingress-uid is written by gitfed/,
    fleet: () => fleet({ clusters: three(), manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'ingress-uid', namespace: 'kube-system' }, data: { uid: 'x' } }] }),
    at: (f) => f.manifests[0]!.place },
  { name: 'two GCE clusters in one project and zone', code: 'SameZoneClusters', message: /both in GCE project p zone z1: .*k8s-ig--<uid>/,
    fleet: () => fleet({ clusters: [cluster('a', { gce: { project: 'p', zone: 'z1' } }), cluster('b', { gce: { project: 'p', zone: 'z1' } })] }),
    at: (f) => f.clusters[1]!.place },
  { name: 'two Clusters on one kubeconfig context (one real cluster)', code: 'SameContextClusters', message: /clusters a \(clusters\/a.yaml:4\) and b both use kubeconfig context prod, so they are one cluster/,
    fleet: () => fleet({ clusters: [
      cluster('a', { context: 'prod', contextAt: { file: 'clusters/a.yaml', line: 4, col: 9 }, gce: { project: 'p', zone: 'z1' } }),
      cluster('b', { context: 'prod', contextAt: { file: 'clusters/b.yaml', line: 4, col: 9 }, gce: { project: 'p', zone: 'z2' } })] }),
    at: (f) => f.clusters[1]!.contextAt! },
  { name: 'a Cluster whose spec.context is another Cluster\'s name (that one\'s default context)', code: 'SameContextClusters', message: /clusters b \(clusters\/b.yaml:\d+\) and a both use kubeconfig context b/,
    fleet: () => fleet({ clusters: [cluster('b', { gce: { project: 'p', zone: 'z2' } }), cluster('a', { context: 'b', gce: { project: 'p', zone: 'z1' } })] }),
    at: (f) => f.clusters[1]!.place },
  { name: 'an object selected by two Placements', code: 'PlacementConflict', message: /selected by Placement one .* and by Placement two/,
    fleet: () => fleet({ clusters: three(), manifests: [deployment('d', 1)], placements: [
      placement('one', { resources: { resources: [{ kind: 'Deployment', name: 'd' }] }, clusters: {} }),
      placement('two', { resources: { resources: [{ kind: 'Deployment', name: 'd' }] }, clusters: {} })] }),
    at: (f) => f.placements[1]!.place },
];

for (const c of cases) {
  test(`validate: ${c.name}`, () => {
    const f = c.fleet();
    const errs = errors(f);
    assert.equal(errs.length, 1, errs.map((e) => e.message).join('\n'));
    assert.equal(errs[0]!.code, c.code);
    assert.match(errs[0]!.message, c.message);
    const want = c.at(f);
    assert.equal(errs[0]!.place?.file, want.file);
    assert.equal(errs[0]!.place?.line, want.line);
    if (want.col) assert.equal(errs[0]!.place?.col, want.col, 'points at the field, not the document');
  });
}

test('validate: the sample fleet is clean', () => {
  assert.deepEqual(validate(sampleFleet()), []);
});

test('validate: a readiness probe Override is fine for Pods no federated Ingress serves, and for other fields of those it does', () => {
  const probe = { op: 'add' as const, path: '/spec/template/spec/containers/0/readinessProbe', value: { httpGet: { path: '/healthz', port: 80 } } };
  const alone = fleet({ clusters: three(), manifests: [service('s'), deployment('other', 3), ingress('i', 's')], overrides: [override('o', { resources: { resources: [{ kind: 'Deployment', name: 'other' }] }, clusters: {}, patches: [probe] })] });
  assert.deepEqual(errors(alone), []);
  const image = fleet({ clusters: three(), manifests: [service('s'), deployment('s', 3), ingress('i', 's')], overrides: [override('o', { resources: { resources: [{ kind: 'Deployment', name: 's' }] }, clusters: {}, patches: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: 'nginx:2' }] })] });
  assert.deepEqual(errors(image), []);
});

test('validate: a GCE Ingress without a static IP is a warning, not an error', () => {
  const f = fleet({ clusters: three(), manifests: [service('s'), ingress('i', 's', { staticIp: null })] });
  const found = validate(f);
  assert.equal(found.length, 1);
  assert.equal(found[0]!.severity, 'warning');
  assert.match(found[0]!.message, /each cluster's GLBC would first get its own ephemeral IP/);
});

test('validate: --allow-health-check-divergence makes the readiness-probe Override behind a federated Ingress a warning at the Override\'s line; other enforced fields stay errors', () => {
  const probe = { op: 'add' as const, path: '/spec/template/spec/containers/0/readinessProbe', value: { httpGet: { path: '/healthz', port: 80 } } };
  const replicas = { op: 'replace' as const, path: '/spec/replicas', value: 1 };
  const f = fleet({ clusters: three(), manifests: [service('s'), deployment('s', 3), ingress('i', 's')], overrides: [override('o', { resources: { resources: [{ kind: 'Deployment', name: 's' }] }, clusters: {}, patches: [probe, replicas] })] });
  const strict = validateFleet(f, indexFleet(f)).filter((x) => x.code === 'OverrideEnforcedField');
  assert.equal(strict.length, 2);
  assert.match(strict[0]!.message, /readinessProbe .*ONE shared health check.*; --allow-health-check-divergence makes this a warning$/, 'the error names the way out');
  assert.doesNotMatch(strict[1]!.message, /allow-health-check-divergence/, 'not for replicas');
  const allowed = validateFleet(f, indexFleet(f), { allowHealthCheckDivergence: true });
  const warn = allowed.filter((x) => x.code === 'HealthCheckDivergence');
  assert.equal(warn.length, 1);
  assert.equal(warn[0]!.severity, 'warning');
  assert.match(warn[0]!.message, /would add \/spec\/template\/spec\/containers\/0\/readinessProbe of Deployment web\/s: .*overwrite each other's health check \(allowed by --allow-health-check-divergence\)/);
  assert.deepEqual(warn[0]!.place, f.overrides[0]!.patches[0]!.place, 'at the Override\'s line');
  const errs = allowed.filter((x) => x.severity === 'error');
  assert.deepEqual(errs.map((e) => e.code), ['OverrideEnforcedField'], 'replicas is still refused');
  assert.match(errs[0]!.message, /replicas are split/);
});
