// Which namespace a rendered object carries: never "default" on something
// that may be cluster-scoped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { emptyAllocations, type KubeObject } from '../../operator/core/model.js';
import { render } from '../../operator/core/render.js';
import { cluster, fleet } from '../helpers/fleet-builder.js';

const crd = (kind: string, scope: 'Cluster' | 'Namespaced'): KubeObject => ({
  apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: `${kind.toLowerCase()}s.example.com` },
  spec: { group: 'example.com', scope, names: { kind, plural: `${kind.toLowerCase()}s` }, versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }] },
});
const cr = (kind: string, namespace?: string): KubeObject => ({ apiVersion: 'example.com/v1', kind, metadata: { name: 'x', ...(namespace ? { namespace } : {}) } });

const cases: Array<[string, KubeObject[], string, string | undefined]> = [
  ['an unknown custom resource without a namespace (no CRD in the fleet) gets none: apply lets discovery place it', [cr('ClusterThing')], 'ClusterThing', undefined],
  ['a custom resource whose CRD in the fleet says scope: Cluster gets none', [crd('Tenant', 'Cluster'), cr('Tenant')], 'Tenant', undefined],
  ['a custom resource whose CRD in the fleet says scope: Namespaced gets "default"', [crd('CronTab', 'Namespaced'), cr('CronTab')], 'CronTab', 'default'],
  ['an unknown custom resource keeps the namespace it was written with', [cr('Widget', 'shop')], 'Widget', 'shop'],
  ['a built-in namespaced kind without a namespace gets "default"', [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }], 'ConfigMap', 'default'],
  ['a built-in cluster-scoped kind gets none', [{ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'x' } }], 'ClusterRole', undefined],
];

for (const [name, manifests, kind, want] of cases) {
  test(`scopes: ${name}`, () => {
    const r = render({ fleet: fleet({ clusters: [cluster('a')], manifests }), observations: {}, allocations: emptyAllocations() });
    assert.deepEqual(r.findings.filter((f) => f.severity === 'error'), []);
    const obj = r.clusters[0]!.objects.find((o) => o.kind === kind && o.metadata.name === 'x')!;
    assert.equal(obj.metadata.namespace, want);
  });
}

test('scopes: a namespace written on a custom resource whose CRD in the fleet says scope: Cluster is an error at that line', () => {
  const f = fleet({ clusters: [cluster('a')], manifests: [crd('Tenant', 'Cluster'), cr('Tenant', 'shop')] });
  const r = render({ fleet: f, observations: {}, allocations: emptyAllocations() });
  const err = r.findings.find((x) => x.code === 'NamespaceOnClusterScoped');
  assert.match(err?.message ?? '', /Tenant is cluster-scoped \(its CustomResourceDefinition in the fleet says scope: Cluster\)/);
  assert.deepEqual(err!.place, f.manifests[1]!.locate!(['metadata', 'namespace']));
});
