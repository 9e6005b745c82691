// Names that are also members of Object.prototype. "constructor" is a valid
// cluster name (a DNS-1123 label), and port names, field names and Secret
// keys can be "constructor", "toString" or "__proto__": the render core must
// treat them as any other name, never find Object's members instead.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffObject } from '../../operator/core/diff.js';
import { federationProviderUid } from '../../operator/core/hashes.js';
import type { KubeObject, RenderResult } from '../../operator/core/model.js';
import { isReady } from '../../operator/core/render.js';
import { DEFAULT_PREFERENCES, planReplicas } from '../../operator/core/replica-planner.js';
import { withUnreported } from '../../operator/core/shard-report.js';
import { withListKeyDefaults } from '../../operator/core/ssa-defaults.js';
import { formatFinding } from '../../operator/load/index.js';
import { renderFleetText, webPlacementYaml } from '../helpers/fleet-text.js';

const renderFiles = renderFleetText;

const clusterDoc = (name: string, spec: string) => `apiVersion: gitfed.io/v1alpha1
kind: Cluster
metadata: { name: ${name} }
spec: ${spec}
`;
const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: shop }
spec:
  replicas: 10
  selector: { matchLabels: { app: web } }
  template: { metadata: { labels: { app: web } }, spec: { containers: [{ name: c, image: nginx }] } }
`;
const replicasIn = (r: RenderResult, cluster: string) =>
  (r.clusters.find((c) => c.cluster === cluster)?.objects.find((o) => o.kind === 'Deployment')?.spec as { replicas?: unknown } | undefined)?.replicas;
const uidConfigMap = (r: RenderResult, cluster: string) =>
  r.clusters.find((c) => c.cluster === cluster)?.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'ingress-uid') as (KubeObject & { data: Record<string, string> }) | undefined;

test('prototype names: a cluster named "constructor" renders and gets its replica share like any other name (GCE or not)', () => {
  for (const provider of ['{ provider: other }', '{ gce: { project: p, zone: z2 } }']) {
    const r = renderFiles({
      'clusters/c.yaml': `${clusterDoc('alpha', '{ gce: { project: p, zone: z1 } }')}---\n${clusterDoc('constructor', provider)}`,
      'manifests/d.yaml': DEPLOYMENT,
    });
    assert.deepEqual(r.findings.filter((f) => f.severity === 'error').map(formatFinding), [], provider);
    assert.deepEqual(r.replicas.map((d) => d.plan), [{ alpha: 5, constructor: 5 }], provider);
    assert.equal(replicasIn(r, 'alpha'), 5);
    assert.equal(replicasIn(r, 'constructor'), 5, 'not NaN, not 0');
    assert.equal(r.clusters.find((c) => c.cluster === 'constructor')?.skipped, undefined, 'not "unreachable"');
    assert.equal(uidConfigMap(r, 'alpha')?.data['provider-uid'], federationProviderUid('alpha'));
    if (provider.includes('other')) {
      assert.equal(uidConfigMap(r, 'constructor'), undefined, 'no GLBC uid for a non-GCE cluster');
      assert.deepEqual(Object.keys(r.allocations.glbc.providerUids), ['alpha']);
    } else {
      assert.equal(uidConfigMap(r, 'constructor')?.data['provider-uid'], federationProviderUid('constructor'));
      assert.deepEqual(r.allocations.glbc.providerUids, { alpha: federationProviderUid('alpha'), constructor: federationProviderUid('constructor') });
    }
  }
});

test('prototype names: the planner and readiness treat "constructor" as an unobserved, Ready cluster', () => {
  const out = planReplicas({ total: 10, preferences: DEFAULT_PREFERENCES, clusters: ['alpha', 'constructor'], current: {}, capacity: {}, workloadKey: 'shop/web' });
  assert.deepEqual(out, { plan: { alpha: 5, constructor: 5 }, overflow: {}, unplaced: 0 });
  assert.equal(isReady({}, 'constructor'), true);
  const filled = withUnreported({}, ['constructor']);
  assert.equal(new Map(Object.entries(filled)).get('constructor')?.failed?.nodePorts, 'no report from the replica that owns constructor yet', 'a cluster without a report is marked unreported, not skipped');
});

test('prototype names: cluster-selector operators "constructor" and "__proto__" are refused like "Bogus", at the annotation\'s line', () => {
  for (const op of ['Bogus', 'constructor', '__proto__']) {
    const r = renderFiles({
      'clusters/c.yaml': `${clusterDoc('a', '{ gce: { project: p, zone: z1 } }')}---\n${clusterDoc('b', '{ gce: { project: p, zone: z2 } }')}`,
      'manifests/cm.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
  annotations:
    federation.alpha.kubernetes.io/cluster-selector: '[{"key": "region", "operator": "${op}", "values": ["x"]}]'
data: { a: b }
`,
    });
    const errs = r.findings.filter((f) => f.severity === 'error');
    assert.deepEqual(errs.map((f) => `${f.code} ${f.place?.file}:${f.place?.line}`), ['BadClusterSelector manifests/cm.yaml:7'], op);
    assert.match(errs[0]!.message, new RegExp(`unknown operator "${op}"`));
  }
});

test('prototype names: a replica preference keyed "__proto__" is refused at spec.replicas, not turned into the map\'s prototype', () => {
  const r = renderFiles({
    'clusters/c.yaml': `${clusterDoc('a', '{ gce: { project: p, zone: z1 } }')}---\n${clusterDoc('weight', '{ gce: { project: p, zone: z2 } }')}`,
    'manifests/d.yaml': DEPLOYMENT,
    'policies/p.yaml': webPlacementYaml(['"__proto__": { weight: 2 }', '"*": { weight: 1 }']),
  });
  const errs = r.findings.filter((f) => f.severity === 'error');
  assert.deepEqual(errs.map((f) => `${f.code} ${f.place?.file}:${f.place?.line}`), ['BadPreferences policies/p.yaml:6']);
  assert.match(errs[0]!.message, /"__proto__" is not a cluster name/);
  assert.deepEqual(r.clusters, [], 'nothing rendered');
});

test('prototype names: field names "constructor" and "toString" diff as fields, and a "__proto__" Secret key is applied', () => {
  const want = { data: { constructor: 'x', toString: null } };
  assert.deepEqual(diffObject(want, { data: {} }), [{ path: ['data', 'constructor'], want: 'x', have: undefined }], 'missing live, and null is "absent"');
  assert.deepEqual(diffObject({ data: {} }, { data: { toString: 'old' } }, [['data', 'toString']]), [{ path: ['data', 'toString'], want: undefined, have: 'old' }], 'a field Git dropped is removed');
  const secret = JSON.parse('{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"stringData":{"__proto__":"v"}}') as KubeObject;
  const sent = withListKeyDefaults(secret) as KubeObject & { data: Record<string, string> };
  assert.deepEqual(Object.keys(sent.data), ['__proto__']);
  assert.equal(JSON.stringify(sent.data), '{"__proto__":"dg=="}');
});
